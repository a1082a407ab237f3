"""What one bulk_update batch adds to Django's DEBUG query log, measured on the lab table.

With DEBUG on, every statement's SQL goes into ``connection.queries_log``, a deque that keeps the
last ``maxlen`` entries; outside a request nothing empties it. Knowing the entries and SQL one batch
adds tells at which row the log is full and a climb must level off.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class LogCost:
    """Entries and SQL characters one bulk_update batch adds to the log, and the log's capacity."""

    batch_size: int
    entries_per_batch: int
    sql_chars_per_batch: int
    maxlen: int
    statements: tuple[str, ...]

    @property
    def rows_to_fill(self) -> int:
        """Return the rows walked when the log holds ``maxlen`` entries."""
        return math.ceil(self.maxlen / self.entries_per_batch) * self.batch_size

    def describe(self) -> str:
        return (f"one bulk_update of {self.batch_size:,} objects adds {self.entries_per_batch} log entries "
                f"({', '.join(self.statements)}) holding {self.sql_chars_per_batch:,} characters of SQL; the log "
                f"keeps the last {self.maxlen:,} entries, so it is full after about {self.rows_to_fill:,} rows")
