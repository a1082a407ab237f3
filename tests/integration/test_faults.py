"""The fault suite: real processes on real databases, disturbed as users and machines disturb them.

Each case ends with one clear line (or a clean success), the data and earlier results intact, and
no process left behind: two compares at once, a runner killed or signalled mid-run, the database
deleted or made read-only mid-run, another connection holding a write lock, and a results folder
that cannot be written or fills up.
"""

import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest

from labproject.engine.store import ResultStore
from tests.conftest import ROOT, assert_all_end, one_line_error, wait_for, walking

ROWS = "1000"


@pytest.fixture
def lab(lab):
    lab.env["LAB_STRATEGY_MODULES"] = "tests.strategies_for_tests"
    lab.env["PYTHONPATH"] = str(ROOT)
    return lab


def lock_holder(lab) -> int | None:
    """Return the pid the SQLite lab lock file names as its holder, or None."""
    try:
        return json.loads((lab.root / "lab.sqlite3.lab-lock").read_text())["pid"]
    except (OSError, ValueError, KeyError):
        return None


def stored(lab) -> dict[Path, bytes]:
    """Return every result file of the lab's store with its bytes."""
    return {p: p.read_bytes() for p in (lab.root / "results").glob("*/*.json")}


def finished(proc: subprocess.Popen, timeout: float = 300) -> subprocess.CompletedProcess:
    out, err = proc.communicate(timeout=timeout)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def last_line(done: subprocess.CompletedProcess) -> str:
    """Return the last line on stderr, after checking every line is a one-liner and none a traceback."""
    assert "Traceback" not in done.stderr, done.stderr
    return done.stderr.strip().splitlines()[-1]


def run_folder(processes) -> Path:
    """Return the runner's temporary folder, read from its worker's --board argument."""
    for proc in processes:
        args = proc.cmdline()
        if "--board" in args:
            return Path(args[args.index("--board") + 1]).parent
    raise AssertionError("no worker among the processes")


def walk_started(lab, proc, strategy="test_slow_walk"):
    return wait_for(lambda: walking(proc.pid, strategy), what=f"{strategy} to walk", timeout=120)


# --- one measurement at a time -------------------------------------------------------------------------

def test_two_compares_at_once_take_turns_and_both_are_verified(lab):
    lab.manage("seed_rows", "--rows", "3000", check=True)
    first = lab.start("compare", "--strategies", "test_slow_walk,iterator_save", "--rows", "3000", "--json")
    wait_for(lambda: lock_holder(lab) == first.pid, what="the first compare to hold the lab lock")
    second = lab.start("compare", "--strategies", "iterator_save,keyset_executemany", "--rows", "3000", "--json")
    done_first, done_second = finished(first), finished(second)
    assert (done_first.returncode, done_second.returncode) == (0, 0), done_first.stderr + done_second.stderr
    runs_first, runs_second = json.loads(done_first.stdout), json.loads(done_second.stdout)
    for run in runs_first + runs_second:
        assert (run["status"], run["rows_verified"], run["rows_wrong"]) == ("ok", 3000, 0), run["error"]
    said = done_second.stderr
    assert said.count("waiting for the lab lock") == 1, said
    assert (f"waiting for the lab lock on the sqlite file {lab.database}: it is held by manage.py compare "
            f"(pid {first.pid}, since ") in said
    assert f"got the lab lock on the sqlite file {lab.database} after " in said
    assert min(r["started_at"] for r in runs_second) > max(r["started_at"] for r in runs_first)


@pytest.mark.postgres
def test_two_compares_at_once_on_postgresql_take_turns(pg_lab, pg_server):
    pg_lab.manage("seed_rows", "--rows", "2000", check=True)
    first = pg_lab.start("compare", "--strategies", "test_slow_walk", "--rows", "2000", "--json")
    walk_started(pg_lab, first)
    second = pg_lab.start("compare", "--strategies", "keyset_executemany", "--rows", "2000", "--json")
    done_first, done_second = finished(first), finished(second)
    assert (done_first.returncode, done_second.returncode) == (0, 0), done_first.stderr + done_second.stderr
    for run in json.loads(done_first.stdout) + json.loads(done_second.stdout):
        assert (run["status"], run["rows_verified"], run["rows_wrong"]) == ("ok", 2000, 0), run["error"]
    name = pg_lab.env["DATABASE_URL"].rsplit("/", 1)[1]
    assert (f"waiting for the lab lock on the postgresql database '{name}' at 127.0.0.1:{pg_server.port()}: it is "
            f"held by manage.py compare (pid {first.pid}, since ") in done_second.stderr


