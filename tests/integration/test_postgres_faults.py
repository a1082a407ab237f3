"""Bad PostgreSQL settings and a server that dies mid-run: one line each, no password, no orphan worker."""

import json
import subprocess

import psutil
import pytest

from labproject import strategies
from labproject.servers.postgres import HOST, free_port
from tests.conftest import ROOT, assert_all_end, one_line_error, wait_for, walking
from tests.pg_fixtures import discard, throwaway_server

pytestmark = pytest.mark.postgres
COMPARE = ("compare", "--strategies", "keyset_executemany", "--rows", "1000")


def with_password(url: str, password: str) -> str:
    head, tail = url.split("@", 1)
    return f"{head.rsplit(':', 1)[0]}:{password}@{tail}"


def refused(lab, url: str, *secrets: str) -> str:
    """Run a compare against ``url``, expect one line on stderr, and return it after checking it holds no secret."""
    lab.env["DATABASE_URL"] = url
    line = one_line_error(lab.manage(*COMPARE))
    assert line.startswith("CommandError: ")
    assert not [s for s in secrets if s in line], line
    return line


def test_an_unreachable_server_is_named_by_host_and_port(lab):
    port = free_port()
    line = refused(lab, f"postgres://lab:not-shown-anywhere@{HOST}:{port}/lab", "not-shown-anywhere")
    assert f"{HOST}:{port}" in line and "Connection refused" in line


def test_a_wrong_password_is_refused_without_either_password(pg_lab, pg_server):
    wrong = "wrong-password-not-shown"
    line = refused(pg_lab, with_password(pg_lab.env["DATABASE_URL"], wrong), wrong, pg_server.password())
    assert "password authentication failed" in line and f"{HOST}:{pg_server.port()}" in line


def test_a_missing_database_is_named(pg_lab, pg_server):
    line = refused(pg_lab, pg_server.url("no_such_database"), pg_server.password())
    assert "'no_such_database'" in line and 'database "no_such_database" does not exist' in line


def test_an_unmigrated_database_is_migrated_and_says_so(pg_lab):
    done = pg_lab.manage(*COMPARE, "--json", check=True)
    assert "was not migrated; migrating it now" in done.stderr
    (run,) = json.loads(done.stdout)
    assert run["status"] == "ok" and run["rows_verified"] == 1000


def test_a_strategy_for_other_backends_is_refused_with_one_line(pg_lab):
    others = {s.name: s.backends for s in strategies.all_strategies() if "postgresql" not in s.backends}
    assert {"pipelined_thread", "unbuffered_stream"} <= set(others)
    pg_lab.compare("--strategies", "sql_update", "--rows", "1000")
    before = {p: p.read_bytes() for p in (pg_lab.root / "results").glob("*/*.json")}
    for name, backends in {"test_sqlite_only": {"sqlite"}, **others}.items():
        for command in (("compare", "--strategies", name), ("run_strategy", name)):
            line = one_line_error(pg_lab.manage(*command, "--rows", "1000"))
            runs_on = ", ".join(sorted(backends))
            assert line == f"CommandError: strategy '{name}' does not apply to postgresql; it runs on {runs_on}"
    assert {p: p.read_bytes() for p in (pg_lab.root / "results").glob("*/*.json")} == before


def test_a_server_stopped_mid_run_is_an_error_and_the_compare_stops_in_one_line(lab):
    """Stop the server under a walking worker: that run is an error, the compare stops, no worker survives."""
    server = throwaway_server()  # its own cluster: the session's must outlive this test
    try:
        server.create_database("lab")
        secret = server.password()
        lab.env.update(DATABASE_URL=server.url(), LAB_STRATEGY_MODULES="tests.strategies_for_pg_tests",
                       PYTHONPATH=str(ROOT))
        proc = lab.start("compare", "--strategies", "test_pg_slow_walk,keyset_executemany", "--rows", "2000", "--json")
        workers = wait_for_walking_worker(proc)
        server.stop()
        out, err = proc.communicate(timeout=180)
    finally:
        discard(server)
    # The lab lock's connection went with the server: the compare stops rather than run unprotected.
    assert proc.returncode == 2, err
    line = [line for line in err.splitlines() if line.startswith("CommandError")]
    assert len(line) == 1 and "the lab lock's connection was lost" in line[0], err
    assert "1 finished run(s) kept" in line[0] and "1 run(s) not started" in line[0] and "Traceback" not in err
    (run,) = [json.loads(p.read_text()) for p in (lab.root / "results").glob("*/*.json")]
    assert (run["strategy"], run["status"]) == ("test_pg_slow_walk", "error")
    assert 0 < run["rows_done"] < 2000
    assert run["error"].startswith("OperationalError") and "\n" not in run["error"], run
    assert secret not in out + err + json.dumps(run)
    assert_all_end(workers)


def wait_for_walking_worker(proc: subprocess.Popen, timeout: float = 120,
                            strategy: str = "test_pg_slow_walk") -> list[psutil.Process]:
    """Wait until the compare's worker has walked some rows, and return the processes under the compare."""
    found = wait_for(lambda: walking(proc.pid, strategy) or proc.poll() is not None,
                     what="the slow walk to report rows", timeout=timeout)
    if proc.poll() is not None:
        raise AssertionError(f"the compare ended before walking: {proc.communicate()[1][-2000:]}")
    return found
