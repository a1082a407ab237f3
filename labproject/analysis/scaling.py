"""How cost grows with the table: slopes on log-log axes, what they mean, and what a memory cap kills.

A straight line on log-log axes, ``cost = a * rows ** k``, has slope ``k``: about 0 for memory that
stays flat, 1 for cost proportional to the table, 2 for OFFSET pagination's rows scanned. The fits
use the median of each size's verified runs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from labproject.analysis.growth import PER_ROWS
from labproject.units import MEMORY_FLOOR_MIB, MIB

# Peaks at or below this are fitted (and drawn) at this value: RSS cannot resolve less, and log(0) is not defined.
# Memory is O(n) only when the slope says so AND it grows by at least this much over the sizes measured:
# a flat strategy's few MiB of noise can show any slope.
MIN_GROWTH_MIB = 8.0
LINEAR_MEMORY_SLOPE = 0.5
QUADRATIC_TIME_SLOPE = 1.5


def power_slope(rows: pd.Series | np.ndarray, values: pd.Series | np.ndarray) -> float:
    """Return ``k`` of the least-squares line log(values) = k log(rows) + c (NaN with fewer than 2 sizes)."""
    x, y = np.asarray(rows, dtype=float), np.asarray(values, dtype=float)
    if len(np.unique(x)) < 2:
        return float("nan")
    slope, _intercept = np.polyfit(np.log(x), np.log(y), 1)
    return float(slope)


def medians_by_size(runs: pd.DataFrame, column: str) -> pd.DataFrame:
    """Return per (strategy, rows) the median, min and max of ``column`` over the verified runs."""
    ok = runs[(runs["status"] == "ok") & runs[column].notna()]
    return ok.groupby(["strategy", "rows"], sort=False)[column].agg(["median", "min", "max", "count"]).reset_index()


def memory_fits(runs: pd.DataFrame, *, min_growth_mib: float = MIN_GROWTH_MIB) -> pd.DataFrame:
    """Return per strategy the slope of its peak above baseline against rows, its growth, and O(1) or O(n)."""
    records = []
    for strategy, by_size in medians_by_size(runs, "peak_above_baseline_mib").groupby("strategy", sort=False):
        by_size = by_size.sort_values("rows")
        peaks = by_size["median"].clip(lower=MEMORY_FLOOR_MIB)
        slope = power_slope(by_size["rows"], peaks)
        growth = float(by_size["median"].iloc[-1] - by_size["median"].iloc[0])
        linear = len(by_size) > 1 and slope >= LINEAR_MEMORY_SLOPE and growth >= min_growth_mib
        records.append({
            "strategy": strategy, "sizes": len(by_size), "largest rows": int(by_size["rows"].max()),
            "peak at largest (MiB)": float(by_size["median"].iloc[-1]), "slope": slope,
            "growth (MiB)": growth, "MiB per 100k rows": _linear_per_100k(by_size["rows"], by_size["median"]),
            "memory": "O(n)" if linear else "O(1)" if len(by_size) > 1 else "one size only",
        })
    return pd.DataFrame.from_records(records)


def time_fits(runs: pd.DataFrame, *, fit_from: int = 10_000) -> pd.DataFrame:
    """Return per strategy the slope of its wall time against rows and O(n) or O(n²).

    Only sizes of at least ``fit_from`` rows are fitted (when two or more are), since at small sizes a
    run's fixed costs (first queries, transactions) hide how it grows.
    """
    records = []
    for strategy, by_size in medians_by_size(runs, "wall_seconds").groupby("strategy", sort=False):
        by_size = by_size.sort_values("rows")
        fitted = by_size[by_size["rows"] >= fit_from]
        if len(fitted) < 2:
            fitted = by_size
        slope = power_slope(fitted["rows"], fitted["median"])
        largest = by_size.iloc[-1]
        records.append({
            "strategy": strategy, "sizes fitted": len(fitted), "from rows": int(fitted["rows"].min()),
            "largest rows": int(largest["rows"]), "seconds at largest": float(largest["median"]),
            "rows/s at largest": float(largest["rows"] / largest["median"]), "slope": slope,
            "time": ("one size only" if len(fitted) < 2 else "O(n²)" if slope >= QUADRATIC_TIME_SLOPE else "O(n)"),
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


def cap_outcomes(runs: pd.DataFrame) -> pd.DataFrame:
    """Return per strategy, under a memory cap, the largest size it survived and the first that killed it."""
    records = []
    for strategy, group in runs.groupby("strategy", sort=False):
        ok = group[group["status"] == "ok"]
        killed = group[group["status"] == "killed"].sort_values("rows")
        first = killed.iloc[0] if len(killed) else None
        records.append({
            "strategy": strategy,
            "largest survived": int(ok["rows"].max()) if len(ok) else None,
            "first killed at": int(first["rows"]) if first is not None else None,
            "killed after rows": int(first["rows_done"]) if first is not None else None,
            "tree RSS at kill (MiB)": first["killed_at_rss_bytes"] / MIB if first is not None else None,
            "largest tried": int(group["rows"].max()),
        })
    return pd.DataFrame.from_records(records)


def cap_sentence(outcome: pd.Series, cap_mb: int) -> str:
    """Say in one line how a strategy fared under the cap."""
    name = outcome["strategy"]
    survived = outcome["largest survived"]
    if pd.notna(outcome["first killed at"]):
        largest = f"{int(survived):,} rows" if pd.notna(survived) else "none"
        done = int(outcome["killed after rows"])
        when = f"after {done:,} rows" if done else "while loading, before its first row"
        rss = outcome["tree RSS at kill (MiB)"]
        return (f"{name}: killed at {int(outcome['first killed at']):,} rows ({when}, tree RSS {rss:.0f} MiB "
                f"> {cap_mb} MiB); largest survived: {largest}")
    return f"{name}: survived every size tried, up to {int(outcome['largest tried']):,} rows"


def memory_lines(fits: pd.DataFrame) -> str:
    """Say per strategy how its memory grows, from :func:`memory_fits`."""
    return "\n".join(
        f"{row['strategy']}: memory {row['memory']} (slope {row['slope']:.2f}, {row['MiB per 100k rows']:+.1f} MiB "
        f"per 100k rows, {row['peak at largest (MiB)']:.1f} MiB at {row['largest rows']:,} rows)"
        for _, row in fits.iterrows())


def time_lines(fits: pd.DataFrame) -> str:
    """Say per strategy how its time grows, from :func:`time_fits` (with ``late/early`` when joined)."""
    lines = []
    for _, row in fits.iterrows():
        late = row.get("late/early")
        lines.append(f"{row['strategy']}: time {row['time']} (slope {row['slope']:.2f} from {row['from rows']:,} "
                     f"rows), {row['rows/s at largest']:,.0f} rows/s at {row['largest rows']:,} rows"
                     + (f"; late rows cost {late:.2f}x early ones" if pd.notna(late) else ""))
    return "\n".join(lines)


def headline(memory: pd.DataFrame, timing: pd.DataFrame, outcomes: pd.DataFrame, cap_mb: int) -> str:
    """Return one line: which strategies grow in memory and time, the fastest at the largest size, and the kills."""
    def named(table: pd.DataFrame, column: str, value: str) -> str:
        return ", ".join(table.loc[table[column] == value, "strategy"]) or "none"

    largest = timing["largest rows"].max()
    at_largest = timing[timing["largest rows"] == largest].sort_values("rows/s at largest", ascending=False)
    killed = outcomes[outcomes["first killed at"].notna()]
    kills = "; ".join(f"{r['strategy']} from {int(r['first killed at']):,} rows" for _, r in killed.iterrows())
    return (f"Memory O(n): {named(memory, 'memory', 'O(n)')}; O(1): {named(memory, 'memory', 'O(1)')}. "
            f"Time O(n²): {named(timing, 'time', 'O(n²)')}. Fastest at {largest:,} rows: "
            f"{at_largest['strategy'].iloc[0]} ({at_largest['rows/s at largest'].iloc[0]:,.0f} rows/s). "
            f"Under a {cap_mb} MiB cap: " + (f"killed {kills}" if kills else "none killed"))


def offset_rows_skipped(rows: int, batch_size: int) -> int:
    """Return the rows OFFSET pagination makes the database step over in a whole walk: k * p(p-1)/2 for p pages."""
    pages = -(-rows // batch_size)
    return batch_size * pages * (pages - 1) // 2


def offset_lines(timing: pd.DataFrame, batch_size: int) -> str:
    """Say for each Paginator method (the article's 4 and 5) what OFFSET scanned and whether it showed in time."""
    from labproject import strategies

    paged = [s.name for s in strategies.all_strategies() if s.method in (4, 5)]
    lines = []
    for _, row in timing[timing["strategy"].isin(paged)].iterrows():
        rows = int(row["largest rows"])
        skipped = offset_rows_skipped(rows, batch_size)
        late = row.get("late/early")
        shown = "scanning dominates its time" if row["time"] == "O(n²)" else \
            "at this size the per-row work still hides the scan"
        lines.append(f"{row['strategy']}: at {rows:,} rows OFFSET stepped over {skipped:,} rows in all "
                     f"({skipped / rows:.0f}x the table); time slope {row['slope']:.2f}"
                     + (f", late rows {late:.2f}x the cost of early ones" if pd.notna(late) else "") + f": {shown}")
    return "\n".join(lines) or "no Paginator method was measured"
