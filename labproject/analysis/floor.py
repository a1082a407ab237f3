"""Every strategy against the in-database floor (``sql_update``) on the same backend, time and memory.

Strategies measured at a smaller table (too slow for the report's budget at the full size) are
compared per row (seconds per 100k rows), and the table says at which size each was measured.
"""

from __future__ import annotations

import pandas as pd

from labproject.analysis.growth import PER_ROWS
from labproject.engine.summary import summarize

FLOOR = "sql_update"
WRITE_FLOOR = "write_floor"  # the second floor: the rows written, no JSON parsed


def against_floor(runs: pd.DataFrame, floor: str = FLOOR) -> pd.DataFrame:
    """Return per (backend, strategy) its median time and memory and its time per row over the floor's.

    ``backend`` names where the runs happened: the runs table's ``setup`` (the backend, or the backend
    with its pooler: ``postgresql+transaction``), so runs through PgBouncer are compared with their own
    floor, never with the direct connection's.
    Columns: backend, strategy, family, python_side, rows, ok, failed, seconds (median, min, max),
    s per 100k rows, x floor (time per row over the floor's on the same backend), x write floor (over
    ``write_floor``'s, what writing the rows alone costs; NaN where it was not run), memory MiB (the
    median of the runs' memory, ``engine.summary.RUN_MEMORY``), baseline MiB, and the run ids each
    figure is the median of. A backend whose floor has no verified run gets no ratio.
    """
    from labproject import strategies

    runs = by_setup(runs)
    summary = summarize(runs, by=("backend", "strategy", "rows"))
    summary["run_ids"] = _run_ids(runs, ("backend", "strategy", "rows"))
    summary["s per 100k rows"] = summary["wall_s_median"] / summary["rows"] * PER_ROWS
    floors = summary[summary["strategy"] == floor].groupby("backend")["s per 100k rows"].min()
    summary["x floor"] = summary["s per 100k rows"] / summary["backend"].map(floors)
    writes = summary[summary["strategy"] == WRITE_FLOOR].groupby("backend")["s per 100k rows"].min()
    summary["x write floor"] = summary["s per 100k rows"] / summary["backend"].map(writes)
    described = {s.name: s for s in strategies.all_strategies()}
    summary["family"] = summary["strategy"].map(lambda n: described[n].family)
    summary["python_side"] = summary["strategy"].map(lambda n: described[n].python_side)
    table = summary.rename(columns={"wall_s_median": "seconds", "wall_s_min": "seconds min",
                                    "wall_s_max": "seconds max", "peak_mib_median": "memory MiB",
                                    "baseline_mib_median": "baseline MiB"})
    columns = ["backend", "strategy", "family", "python_side", "rows", "ok", "failed", "seconds", "seconds min",
               "seconds max", "s per 100k rows", "x floor", "x write floor", "memory MiB", "baseline MiB", "run_ids"]
    order = {backend: index for index, backend in enumerate(dict.fromkeys(runs["backend"]))}
    table = table.assign(_order=table["backend"].map(order)).sort_values(["_order", "x floor"], na_position="last")
    return table[columns].reset_index(drop=True)


def against_idle_floor(table: pd.DataFrame, runs: pd.DataFrame, floor: str = FLOOR) -> pd.DataFrame:
    """Return per (backend, strategy) of ``runs`` its time per row over the floor's in ``table`` (another run set).

    For runs made under other conditions (a busy core beside them), so they compare with the idle floor.
    """
    runs = by_setup(runs)
    summary = summarize(runs, by=("backend", "strategy", "rows"))
    summary["run_ids"] = _run_ids(runs, ("backend", "strategy", "rows"))
    floors = table[table["strategy"] == floor].groupby("backend")["s per 100k rows"].min()
    summary["s per 100k rows"] = summary["wall_s_median"] / summary["rows"] * PER_ROWS
    summary["x floor"] = summary["s per 100k rows"] / summary["backend"].map(floors)
    return summary.rename(columns={"wall_s_median": "seconds", "wall_s_min": "seconds min",
                                   "wall_s_max": "seconds max", "peak_mib_median": "memory MiB"})


def floor_lines(table: pd.DataFrame) -> str:
    """Say per backend, in markdown, how far each strategy is from the floor, fastest first."""
    lines = []
    for backend, mine in table.groupby("backend", sort=False):
        floor = mine[mine["strategy"] == FLOOR]
        if floor.empty or pd.isna(floor["seconds"].iloc[0]):
            lines.append(f"- {backend}: the floor (`{FLOOR}`) has no verified run, so no ratios")
            continue
        head = floor.iloc[0]
        lines.append(f"- **{backend}**: `{FLOOR}` updates {head['rows']:,} rows in {head['seconds']:.2f} s "
                     f"({head['rows'] / head['seconds']:,.0f} rows/s)")
        for _, row in mine[mine["strategy"] != FLOOR].iterrows():
            if pd.isna(row["x floor"]):
                lines.append(f"    - `{row['strategy']}`: no verified run ({row['failed']})")
                continue
            written = "" if pd.isna(row["x write floor"]) else f" ({row['x write floor']:.1f}x `{WRITE_FLOOR}`'s)"
            lines.append(f"    - `{row['strategy']}`: {row['x floor']:.1f}x the floor's time per row{written}, "
                         f"+{row['memory MiB']:.1f} MiB (at {row['rows']:,} rows, {row['rows'] / row['seconds']:,.0f} "
                         f"rows/s)")
    return "\n".join(lines)


def by_setup(runs: pd.DataFrame) -> pd.DataFrame:
    """Return ``runs`` with ``backend`` replaced by the setup the runs happened on (backend and pooler)."""
    return runs.assign(backend=runs["setup"]) if "setup" in runs else runs


def _run_ids(runs: pd.DataFrame, keys: tuple[str, ...]) -> list[tuple[str, ...]]:
    """Return, per group of ``summarize``'s grouping (same order), the ids of its verified runs."""
    if "run_id" not in runs:
        return [()] * runs.groupby(list(keys), sort=False).ngroups
    return [tuple(group.loc[group["status"] == "ok", "run_id"])
            for _key, group in runs.groupby(list(keys), sort=False)]
