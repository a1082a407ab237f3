"""PostgreSQL through a real PgBouncer in transaction pooling mode: what works, verified; what cannot, refused."""

import json

import psycopg
import pytest

from labproject import strategies
from tests.conftest import one_line_error
from tests.integration.test_faults import finished, walk_started
from tests.pg_fixtures import pg_query

pytestmark = [pytest.mark.postgres, pytest.mark.pgbouncer]


def test_a_cursor_lives_through_the_pooler_only_inside_one_transaction(pgbouncer_server):
    """The premise, shown with two clients: a held cursor's next fetch may land on another server connection."""
    url = pgbouncer_server.url("postgres").split("?")[0]
    with psycopg.connect(url, autocommit=True) as reader, psycopg.connect(url, autocommit=True) as other:
        # Inside one transaction the pooler keeps the reader's server connection: the cursor survives.
        with reader.transaction():
            reader.execute("DECLARE inside CURSOR FOR SELECT g FROM generate_series(1, 10) AS g")
            assert reader.execute("FETCH 3 FROM inside").fetchall() == [(1,), (2,), (3,)]
            with other.transaction():
                other.execute("SELECT 1")  # takes another server connection meanwhile
                assert reader.execute("FETCH 3 FROM inside").fetchall() == [(4,), (5,), (6,)]
        # WITH HOLD outside a transaction (what iterator() declares): once the declaring transaction ends,
        # the next client transaction takes the freed server connection and the cursor is out of reach.
        reader.execute("DECLARE held CURSOR WITH HOLD FOR SELECT g FROM generate_series(1, 10) AS g")
        with other.transaction():
            other.execute("SELECT 1")
            with pytest.raises(psycopg.errors.InvalidCursorName, match='cursor "held" does not exist'):
                reader.execute("FETCH 3 FROM held")


def test_every_strategy_that_can_pass_a_transaction_pooler_is_verified_through_pgbouncer(pooled_lab):
    names = [s.name for s in strategies.all_strategies()
             if "postgresql" in s.backends and not s.needs_session and not s.name.startswith("test_")]
    assert {"iterator_save", "server_side_cursor", "pipelined", "partitioned", "sql_update"} <= set(names)
    runs = pooled_lab.compare("--strategies", ",".join(names), "--rows", "2000")
    assert [r["strategy"] for r in runs] == names
    for run in runs:
        assert (run["status"], run["rows_verified"], run["rows_wrong"]) == ("ok", 2000, 0), run["error"]
        database = run["environment"]["database"]
        assert (database["pooler"], database["server_side_cursors"]) == ("transaction", False)
        assert (run["spec"]["pooler"], run["spec"]["server_side_cursors"]) == ("transaction", False)
        assert "through a transaction pooler" in database["where"]


def test_a_strategy_that_needs_one_server_session_is_refused_through_the_pooler_in_one_line(pooled_lab):
    needing = [s for s in strategies.all_strategies() if s.needs_session and "postgresql" in s.backends]
    assert "held_cursor" in {s.name for s in needing}
    for chosen in needing:
        for command in (("compare", "--strategies", chosen.name), ("run_strategy", chosen.name)):
            line = one_line_error(pooled_lab.manage(*command, "--rows", "1000"))
            assert line == f"CommandError: strategy '{chosen.name}' cannot run through a transaction pooler: " \
                           f"{chosen.needs_session}"
            assert "session" in line and "transaction" in line


def test_server_side_cursors_can_be_forced_on_to_see_what_djangos_rule_prevents(pooled_lab):
    (run,) = pooled_lab.compare("--strategies", "iterator_bulk_update", "--rows", "2000", "--server-side-cursors")
    # One client alone gets its server connection back for every FETCH, so it runs; the test above shows
    # why it is not safe once other clients share the pool.
    assert run["status"] == "ok" and run["environment"]["database"]["server_side_cursors"] is True


def test_two_compares_at_once_through_the_pooler_take_turns_and_leave_no_lock_behind(pooled_lab, pg_server):
    """The lab lock is held for one open transaction, which the pooler keeps on one server connection."""
    pooled_lab.manage("seed_rows", "--rows", "2000", check=True)
    first = pooled_lab.start("compare", "--strategies", "test_slow_walk,pipelined", "--rows", "2000", "--json")
    walk_started(pooled_lab, first)
    second = pooled_lab.start("compare", "--strategies", "keyset_executemany", "--rows", "2000", "--json")
    done_first, done_second = finished(first), finished(second)
    assert (done_first.returncode, done_second.returncode) == (0, 0), done_first.stderr + done_second.stderr
    for run in json.loads(done_first.stdout) + json.loads(done_second.stdout):
        assert (run["status"], run["rows_verified"], run["rows_wrong"]) == ("ok", 2000, 0), run["error"]
    name = pooled_lab.env["DATABASE_URL"].split("?")[0].rsplit("/", 1)[1]
    assert f"waiting for the lab lock on the postgresql database '{name}' at 127.0.0.1:" in done_second.stderr
    assert f"held by manage.py compare (pid {first.pid}, since " in done_second.stderr
    # Nothing of the lock is left on any server connection the pool keeps.
    assert pg_query(pg_server.url(name), "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'") == [(0,)]


WALK = """
from labproject.errors import LabError
from labproject.iteration.targets import get_target
from labproject.walk import update_rows
from labproject.walk.verification import verify
target = get_target("lab")
for method in ("held_cursor", "auto"):
    try:
        done = update_rows(target, None, field=target.field, reads=target.reads, method=method, progress=False)
        print(done.method, done.rows_written, verify(target).wrong)
    except LabError as exc:
        print(type(exc).__name__, exc)
"""


def test_update_rows_through_the_pooler_never_takes_a_strategy_that_needs_one_session(pooled_lab):
    from labproject import strategies

    pooled_lab.manage("seed_rows", "--rows", "3000", check=True)
    done = pooled_lab.manage("shell", "-c", WALK)
    assert done.returncode == 0, done.stderr
    refused, walked = done.stdout.strip().splitlines()[-2:]
    assert refused == ("NotApplicable strategy 'held_cursor' cannot run through a transaction pooler: "
                       + strategies.get("held_cursor").needs_session)
    method, written, wrong = walked.split()
    assert not strategies.get(method).needs_session and (written, wrong) == ("3000", "0")
