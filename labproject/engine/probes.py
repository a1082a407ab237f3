"""Opt-in probes the worker runs around a strategy; each returns one section of the result.

RSS needs no probe here: the runner samples it from outside and the kernel keeps its peak.
- tracemalloc counts live blocks from Python's allocators (blind to allocator slack and C
  libraries) and slows allocation-heavy code severalfold;
- pympler walks every object the garbage collector can reach and sizes it by type: slow;
- queries wraps the Django connection (works with DEBUG off) to count queries, their time, the SQL text
  sent and the rows OFFSET steps over, and counts the model instances Django builds;
- memray records every allocation, C libraries' included, with native stacks and Python's allocators
  traced, into a capture file: what was live at the heap's high-water mark, by call site, and the
  heap over time beside RSS. It slows the run and cannot share one with tracemalloc (both hook
  Python's allocators).
"""

from __future__ import annotations

import os
import re
import threading
import time
from pathlib import Path

from labproject.engine.sections import Native, Queries, Retained, RetainedType, Site, Traced

TOP_SITES = 15
TOP_TYPES = 15
# Django writes a slice's OFFSET into the SQL as a literal: the rows the database steps over before it returns any.
OFFSET = re.compile(r"\bOFFSET\s+(\d+)", re.IGNORECASE)


class TracemallocProbe:
    """Traced current/peak over time, and the allocation sites that grew most during the strategy."""

    name = "tracemalloc"

    def __init__(self, interval: float = 0.01) -> None:
        self.interval = interval
        self.timeline: list[list[float]] = []
        self.origin: float | None = None  # the strategy's start (time.monotonic), set by the worker
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        import tracemalloc

        tracemalloc.start(1)
        self._before = tracemalloc.take_snapshot()
        tracemalloc.reset_peak()
        self._thread = threading.Thread(target=self._sample, name="tracemalloc-sampler", daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        import tracemalloc

        while not self._stop.wait(self.interval):
            current, peak = tracemalloc.get_traced_memory()
            origin = self.origin
            if origin is not None:  # samples count from the strategy's start, as the RSS timeline does
                self.timeline.append([round(time.monotonic() - origin, 4), current, peak])

    def stop(self) -> Traced:
        import tracemalloc

        self._stop.set()
        if self._thread:
            self._thread.join()
        current, peak = tracemalloc.get_traced_memory()
        after = tracemalloc.take_snapshot()
        tracemalloc.stop()
        # The probe's own timeline (this file) and the snapshots' machinery are not the strategy's.
        filters = [tracemalloc.Filter(False, tracemalloc.__file__), tracemalloc.Filter(False, __file__),
                   tracemalloc.Filter(False, "<frozen *>")]
        stats = after.filter_traces(filters).compare_to(self._before.filter_traces(filters), "lineno")
        sites = tuple(Site(f"{s.traceback[0].filename}:{s.traceback[0].lineno}", s.size_diff, s.count_diff, s.size)
                      for s in stats[:TOP_SITES])
        return Traced(current, peak, self.timeline, sites)


class PymplerProbe:
    """Object types retained after the strategy compared with before it, by total size."""

    name = "pympler"

    def start(self) -> None:
        from pympler.tracker import SummaryTracker

        # A tracker's first diff still counts the tracker's own first summary (about 0.5 MiB here);
        # taking it now leaves the strategy's diff with only what the strategy kept.
        self._tracker = SummaryTracker()
        self._tracker.diff()

    def stop(self) -> Retained:
        diff = self._tracker.diff()
        rows = sorted(diff, key=lambda row: abs(row[2]), reverse=True)[:TOP_TYPES]
        return Retained(tuple(RetainedType(t, n, size) for t, n, size in rows), sum(row[2] for row in diff))


class QueriesProbe:
    """Count queries, their database time and SQL text through ``connection.execute_wrapper``, and instances built."""

    name = "queries"

    def __init__(self, alias: str = "default") -> None:
        self.alias = alias
        self.count = 0
        self.many = 0
        self.seconds = 0.0
        self.instances = 0
        self.offset_rows = 0
        self.sql_chars = 0

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - started
            self.count += 1
            self.many += bool(many)
            self.sql_chars += len(sql)
            skipped = OFFSET.search(sql)
            self.offset_rows += int(skipped.group(1)) if skipped else 0

    def built(self, **_signal) -> None:
        """Count one model instance (Django's ``post_init`` signal)."""
        self.instances += 1

    def start(self) -> None:
        from django.db import connections
        from django.db.models.signals import post_init

        post_init.connect(self.built, weak=False, dispatch_uid=f"lab-queries-{id(self)}")
        self._context = connections[self.alias].execute_wrapper(self)
        self._context.__enter__()

    def stop(self) -> Queries:
        from django.db.models.signals import post_init

        self._context.__exit__(None, None, None)
        post_init.disconnect(dispatch_uid=f"lab-queries-{id(self)}")
        return Queries(self.count, round(self.seconds, 6), self.many,
                       "queries sent through Django's connection; raw driver connections are not seen",
                       instances=self.instances, offset_rows=self.offset_rows, sql_chars=self.sql_chars)


class MemrayProbe:
    """memray around the strategy: native stacks, Python's allocators traced, memory sampled every 10 ms.

    The capture goes under the results folder (``.memray/``, which the store does not read as a
    session), so a report can draw its flame graph later; the result keeps its path and a summary.
    """

    name = "memray"
    interval_ms = 10

    def __init__(self) -> None:
        self.origin: float | None = None  # the strategy's start (time.monotonic), set by the worker

    def start(self) -> None:
        import memray
        from django.conf import settings

        folder = Path(settings.RESULTS_DIR) / ".memray"
        folder.mkdir(parents=True, exist_ok=True)
        self.capture = folder / f"{os.getpid()}-{time.time_ns()}.bin"
        self._clock = time.time() - time.monotonic()  # wall clock minus monotonic: memray stamps wall time
        self._tracker = memray.Tracker(self.capture, native_traces=True, trace_python_allocators=True,
                                       memory_interval_ms=self.interval_ms)
        self._tracker.__enter__()

    def stop(self) -> Native:
        from labproject.engine.native import summarize_capture

        self._tracker.__exit__(None, None, None)
        origin = None if self.origin is None else (self.origin + self._clock) * 1000
        return Native.from_dict(summarize_capture(self.capture, origin))


PROBE_TYPES = {"tracemalloc": TracemallocProbe, "pympler": PymplerProbe, "queries": QueriesProbe,
               "memray": MemrayProbe}


def make_probes(names: list[str] | tuple[str, ...]) -> list:
    """Return probe objects for the named probes in start order, RSS excluded (the runner measures it).

    tracemalloc (or memray) starts last and stops first, so it traces neither pympler's summaries nor the wrapper.
    """
    return [PROBE_TYPES[name]() for name in ("queries", "pympler", "tracemalloc", "memray") if name in names]
