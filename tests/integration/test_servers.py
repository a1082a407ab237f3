"""``make mariadb``, ``make pgbouncer``, ``make redis``: started, reused, loopback only, private passwords, stopped."""

import os
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import psutil
import pytest

from labproject.servers.common import HOST
from tests.conftest import ROOT
from tests.pg_fixtures import pg_query
from tests.server_fixtures import mysql_query


def servers(kind: str, action: str, *options: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "labproject.servers", kind, action, *options],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)


def listening(pid: int) -> set:
    """Return the TCP addresses a server process listens on."""
    return {c.laddr for c in psutil.Process(pid).net_connections(kind="tcp") if c.status == psutil.CONN_LISTEN}


def private(path: Path) -> bool:
    info = path.stat()
    return stat.S_IMODE(info.st_mode) == 0o600 and info.st_uid == os.geteuid()


def start_reuse_stop(kind: str, root: Path, scheme: str, *options: str) -> str:
    """Start a server through the CLI, start it again (reused, same URL), and return the URL it printed."""
    first = servers(kind, "start", "--root", str(root), *options)
    assert first.returncode == 0, first.stderr
    assert "started" in first.stderr
    (line,) = first.stdout.splitlines()
    assert line.startswith(scheme) and f"@{HOST}:" in line
    again = servers(kind, "start", "--root", str(root), *options)
    assert again.returncode == 0 and "already running" in again.stderr and "reusing it" in again.stderr
    assert again.stdout == first.stdout and "migrating" not in again.stderr
    url = servers(kind, "url", "--root", str(root), *options)
    assert url.stdout == first.stdout
    secret = line.split("@", 1)[0].rsplit(":", 1)[1]
    assert len(secret) >= 16 and secret not in first.stderr + again.stderr
    return line.split("=", 1)[1]


def stopped(kind: str, root: Path, *options: str) -> None:
    assert "stopped" in servers(kind, "stop", "--root", str(root), *options).stderr
    assert "was not running" in servers(kind, "stop", "--root", str(root), *options).stderr
    gone = servers(kind, "url", "--root", str(root), *options)
    assert gone.returncode != 0 and gone.stderr.strip().endswith(f"start it with `make {kind}`")


@pytest.mark.mariadb
def test_make_mariadb_starts_migrates_reuses_and_stops_a_private_loopback_server():
    root = Path(tempfile.mkdtemp(prefix="lab-mariadb-cli-"))
    try:
        url = start_reuse_stop("mariadb", root, "DATABASE_URL=mysql://lab:")
        assert mysql_query(url, "SELECT COUNT(*) FROM iteration_somemodel") == [(0,)]
        assert private(root / "password")
        pid = int((root / "data" / "mariadbd.pid").read_text())
        assert listening(pid) == {(HOST, int(url.rsplit(":", 1)[1].split("/")[0]))}
        if os.geteuid() == 0:  # runs as mysql, like PostgreSQL as postgres
            assert psutil.Process(pid).username() == "mysql"
        # The only accounts: the lab's on loopback and the socket-authenticated administrators.
        accounts = mysql_query(url, "SELECT User, Host FROM mysql.global_priv WHERE User <> 'mariadb.sys'")
        assert ("lab", HOST) in accounts and all(host in (HOST, "localhost") for _, host in accounts)
        assert not [user for user, _ in accounts if not user]  # no anonymous account
        stopped("mariadb", root)
        assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    finally:
        servers("mariadb", "stop", "--root", str(root))
        shutil.rmtree(root, ignore_errors=True)


@pytest.mark.pgbouncer
def test_make_pgbouncer_fronts_the_lab_postgresql_in_transaction_mode_and_stops():
    root = Path(tempfile.mkdtemp(prefix="lab-pgbouncer-cli-"))
    root.chmod(0o711)  # the servers' own users pass through it to their folders
    pg_root = root / "pg"
    options = ("--pg-root", str(pg_root))
    try:
        url = start_reuse_stop("pgbouncer", root / "pgbouncer", "DATABASE_URL=postgres://lab:", *options)
        assert url.endswith("/lab?pooler=transaction")
        # make pg POOLER=transaction is the same thing: the PgBouncer beside that PostgreSQL, reused
        same = servers("pg", "start", "--root", str(pg_root), "--pooler", "transaction")
        assert same.returncode == 0 and "already running" in same.stderr, same.stderr
        assert same.stdout.strip().split("=", 1)[1] == url
        direct = servers("pg", "url", "--root", str(pg_root)).stdout.strip().split("=", 1)[1]
        assert pg_query(url.split("?")[0], "SELECT COUNT(*) FROM iteration_somemodel") == [(0,)]
        assert pg_query(direct, "SELECT COUNT(*) FROM iteration_somemodel") == [(0,)]
        auth = root / "pgbouncer" / "run" / "userlist.txt"
        assert stat.S_IMODE(auth.stat().st_mode) == 0o600 and "SCRAM-SHA-256$" in auth.read_text()
        assert pg_query(direct, "SELECT 1")  # the password itself is the lab server's, kept once
        pid = int((root / "pgbouncer" / "run" / "pgbouncer.pid").read_text())
        assert listening(pid) == {(HOST, int(url.rsplit(":", 1)[1].split("/")[0]))}
        assert not [c for c in psutil.Process(pid).net_connections(kind="unix") if c.status == psutil.CONN_LISTEN]
        stopped("pgbouncer", root / "pgbouncer", *options)
        assert pg_query(direct, "SELECT 1") == [(1,)]  # PostgreSQL is left running
    finally:
        servers("pgbouncer", "stop", "--root", str(root / "pgbouncer"), *options)
        servers("pg", "stop", "--root", str(pg_root))
        shutil.rmtree(root, ignore_errors=True)


@pytest.mark.redis
def test_make_redis_starts_a_private_persistent_loopback_server_and_stops():
    from labproject.servers.redis import RedisServer

    root = Path(tempfile.mkdtemp(prefix="lab-redis-cli-"))
    try:
        url = start_reuse_stop("redis", root, "REDIS_URL=redis://:")
        server = RedisServer(root)
        assert private(root / "password")
        assert server.cli("CONFIG", "GET", "appendonly").stdout.split() == ["appendonly", "yes"]
        assert server.cli("SET", "lab-key", "kept").stdout.strip() == "OK"
        unauthenticated = subprocess.run(["redis-cli", "-h", HOST, "-p", str(server.port()), "GET", "lab-key"],
                                         capture_output=True, text=True, timeout=30, env={"PATH": os.environ["PATH"]})
        assert "NOAUTH" in unauthenticated.stdout + unauthenticated.stderr
        pid = server.pid()
        assert listening(pid) == {(HOST, int(url.rsplit(":", 1)[1].split("/")[0]))}
        stopped("redis", root)
        servers("redis", "start", "--root", str(root))
        assert server.cli("GET", "lab-key").stdout.strip() == "kept"  # the append-only file kept it
        stopped("redis", root)
    finally:
        servers("redis", "stop", "--root", str(root))
        shutil.rmtree(root, ignore_errors=True)
