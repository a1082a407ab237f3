"""memray captures read back: live memory at the high-water mark split into Python's and C code's, by call site.

The capture is real: a fresh interpreter records, under memray with native stacks and Python's
allocators traced, 2,000 Python strings and an 8 MiB blob in an in-memory SQLite database (pages
SQLite allocates in C), all alive at the peak.
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


@pytest.fixture(scope="module")
def capture(tmp_path_factory):
    path = tmp_path_factory.mktemp("memray") / "capture.bin"
    subprocess.run([sys.executable, "-c", RECORD, str(path)], check=True, timeout=120)
    return path


def test_the_peak_is_split_into_python_and_c_code(capture):
    summary = summarize_capture(capture)
    assert summary["native_traces"] and summary["trace_python_allocators"]
    assert summary["native_at_peak_bytes"] >= 8 << 20  # SQLite's pages, live at the peak
    assert 100_000 < summary["python_at_peak_bytes"] < summary["native_at_peak_bytes"]  # 2,000 strings of ~200 B
    assert summary["peak_bytes"] >= summary["native_at_peak_bytes"] + summary["python_at_peak_bytes"] * 0.9
    sqlite = [s for s in summary["native_sites"] if s["library"] == "SQLite (libsqlite3)"]
    assert sum(s["size_bytes"] for s in sqlite) >= 8 << 20
    assert all(s["python"].startswith("<string>:") for s in sqlite)


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
