"""Read a memray capture: what was live at the heap's high-water mark, by call site, and memory over time.

The memray probe records with native stacks and with Python's allocators traced, so every block is
seen once with the allocator that handed it out: Python's (pymalloc, PyMem: what tracemalloc counts
too) or the C library's ``malloc`` family and ``mmap`` (what only RSS and memray see: libpq's result
buffers, SQLite's page cache, a driver's own memory). At the high-water mark each native block is
put on the call site that asked for it: the innermost named C function that is not an allocator
wrapper, with the C library it belongs to and the Python line that led there.
"""

from __future__ import annotations

from collections import defaultdict
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
        _records, peaks = reader.get_temporal_high_water_mark_allocation_records(merge_threads=True)
    origin = origin_epoch_ms if origin_epoch_ms is not None else (snapshots[0].time if snapshots else 0)
    timeline = [[round((s.time - origin) / 1000, 4), s.rss, peak] for s, peak in zip(snapshots, peaks, strict=False)]
    ranked = sorted(sites.items(), key=lambda item: item[1][0], reverse=True)[:TOP_SITES]
    return {
        "capture": str(capture),
        "native_traces": metadata.has_native_traces,
        "trace_python_allocators": metadata.trace_python_allocators,
        "peak_bytes": metadata.peak_memory,
        "python_at_peak_bytes": by_allocator["python"],
        "native_at_peak_bytes": by_allocator["native"],
        "native_sites": [{"site": s, "library": lib, "python": py, "size_bytes": size, "allocations": count}
                         for (s, lib, py), (size, count) in ranked],
        "timeline": timeline,
        "allocations": metadata.total_allocations,
    }
