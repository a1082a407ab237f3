"""Sample a worker's memory from outside: its own RSS often, its whole process tree's PSS less often.

RSS of the worker alone keeps the article's figures comparable. A strategy that starts helper
processes must not look lighter than it is, so the tree (the worker and all its descendants) is
also measured: the sum of RSS at every tick (what a container's memory cap sees; the cap is
checked against it) and the sum of proportional set size (PSS, pages shared after a fork counted
once) at a slower cadence, because reading ``smaps_rollup`` costs far more than ``statm``.
"""

from __future__ import annotations

import contextlib
import os
import time
from dataclasses import dataclass, field

import psutil

from labproject.engine.memory import pss_bytes, rss_bytes

MAX_SAMPLES = 20_000


@dataclass
class Sample:
    """One look at the worker: its RSS, and the tree's RSS sum and (when taken) PSS sum."""

    worker_rss: int
    tree_rss: int
    tree_pss: int | None
    processes: int


@dataclass
class TreeSampler:
    """Reads the worker's and its descendants' memory; keeps its own cost so it can be reported."""

    pid: int
    pss_interval: float | None = 0.1  # None: never read PSS (to measure what reading it costs)
    descendants: list[int] = field(default_factory=list)
    processes_seen: set[int] = field(default_factory=set)
    pss_seconds: float = 0.0
    pss_reads: int = 0
    _next_pss: float = 0.0

    def take(self, now: float, *, running: bool = True) -> Sample:
        """Sample now (PSS too when due); raises ProcessLookupError once the worker is gone.

        Only processes seen while ``running`` (the strategy, not the worker's set-up) count as the
        run's tree: setting up may start a short-lived child of its own (``platform`` runs ``uname -p``).
        """
        try:
            worker = rss_bytes(self.pid)
        except (FileNotFoundError, ProcessLookupError):
            raise ProcessLookupError(self.pid) from None
        take_pss = self.pss_interval is not None and now >= self._next_pss
        if take_pss or now >= self._next_pss:
            self._next_pss = now + (self.pss_interval or 0.05)
            self.descendants = descendants(self.pid)
            if running:
                self.processes_seen.update(self.descendants, [self.pid])
        tree_rss = worker
        for child in self.descendants:
            try:
                tree_rss += rss_bytes(child)
            except (FileNotFoundError, ProcessLookupError):
                continue
        pss = self._tree_pss() if take_pss else None
        return Sample(worker, tree_rss, pss, 1 + len(self.descendants))

    def _tree_pss(self) -> int | None:
        started = time.perf_counter()
        total = 0
        for pid in (self.pid, *self.descendants):
            try:
                total += pss_bytes(pid)
            except (FileNotFoundError, ProcessLookupError, PermissionError, OSError):
                if pid == self.pid:
                    return None
        self.pss_seconds += time.perf_counter() - started
        self.pss_reads += 1
        return total


def descendants(pid: int) -> list[int]:
    """Return every descendant of ``pid`` from the kernel's per-task children lists.

    Reading ``/proc/<pid>/task/<tid>/children`` costs microseconds where psutil's scan of every
    process on the machine costs about a millisecond, so the tree can be refreshed often.
    """
    found: list[int] = []
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            tasks = os.listdir(f"/proc/{current}/task")
        except OSError:  # the process ended meanwhile
            continue
        for tid in tasks:
            with contextlib.suppress(OSError), open(f"/proc/{current}/task/{tid}/children") as handle:
                children = [int(c) for c in handle.read().split()]
                found.extend(children)
                pending.extend(children)
    return found


class Timeline:
    """Samples kept at a uniform stride: at MAX_SAMPLES every other one goes and the stride doubles.

    A long run keeps an even picture of its whole length in bounded memory; the largest value of
    the second column (the RSS) is tracked over every sample, kept or not.
    """

    def __init__(self, limit: int = MAX_SAMPLES) -> None:
        self.limit = limit
        self.points: list[list[float]] = []
        self.stride = 1
        self.maximum: float | None = None
        self._seen = 0
        self._last: list[float] | None = None

    def add(self, point: list[float]) -> None:
        self._last = point
        if self.maximum is None or point[1] > self.maximum:
            self.maximum = point[1]
        if self._seen % self.stride == 0:
            self.points.append(point)
            if len(self.points) >= self.limit:
                self.points = self.points[::2]
                self.stride *= 2
        self._seen += 1

    def finished(self) -> list[list[float]]:
        """Return the kept samples, ending with the last one taken."""
        if self._last is not None and (not self.points or self.points[-1] is not self._last):
            return [*self.points, self._last]
        return list(self.points)


def kill_tree(pid: int) -> None:
    """SIGKILL a worker and every descendant, as a container's OOM kill does."""
    import signal

    victims = []
    for child in descendants(pid):
        with contextlib.suppress(psutil.Error):
            victims.append(psutil.Process(child))
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)  # the worker leads its own process group
    for proc in victims:
        with contextlib.suppress(psutil.Error):
            proc.kill()
