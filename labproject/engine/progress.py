"""A few numbers shared between a worker and its runner through a memory-mapped file.

The worker writes its phase, the rows done, when the strategy started and its baseline RSS;
the runner reads them at every sample without a pipe, a lock or a syscall per row.
"""

from __future__ import annotations

import mmap
import os
from pathlib import Path

SETUP, RUNNING, FINISHING = 0, 1, 2
_SIZE = 64
# int64 slots: 0 phase, 1 rows done, 2 strategy start (CLOCK_MONOTONIC, nanoseconds), 3 baseline RSS bytes,
# 4 baseline PSS bytes (the worker alone: it has no helpers yet when the strategy starts)
_PHASE, _ROWS, _START_NS, _BASELINE, _BASELINE_PSS = range(5)


class ProgressBoard:
    """A tiny shared board: one writer (the worker), one reader (the runner)."""

    def __init__(self, path: Path, *, create: bool = False) -> None:
        self.path = Path(path)
        if create:
            self.path.write_bytes(b"\0" * _SIZE)
        fd = os.open(self.path, os.O_RDWR)
        try:
            self._map = mmap.mmap(fd, _SIZE)
        finally:
            os.close(fd)
        self._slots = memoryview(self._map).cast("q")

    @property
    def phase(self) -> int:
        return self._slots[_PHASE]

    @phase.setter
    def phase(self, value: int) -> None:
        self._slots[_PHASE] = value

    @property
    def rows_done(self) -> int:
        return self._slots[_ROWS]

    @rows_done.setter
    def rows_done(self, value: int) -> None:
        self._slots[_ROWS] = value

    @property
    def started_ns(self) -> int:
        return self._slots[_START_NS]

    @property
    def baseline_rss(self) -> int:
        return self._slots[_BASELINE]

    @property
    def baseline_pss(self) -> int:
        return self._slots[_BASELINE_PSS]

    def mark_running(self, started_ns: int, baseline_rss: int, baseline_pss: int) -> None:
        """Record the strategy's start and baselines, then flip the phase (the runner reads phase first)."""
        self._slots[_START_NS] = started_ns
        self._slots[_BASELINE] = baseline_rss
        self._slots[_BASELINE_PSS] = baseline_pss
        self._slots[_PHASE] = RUNNING

    def close(self) -> None:
        self._slots.release()
        self._map.close()
