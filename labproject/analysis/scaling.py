"""How cost grows with the table: slopes on log-log axes, what they mean, and what a memory cap kills.

A straight line on log-log axes, ``cost = a * rows ** k``, has slope ``k``: about 0 for memory that
stays flat, 1 for cost proportional to the table, 2 for OFFSET pagination's rows scanned. The fits
use the median of each size's verified runs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from labproject.analysis.growth import PER_ROWS
from labproject.engine.summary import memory_column
from labproject.units import MEMORY_FLOOR_MIB

# Memory is O(n) only when the slope says so AND it grows by at least this much over the sizes measured:
# a flat strategy's few MiB of noise can show any slope. It is O(1) only when the sizes reach far enough
# that the fitted growth, carried on to ``TARGET_ROWS``, stays within that same amount; otherwise the
# sizes cannot tell, and the page says so with the extrapolation.
MIN_GROWTH_MIB = 8.0
LINEAR_MEMORY_SLOPE = 0.5
QUADRATIC_TIME_SLOPE = 1.5
MIN_SIZES = 3
TIME_RANGE = 10  # a time slope is classed only over sizes spanning at least this factor
TARGET_ROWS = 5_000_000  # the table a pod owner asks about (the lab's "huge" preset)
POD_SIZES = (1_000_000, 5_000_000)
UNKNOWN = "not enough range to tell"


def power_slope(rows: pd.Series | np.ndarray, values: pd.Series | np.ndarray) -> float:
    """Return ``k`` of the least-squares line log(values) = k log(rows) + c (NaN with fewer than 2 sizes)."""
    x, y = np.asarray(rows, dtype=float), np.asarray(values, dtype=float)
    if len(np.unique(x)) < 2:
        return float("nan")
    slope, _intercept = np.polyfit(np.log(x), np.log(y), 1)
    return float(slope)


def medians_by_size(runs: pd.DataFrame, column: str) -> pd.DataFrame:
    """Return per (strategy, rows) the median, min and max of ``column`` over the verified runs, and their ids."""
    ok = runs[(runs["status"] == "ok") & runs[column].notna()]
    grouped = ok.groupby(["strategy", "rows"], sort=False)
    table = grouped[column].agg(["median", "min", "max", "count"]).reset_index()
    table["run_ids"] = [tuple(g["run_id"]) if "run_id" in g else () for _key, g in grouped]
    return table


def comparable_sizes(runs: pd.DataFrame) -> pd.DataFrame:
    """Drop the sizes at which a strategy's memory was measured differently from its other sizes.

    A run's memory is the larger of the worker's RSS and its process tree's PSS, and PSS is read every
    ``PSS_INTERVAL``: a run shorter than that has RSS only. For a strategy with helper processes (a
    forked reader) that leaves its small sizes at the worker's RSS and its large ones at the tree's PSS,
    a step that a fit reads as growth; so such a strategy keeps only the sizes where every run has PSS.
    """
    if "tree_peak_above_baseline_mib" not in runs or "processes" not in runs:
        return runs
    keep = pd.Series(True, index=runs.index)
    for _strategy, mine in runs.groupby("strategy", sort=False):
        if mine["processes"].max() > 1:
            read = mine.groupby("rows")["tree_peak_above_baseline_mib"].transform(lambda s: s.notna().all())
            keep.loc[mine.index] = read.astype(bool)
    return runs[keep]


def memory_fits(runs: pd.DataFrame, *, min_growth_mib: float = MIN_GROWTH_MIB, target_rows: int = TARGET_ROWS,
                cap_mb: float | None = None) -> pd.DataFrame:
    """Return per strategy its memory against rows: slope, growth, MiB per 100k rows, its class, and where it goes.

    ``memory`` is O(n), O(1) or ``UNKNOWN`` (see ``MIN_GROWTH_MIB``); ``at target`` carries the linear fit
    from the largest size measured to ``target_rows``, and ``rows at cap`` is where that fit, with the
    strategy's baseline, passes ``cap_mb`` (None when it never does or no cap is given). Only sizes
    measured the same way are fitted (:func:`comparable_sizes`).
    """
    records = []
    baselines = runs.groupby("strategy")["baseline_mib"].median() if "baseline_mib" in runs else pd.Series(dtype=float)
    fitted = comparable_sizes(runs)
    for strategy, by_size in medians_by_size(fitted, memory_column(fitted)).groupby("strategy", sort=False):
        by_size = by_size.sort_values("rows")
        peaks = by_size["median"].clip(lower=MEMORY_FLOOR_MIB)
        slope = power_slope(by_size["rows"], peaks)
        growth = float(by_size["median"].iloc[-1] - by_size["median"].iloc[0])
        per_100k = _linear_per_100k(by_size["rows"], by_size["median"])
        largest, at_largest = int(by_size["rows"].max()), float(by_size["median"].iloc[-1])
        rising = max(per_100k, 0.0) if pd.notna(per_100k) else 0.0
        at_target = at_largest + rising * max(target_rows - largest, 0) / PER_ROWS
        baseline = float(baselines.get(strategy, float("nan")))
        linear = len(by_size) > 1 and slope >= LINEAR_MEMORY_SLOPE and growth >= min_growth_mib
        flat = len(by_size) >= MIN_SIZES and at_target - at_largest < min_growth_mib
        at_cap = None
        if cap_mb is not None and rising > 0 and pd.notna(baseline):
            at_cap = int(largest + (cap_mb - baseline - at_largest) / rising * PER_ROWS)
            at_cap = max(at_cap, 0) if at_cap <= target_rows * 10 else None
        records.append({
            "strategy": strategy, "sizes": len(by_size), "smallest rows": int(by_size["rows"].min()),
            "largest rows": largest, "peak at largest (MiB)": at_largest, "slope": slope,
            "growth (MiB)": growth, "MiB per 100k rows": per_100k,
            "memory": "O(n)" if linear else "O(1)" if flat else "one size only" if len(by_size) < 2 else UNKNOWN,
            "baseline MiB": baseline, "target rows": target_rows, "at target (MiB)": at_target,
            "rows at cap": at_cap, "run_ids": list(by_size["run_ids"].iloc[-1]),
        })
    return pd.DataFrame.from_records(records)


def time_fits(runs: pd.DataFrame, *, fit_from: int = 10_000) -> pd.DataFrame:
    """Return per strategy the slope of its wall time against rows and O(n) or O(n²).

    Only sizes of at least ``fit_from`` rows are fitted (when two or more are), since at small sizes a
    run's fixed costs (first queries, transactions) hide how it grows; a class is stated only when the
    fitted sizes span at least ``TIME_RANGE`` (otherwise ``UNKNOWN``).
    """
    records = []
    for strategy, by_size in medians_by_size(runs, "wall_seconds").groupby("strategy", sort=False):
        by_size = by_size.sort_values("rows")
        fitted = by_size[by_size["rows"] >= fit_from]
        if len(fitted) < 2:
            fitted = by_size
        slope = power_slope(fitted["rows"], fitted["median"])
        largest = by_size.iloc[-1]
        spans = fitted["rows"].max() / fitted["rows"].min() if len(fitted) else 1
        records.append({
            "strategy": strategy, "sizes fitted": len(fitted), "from rows": int(fitted["rows"].min()),
            "largest rows": int(largest["rows"]), "seconds at largest": float(largest["median"]),
            "rows/s at largest": float(largest["rows"] / largest["median"]), "slope": slope,
            "time": ("one size only" if len(fitted) < 2 else UNKNOWN if spans < TIME_RANGE
                     else "O(n²)" if slope >= QUADRATIC_TIME_SLOPE else "O(n)"),
            "run_ids": list(largest["run_ids"]),
        })
    return pd.DataFrame.from_records(records)


def slowdown(samples: pd.DataFrame) -> pd.Series:
    """Return per strategy, at its largest size, the time per row late in the walk over early in it.

    From each run's timeline: seconds spent on rows 75-95% of the table over rows 5-25%. About 1
    for a walk whose rows cost the same throughout; OFFSET pages grow dearer as the walk goes on.
    Strategies that report rows only at the end have no value.
    """
    ratios: dict[str, list[float]] = {}
    for _run, line in samples.groupby("run_id", sort=False):
        if line["rows"].iloc[0] != samples.loc[samples["strategy"] == line["strategy"].iloc[0], "rows"].max():
            continue
        total = line["rows"].iloc[0]
        at = [_seconds_at(line, total * share) for share in (0.05, 0.25, 0.75, 0.95)]
        if any(pd.isna(t) for t in at) or at[1] <= at[0]:
            continue
        ratios.setdefault(line["strategy"].iloc[0], []).append((at[3] - at[2]) / (at[1] - at[0]))
    medians = {name: float(np.median(values)) for name, values in ratios.items()}
    return pd.Series(medians, name="late/early", dtype=float)


def _seconds_at(line: pd.DataFrame, rows: float) -> float:
    reached = line[line["rows_done"] >= rows]
    return float(reached["seconds"].iloc[0]) if len(reached) and reached["rows_done"].iloc[0] < line["rows"].iloc[0] \
        else float("nan")


def _linear_per_100k(rows: pd.Series, mib: pd.Series) -> float:
    if rows.nunique() < 2:
        return float("nan")
    return float(np.polyfit(rows.to_numpy(float), mib.to_numpy(float), 1)[0] * PER_ROWS)


def _span(row: pd.Series) -> str:
    return f"{row['smallest rows']:,}–{row['largest rows']:,} rows"


def memory_line(row: pd.Series, cap_mb: float | None = None) -> str:
    """Say in markdown how one strategy's memory grows (a row of :func:`memory_fits`), and where the fit leads."""
    name, per, target = f"`{row['strategy']}`", row["MiB per 100k rows"], int(row["target rows"])
    whole = row["baseline MiB"] + row["at target (MiB)"]
    cap = "" if cap_mb is None or pd.isna(whole) else (
        f": over the {cap_mb:g} MiB cap" if whole > cap_mb else f": under the {cap_mb:g} MiB cap")
    with_baseline = "" if pd.isna(whole) else f", {whole:.0f} MiB with its {row['baseline MiB']:.0f} MiB baseline"
    if row["memory"] == "O(n)":
        crossing = "" if pd.isna(row["rows at cap"]) or cap_mb is None else \
            f"; with its baseline it passes the {cap_mb:g} MiB cap at about {int(row['rows at cap']):,} rows"
        return (f"{name}: memory **O(n)**, {per:+.1f} MiB per 100k rows (slope {row['slope']:.2f}, "
                f"{_span(row)}){crossing}")
    if row["memory"] == "O(1)":
        return (f"{name}: memory **O(1)**, {row['peak at largest (MiB)']:.1f} MiB at {row['largest rows']:,} rows "
                f"({per:+.2f} MiB per 100k rows over {_span(row)}; {row['at target (MiB)']:.1f} MiB at {target:,} "
                f"rows, extrapolated)")
    if row["memory"] == UNKNOWN:
        return (f"{name}: **{UNKNOWN}** ({_span(row)}, {row['peak at largest (MiB)']:.1f} MiB at the largest): at "
                f"the fitted {per:+.1f} MiB per 100k rows, {target:,} rows would reach +{row['at target (MiB)']:.0f} "
                f"MiB{with_baseline}{cap}")
    return f"{name}: measured at {row['largest rows']:,} rows only ({row['peak at largest (MiB)']:.1f} MiB)"


def memory_lines(fits: pd.DataFrame, cap_mb: float | None = None) -> str:
    """Say per strategy how its memory grows, from :func:`memory_fits`, as a markdown list."""
    return "\n".join(f"- {memory_line(row, cap_mb)}" for _, row in fits.iterrows())


def time_lines(fits: pd.DataFrame) -> str:
    """Say per strategy how its time grows, from :func:`time_fits` (with ``late/early`` when joined), in markdown."""
    lines = []
    for _, row in fits.iterrows():
        late = row.get("late/early")
        shown = f"**{row['time']}**" if row["time"] != "one size only" else row["time"]
        lines.append(f"- `{row['strategy']}`: time {shown} (slope {row['slope']:.2f} over {row['sizes fitted']} "
                     f"sizes from {row['from rows']:,} rows), {row['rows/s at largest']:,.0f} rows/s at "
                     f"{row['largest rows']:,} rows" + (f"; late rows cost {late:.2f}x early ones" if pd.notna(late)
                                                          else ""))
    return "\n".join(lines)
