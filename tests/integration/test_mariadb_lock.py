"""The lab lock on MariaDB (GET_LOCK, its holder in ``lab_lock_holder``), and the lock wait of its writes."""

import contextlib
import json
import os
import signal
import subprocess
import sys

import pytest

from tests.conftest import one_line_error
from tests.integration.test_faults import finished, walk_started
from tests.server_fixtures import mysql_query

pytestmark = pytest.mark.mariadb
ROWS = "2000"


def where(lab, server) -> str:
    name = lab.env["DATABASE_URL"].rsplit("/", 1)[1]
    return f"the mysql database '{name}' at 127.0.0.1:{server.port()}"


def test_two_compares_at_once_on_one_mariadb_database_take_turns_and_both_are_verified(mariadb_lab, mariadb_server):
    mariadb_lab.manage("seed_rows", "--rows", ROWS, check=True)
    first = mariadb_lab.start("compare", "--strategies", "test_slow_walk,unbuffered_stream", "--rows", ROWS, "--json")
    walk_started(mariadb_lab, first)
    second = mariadb_lab.start("compare", "--strategies", "pipelined,iterator_save", "--rows", ROWS, "--json")
    done_first, done_second = finished(first), finished(second)
    assert (done_first.returncode, done_second.returncode) == (0, 0), done_first.stderr + done_second.stderr
    runs_first, runs_second = json.loads(done_first.stdout), json.loads(done_second.stdout)
    for run in runs_first + runs_second:
        assert (run["status"], run["rows_verified"], run["rows_wrong"]) == ("ok", 2000, 0), run["error"]
    said = done_second.stderr
    assert said.count("waiting for the lab lock") == 1, said
    assert (f"waiting for the lab lock on {where(mariadb_lab, mariadb_server)}: it is held by manage.py compare "
            f"(pid {first.pid}, since ") in said
    assert f"got the lab lock on {where(mariadb_lab, mariadb_server)} after " in said
    assert min(r["started_at"] for r in runs_second) > max(r["started_at"] for r in runs_first)
    # The lock is free again once both are done, and its holder record names the last holder's server session.
    url = mariadb_lab.env["DATABASE_URL"]
    name = url.rsplit("/", 1)[1]
    assert mysql_query(url, "SELECT IS_FREE_LOCK(%s)", (f"lab:{name}",)) == [(1,)]


def test_no_wait_on_mariadb_refuses_at_once_naming_the_holder(mariadb_lab, mariadb_server):
    mariadb_lab.manage("seed_rows", "--rows", ROWS, check=True)
    holder = mariadb_lab.start("compare", "--strategies", "test_slow_walk", "--rows", ROWS)
    try:
        walk_started(mariadb_lab, holder)
        done = mariadb_lab.manage("compare", "--strategies", "iterator_save", "--rows", ROWS, "--no-wait", timeout=60)
        assert one_line_error(done).startswith(
            f"CommandError: {where(mariadb_lab, mariadb_server)} is in use by manage.py compare (pid {holder.pid}, ")
        assert done.returncode == 75
    finally:
        holder.send_signal(signal.SIGINT)
        finished(holder, 60)


def test_a_mariadb_lock_kept_by_a_dead_holders_connection_is_taken_over(mariadb_lab):
    """The holder died but a child it forked keeps its connection (and so GET_LOCK) open: its session is killed."""
    code = ("import django, os, time\ndjango.setup()\nfrom labproject.iteration.lock import lab_lock\n"
            "with lab_lock(command='a doomed holder'):\n    child = os.fork()\n    if child == 0:\n"
            "        time.sleep(300)\n        os._exit(0)\n    print(child, flush=True)\n    time.sleep(300)\n")
    doomed = subprocess.Popen([sys.executable, "-c", code],
                              env={**mariadb_lab.env, "DJANGO_SETTINGS_MODULE": "labproject.settings"},
                              cwd=mariadb_lab.root, stdout=subprocess.PIPE, text=True)
    child = int(doomed.stdout.readline())
    try:
        doomed.kill()
        doomed.wait()
        done = mariadb_lab.manage("compare", "--strategies", "keyset_executemany", "--rows", "1000", "--json",
                                  timeout=120)
        assert done.returncode == 0, done.stderr
        assert f"its holder a doomed holder (pid {doomed.pid}, since " in done.stderr
        assert json.loads(done.stdout)[0]["status"] == "ok"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(child, signal.SIGKILL)


def test_a_long_write_transaction_on_mariadb_waits_out_the_lock_wait_then_says_so(mariadb_lab):
    import MySQLdb

    from labproject.database import database_config

    mariadb_lab.env["LAB_BUSY_TIMEOUT"] = "2"
    mariadb_lab.manage("seed_rows", "--rows", "1000", check=True)
    config = database_config(mariadb_lab.env["DATABASE_URL"])
    blocker = MySQLdb.connect(host=config["HOST"], port=int(config["PORT"]), user=config["USER"],
                              password=config["PASSWORD"], database=config["NAME"])
    try:  # a transaction that holds one row's lock until the block ends
        blocker.cursor().execute("UPDATE iteration_somemodel SET field = -1 ORDER BY id LIMIT 1")
        done = mariadb_lab.manage("compare", "--strategies", "keyset_executemany", "--rows", "1000", "--json",
                                  timeout=120)
        blocker.rollback()
    finally:
        blocker.close()
    (run,) = json.loads(done.stdout)
    assert (done.returncode, run["status"]) == (1, "error")
    assert run["error"].startswith("OperationalError: (1205, 'Lock wait timeout exceeded"), run["error"]
    assert run["error"].endswith("(another connection held a lock on the table longer than the 2 s busy timeout; "
                                 "LAB_BUSY_TIMEOUT sets it)")
    assert "\n" not in run["error"] and "Traceback" not in done.stderr