def test_no_wait_refuses_at_once_naming_the_holder(lab):
    lab.manage("seed_rows", "--rows", ROWS, check=True)
    holder = lab.start("compare", "--strategies", "test_slow", "--rows", ROWS)
    try:
        wait_for(lambda: lock_holder(lab) == holder.pid, what="the compare to hold the lab lock")
        busy = f"the sqlite file {lab.database} is in use by manage.py compare (pid {holder.pid}, since "
        for args in (("compare", "--strategies", "iterator_save", "--rows", ROWS), ("seed_rows", "--rows", "2000")):
            started = time.monotonic()
            done = lab.manage(*args, "--no-wait", timeout=60)
            assert one_line_error(done).startswith(f"CommandError: {busy}")
            assert done.returncode == 75 and time.monotonic() - started < 30
        report = subprocess.run([sys.executable, "-m", "labproject.report", "--mode", "quick", "--no-wait",
                                 "--only", "00_start_here", "--out", str(lab.root / "reports")],
                                env=lab.env, cwd=lab.root, capture_output=True, text=True, timeout=120)
        assert one_line_error(report).startswith(f"error: {busy}") and report.returncode == 75
        assert lab.count() == 1000  # the refused seed_rows never touched the table
    finally:
        holder.send_signal(signal.SIGINT)
        finished(holder, 60)


def test_a_lock_whose_holder_died_is_taken_over_with_a_message(lab):
    code = ("import django, time\ndjango.setup()\nfrom labproject.iteration.lock import lab_lock\n"
            "with lab_lock(command='a doomed holder'):\n    print('held', flush=True)\n    time.sleep(300)\n")
    doomed = subprocess.Popen([sys.executable, "-c", code],
                              env={**lab.env, "DJANGO_SETTINGS_MODULE": "labproject.settings"},
                              cwd=lab.root, stdout=subprocess.PIPE, text=True)
    assert doomed.stdout.readline().strip() == "held"
    doomed.kill()
    doomed.wait()
    done = lab.manage("compare", "--strategies", "iterator_save", "--rows", ROWS, "--json", check=True)
    assert (f"took over the lab lock on the sqlite file {lab.database}: its holder a doomed holder "
            f"(pid {doomed.pid}, since ") in done.stderr
    assert json.loads(done.stdout)[0]["status"] == "ok"


@pytest.mark.postgres
def test_a_postgresql_lock_kept_by_a_dead_holders_connection_is_taken_over(pg_lab):
    """The holder died but a child it forked keeps its connection (and so the lock) open: the lock is taken over."""
    code = ("import django, os, time\ndjango.setup()\nfrom labproject.iteration.lock import lab_lock\n"
            "with lab_lock(command='a doomed holder'):\n    child = os.fork()\n    if child == 0:\n"
            "        time.sleep(300)\n        os._exit(0)\n    print(child, flush=True)\n    time.sleep(300)\n")
    doomed = subprocess.Popen([sys.executable, "-c", code],
                              env={**pg_lab.env, "DJANGO_SETTINGS_MODULE": "labproject.settings"},
                              cwd=pg_lab.root, stdout=subprocess.PIPE, text=True)
    child = int(doomed.stdout.readline())
    try:
        doomed.kill()
        doomed.wait()
        done = pg_lab.manage("compare", "--strategies", "keyset_executemany", "--rows", ROWS, "--json", timeout=120)
        assert done.returncode == 0, done.stderr
        assert f"its holder a doomed holder (pid {doomed.pid}, since " in done.stderr
        assert json.loads(done.stdout)[0]["status"] == "ok"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(child, signal.SIGKILL)


# --- signals and kills -----------------------------------------------------------------------------------

def test_a_runner_killed_mid_run_leaves_no_worker_and_the_next_compare_cleans_up(lab):
    lab.compare("--strategies", "iterator_save", "--rows", ROWS)
    before = stored(lab)
    proc = lab.start("compare", "--strategies", "test_slow_walk", "--rows", ROWS)
    workers = walk_started(lab, proc)
    folder = run_folder(workers)
    proc.kill()
    proc.communicate(timeout=60)
    assert_all_end(workers)  # the worker dies with its runner
    assert folder.exists(), "a SIGKILLed runner cannot clean up; the next compare does"
    done = lab.manage("compare", "--strategies", "iterator_save", "--rows", ROWS, "--json", check=True)
    assert not folder.exists()
    assert f"its holder manage.py compare (pid {proc.pid}, since " in done.stderr
    assert [(r["status"], r["rows_verified"]) for r in json.loads(done.stdout)] == [("ok", 1000)]
    assert {p: b for p, b in stored(lab).items() if p in before} == before
    assert not list((lab.root / "results").glob("*/.*.tmp"))


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_sigterm_and_sighup_do_what_ctrl_c_does(lab, signum):
    lab.manage("seed_rows", "--rows", ROWS, check=True)
    proc = lab.start("compare", "--strategies", "iterator_save,test_slow_walk", "--rows", ROWS)
    wait_for(lambda: stored(lab), what="the first run's result", timeout=120)
    workers = walk_started(lab, proc)
    folder = run_folder(workers)
    proc.send_signal(signum)
    done = finished(proc, 60)
    assert done.returncode == 128 + signum
    line = one_line_error(done)
    (session,) = (lab.root / "results").iterdir()
    assert line == (f"CommandError: interrupted by {signal.Signals(signum).name}: the current worker was killed; "
                    f"1 finished run(s) kept in {session}")
    assert len(stored(lab)) == 1 and not folder.exists()
    assert_all_end(workers)
    lab.manage("compare", "--strategies", "sql_update", "--rows", ROWS, "--no-wait", check=True)  # lock released


