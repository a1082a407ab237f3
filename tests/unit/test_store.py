import json
import signal
import subprocess
import sys
import time

import pytest

from labproject.engine.result import SCHEMA_VERSION, RunResult
from labproject.engine.sections import Tree
from labproject.engine.spec import RunSpec
from labproject.engine.store import ResultStore
from labproject.engine.summary import format_table, summarize
from labproject.engine.tidy import runs_table, samples_table
from labproject.errors import ResultFormatError, StoreError
from tests.conftest import ROOT


def make_result(session="s", strategy="iterator_save", repeat=0, **extra) -> RunResult:
    spec = RunSpec(strategy, rows=100, backend="sqlite", batch_size=10, check=False)
    base = dict(strategy=strategy, repeat=repeat, status="ok", spec=spec, session=session,
                run_id=f"{strategy}-{repeat}",
                started_at=f"2026-01-01T00:00:0{repeat}", wall_seconds=1.0 + repeat, baseline_rss_bytes=50 * 2**20,
                peak_rss_bytes=(52 + repeat) * 2**20, rows_verified=100, rows_wrong=0, rows_done=100,
                rss_timeline=[[0.0, 50 * 2**20, 0], [0.5, 51 * 2**20, 50], [1.0, 52 * 2**20, 100]])
    base.update(extra)
    return RunResult(**base)


def test_round_trip_through_the_store(tmp_path):
    store = ResultStore(tmp_path)
    session = store.new_session("demo")
    written = [make_result(session, repeat=i) for i in range(3)]
    for result in written:
        store.write(result)
    assert store.sessions() == [session] and store.latest_session() == session
    assert store.load(session) == written
    assert not list((tmp_path / session).glob(".*"))


def test_a_corrupt_file_is_skipped_with_a_warning(tmp_path):
    store = ResultStore(tmp_path)
    store.write(make_result("s"))
    (tmp_path / "s" / "broken.json").write_text('{"strategy": "half')
    (tmp_path / "s" / "future.json").write_text(json.dumps({**make_result("s").to_dict(), "schema_version": 99}))
    with pytest.warns(UserWarning, match="skipped unreadable result"):
        loaded = store.load()
    assert len(loaded) == 1


def test_unknown_schema_versions_and_statuses_are_refused():
    data = make_result().to_dict()
    assert RunResult.from_dict(data) == make_result()
    with pytest.raises(ResultFormatError, match="schema version"):
        RunResult.from_dict({**data, "schema_version": SCHEMA_VERSION + 1})
    with pytest.raises(ResultFormatError, match="status"):
        RunResult.from_dict({**data, "status": "fine"})


def test_a_killed_writer_leaves_no_half_file(tmp_path):
    code = f"""
import sys
sys.path.insert(0, {str(tmp_path)!r})
from labproject.engine.store import ResultStore
from tests.unit.test_store import make_result
timeline = [[i / 1000, 50_000_000 + i, i] for i in range(6_000_000)]
ResultStore({str(tmp_path / "store")!r}).write(make_result("s", rss_timeline=timeline))
"""
    proc = subprocess.Popen([sys.executable, "-c", code])
    folder = tmp_path / "store" / "s"
    deadline = time.monotonic() + 60
    while not (folder.exists() and list(folder.glob(".*.tmp"))) and time.monotonic() < deadline:
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert list(folder.glob(".*.tmp")), "the writer should have been killed mid-write"
    assert ResultStore(tmp_path / "store").load() == []


def test_tidy_tables_and_summary():
    results = [make_result(repeat=i) for i in range(3)] + [make_result(strategy="queryset_loop")]
    runs = runs_table(results)
    assert list(runs["peak_above_baseline_mib"]) == [2.0, 3.0, 4.0, 2.0]
    samples = samples_table(results)
    assert len(samples) == 12 and samples["rss_above_baseline_mib"].max() == 2.0
    summary = summarize(runs)
    row = summary.set_index("strategy").loc["iterator_save"]
    assert (row.runs, row.wall_s_median, row.peak_mib_min, row.peak_mib_max) == (3, 2.0, 2.0, 4.0)
    text = format_table(summary)
    assert "2.00 (1.00-3.00)" in text and "baseline" in text


def test_a_long_timeline_is_decimated_evenly_and_keeps_its_peak():
    from labproject.engine.sampler import Timeline

    timeline = Timeline(limit=100)
    for i in range(10_000):
        timeline.add([i / 100, 5 if i != 4321 else 99, i])
    points = timeline.finished()
    assert len(points) <= 101 and points[-1][2] == 9999 and points[0][2] == 0
    steps = {b[2] - a[2] for a, b in zip(points[:-2], points[1:-1], strict=True)}
    assert steps == {timeline.stride}
    assert timeline.maximum == 99


def test_a_run_with_helpers_counts_its_whole_tree():
    alone = make_result(strategy="keyset_executemany", tree=Tree(1, 40 * 2**20, 41 * 2**20))
    helped = make_result(strategy="pipelined", tree=Tree(2, 40 * 2**20, 51 * 2**20))
    runs = runs_table([alone, helped]).set_index("strategy")
    assert runs.loc["keyset_executemany", "memory_above_baseline_mib"] == 2.0  # its own RSS peak is larger
    assert runs.loc["pipelined", "memory_above_baseline_mib"] == 11.0  # the helper's pages count
    assert summarize(runs.reset_index()).set_index("strategy").loc["pipelined", "peak_mib_median"] == 11.0


def test_a_crash_between_write_and_rename_shows_readers_nothing_and_the_next_check_clears_it(tmp_path):
    root = tmp_path / "store"
    code = f"""
import os, sys
sys.path.insert(0, {str(ROOT)!r})
from labproject.engine.store import ResultStore
from tests.unit.test_store import make_result
os.replace = lambda *args: os._exit(9)  # the crash: the result written and synced, never renamed
ResultStore({str(root)!r}).write(make_result("s"))
"""
    assert subprocess.run([sys.executable, "-c", code], timeout=60).returncode == 9
    (left,) = (root / "s").glob(".*.tmp")
    assert left.stat().st_size > 0, "the crash should come after the data was written"
    assert ResultStore(root).load() == []  # a reader sees no half result
    ResultStore(root).check()
    assert not list((root / "s").iterdir())


def test_a_store_that_cannot_be_written_says_so_in_one_line(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(StoreError, match=r"cannot write results to .*file/results: Not a directory"):
        ResultStore(tmp_path / "file" / "results").check()
    store = ResultStore(tmp_path / "missing" / "results")
    store.check()
    assert store.root.is_dir()
