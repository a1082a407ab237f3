"""Bad MariaDB settings and a server that dies mid-run: one line each, no password, no orphan worker."""

import json

import pytest

from labproject.servers.common import HOST, free_port
from tests.conftest import ROOT, assert_all_end
from tests.integration.test_postgres_faults import refused, wait_for_walking_worker, with_password
from tests.server_fixtures import discard, throwaway_mariadb

pytestmark = pytest.mark.mariadb


def test_an_unreachable_mariadb_is_named_by_host_and_port(lab):
    port = free_port()
    line = refused(lab, f"mysql://lab:not-shown-anywhere@{HOST}:{port}/lab", "not-shown-anywhere")
    assert f"{HOST}:{port}" in line and "Can't connect to server" in line


def test_a_wrong_mariadb_password_is_refused_without_either_password(mariadb_lab, mariadb_server):
    wrong = "wrong-password-not-shown"
    line = refused(mariadb_lab, with_password(mariadb_lab.env["DATABASE_URL"], wrong), wrong,
                   mariadb_server.password())
    assert "Access denied for user 'lab'" in line and f"{HOST}:{mariadb_server.port()}" in line


def test_a_missing_mariadb_database_is_named(mariadb_lab, mariadb_server):
    line = refused(mariadb_lab, mariadb_server.url("no_such_database"), mariadb_server.password())
    assert "'no_such_database'" in line and "Unknown database 'no_such_database'" in line


def test_a_mariadb_stopped_mid_run_is_an_error_and_the_compare_stops_in_one_line(lab):
    """Stop the server under a walking worker: that run is an error, the compare stops, no worker survives."""
    server = throwaway_mariadb()  # its own server: the session's must outlive this test
    try:
        server.create_database("lab")
        secret = server.password()
        lab.env.update(DATABASE_URL=server.url(), LAB_STRATEGY_MODULES="tests.strategies_for_mysql_tests",
                       PYTHONPATH=str(ROOT))
        proc = lab.start("compare", "--strategies", "test_mysql_slow_walk,keyset_executemany", "--rows", "2000",
                         "--json")
        workers = wait_for_walking_worker(proc, strategy="test_mysql_slow_walk")
        server.stop()
        out, err = proc.communicate(timeout=180)
    finally:
        discard(server)
    # The lab lock's connection (GET_LOCK) went with the server: the compare stops rather than run unprotected.
    assert proc.returncode == 2, err
    line = [line for line in err.splitlines() if line.startswith("CommandError")]
    assert len(line) == 1 and "the lab lock's connection was lost" in line[0], err
    assert "1 finished run(s) kept" in line[0] and "1 run(s) not started" in line[0] and "Traceback" not in err
    (run,) = [json.loads(p.read_text()) for p in (lab.root / "results").glob("*/*.json")]
    assert (run["strategy"], run["status"]) == ("test_mysql_slow_walk", "error")
    assert 0 < run["rows_done"] < 2000
    assert run["error"].startswith("OperationalError") and "\n" not in run["error"], run
    assert secret not in out + err + json.dumps(run)
    assert_all_end(workers)