# --- the database disturbed ------------------------------------------------------------------------------

def test_the_database_file_deleted_mid_run_stops_the_compare_in_one_line(lab):
    lab.compare("--strategies", "iterator_save", "--rows", ROWS)
    before = stored(lab)
    proc = lab.start("compare", "--strategies", "test_slow_walk,iterator_save", "--rows", ROWS)
    workers = walk_started(lab, proc)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{lab.database}{suffix}").unlink(missing_ok=True)
    done = finished(proc, 120)
    assert done.returncode == 2
    line = last_line(done)
    assert line.startswith(f"CommandError: the sqlite file {lab.database} was deleted during the compare; "
                           "1 finished run(s) kept in "), line
    assert line.endswith(", 1 run(s) not started")
    assert_all_end(workers)
    assert {p: b for p, b in stored(lab).items() if p in before} == before and len(stored(lab)) == 2


def test_the_database_made_read_only_mid_run_is_an_error_and_stops_the_compare(lab):
    lab.compare("--strategies", "iterator_save", "--rows", ROWS)
    before = stored(lab)
    proc = lab.start("compare", "--strategies", "test_slow_walk,iterator_save", "--rows", ROWS)
    workers = walk_started(lab, proc)
    # The data and its journal; -shm is SQLite's shared-memory index (mapped, not data), left as it is.
    files = [str(p) for p in (Path(f"{lab.database}{s}") for s in ("", "-wal")) if p.exists()]
    if subprocess.run(["chattr", "+i", *files], capture_output=True).returncode != 0:
        proc.kill()
        pytest.skip("this filesystem has no immutable flag (chattr +i), which read-only needs under root")
    try:
        done = finished(proc, 120)
    finally:
        subprocess.run(["chattr", "-i", *files], check=True)
    assert done.returncode == 2
    line = last_line(done)
    assert line.startswith(f"CommandError: the sqlite file {lab.database} can no longer be written during the "
                           "compare; 1 finished run(s) kept in "), line
    kept = [json.loads(b) for p, b in stored(lab).items() if p not in before]
    assert [(r["strategy"], r["status"]) for r in kept] == [("test_slow_walk", "error")]
    assert "\n" not in kept[0]["error"] and kept[0]["error"].startswith("OperationalError")
    assert_all_end(workers)
    assert {p: b for p, b in stored(lab).items() if p in before} == before
    assert lab.count() == 1000


