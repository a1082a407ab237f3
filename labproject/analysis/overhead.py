"""What each probe costs: its runs compared with the same strategy's runs that carried RSS only.

tracemalloc hooks every allocation, pympler walks every reachable object twice, the queries probe
wraps every query; each changes the time and memory it is there to measure. The comparison uses
the medians of ``summarize`` for both sides, so spread and status rules are the summary's.
"""

from __future__ import annotations

import pandas as pd

from labproject.engine.summary import summarize

RSS_ONLY = "rss"
COLUMNS = ["strategy", "probe", "rows", "runs", "reference_runs", "time_ratio", "baseline_diff_mib", "peak_diff_mib"]


def probe_overhead(runs: pd.DataFrame) -> pd.DataFrame:
    """Return one row per (strategy, probe set): wall-time ratio and baseline/peak differences against RSS only.

    ``runs`` holds runs of one table shape; a strategy with no verified RSS-only run is left out.
    """
    summary = summarize(runs, by=("strategy", "probes"))
    reference = summary[(summary["probes"] == RSS_ONLY) & (summary["ok"] > 0)].set_index("strategy")
    rows = []
    for row in summary[summary["probes"] != RSS_ONLY].itertuples():
        if row.strategy not in reference.index or not row.ok:
            continue
        plain = reference.loc[row.strategy]
        rows.append({
            "strategy": row.strategy,
            "probe": row.probes.removeprefix(f"{RSS_ONLY},"),
            "rows": int(runs["rows"].iloc[0]),
            "runs": row.ok,
            "reference_runs": plain["ok"],
            "time_ratio": row.wall_s_median / plain["wall_s_median"],
            "baseline_diff_mib": row.baseline_mib_median - plain["baseline_mib_median"],
            "peak_diff_mib": row.peak_mib_median - plain["peak_mib_median"],
        })
    return pd.DataFrame(rows, columns=COLUMNS)


def overhead_by_probe(overhead: pd.DataFrame) -> pd.DataFrame:
    """Return one row per probe: the median, lowest and highest time ratio over strategies, and median differences."""
    grouped = overhead.groupby("probe", sort=False)
    return pd.DataFrame({
        "rows": grouped["rows"].first(),
        "strategies": grouped["strategy"].count(),
        "time_ratio_median": grouped["time_ratio"].median(),
        "time_ratio_min": grouped["time_ratio"].min(),
        "time_ratio_max": grouped["time_ratio"].max(),
        "baseline_diff_mib_median": grouped["baseline_diff_mib"].median(),
        "peak_diff_mib_median": grouped["peak_diff_mib"].median(),
    }).reset_index()
