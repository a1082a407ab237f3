"""Memory against rows within a run: how fast RSS grows per 100k rows, and whether a climb levels off.

A peak alone cannot tell a climb from a step: these read each run's timeline (RSS above baseline
against rows done, sampled by the runner) and fit straight lines to it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

PER_ROWS = 100_000
LEVEL_SHARE = 0.25  # a climb has levelled off when its late slope is at most this share of its early one
MIN_STEPS = 3  # a run that reported rows fewer times than this (a few huge batches) has no slope to fit


def slope_per_100k(rows: pd.Series, mib: pd.Series) -> float:
    """Return the least-squares slope of ``mib`` against ``rows``, in MiB per 100k rows (NaN with too few rows)."""
    if rows.nunique() < MIN_STEPS:
        return float("nan")
    slope, _intercept = np.polyfit(rows.to_numpy(float), mib.to_numpy(float), 1)
    return float(slope * PER_ROWS)


def growth_per_100k(samples: pd.DataFrame) -> pd.DataFrame:
    """Return per run the slope of RSS above baseline against rows done, in MiB per 100k rows.

    Samples before the first rows are reported (the first batch filling up) are left out: that
    ramp happens at any size and is no growth with the table.
    """
    records = []
    for run_id, line in samples[samples["rows_done"] > 0].groupby("run_id", sort=False):
        records.append({"run_id": run_id, "strategy": line["strategy"].iloc[0], "repeat": line["repeat"].iloc[0],
                        "rows": line["rows"].iloc[0],
                        "mib_per_100k_rows": slope_per_100k(line["rows_done"], line["rss_above_baseline_mib"])})
    return pd.DataFrame.from_records(records, columns=["run_id", "strategy", "repeat", "rows", "mib_per_100k_rows"])


def median_growth(samples: pd.DataFrame) -> pd.Series:
    """Return the median growth per 100k rows of each strategy's runs."""
    return growth_per_100k(samples).groupby("strategy", sort=False)["mib_per_100k_rows"].median()


@dataclass(frozen=True)
class Plateau:
    """The shape of one run's climb: slopes over its first and last thirds of rows, and its final level."""

    early_mib_per_100k: float
    late_mib_per_100k: float
    level_mib: float
    levels_off_at_rows: int | None

    @property
    def levelled(self) -> bool:
        return self.levels_off_at_rows is not None


def plateau(line: pd.DataFrame, *, noise_mib: float = 1.0, share: float = LEVEL_SHARE) -> Plateau:
    """Describe one run's timeline: did RSS climb early and stop climbing late, and from which row?

    It levelled off when the early slope carried more than ``noise_mib`` over the first third and the
    late slope is at most ``share`` of it; it then levels off at the first row where RSS reached
    90% of the final level (the median over the last third).
    """
    line = line[line["rows_done"] > 0]
    total = line["rows_done"].max()
    early = line[line["rows_done"] <= total / 3]
    late = line[line["rows_done"] >= 2 * total / 3]
    early_slope = slope_per_100k(early["rows_done"], early["rss_above_baseline_mib"])
    late_slope = slope_per_100k(late["rows_done"], late["rss_above_baseline_mib"])
    level = float(late["rss_above_baseline_mib"].median())
    climbed = early_slope * (total / 3) / PER_ROWS > noise_mib
    at = None
    if climbed and late_slope <= share * early_slope:
        reached = line[line["rss_above_baseline_mib"] >= 0.9 * level]
        at = int(reached["rows_done"].iloc[0]) if len(reached) else None
    return Plateau(early_slope, late_slope, level, at)