def test_a_long_write_transaction_elsewhere_waits_out_the_busy_timeout_then_says_so(lab):
    lab.env["LAB_BUSY_TIMEOUT"] = "2"
    lab.manage("seed_rows", "--rows", ROWS, check=True)
    table = lab.query("SELECT id, field FROM iteration_somemodel ORDER BY id")
    blocker = sqlite3.connect(lab.database, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    blocker.execute("UPDATE iteration_somemodel SET field = -1 WHERE id = 1")
    try:
        started = time.monotonic()
        done = lab.manage("compare", "--strategies", "iterator_save", "--rows", ROWS, "--json", timeout=120)
        waited = time.monotonic() - started
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    note = "(another connection held a lock on the table longer than the 2 s busy timeout; LAB_BUSY_TIMEOUT sets it)"
    (run,) = json.loads(done.stdout)
    assert (done.returncode, run["status"]) == (1, "error")
    assert run["error"] == f"OperationalError: database is locked {note}"
    assert last_line(done).endswith(f"first: iterator_save #1: OperationalError: database is locked {note}")
    assert waited >= 2
    assert lab.query("SELECT id, field FROM iteration_somemodel ORDER BY id") == table
    assert lab.compare("--strategies", "iterator_save", "--rows", ROWS)[0]["status"] == "ok"


@pytest.mark.postgres
def test_a_long_write_transaction_on_postgresql_waits_out_the_lock_timeout_then_says_so(pg_lab):
    pg_lab.env["LAB_BUSY_TIMEOUT"] = "2"
    pg_lab.manage("seed_rows", "--rows", ROWS, check=True)
    with psycopg.connect(pg_lab.env["DATABASE_URL"]) as blocker:  # a transaction until the block ends
        blocker.execute("UPDATE iteration_somemodel SET field = -1 "
                        "WHERE id = (SELECT min(id) FROM iteration_somemodel)")
        done = pg_lab.manage("compare", "--strategies", "keyset_executemany", "--rows", ROWS, "--json", timeout=120)
        blocker.rollback()
    (run,) = json.loads(done.stdout)
    assert (done.returncode, run["status"]) == (1, "error")
    assert run["error"].startswith("OperationalError: canceling statement due to lock timeout")
    assert run["error"].endswith("(another connection held a lock on the table longer than the 2 s busy timeout; "
                                 "LAB_BUSY_TIMEOUT sets it)")
    assert "\n" not in run["error"] and "Traceback" not in done.stderr


# --- the results store -----------------------------------------------------------------------------------

def test_a_results_folder_under_a_file_is_one_line_before_anything_runs(lab):
    (lab.root / "a-file").write_text("not a folder")
    results = lab.root / "a-file" / "results"
    lab.env["LAB_RESULTS_DIR"] = str(results)
    done = lab.manage("compare", "--strategies", "iterator_save", "--rows", ROWS)
    assert one_line_error(done) == f"CommandError: cannot write results to {results}: Not a directory"
    assert done.returncode == 2 and not lab.database.exists(), "nothing should have run"
    missing = lab.root / "not" / "yet" / "there"
    lab.env["LAB_RESULTS_DIR"] = str(missing)
    assert lab.compare("--strategies", "sql_update", "--rows", ROWS)[0]["status"] == "ok"
    assert len(list(missing.glob("*/*.json"))) == 1


def test_an_unwritable_results_folder_is_one_line_before_any_run_and_earlier_sessions_stay_readable(lab):
    lab.compare("--strategies", "iterator_save", "--rows", ROWS)
    results = lab.root / "results"
    before = stored(lab)
    if subprocess.run(["chattr", "+i", str(results)], capture_output=True).returncode != 0:
        pytest.skip("this filesystem has no immutable flag (chattr +i), which unwritable needs under root")
    try:
        done = lab.manage("compare", "--strategies", "iterator_save", "--rows", ROWS)
    finally:
        subprocess.run(["chattr", "-i", str(results)], check=True)
    assert one_line_error(done) == f"CommandError: cannot write results to {results}: Operation not permitted"
    assert stored(lab) == before and len(ResultStore(results).load()) == 1


@contextlib.contextmanager
def small_filesystem(path: Path, size: str):
    """Mount a tmpfs of ``size`` on ``path`` for the block (as root), so the folder can fill up for real."""
    path.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small filesystem here: {mounted.stderr.strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=True)


def fill(folder: Path) -> None:
    """Write zeros into ``folder`` until its filesystem is full."""
    fd = os.open(folder / "filler", os.O_WRONLY | os.O_CREAT)
    try:
        while True:
            os.write(fd, b"\0" * 65536)
    except OSError:
        pass
    finally:
        os.close(fd)


def test_a_full_results_folder_is_one_line_before_any_run(lab):
    results = lab.root / "results"
    with small_filesystem(results, "8m"):
        lab.compare("--strategies", "iterator_save", "--rows", ROWS)
        before = stored(lab)
        fill(results)
        done = lab.manage("compare", "--strategies", "iterator_save", "--rows", ROWS)
        line = one_line_error(done)
        assert line.startswith(f"CommandError: cannot write results to {results}: only ") and "MiB free" in line
        assert stored(lab) == before and len(ResultStore(results).load()) == 1


def test_a_results_folder_that_fills_during_the_run_prints_the_result_and_leaves_no_partial_file(lab):
    results = lab.root / "results"
    with small_filesystem(results, "16m"):
        lab.compare("--strategies", "iterator_save", "--rows", ROWS)
        before = stored(lab)
        proc = lab.start("compare", "--strategies", "test_slow_walk,iterator_save", "--rows", ROWS)
        workers = walk_started(lab, proc)
        fill(results)
        done = finished(proc, 120)
        assert done.returncode == 2
        (kept,) = json.loads(done.stdout)  # what could not be stored is printed: nothing measured is lost
        assert (kept["strategy"], kept["status"], kept["rows_verified"]) == ("test_slow_walk", "ok", 1000)
        line = one_line_error(done)
        assert line.startswith("CommandError: cannot write results to ") and "No space left on device" in line
        assert line.endswith("; the result of test_slow_walk #1 is printed as JSON on stdout, 0 earlier run(s) are "
                             f"in {results / kept['session']}, 1 run(s) not started")
        assert stored(lab) == before and list((results / kept["session"]).iterdir()) == []
        assert len(ResultStore(results).load()) == 1
        assert_all_end(workers)
