"""Per-strategy summaries of a compare: median and spread of wall time and peak memory above baseline."""

from __future__ import annotations

import pandas as pd

# What "above baseline" is above, said once; a reader adding baseline and peak gets what the OOM killer sees.
BASELINE_HOLDS = ("the worker's RSS just before the strategy: the interpreter, Django, the probes, and the open "
                  "database connection with the page cache the column reset warmed")
# A run's memory, said once for the compare table, the notebooks, the charts and the report (tidy computes it).
RUN_MEMORY = "memory_above_baseline_mib"
RUN_MEMORY_MEANS = ("the larger of the worker's RSS high-water mark (the kernel's VmHWM, which no spike between "
                    "samples escapes) and its process tree's PSS peak (which counts helper processes), each above "
                    "the run's baseline")
# A run's speed, said once: the same clock for every strategy.
RATE_MEANS = ("the table's rows divided by the median wall time of the strategy alone (no start-up, seeding or "
              "verification) over the repeats of the run set named beside it")


def memory_column(runs: pd.DataFrame) -> str:
    """Return the column that holds a run's memory: ``RUN_MEMORY``, or the RSS peak in a table without it."""
    return RUN_MEMORY if RUN_MEMORY in runs else "peak_above_baseline_mib"


def summarize(runs: pd.DataFrame, by: tuple[str, ...] = ("strategy",)) -> pd.DataFrame:
    """Return one row per group: runs, statuses, and median/min/max of time and of the run's memory above baseline.

    The memory (``peak_mib_*``) is ``RUN_MEMORY``; a table without it (hand-made, or older results) counts the
    worker's RSS peak alone.
    """
    keys = list(by)
    verified = runs[runs["status"] == "ok"]
    memory = memory_column(runs)
    groups = []
    for key, group in runs.groupby(keys, sort=False):
        good = verified.loc[group.index.intersection(verified.index)]
        statuses = group["status"].value_counts()
        row = dict(zip(keys, key if isinstance(key, tuple) else (key,), strict=True))
        row.update(
            runs=len(group),
            ok=int(statuses.get("ok", 0)),
            failed=", ".join(f"{n} {s}" for s, n in statuses.items() if s != "ok"),
            wall_s_median=good["wall_seconds"].median(),
            wall_s_min=good["wall_seconds"].min(),
            wall_s_max=good["wall_seconds"].max(),
            peak_mib_median=good[memory].median(),
            peak_mib_min=good[memory].min(),
            peak_mib_max=good[memory].max(),
            baseline_mib_median=group["baseline_mib"].median(),
            connection_mib_median=group["connection_mib"].median() if "connection_mib" in group else float("nan"),
        )
        groups.append(row)
    return pd.DataFrame(groups)


def format_table(summary: pd.DataFrame) -> str:
    """Render a summary as the plain-text table ``compare`` prints."""
    width = max([28, *summary["strategy"].map(len)])
    header = (f"{'strategy':<{width}} {'runs':>4} {'wall s (median, min-max)':>28} "
              f"{'memory MiB above baseline':>28}  notes")
    lines = [header, "-" * len(header)]
    for row in summary.itertuples():
        wall = _spread(row.wall_s_median, row.wall_s_min, row.wall_s_max, "{:.2f}")
        peak = _spread(row.peak_mib_median, row.peak_mib_min, row.peak_mib_max, "{:.1f}")
        notes = row.failed or ""
        lines.append(f"{row.strategy:<{width}} {row.runs:>4} {wall:>28} {peak:>28}  {notes}")
    baseline = summary["baseline_mib_median"].median()
    if pd.notna(baseline):
        connection = summary["connection_mib_median"].median()
        share = f"; the connection and its page cache {connection:.1f} MiB of it" if pd.notna(connection) else ""
        lines.append(f"baseline, median over runs: {baseline:.1f} MiB ({BASELINE_HOLDS}{share}); "
                     "baseline + peak is what the OOM killer sees")
    return "\n".join(lines)


def _spread(median, low, high, fmt: str) -> str:
    if pd.isna(median):
        return "-"
    return f"{fmt.format(median)} ({fmt.format(low)}-{fmt.format(high)})"
