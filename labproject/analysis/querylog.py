"""What one bulk_update batch adds to Django's DEBUG query log, and where the log's plateau lands.

With DEBUG on, every statement's SQL goes into ``connection.queries_log``, a deque that keeps the
last ``maxlen`` entries; outside a request nothing empties it. Knowing the entries, SQL and bytes one
batch adds (measured on the lab table) tells at which row the log is full, how high memory stands
then, and so whether the plateau a small-batch experiment shows is harmless at the article's batch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from labproject.analysis.growth import PER_ROWS
from labproject.units import MIB


@dataclass(frozen=True)
class LogCost:
    """Entries, SQL characters and bytes one bulk_update batch adds to the log, and the log's capacity.

    ``bytes_per_batch`` is what the batch's log entries occupy as Python objects (``sys.getsizeof`` of
    each entry's dict and strings), measured on the captured entries.
    """

    batch_size: int
    entries_per_batch: int
    sql_chars_per_batch: int
    maxlen: int
    statements: tuple[str, ...]
    bytes_per_batch: int = 0
    backend: str = "sqlite"

    @property
    def batches_to_fill(self) -> int:
        return math.ceil(self.maxlen / self.entries_per_batch)

    @property
    def rows_to_fill(self) -> int:
        """Return the rows walked when the log holds ``maxlen`` entries."""
        return self.batches_to_fill * self.batch_size

    @property
    def full_log_mib(self) -> float:
        """Return what the full log's entries occupy as Python objects, in MiB."""
        return self.batches_to_fill * self.bytes_per_batch / MIB

    @property
    def mib_per_100k_rows(self) -> float:
        """Return how fast the log grows until it is full, in MiB per 100k rows walked."""
        return self.bytes_per_batch / self.batch_size * PER_ROWS / MIB

    def describe(self) -> str:
        return (f"on {self.backend}, one bulk_update of {self.batch_size:,} objects adds {self.entries_per_batch} log "
                f"entries ({', '.join(self.statements)}) holding {self.sql_chars_per_batch:,} characters of SQL, "
                f"{self.bytes_per_batch / 1024:,.0f} KiB as Python objects; the log keeps the last {self.maxlen:,} "
                f"entries, so it is full after about {self.rows_to_fill:,} rows, holding about "
                f"{self.full_log_mib:,.1f} MiB")


@dataclass(frozen=True)
class Plateau:
    """Where DEBUG's log levels off at one batch size: predicted from its cost, scaled by what RSS showed."""

    cost: LogCost
    rss_per_object_byte: float  # RSS the log took per byte of its objects, measured where the log filled

    @property
    def level_mib(self) -> float:
        return self.cost.full_log_mib * self.rss_per_object_byte

    @property
    def climb_mib_per_100k(self) -> float:
        return self.cost.mib_per_100k_rows * self.rss_per_object_byte

    def rows_to_reach(self, mib: float) -> int | None:
        """Return the rows after which the log alone holds ``mib`` (None when its plateau stays below)."""
        if mib >= self.level_mib or self.climb_mib_per_100k <= 0:
            return None
        return int(mib / self.climb_mib_per_100k * PER_ROWS)


def calibrate(cost: LogCost, measured_level_mib: float) -> float:
    """Return the RSS per byte of log objects: a measured plateau over the objects a full log holds."""
    return measured_level_mib / cost.full_log_mib if cost.full_log_mib else float("nan")


def debug_at_batch(plateau: Plateau, measured_per_100k: float | None = None, *, rows: int = 0, cap_mb: int,
                   baseline_mib: float) -> str:
    """Say in markdown where DEBUG's log levels off at one batch size: measured bytes, the prediction, the pod.

    The climb is predicted from the bytes one batch logs (``plateau.cost``), scaled by the RSS per byte
    of log objects a log that filled showed; ``measured_per_100k`` (None: not run) is a run's climb, measured.
    """
    cost = plateau.cost
    room = cap_mb - baseline_mib
    killed = plateau.rows_to_reach(room)
    pod = (f"a {cap_mb} MiB pod ({baseline_mib:.0f} MiB baseline) is killed by the log alone after about "
           f"**{killed:,} rows**" if killed else
           f"the full log stays under a {cap_mb} MiB pod's room ({room:.0f} MiB above its baseline)")
    return (f"At batch {cost.batch_size:,} on {cost.backend}: one `bulk_update` logs {cost.entries_per_batch} "
            f"entries, {cost.sql_chars_per_batch:,} characters of SQL, {cost.bytes_per_batch / 1024:,.0f} KiB as "
            "Python objects. "
            f"Predicted climb {plateau.climb_mib_per_100k:,.1f} MiB per 100k rows (objects × "
            f"{plateau.rss_per_object_byte:.2f}, the RSS per object byte where the small-batch log filled)"
            + (f"; measured {measured_per_100k:+,.1f} MiB per 100k rows over {rows:,} rows" if measured_per_100k
               is not None else "") + f". The log fills only after "
            f"**{cost.rows_to_fill:,} rows**, at about **{plateau.level_mib:,.0f} MiB**: {pod}.")
