"""MariaDB, PgBouncer and Redis for the tests: one throwaway server of each on loopback per session.

Each is the lab's own server code (``labproject.servers``) pointed at a temporary folder, started on
first use and stopped at the end of the session whatever the tests did. Missing server programs fail
the tests with the one line that says how to install them (CI installs them: a silent skip would hide
that these tests never ran).
"""

from __future__ import annotations

import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from labproject.errors import LabError
from labproject.servers.mariadb import MariaDBServer
from labproject.servers.pgbouncer import PgBouncerServer
from labproject.servers.redis import RedisServer
from tests.pg_fixtures import TEST_STRATEGIES

MYSQL_TEST_STRATEGIES = "tests.strategies_for_tests,tests.strategies_for_mysql_tests"


def started(server):
    """Start ``server`` (in its temporary folder), failing the test in one line if it cannot start."""
    try:
        server.start()
        return server
    except LabError as exc:
        missing = str(exc)
    discard(server)
    pytest.fail(missing, pytrace=False)


def discard(server) -> None:
    """Stop a throwaway server and delete its folder."""
    try:
        server.stop()
    finally:
        shutil.rmtree(server.root, ignore_errors=True)


def throwaway_mariadb() -> MariaDBServer:
    """Return a started MariaDB in a new temporary folder (the caller discards it)."""
    return started(MariaDBServer(Path(tempfile.mkdtemp(prefix="lab-mariadb-test-"))))


@pytest.fixture(scope="session")
def mariadb_server() -> Iterator[MariaDBServer]:
    server = throwaway_mariadb()
    try:
        yield server
    finally:
        discard(server)


@pytest.fixture
def mariadb_url(mariadb_server: MariaDBServer) -> str:
    """The URL (with its password) of a new, empty, unmigrated database on the session's MariaDB."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    mariadb_server.create_database(name)
    return mariadb_server.url(name)


@pytest.fixture
def mariadb_lab(lab, mariadb_url):
    """The ``lab`` fixture pointed at a fresh MariaDB database, with the test-only strategies loaded."""
    lab.env.update(DATABASE_URL=mariadb_url, LAB_STRATEGY_MODULES=MYSQL_TEST_STRATEGIES,
                   PYTHONPATH=str(Path(__file__).resolve().parents[1]))
    return lab


@pytest.fixture(scope="session")
def pgbouncer_server(pg_server) -> Iterator[PgBouncerServer]:
    """PgBouncer in transaction mode in front of the session's PostgreSQL."""
    server = started(PgBouncerServer(Path(tempfile.mkdtemp(prefix="lab-pgbouncer-test-")), pg_server))
    try:
        yield server
    finally:
        discard(server)


@pytest.fixture
def pooled_lab(lab, pg_server, pgbouncer_server):
    """The ``lab`` fixture pointed at a fresh PostgreSQL database reached through PgBouncer."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    pg_server.create_database(name)
    lab.env.update(DATABASE_URL=pgbouncer_server.url(name), LAB_STRATEGY_MODULES=TEST_STRATEGIES,
                   PYTHONPATH=str(Path(__file__).resolve().parents[1]))
    return lab


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    server = started(RedisServer(Path(tempfile.mkdtemp(prefix="lab-redis-test-"))))
    try:
        yield server
    finally:
        discard(server)


def mysql_query(url: str, query: str, params: tuple = ()) -> list[tuple]:
    """Run one parameterised query on its own connection and return the rows."""
    import MySQLdb

    from labproject.database import database_config

    config = database_config(url)
    conn = MySQLdb.connect(host=config["HOST"], port=int(config["PORT"]), user=config["USER"],
                           password=config["PASSWORD"], database=config["NAME"], charset="utf8mb4", autocommit=True)
    try:
        cursor = conn.cursor()
        cursor.execute(query, params)
        return list(cursor.fetchall())
    finally:
        conn.close()
