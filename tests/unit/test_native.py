"""memray captures read back: live memory at the high-water mark split into Python's and C code's, by call site.

The captures are real: a fresh interpreter records, under memray with native stacks and Python's
allocators traced, 2,000 Python strings and an 8 MiB blob in an in-memory SQLite database (pages
SQLite allocates in C), all alive at the peak; and, as Django does with libpq's result, a C buffer
freed before a larger Python peak, which only C code's own high-water mark still sees.
"""

import subprocess
import sys

import pytest

from labproject.engine.native import native_site, summarize_capture

RECORD = """
import sqlite3, sys, memray
with memray.Tracker(sys.argv[1], native_traces=True, trace_python_allocators=True, memory_interval_ms=5):
    strings = [str(i) * 50 for i in range(2000)]
    database = sqlite3.connect(":memory:")
    database.execute("CREATE TABLE t (b)")
    database.execute("INSERT INTO t VALUES (randomblob(8 << 20))")
    database.close()
"""


FREED_EARLY = """
import sqlite3, sys, time, memray
with memray.Tracker(sys.argv[1], native_traces=True, trace_python_allocators=True, memory_interval_ms=5):
    database = sqlite3.connect(":memory:")
    database.execute("CREATE TABLE t (b)")
    database.execute("INSERT INTO t VALUES (randomblob(8 << 20))")
    database.close()  # SQLite's pages freed: C code's high-water is behind us
    time.sleep(0.05)
    strings = [str(i) * 100 for i in range(60_000)]  # about 20 MiB of Python objects: the heap's peak
    time.sleep(0.05)
"""


def _record(tmp_path_factory, script: str):
    path = tmp_path_factory.mktemp("memray") / "capture.bin"
    subprocess.run([sys.executable, "-c", script, str(path)], check=True, timeout=120)
    return path


@pytest.fixture(scope="module")
def capture(tmp_path_factory):
    return _record(tmp_path_factory, RECORD)


@pytest.fixture(scope="module")
def freed_early(tmp_path_factory):
    return _record(tmp_path_factory, FREED_EARLY)


def test_the_peak_is_split_into_python_and_c_code(capture):
    summary = summarize_capture(capture)
    assert summary["native_traces"] and summary["trace_python_allocators"]
    assert summary["native_at_peak_bytes"] >= 8 << 20  # SQLite's pages, live at the peak
    assert 100_000 < summary["python_at_peak_bytes"] < summary["native_at_peak_bytes"]  # 2,000 strings of ~200 B
    assert summary["peak_bytes"] >= summary["native_at_peak_bytes"] + summary["python_at_peak_bytes"] * 0.9
    sqlite = [s for s in summary["native_sites"] if s["library"] == "SQLite (libsqlite3)"]
    assert sum(s["size_bytes"] for s in sqlite) >= 8 << 20
    assert all(s["python"].startswith("<string>:") for s in sqlite)


def test_c_code_s_own_high_water_mark_sees_a_buffer_freed_before_the_heap_peaks(freed_early):
    summary = summarize_capture(freed_early)
    assert summary["native_at_peak_bytes"] < 1 << 20  # at the heap's peak SQLite's pages are gone
    assert summary["python_at_peak_bytes"] > 10 << 20
    assert summary["native_high_water_bytes"] >= 8 << 20
    assert summary["python_at_native_high_water_bytes"] < summary["python_at_peak_bytes"]
    top = summary["native_high_water_sites"][0]
    assert top["library"] == "SQLite (libsqlite3)" and top["size_bytes"] >= 8 << 20
    peak_at = max(summary["timeline"], key=lambda point: point[2])[0]
    assert 0 <= summary["native_high_water_seconds"] < peak_at


def test_the_timeline_carries_rss_and_the_heap_high_water_mark(capture):
    timeline = summarize_capture(capture)["timeline"]
    assert timeline and all(len(point) == 3 for point in timeline)
    assert max(point[2] for point in timeline) >= 8 << 20
    assert all(point[1] > 0 for point in timeline)


def test_a_native_site_skips_allocators_and_names_its_library():
    frames = [("malloc", "<unknown>", 0), ("pqResultAlloc", "<unknown>", 0), ("<unknown>", "<unknown>", 0),
              ("pqRowProcessor", "<unknown>", 0), ("PQgetResult", "<unknown>", 0),
              ("execute", "/x/psycopg/cursor.py", 732), ("run", "/x/strategies/article.py", 40)]
    assert native_site(frames) == {"site": "pqRowProcessor", "library": "libpq", "python": "cursor.py:732 execute"}
    assert native_site([("malloc", "<unknown>", 0)]) == {"site": "<unknown>", "library": "other C code",
                                                         "python": ""}
