"""PgBouncer in transaction pooling mode in front of the lab's PostgreSQL (``make pgbouncer``).

Debian's ``pgbouncer`` listens on 127.0.0.1 only (no Unix socket), on a free port it keeps, and
hands every transaction to whichever server connection is free: what most hosted PostgreSQL offers.
It authenticates clients with the lab server's own SCRAM secret for ``lab`` (copied into its auth
file, mode 0600), so the lab's generated password works through it and no second copy of the
password itself is kept. The URL it prints ends in ``?pooler=transaction``: that is how the lab
knows a pooler sits in between (``labproject.database``), sets ``DISABLE_SERVER_SIDE_CURSORS`` as
Django requires there, and records it with every result. It starts the lab's PostgreSQL if needed.
PgBouncer refuses to run as root, so under root it runs as the ``postgres`` user.
"""

from __future__ import annotations

import contextlib
import os
import signal
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from labproject.errors import DatabaseNotReady
from labproject.servers.common import (
    HOST,
    VAR_DIR,
    PidFileServer,
    ServerFolder,
    find_program,
    first_line,
    process_alive,
    wait_until,
    write_private,
)
from labproject.servers.postgres import DATABASE, USER, LabServer

INSTALL_HINT = "install it with `apt-get install pgbouncer` (Debian/Ubuntu)"
SERVER_USER_UNDER_ROOT = "postgres"
DEFAULT_ROOT = VAR_DIR / "pgbouncer"
POOL_MODE = "transaction"
START_SECONDS = 30


@dataclass(frozen=True)
class PgBouncerServer(PidFileServer):
    """One PgBouncer (``pgbouncer.ini``, ``port``, ``server.log``, ``run/`` with its auth and pid files)."""

    MAKE = "pgbouncer"

    root: Path
    postgres: LabServer

    @cached_property
    def folder(self) -> ServerFolder:
        return ServerFolder(self.root, self.where, SERVER_USER_UNDER_ROOT, INSTALL_HINT)

    @property
    def where(self) -> str:
        return f"the lab's PgBouncer in {self.root}"

    @property
    def config_file(self) -> Path:
        return self.root / "pgbouncer.ini"

    @property
    def run_dir(self) -> Path:
        return self.root / "run"

    @property
    def auth_file(self) -> Path:
        return self.run_dir / "userlist.txt"

    @property
    def pid_file(self) -> Path:
        return self.run_dir / "pgbouncer.pid"

    def password(self) -> str:
        return self.postgres.password()

    def url(self, database: str = DATABASE) -> str:
        """Return the DATABASE_URL of ``database`` through the pooler (it carries the password and the pooler)."""
        return f"postgres://{USER}:{self.password()}@{HOST}:{self.port()}/{database}?pooler={POOL_MODE}"

    def start(self) -> bool:
        """Start PostgreSQL if needed, then PgBouncer in front of it; return False when PgBouncer ran already.

        A running PgBouncer whose PostgreSQL has moved to another port is pointed at the new one (SIGHUP).
        """
        self.postgres.start()
        pid = self.pid()
        if pid is not None:
            if self._config_text() != self.config_file.read_text():
                self._write_files()
                os.kill(pid, signal.SIGHUP)  # PgBouncer rereads its configuration and auth file
            return False
        program = find_program("pgbouncer", "/usr/sbin/pgbouncer", hint=INSTALL_HINT)
        self.folder.make_root()
        self.run_dir.mkdir(mode=0o700, exist_ok=True)
        self.folder.give_to_server(self.run_dir)
        self.log_file.touch(mode=0o600, exist_ok=True)
        self.folder.give_to_server(self.log_file)
        self.folder.next_port()
        self._write_files()
        self.folder.run(program, "-d", str(self.config_file))  # daemonises once it listens
        if not wait_until(self._answers, START_SECONDS):
            raise DatabaseNotReady(f"{self.where} did not answer within {START_SECONDS} s: "
                                   f"{self.folder.last_log_line()}")
        return True

    def stop(self) -> bool:
        """Stop PgBouncer (SIGTERM: at once, as ``pg_ctl -m fast``); False when it was not running.

        The lab's PostgreSQL is left running: ``make pg-stop`` stops it.
        """
        pid = self.pid()
        if pid is None:
            return False
        os.kill(pid, signal.SIGTERM)
        if not wait_until(lambda: not process_alive(pid), START_SECONDS):
            raise DatabaseNotReady(f"{self.where} (pid {pid}) did not stop within {START_SECONDS} s")
        return True

    def _write_files(self) -> None:
        write_private(self.auth_file, f'"{USER}" "{self._scram_secret()}"\n')
        self.folder.give_to_server(self.auth_file)
        self.config_file.write_text(self._config_text())

    def _config_text(self) -> str:
        return (
            "; The lab's PgBouncer: loopback TCP only, no Unix socket, transaction pooling.\n"
            f"[databases]\n* = host={HOST} port={self.postgres.port()}\n\n"
            f"[pgbouncer]\nlisten_addr = {HOST}\nlisten_port = {int(self.folder.port_file.read_text())}\n"
            "unix_socket_dir =\n"
            f"pool_mode = {POOL_MODE}\nauth_type = scram-sha-256\nauth_file = {self.auth_file}\n"
            f"pidfile = {self.pid_file}\nlogfile = {self.log_file}\n"
            "max_client_conn = 100\ndefault_pool_size = 20\n"
        )

    def _scram_secret(self) -> str:
        """Return PostgreSQL's SCRAM secret of the lab account, which PgBouncer checks clients against."""
        import psycopg

        try:
            with psycopg.connect(self.postgres.url("postgres"), autocommit=True, connect_timeout=10) as conn:
                (secret,) = conn.execute("SELECT rolpassword FROM pg_authid WHERE rolname = %s", (USER,)).fetchone()
        except psycopg.Error as exc:
            raise DatabaseNotReady(f"cannot read the lab account's secret on {self.postgres.where}: "
                                   f"{first_line(exc)}") from None
        return secret

    def _answers(self) -> bool:
        import psycopg

        with contextlib.suppress(psycopg.Error, DatabaseNotReady):
            url = f"postgres://{USER}:{self.password()}@{HOST}:{self.port()}/postgres"
            with psycopg.connect(url, autocommit=True, connect_timeout=5) as conn:
                conn.execute("SELECT 1")
                return True
        return False
