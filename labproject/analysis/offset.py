"""OFFSET pagination's scan: the rows a walk makes the database step over, what one stepped-over row costs, and
from which table size the scan outweighs the per-row work it hides behind.

Page ``p`` of ``k`` rows asks for ``LIMIT k OFFSET (p - 1) k``, so a walk of ``n`` rows steps over about
``n² / (2k)`` rows in all. How long a stepped-over row takes is measured on the table itself (the
Paginator's own SELECT timed at several offsets, ``studies.offset``); a straight line through those
times gives seconds per row stepped over, and the walk's whole scan follows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from labproject.analysis.scaling import TARGET_ROWS

MICRO = 1e6


@dataclass(frozen=True)
class ScanCost:
    """One page's SELECT time as ``fixed + per_row * offset``, fitted on a table of ``table_rows``."""

    per_row_seconds: float
    fixed_seconds: float
    table_rows: int
    batch_size: int
    points: int

    @classmethod
    def fit(cls, costs: pd.DataFrame, *, table_rows: int, batch_size: int) -> ScanCost:
        """Fit the line through ``costs`` (columns ``offset`` and ``seconds``)."""
        per_row, fixed = np.polyfit(costs["offset"].to_numpy(float), costs["seconds"].to_numpy(float), 1)
        return cls(float(per_row), float(fixed), table_rows, batch_size, len(costs))

    @property
    def resolved(self) -> bool:
        """Tell whether the table was large enough for a stepped-over row to cost measurable time."""
        return self.per_row_seconds > 0

    def walk_seconds(self, rows: int) -> float:
        """Return what all of a walk's SELECTs spend stepping over earlier rows."""
        return self.per_row_seconds * offset_rows_skipped(rows, self.batch_size)

    def catches_up_at(self, seconds_per_row: float) -> int | None:
        """Return the table size from which the scan takes as long as ``seconds_per_row`` of work per row."""
        if self.per_row_seconds <= 0:
            return None
        return int(2 * self.batch_size * seconds_per_row / self.per_row_seconds)


def offset_rows_skipped(rows: int, batch_size: int) -> int:
    """Return the rows OFFSET pagination makes the database step over in a whole walk: k * p(p-1)/2 for p pages."""
    pages = -(-rows // batch_size)
    return batch_size * pages * (pages - 1) // 2


def paged_strategies() -> list[str]:
    """Return the strategies that page with OFFSET: the article's methods 4 and 5."""
    from labproject import strategies

    return [s.name for s in strategies.all_strategies() if s.method in (4, 5)]


def offset_table(timing: pd.DataFrame, scan: ScanCost, *, target_rows: int = TARGET_ROWS) -> pd.DataFrame:
    """Return per Paginator method: rows stepped over at its largest size, their share of its time, and beyond."""
    records = []
    for _, row in timing[timing["strategy"].isin(paged_strategies())].iterrows():
        rows, seconds = int(row["largest rows"]), float(row["seconds at largest"])
        per_row = seconds / rows
        work = per_row * target_rows
        records.append({
            "strategy": row["strategy"], "largest rows": rows,
            "stepped over": offset_rows_skipped(rows, scan.batch_size),
            "scan s": scan.walk_seconds(rows), "seconds": seconds,
            "scan share": scan.walk_seconds(rows) / seconds if seconds else float("nan"),
            "catches up at rows": scan.catches_up_at(per_row),
            "target rows": target_rows, "scan s at target": scan.walk_seconds(target_rows),
            "work s at target": work,
        })
    return pd.DataFrame.from_records(records)


def offset_lines(table: pd.DataFrame, scan: ScanCost) -> str:
    """Say in markdown what OFFSET costs each Paginator method, measured and projected."""
    if not scan.resolved:
        return (f"On a {scan.table_rows:,}-row table a page's SELECT costs no measurable time more at a larger offset "
                f"({scan.points} offsets fitted): the table is too small to show OFFSET's scan.")
    head = (f"One page's SELECT costs {scan.per_row_seconds * MICRO * 1000:.1f} µs more per 1,000 rows it steps over "
            f"(fitted over {scan.points} offsets of a {scan.table_rows:,}-row table, {scan.fixed_seconds * 1000:.1f} "
            f"ms at offset 0).")
    lines = [head]
    for _, row in table.iterrows():
        catch = row["catches up at rows"]
        lines.append(
            f"- `{row['strategy']}`: at {row['largest rows']:,} rows OFFSET stepped over {row['stepped over']:,} rows "
            f"({row['stepped over'] / row['largest rows']:.0f}x the table), about {row['scan s']:.2f} s of its "
            f"{row['seconds']:.1f} s ({row['scan share']:.1%}): the per-row work hides the scan at this size. "
            + (f"The scan catches up with that work at about **{catch:,} rows**; at " if catch else "At ")
            + f"{row['target rows']:,} rows it would take {row['scan s at target']:,.0f} s beside "
            f"{row['work s at target']:,.0f} s of work.")
    return "\n".join(lines)
