"""The walk fanned out over real Celery workers and Redis on loopback: kills, a broker restart, Ctrl-C, bad input.

Every run is checked in SQL (each row holds the calculation's value) and by a trigger that counts each
row's writes, so a range walked twice or a row skipped shows up.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys

import pytest

from tests.conftest import ROOT, one_line_error
from tests.fanout_lab import wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.celery]
ROWS = 100_000


def summary_of(done: subprocess.CompletedProcess) -> dict:
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_100k_rows_over_two_workers_are_verified_in_sql_and_a_rerun_writes_nothing(fanout_lab):
    fanout_lab.seed(ROWS)
    fanout_lab.workers(2)
    first = summary_of(fanout_lab.manage("fanout", "lab", "--workers", "2", "--ranges", "8", "--no-progress", "--json"))
    assert (first["rows_read"], first["rows_written"], first["ranges"]) == (ROWS, ROWS, 8)
    assert (first["verified_total"], first["verified_right"], first["verified_how"]) == (ROWS, ROWS, "in SQL")
    assert sum(first["range_rows"]) == ROWS and max(first["range_rows"]) - min(first["range_rows"]) <= 1
    assert first["redelivered"] == [] and first["deliveries"] == 8
    assert fanout_lab.tally() == {"rows": ROWS, "right": ROWS, "never": 0, "once": ROWS, "twice_or_more": 0}
    assert [state for _, state, *_ in fanout_lab.ranges()] == ["done"] * 8
    assert first["fleet_pss_peak_bytes"] > 0 and len(first["worker_pss_peak_bytes"]) == 2
    again = fanout_lab.manage("fanout", "lab", "--workers", "2", "--ranges", "8", "--no-progress")
    assert again.returncode == 0, again.stderr
    assert f"read {ROWS:,} rows, wrote 0 (every row already held its value)" in again.stdout
    assert f"checked in SQL: {ROWS:,} of {ROWS:,} rows right (every row right)" in again.stdout
    assert fanout_lab.tally()["once"] == ROWS
    finished = fanout_lab.manage("fanout", "lab", "--resume", "--no-progress")
    assert "is finished (8 ranges done): nothing to resume" in one_line_error(finished)


def test_sparse_keys_give_ranges_of_equal_rows(fanout_lab):
    done = fanout_lab.manage("seed_rows", "--rows", "9000")
    assert done.returncode == 0, done.stderr
    fanout_lab.sql("DELETE FROM iteration_somemodel WHERE id %% 10 <> 0 AND id < 6000")  # keys sparse at the start
    fanout_lab.workers(1)
    summary = summary_of(fanout_lab.manage("fanout", "lab", "--workers", "1", "--ranges", "4", "--no-progress",
                                           "--json"))
    assert summary["range_rows"] == [900] * 4 and summary["verified_right"] == summary["verified_total"] == 3600


def test_a_worker_killed_mid_range_has_its_range_redelivered_and_no_row_written_twice(fanout_lab):
    fanout_lab.seed(ROWS)
    fanout_lab.workers(2, LAB_FANOUT_KILL_AFTER="3:4")  # range 3's walker SIGKILLs itself after 4 batches
    summary = summary_of(fanout_lab.manage("fanout", "lab", "--workers", "2", "--ranges", "8", "--no-progress",
                                           "--json"))
    assert summary["redelivered"] == [3] and summary["range_attempts"][3] == 2
    assert summary["verified_right"] == summary["verified_total"] == ROWS
    assert fanout_lab.tally() == {"rows": ROWS, "right": ROWS, "never": 0, "once": ROWS, "twice_or_more": 0}
    logs = "".join(w.log.read_text() for w in fanout_lab.started)
    assert "WorkerLostError" in logs and "signal 9 (SIGKILL)" in logs


def test_the_broker_restarted_mid_walk_and_the_walk_still_finishes(fanout_lab, redis_server):
    fanout_lab.seed(ROWS)
    fanout_lab.workers(2)
    walking = fanout_lab.start("fanout", "lab", "--workers", "2", "--ranges", "8", "--batch-size", "500",
                               "--throttle", "0.05", "--no-progress", "--json")
    try:
        wait_for(lambda: fanout_lab.rows_done() >= 10_000, what="10,000 rows walked")
        assert fanout_lab.rows_done() < ROWS
        redis_server.stop()
        redis_server.start()  # same port, same password, its append-only file read back
        out, err = walking.communicate(timeout=300)
    finally:
        walking.kill()
    assert walking.returncode == 0, err
    summary = json.loads(out)
    assert summary["broker_restarts"] == 1 and "the broker restarted" in err
    assert summary["verified_right"] == summary["verified_total"] == ROWS
    assert fanout_lab.tally() == {"rows": ROWS, "right": ROWS, "never": 0, "once": ROWS, "twice_or_more": 0}


def test_ctrl_c_revokes_the_ranges_and_resume_continues_the_same_plan(fanout_lab):
    fanout_lab.seed(ROWS)
    fanout_lab.workers(2)
    walking = fanout_lab.start("fanout", "lab", "--workers", "2", "--ranges", "8", "--batch-size", "500",
                               "--throttle", "0.05", "--no-progress")
    try:
        wait_for(lambda: fanout_lab.rows_done() >= 10_000, what="10,000 rows walked")
        walking.send_signal(signal.SIGINT)
        _, err = walking.communicate(timeout=120)
    finally:
        walking.kill()
    assert walking.returncode == 130, err
    line = [x for x in err.splitlines() if x.strip()][-1]
    assert "interrupted by Ctrl-C" in line and "--resume" in line and "rolled back" in line, line
    parts = fanout_lab.ranges()
    assert "running" not in {state for _, state, *_ in parts}
    stopped_at = sum(rows for _, _, rows, *_ in parts)
    tally = fanout_lab.tally()
    assert tally["once"] == stopped_at < ROWS and tally["twice_or_more"] == 0, "committed batches match checkpoints"
    resumed = summary_of(fanout_lab.manage("fanout", "lab", "--workers", "2", "--resume", "--no-progress", "--json"))
    assert resumed["resumed"] and resumed["rows_read"] == ROWS and resumed["verified_right"] == ROWS
    assert fanout_lab.tally() == {"rows": ROWS, "right": ROWS, "never": 0, "once": ROWS, "twice_or_more": 0}


def test_a_database_error_is_retried_with_backoff(fanout_lab):
    fanout_lab.seed(20_000)
    # The first write of key 7777 fails with a serialization failure; a sequence is outside the transaction,
    # so the retry of the same batch succeeds.
    fanout_lab.sql("CREATE SEQUENCE flaky")
    fanout_lab.sql("CREATE FUNCTION flaky() RETURNS trigger AS $$ BEGIN IF NEW.id = 7777 THEN IF nextval('flaky') = 1 "
                   "THEN RAISE EXCEPTION 'flaky on purpose' USING ERRCODE = '40001'; END IF; END IF; RETURN NEW; "
                   "END $$ LANGUAGE plpgsql")
    fanout_lab.sql("CREATE TRIGGER flaky BEFORE UPDATE ON iteration_somemodel FOR EACH ROW EXECUTE FUNCTION flaky()")
    fanout_lab.workers(1)
    summary = summary_of(fanout_lab.manage("fanout", "lab", "--workers", "1", "--ranges", "4", "--no-progress",
                                           "--json"))
    assert summary["verified_right"] == 20_000 and summary["redelivered"] == [1]
    assert fanout_lab.tally() == {"rows": 20_000, "right": 20_000, "never": 0, "once": 20_000, "twice_or_more": 0}
    assert "Retry in 1.0s" in "".join(w.log.read_text() for w in fanout_lab.started)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_bad_input_is_one_line_and_changes_nothing(fanout_lab, redis_server):
    fanout_lab.seed(2000)
    wrong = redis_server.url().replace(redis_server.password(), "not-the-password")
    for args, env, expected in [
        (("nope",), {}, "unknown target 'nope'"),
        (("lab", "--workers", "0"), {}, "workers must be a positive whole number, got 0"),
        (("lab", "--ranges", "0"), {}, "ranges must be a positive whole number, got 0"),
        (("lab",), {"LAB_BROKER_URL": f"redis://127.0.0.1:{free_port()}/0"}, "cannot reach the broker at redis://"),
        (("lab",), {"LAB_BROKER_URL": wrong}, "refused the password"),
        (("lab", "--resume"), {}, "no fan-out plan 'fanout/lab' to resume"),
    ]:
        line = one_line_error(fanout_lab.manage("fanout", *args, "--no-progress", env=env))
        assert expected in line, line
        assert "not-the-password" not in line and redis_server.password() not in line
    assert fanout_lab.tally()["never"] == 2000
    assert fanout_lab.sql("SELECT COUNT(*) FROM labwalk_checkpoint WHERE name LIKE 'fanout/%%'")[0][0] == 0


def test_workers_writing_to_another_database_are_refused(fanout_lab, tmp_path):
    fanout_lab.seed(1000)
    fanout_lab.fleet.start(1, broker_url=fanout_lab.broker, env={"DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite3"},
                           tied=True)
    fanout_lab.started = fanout_lab.fleet.running()
    line = one_line_error(fanout_lab.manage("fanout", "lab", "--workers", "1", "--no-progress"))
    assert "writes to the sqlite file" in line and "start workers with this DATABASE_URL" in line


def test_make_workers_starts_the_broker_and_n_workers_and_workers_stop_leaves_no_process():
    import shutil
    import tempfile
    from pathlib import Path

    import psutil

    tmp_path = Path(tempfile.mkdtemp(prefix="lab-workers-test-"))
    tmp_path.chmod(0o711)  # under root Redis runs as its own user, who must pass through
    env = {**os.environ, "LAB_VAR_DIR": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path}/lab.sqlite3"}
    env.pop("LAB_BROKER_URL", None)
    env.pop("REDIS_URL", None)
    command = [sys.executable, "-m", "labproject.fanout", "workers"]
    started = subprocess.run([*command, "start", "2"], env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)
    try:
        assert started.returncode == 0, started.stderr
        assert started.stdout.startswith("LAB_BROKER_URL=redis://:") and "started 2 worker(s) (lab1, lab2)" in \
            started.stderr
        password = (tmp_path / "redis" / "password").read_text().strip()
        assert password not in started.stderr and oct((tmp_path / "redis" / "password").stat().st_mode)[-3:] == "600"
        again = subprocess.run([*command, "start", "2"], env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert "already running" in again.stderr and "reusing them" in again.stderr
        pids = [int(p.read_text()) for p in (tmp_path / "workers").glob("*.pid")]
        redis_pid = int((tmp_path / "redis" / "data" / "redis.pid").read_text())
        tree = [*pids, *(c.pid for p in pids for c in psutil.Process(p).children(recursive=True)), redis_pid]
        assert len(tree) >= 5  # two nodes, their pool processes, Redis
    finally:
        stopped = subprocess.run([*command, "stop"], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert stopped.returncode == 0 and "stopped 2 worker(s)" in stopped.stderr, stopped.stderr
    wait_for(lambda: not any(psutil.pid_exists(p) and psutil.Process(p).status() != psutil.STATUS_ZOMBIE
                             for p in tree), deadline=30, what="every worker and Redis gone")
    shutil.rmtree(tmp_path, ignore_errors=True)


def test_workers_tied_to_a_process_die_with_it(tmp_path, redis_server):
    import psutil

    script = (f"from labproject.fanout.fleet import Fleet; from pathlib import Path; import time\n"
              f"w = Fleet(Path({str(tmp_path)!r})).start(1, broker_url={redis_server.url()!r}, tied=True)\n"
              f"print(w[0].pid, flush=True); time.sleep(600)\n")
    owner = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE, text=True,
                             env={**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path}/l.sqlite3"})
    try:
        pid = int(owner.stdout.readline())
        children = [c.pid for c in psutil.Process(pid).children(recursive=True)]
        owner.kill()
        owner.wait(30)
        wait_for(lambda: not any(psutil.pid_exists(p) and psutil.Process(p).status() != psutil.STATUS_ZOMBIE
                                 for p in [pid, *children]), deadline=30, what="the tied worker gone")
    finally:
        owner.kill()
