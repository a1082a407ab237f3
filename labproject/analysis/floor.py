"""Every strategy against the in-database floor (``sql_update``) on the same backend, time and memory.

Strategies measured at a smaller table (too slow for the report's budget at the full size) are
compared per row (seconds per 100k rows), and the table says at which size each was measured.
"""

from __future__ import annotations

import pandas as pd

from labproject.analysis.growth import PER_ROWS
from labproject.engine.summary import summarize

FLOOR = "sql_update"


def against_floor(runs: pd.DataFrame, floor: str = FLOOR) -> pd.DataFrame:
    """Return per (setup, strategy) its median time and memory and its time per row over the floor's.

    A setup is the backend, or the backend with the pooler in front (the runs table's ``setup``), so
    runs through PgBouncer are compared with their own floor, not the direct connection's.
    Columns: setup, strategy, family, python_side, rows, ok, failed, seconds (median, min, max),
    s per 100k rows, x floor (time per row over the floor's on the same backend), peak MiB (median
    above baseline of the worker's RSS peak or, when helper processes made it larger, the process
    tree's PSS peak), baseline MiB. A backend whose floor has no verified run gets no ratio.
    """
    from labproject import strategies

    summary = summarize(runs, by=("setup", "strategy", "rows"))
    summary["s per 100k rows"] = summary["wall_s_median"] / summary["rows"] * PER_ROWS
    floors = summary[summary["strategy"] == floor].groupby("setup")["s per 100k rows"].min()
    summary["x floor"] = summary["s per 100k rows"] / summary["setup"].map(floors)
    described = {s.name: s for s in strategies.all_strategies()}
    summary["family"] = summary["strategy"].map(lambda n: described[n].family)
    summary["python_side"] = summary["strategy"].map(lambda n: described[n].python_side)
    table = summary.rename(columns={"wall_s_median": "seconds", "wall_s_min": "seconds min",
                                    "wall_s_max": "seconds max", "memory_mib_median": "peak MiB",
                                    "baseline_mib_median": "baseline MiB"})
    columns = ["setup", "strategy", "family", "python_side", "rows", "ok", "failed", "seconds", "seconds min",
               "seconds max", "s per 100k rows", "x floor", "peak MiB", "baseline MiB"]
    order = {setup: index for index, setup in enumerate(dict.fromkeys(runs["setup"]))}
    table = table.assign(_order=table["setup"].map(order)).sort_values(["_order", "x floor"], na_position="last")
    return table[columns].reset_index(drop=True)


def floor_lines(table: pd.DataFrame) -> str:
    """Say per backend how far each strategy is from the floor, fastest first."""
    lines = []
    for backend, mine in table.groupby("setup", sort=False):
        floor = mine[mine["strategy"] == FLOOR]
        if floor.empty or pd.isna(floor["seconds"].iloc[0]):
            lines.append(f"{backend}: the floor ({FLOOR}) has no verified run, so no ratios")
            continue
        head = floor.iloc[0]
        lines.append(f"{backend}: {FLOOR} updates {head['rows']:,} rows in {head['seconds']:.2f} s "
                     f"({head['s per 100k rows']:.3f} s per 100k rows)")
        for _, row in mine[mine["strategy"] != FLOOR].iterrows():
            if pd.isna(row["x floor"]):
                lines.append(f"  {row['strategy']}: no verified run ({row['failed']})")
                continue
            lines.append(f"  {row['strategy']}: {row['x floor']:.1f}x the floor's time per row, peak "
                         f"{row['peak MiB']:.1f} MiB above baseline (measured at {row['rows']:,} rows)")
    return "\n".join(lines)
