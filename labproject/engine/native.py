"""Read a memray capture: what was live at the heap's high-water mark, by call site, and memory over time.

The memray probe records with native stacks and with Python's allocators traced, so every block is
seen once with the allocator that handed it out: Python's (pymalloc, PyMem: what tracemalloc counts
too) or the C library's ``malloc`` family and ``mmap`` (what only RSS and memray see: libpq's result
buffers, SQLite's page cache, a driver's own memory). At the high-water mark each native block is
put on the call site that asked for it: the innermost named C function that is not an allocator
wrapper, with the C library it belongs to and the Python line that led there.

The heap's peak is not always when C code holds the most: Django on PostgreSQL without a server-side
cursor copies libpq's whole result into Python tuples and frees the result, so the buffer that lifts
RSS's peak is gone by the time Python's heap peaks. So C code's own high-water mark is read too, from
memray's temporal records (live bytes at every snapshot's high-water mark), with when it came and
which sites held it.
"""

from __future__ import annotations

from collections import defaultdict
from itertools import accumulate
from pathlib import Path
from typing import Any

TOP_SITES = 15
# Allocators of Python's own domains; every other allocator type is the C library's (malloc, mmap...).
PYTHON_ALLOCATORS = {"PYMALLOC_MALLOC", "PYMALLOC_CALLOC", "PYMALLOC_REALLOC"}
# The C libraries a site can be told apart by, from their exported function names.
LIBRARIES = (("sqlite3", "SQLite (libsqlite3)"), ("PQ", "libpq"), ("pq", "libpq"), ("SSL", "OpenSSL"),
             ("_Py", "CPython"), ("Py", "CPython"), ("orjson", "orjson"))
UNKNOWN = "<unknown>"


def library_of(function: str) -> str | None:
    """Return the C library a native function belongs to, when its name tells."""
    return next((name for prefix, name in LIBRARIES if function.startswith(prefix)), None)


def native_site(frames: list[tuple[str, str, int]]) -> dict[str, str]:
    """Return the call site of a native block from its hybrid stack (innermost frame first).

    ``site``: the innermost named C function that is not an allocator (``*alloc*``); ``library``: the
    first C library the stack names, innermost first; ``python``: the innermost Python line above it.
    """
    site = library = python = None
    for function, filename, line in frames:
        if filename.endswith(".py") or (filename.startswith("<") and filename != UNKNOWN):  # a Python frame
            python = python or f"{Path(filename).name}:{line} {function}"
            if site:
                break
            continue
        if function == UNKNOWN:
            continue
        library = library or library_of(function)
        if site is None and "alloc" not in function.lower() and function not in ("mmap", "mmap64"):
            site = function
    return {"site": site or UNKNOWN, "library": library or "other C code", "python": python or ""}


def summarize_capture(capture: Path, origin_epoch_ms: float | None = None) -> dict[str, Any]:
    """Return the probe's section of a result, computed from the capture file memray wrote.

    ``origin_epoch_ms`` (the strategy's start, wall clock) makes the timeline count from the
    strategy's start, as the RSS timeline does.
    """
    import memray

    with memray.FileReader(str(capture)) as reader:
        metadata = reader.metadata
        by_allocator: dict[str, int] = defaultdict(int)
        sites: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
        for record in reader.get_high_watermark_allocation_records(merge_threads=True):
            kind = memray.AllocatorType(record.allocator).name
            python_side = kind in PYTHON_ALLOCATORS
            by_allocator["python" if python_side else "native"] += record.size
            if not python_side:
                where = native_site(record.hybrid_stack_trace())
                key = (where["site"], where["library"], where["python"])
                sites[key][0] += record.size
                sites[key][1] += record.n_allocations
        snapshots = list(reader.get_memory_snapshots())
        records, peaks = reader.get_temporal_high_water_mark_allocation_records(merge_threads=True)
        high = _native_high_water(list(records), len(peaks))
    origin = origin_epoch_ms if origin_epoch_ms is not None else (snapshots[0].time if snapshots else 0)
    timeline = [[round((s.time - origin) / 1000, 4), s.rss, peak] for s, peak in zip(snapshots, peaks, strict=False)]
    at = high["snapshot"]
    return {
        "capture": str(capture),
        "native_traces": metadata.has_native_traces,
        "trace_python_allocators": metadata.trace_python_allocators,
        "peak_bytes": metadata.peak_memory,
        "python_at_peak_bytes": by_allocator["python"],
        "native_at_peak_bytes": by_allocator["native"],
        "native_sites": _ranked(sites),
        "timeline": timeline,
        "allocations": metadata.total_allocations,
        "native_high_water_bytes": high["native"],
        "python_at_native_high_water_bytes": high["python"],
        "native_high_water_seconds": timeline[at][0] if at is not None and at < len(timeline) else None,
        "native_high_water_sites": high["sites"],
    }


def _native_high_water(records: list, snapshots: int) -> dict[str, Any]:
    """Return C code's own high-water mark over the run: its bytes, Python's then, the snapshot, its sites.

    Each temporal record says in which snapshot intervals its bytes were live at the interval's
    high-water mark; summing per snapshot (a difference array, one pass) gives C code's and Python's
    live bytes at every snapshot, and the snapshot where C code's is largest is C code's high-water.
    """
    import memray

    if not snapshots:
        return {"native": 0, "python": 0, "snapshot": None, "sites": []}
    change = {"native": [0] * (snapshots + 1), "python": [0] * (snapshots + 1)}
    for record in records:
        side = "python" if memray.AllocatorType(record.allocator).name in PYTHON_ALLOCATORS else "native"
        for interval in record.intervals:
            end = snapshots if interval.deallocated_before_snapshot is None else interval.deallocated_before_snapshot
            change[side][interval.allocated_before_snapshot] += interval.n_bytes
            change[side][min(end, snapshots)] -= interval.n_bytes
    live = {side: list(accumulate(steps[:snapshots])) for side, steps in change.items()}
    at = max(range(snapshots), key=live["native"].__getitem__)
    sites: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    for record in records:
        if memray.AllocatorType(record.allocator).name in PYTHON_ALLOCATORS:
            continue
        held = [i for i in record.intervals if i.allocated_before_snapshot <= at
                and (i.deallocated_before_snapshot is None or at < i.deallocated_before_snapshot)]
        if held:
            where = native_site(record.hybrid_stack_trace())
            key = (where["site"], where["library"], where["python"])
            sites[key][0] += sum(i.n_bytes for i in held)
            sites[key][1] += sum(i.n_allocations for i in held)
    return {"native": live["native"][at], "python": live["python"][at], "snapshot": at, "sites": _ranked(sites)}


def _ranked(sites: dict[tuple, list[int]]) -> list[dict[str, Any]]:
    """Return the ``TOP_SITES`` largest sites, (site, library, python) -> [bytes, allocations], as records."""
    ranked = sorted(sites.items(), key=lambda item: item[1][0], reverse=True)[:TOP_SITES]
    return [{"site": s, "library": lib, "python": py, "size_bytes": size, "allocations": count}
            for (s, lib, py), (size, count) in ranked]
