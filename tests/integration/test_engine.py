"""The engine with real workers, a real SQLite file and real signals, at sizes that keep CI fast."""

import json
import os
import signal
import subprocess
import sys

import psutil
import pytest

from tests.conftest import ROOT, assert_all_end, one_line_error, wait_for, walking

ARTICLE = ["queryset_loop", "iterator_save", "iterator_bulk_update", "paginator_save", "paginator_bulk_update"]


@pytest.fixture
def lab(lab):
    lab.env["LAB_STRATEGY_MODULES"] = "tests.strategies_for_tests"
    lab.env["PYTHONPATH"] = str(ROOT)
    return lab


def result_files(lab):
    return sorted((lab.root / "results").glob("*/*.json"))


def test_each_article_strategy_is_verified_in_its_own_process(lab):
    runs = lab.compare("--strategies", ",".join(ARTICLE), "--rows", "3000", "--repeats", "1")
    assert [r["strategy"] for r in runs] == ARTICLE
    for run in runs:
        assert run["status"] == "ok", run["error"]
        assert (run["rows_verified"], run["rows_wrong"], run["rows_done"]) == (3000, 0, 3000)
        assert run["baseline_rss_bytes"] > 20 * 2**20
        assert run["peak_rss_bytes"] >= run["baseline_rss_bytes"]
        assert run["environment"]["database"]["journal_mode"] == "wal"
    pids = {run["pid"] for run in runs}
    assert len(pids) == len(runs) and os.getpid() not in pids
    assert len(result_files(lab)) == len(runs)


def test_the_timeline_carries_rows_done(lab):
    (run,) = lab.compare("--strategies", "iterator_save", "--rows", "5000")
    timeline = run["rss_timeline"]
    assert len(timeline) > 10
    seconds = [t for t, _rss, _rows in timeline]
    rows = [n for _t, _rss, n in timeline]
    assert seconds == sorted(seconds) and rows == sorted(rows)
    assert 0 < max(rows) <= 5000
    assert run["sampled_peak_rss_bytes"] == max(rss for _t, rss, _n in timeline)


def test_a_spike_between_samples_still_shows_in_the_peak(lab):
    (run,) = lab.compare("--strategies", "test_spike", "--rows", "2000")
    assert run["status"] == "ok"
    assert run["peak_rss_bytes"] - run["baseline_rss_bytes"] >= 75 * 2**20


def test_memory_cap_kills_the_queryset_loop_and_spares_the_iterator(lab):
    runs = lab.compare("--strategies", "queryset_loop,iterator_save", "--rows", "20000", "--memory-cap-mb", "75")
    by_name = {r["strategy"]: r for r in runs}
    killed = by_name["queryset_loop"]
    assert killed["status"] == "killed"
    assert killed["killed_at_rss_bytes"] > 75 * 2**20
    assert "killed at" in killed["error"] and "rows" in killed["error"]
    assert by_name["iterator_save"]["status"] == "ok"
    assert not psutil.pid_exists(killed["pid"]) or psutil.Process(killed["pid"]).status() == psutil.STATUS_ZOMBIE


def test_a_strategy_that_raises_is_recorded_and_the_next_run_goes_on(lab):
    done = lab.manage("compare", "--strategies", "test_raises,iterator_save", "--rows", "1000", "--json")
    assert done.returncode != 0
    runs = json.loads(done.stdout)
    assert [r["status"] for r in runs] == ["error", "ok"]
    assert runs[0]["error"] == "ValueError: boom at row 10"
    assert runs[0]["rows_done"] == 10


def test_a_helper_process_counts_in_the_tree_peak(lab):
    runs = lab.compare("--strategies", "test_helper_hog,iterator_bulk_update", "--rows", "2000")
    tree = {r["strategy"]: r["tree"] for r in runs}
    assert tree["test_helper_hog"]["processes"] >= 2 and tree["iterator_bulk_update"]["processes"] == 1
    # The helper's 100 MiB of private pages count whole in the tree's PSS, above the worker's own baseline.
    assert tree["test_helper_hog"]["peak_pss_bytes"] - tree["test_helper_hog"]["baseline_pss_bytes"] >= 100 * 2**20


def test_probes_fill_their_sections(lab):
    (run,) = lab.compare("--strategies", "iterator_save", "--rows", "2000", "--probes", "tracemalloc,pympler,queries")
    assert run["spec"]["probes"] == ["rss", "tracemalloc", "pympler", "queries"]
    assert run["tracemalloc"]["peak_bytes"] > 0 and run["tracemalloc"]["top_sites"]
    assert run["pympler"]["retained"]
    assert run["queries"]["count"] >= 2000


def test_ctrl_c_kills_the_worker_and_keeps_finished_runs(lab):
    lab.manage("seed_rows", "--rows", "1000", check=True)
    proc = lab.start("compare", "--strategies", "iterator_save,test_slow", "--rows", "1000")
    wait_for(lambda: result_files(lab), what="the first run's result", timeout=120)
    workers = wait_for(lambda: walking(proc.pid, "test_slow"), what="the slow worker to walk")
    proc.send_signal(signal.SIGINT)
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert "interrupted" in err and "1 finished run(s) kept" in err and "Traceback" not in err
    assert len(result_files(lab)) == 1
    assert_all_end(workers)



@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--strategies", "no_such_thing"], "unknown strategy 'no_such_thing'; known: queryset_loop"),
        (["--strategies", "iterator_save", "--batch-size", "0"], "batch size must be a positive"),
        (["--strategies", "iterator_save", "--batch-size", "-3"], "batch size must be a positive"),
        (["--strategies", "iterator_save", "--repeats", "0"], "repeats must be a positive"),
        (["--strategies", "iterator_save", "--rows", "-1"], "positive"),
        (["--strategies", "iterator_save", "--probes", "rss,heapy"], "unknown probe(s) heapy"),
        (["--strategies", "iterator_save", "--memory-cap-mb", "8"], "below any worker's baseline"),
        (["--strategies", "iterator_save", "--rows", "1000", "--memory-cap-mb", "40"], "below the worker's baseline"),
    ],
)
def test_bad_input_gets_one_line_and_keeps_earlier_results(lab, args, message):
    lab.compare("--strategies", "iterator_save", "--rows", "1000")
    before = {p: p.read_bytes() for p in result_files(lab)}
    done = lab.manage("compare", *args)
    assert message in one_line_error(done)
    assert {p: p.read_bytes() for p in result_files(lab)} == before


def test_one_compare_over_two_table_sizes_seeds_each_before_its_runs(lab):
    code = ("import django; django.setup()\n"
            "from labproject.engine import measure\n"
            "plan = measure.specs(['keyset_executemany'], rows=1500) + measure.specs(['sql_update'], rows=1000)\n"
            "print([(r.strategy, r.rows, r.status, r.rows_verified) for r in measure.run(plan).results])")
    env = {**lab.env, "DJANGO_SETTINGS_MODULE": "labproject.settings"}
    done = subprocess.run([sys.executable, "-c", code], env=env, cwd=lab.root, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[('keyset_executemany', 1500, 'ok', 1500), ('sql_update', 1000, 'ok', 1000)]"
