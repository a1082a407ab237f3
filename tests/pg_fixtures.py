"""PostgreSQL for the tests: one throwaway cluster on loopback per session, a fresh database per test.

The cluster is the lab server's own code (``labproject.servers.postgres``) pointed at a temporary folder.
Missing server binaries fail every PostgreSQL test with one line saying how to install them:
CI installs them, so a silent skip would hide that the PostgreSQL half never ran.
"""

from __future__ import annotations

import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from labproject.errors import LabError
from labproject.servers.postgres import LabServer, find_binaries

TEST_STRATEGIES = "tests.strategies_for_tests,tests.strategies_for_pg_tests"


def server_binaries() -> Path:
    """Return Debian's PostgreSQL binaries, or fail the test with the one line that says how to install them."""
    try:
        return find_binaries()
    except LabError as exc:
        missing = str(exc)
    pytest.fail(missing, pytrace=False)  # outside the except block, so the line is not printed twice


def throwaway_server() -> LabServer:
    """Return a started cluster in a new temporary folder (the caller stops it and removes ``root``)."""
    bindir = server_binaries()
    server = LabServer(Path(tempfile.mkdtemp(prefix="lab-pg-test-")), bindir)
    try:
        server.start()
    except BaseException:
        discard(server)
        raise
    return server


def discard(server: LabServer) -> None:
    """Stop a throwaway cluster and delete its folder."""
    try:
        server.stop()
    finally:
        shutil.rmtree(server.root, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[LabServer]:
    """A cluster for the whole session, stopped at the end whatever the tests did."""
    server = throwaway_server()
    try:
        yield server
    finally:
        discard(server)


@pytest.fixture
def pg_url(pg_server: LabServer) -> str:
    """The URL (with its password) of a new, empty, unmigrated database on the session's cluster."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    pg_server.create_database(name)
    return pg_server.url(name)


@pytest.fixture
def pg_lab(lab, pg_url):
    """The ``lab`` fixture pointed at a fresh PostgreSQL database, with the test-only strategies loaded."""
    lab.env["DATABASE_URL"] = pg_url
    lab.env["LAB_STRATEGY_MODULES"] = TEST_STRATEGIES
    lab.env["PYTHONPATH"] = str(Path(__file__).resolve().parents[1])
    return lab


def pg_query(url: str, query: str, params: tuple = ()) -> list[tuple]:
    """Run one parameterised query on its own connection and return the rows."""
    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute(query, params).fetchall()
