"""A walk in progress: what it updates, how far it got, and when it must stop.

Every strategy receives one :class:`Walk`. The engine makes one per measured run (progress goes to
the runner's shared board); :func:`labproject.walk.update_rows` makes one for a user's command
(progress goes to a bar, position to the checkpoint table). Strategies built on the library's
readers and writers commit each batch through :meth:`Walk.batch`, which keeps the checkpoint in
the batch's own transaction and applies the limits; the article's methods only count rows.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db import connections, transaction

from labproject.errors import LabError
from labproject.walk.checkpoints import Checkpoints
from labproject.walk.reading import WHOLE, Bounds, calculator, decoded
from labproject.walk.target import Target

MIN_BATCH = 10  # the memory limit halves the batch size down to this, then stops the walk


class ComputeFailed(LabError):
    """The calculation raised on one row: the walk stopped there, every batch before it committed."""

    exit_code = 1


class LimitReached(Exception):
    """A walk stopped cleanly on purpose: its row limit, its memory limit, or a stop request."""


@dataclass
class Walk:
    """One walk of a target: its settings, its counts, and the hooks that report them."""

    target: Target
    batch_size: int = 1000
    using: str = "default"
    options: dict[str, Any] = field(default_factory=dict)
    bounds: Bounds = WHOLE
    only_changed: bool = False
    dry_run: bool = False
    limit: int | None = None
    throttle: float = 0.0
    memory_limit_bytes: int | None = None
    checkpoint_name: str | None = None  # None: the walk keeps no checkpoint (the engine's runs)
    before: tuple[int, int] = (0, 0)  # rows read and written by the runs this one resumes (the checkpoint's)
    on_progress: Callable[[Walk], None] | None = None
    on_notice: Callable[[str], None] | None = None
    memory: Callable[[], int] | None = None  # this walk's memory in bytes (process and helpers), when limited
    rows_done: int = 0
    rows_written: int = 0
    last_key: Any = None
    stop_reason: str = ""

    def __post_init__(self) -> None:
        self.last_key = self.bounds.after
        self._checkpoints = Checkpoints(self.using) if self.checkpoint_name else None
        self._calculator = None

    @property
    def connection(self):
        return connections[self.using]

    @property
    def vendor(self) -> str:
        return self.connection.vendor

    @property
    def resumable(self) -> bool:
        return self._checkpoints is not None

    def notice(self, text: str) -> None:
        if self.on_notice is not None:
            self.on_notice(text)

    def advance(self, rows: int = 1) -> None:
        """Count ``rows`` more rows as done (the article's methods call this per row or batch)."""
        self.rows_done += rows
        if self.on_progress is not None:
            self.on_progress(self)

    def calculated(self, batch: list[tuple]) -> list[tuple[Any, Any]]:
        """Return ``(new value, key)`` for every raw ``(key, *reads)`` row, naming the row whose calculation raised."""
        if self._calculator is None:
            self._calculator = calculator(self.target)
        try:
            return self._calculator(batch)
        except Exception:
            key, said = self.first_failure(batch)
            raise self.failed(key, said) from None

    def first_failure(self, batch: list[tuple]) -> tuple[Any, str]:
        """Return the key of the first row whose calculation raises, and what it raised, in one line."""
        width = len(self.target.reads) + 1
        for row in decoded(self.target, batch):
            try:
                self.target.compute(*row[1:width])
            except Exception as exc:
                return row[0], f"{type(exc).__name__}: {' '.join(str(exc).split())}"
        return None, "the calculation raised, then passed when retried row by row"

    def failed(self, key: Any, said: str) -> ComputeFailed:
        """Return the one-line error for a calculation that raised on ``key``."""
        kept = "nothing was written (dry run)" if self.dry_run else \
            f"the {self.rows_written:,} rows written before it are committed"
        return ComputeFailed(f"the calculation failed on {self.target.model._meta.label} key {key!r}: {said}; {kept}"
                             + ("; fix it and run again with --resume" if self.resumable else ""))

    def batch(self, pairs: list[tuple[Any, Any]], write: Callable[[Any, list], int], *, rows: int | None = None,
              last_key: Any = None) -> None:
        """Write one batch with ``write(cursor, pairs)`` and record its checkpoint in the same transaction.

        ``rows`` is the rows read for this batch (default ``len(pairs)``), ``last_key`` the batch's last
        key (default the last pair's). Raises :class:`LimitReached` after the batch when the walk must stop.
        """
        rows = len(pairs) if rows is None else rows
        last_key = pairs[-1][1] if last_key is None and pairs else last_key
        written = 0
        if self.dry_run:
            written = self._would_change(pairs)
        else:
            with transaction.atomic(using=self.using), self.connection.cursor() as cursor:
                written = write(cursor, pairs) if pairs else 0
                if self._checkpoints is not None:
                    self._checkpoints.save(cursor, self.checkpoint_name, last_key, self.before[0] + self.rows_done
                                           + rows, self.before[1] + self.rows_written + written)
        self.rows_written += written
        self.last_key = last_key
        self.advance(rows)
        self._after_batch()

    def batches(self, source: Iterator[list[tuple]]) -> Iterator[list[tuple]]:
        """Yield read batches, trimmed to the row limit (the walk stops once it is reached)."""
        for batch in source:
            if self.limit is not None:
                left = self.limit - self.rows_done
                if left <= 0:
                    break
                batch = batch[:left]
            yield batch

    def _would_change(self, pairs: list[tuple[Any, Any]]) -> int:
        """Count the rows a write would change, reading their current values (a dry run writes nothing)."""
        if not pairs:
            return 0
        keys = [key for _, key in pairs]
        name = self.target.key.name
        current = dict(self.target.model._default_manager.using(self.using).filter(**{f"{name}__in": keys})
                       .values_list(name, self.target.field))
        return sum(1 for value, key in pairs if current.get(key) != value)

    def _after_batch(self) -> None:
        if self.limit is not None and self.rows_done >= self.limit:
            self.stop_reason = f"stopped at the row limit ({self.limit:,} rows)"
            raise LimitReached(self.stop_reason)
        if self.memory_limit_bytes is not None and self.memory is not None:
            used = self.memory()
            if used > self.memory_limit_bytes * 0.9:
                if self.batch_size > MIN_BATCH:
                    self.batch_size = max(MIN_BATCH, self.batch_size // 2)
                    self.notice(f"memory at {used / 2**20:.0f} MiB, near the limit of "
                                f"{self.memory_limit_bytes / 2**20:.0f} MiB: batch size halved to {self.batch_size}")
                else:
                    self.stop_reason = (f"stopped before the memory limit: {used / 2**20:.0f} MiB of "
                                        f"{self.memory_limit_bytes / 2**20:.0f} MiB at the smallest batch")
                    raise LimitReached(self.stop_reason)
        if self.throttle:
            time.sleep(self.throttle)

    def finish(self, state: str, note: str = "") -> None:
        """Record the walk's final state in its checkpoint (nothing when it keeps none or is a dry run)."""
        if self._checkpoints is None or self.dry_run:
            return
        from labproject.walk.checkpoints import Checkpoint

        with contextlib.suppress(Exception):  # the database may be what failed; the batches are committed
            self._checkpoints.mark(Checkpoint(self.checkpoint_name, self.last_key, self.before[0] + self.rows_done,
                                              self.before[1] + self.rows_written, state), state, note)
