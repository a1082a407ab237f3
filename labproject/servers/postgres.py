"""A PostgreSQL cluster of the lab's own (``make pg``): Debian's binaries, loopback only, a generated password.

``python -m labproject.servers pg start`` initialises a cluster under ``var/pg/`` the first time,
starts it on a free loopback port (no Unix socket, so nothing else on the machine can reach it
without the password), creates and migrates the lab database, and prints the ``DATABASE_URL``.
The same class serves the test suite, which starts a throwaway cluster in a temporary folder.
PostgreSQL refuses to run as root, so under root the server programs run as the ``postgres``
user, who then owns the data folder; the password file stays the caller's, 0600.
"""

from __future__ import annotations

import glob
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from labproject.errors import ConfigError, DatabaseNotReady
from labproject.servers.common import HOST, VAR_DIR, ServerFolder, first_line, free_port, write_private

__all__ = ["DATABASE", "DEFAULT_ROOT", "HOST", "USER", "LabServer", "find_binaries", "free_port"]

BINARIES = "/usr/lib/postgresql/*/bin"
INSTALL_HINT = "install the server with `apt-get install postgresql` (Debian/Ubuntu)"
SERVER_USER_UNDER_ROOT = "postgres"
USER = "lab"
DATABASE = "lab"
DEFAULT_ROOT = VAR_DIR / "pg"


def find_binaries(pattern: str = BINARIES) -> Path:
    """Return the newest Debian PostgreSQL ``bin`` folder holding ``initdb`` and ``pg_ctl``, or say how to get one."""
    found = [Path(p) for p in glob.glob(pattern) if all((Path(p) / n).is_file() for n in ("initdb", "pg_ctl"))]
    if not found:
        raise ConfigError(f"no PostgreSQL server binaries (initdb, pg_ctl) under {pattern}; {INSTALL_HINT}")
    return max(found, key=lambda p: [int(x) for x in p.parent.name.split(".") if x.isdigit()] or [0])


@dataclass(frozen=True)
class LabServer:
    """One cluster: its folder (``data/``, ``password``, ``port``, ``server.log``) and the binaries that run it."""

    root: Path
    bindir: Path

    @cached_property
    def folder(self) -> ServerFolder:
        return ServerFolder(self.root, self.where, SERVER_USER_UNDER_ROOT, INSTALL_HINT)

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def password_file(self) -> Path:
        return self.folder.password_file

    @property
    def log_file(self) -> Path:
        return self.folder.log_file

    @property
    def port_file(self) -> Path:
        return self.folder.port_file

    @property
    def where(self) -> str:
        return f"the lab's PostgreSQL server in {self.data}"

    def running(self) -> bool:
        """Tell whether a server runs on this cluster's data folder (``pg_ctl status`` exits 0)."""
        if not (self.data / "PG_VERSION").is_file():
            return False
        return self._ctl("status", check=False).returncode == 0

    def port(self) -> int:
        """Return the port the running server listens on (the fourth line of ``postmaster.pid``)."""
        try:
            return int((self.data / "postmaster.pid").read_text().splitlines()[3])
        except (OSError, IndexError, ValueError):
            raise DatabaseNotReady(f"{self.where} is not running; start it with `make pg`") from None

    def password(self) -> str:
        return self.folder.password()

    def url(self, database: str = DATABASE) -> str:
        """Return the DATABASE_URL of ``database`` on the running server (it carries the password)."""
        return f"postgres://{USER}:{self.password()}@{HOST}:{self.port()}/{database}"

    def start(self) -> bool:
        """Initialise the cluster if needed and start it; return False when it was already running."""
        if self.running():
            return False
        if not (self.data / "PG_VERSION").is_file():
            self._initialise()
        self.password()  # refuse a cluster whose password was lost before starting it
        self.log_file.touch(mode=0o600, exist_ok=True)
        self.folder.give_to_server(self.log_file)
        port = self.folder.next_port()
        done = self._ctl("start", "-w", "-t", "60", "-l", str(self.log_file), "-o", f"-p {port}", check=False)
        if done.returncode != 0:
            raise DatabaseNotReady(f"{self.where} did not start: {self.folder.last_log_line()}")
        return True

    def stop(self) -> bool:
        """Stop the server (fast: open sessions are ended); return False when it was not running."""
        if not self.running():
            return False
        self._ctl("stop", "-w", "-m", "fast")
        return True

    def create_database(self, name: str = DATABASE) -> bool:
        """Create ``name`` unless it exists; return whether it was created."""
        import psycopg
        from psycopg import sql

        try:
            with psycopg.connect(self.url("postgres"), autocommit=True, connect_timeout=10) as conn:
                if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
                    return False
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        except psycopg.Error as exc:
            raise DatabaseNotReady(f"cannot create database {name!r} on {self.where}: {first_line(exc)}") from None
        return True

    def _initialise(self) -> None:
        """Run ``initdb`` with a new password, scram authentication, loopback only and no Unix socket."""
        self.folder.make_root()
        if self.data.exists() and any(self.data.iterdir()):
            raise ConfigError(f"{self.data} is not empty and holds no cluster; remove it to start afresh")
        self.data.mkdir(mode=0o700, exist_ok=True)
        self.folder.give_to_server(self.data)
        password = self.folder.make_password()
        handoff = self.root / ".initdb-password"  # initdb reads it as the server user; removed at once
        write_private(handoff, password + "\n")
        self.folder.give_to_server(handoff)
        try:
            self.folder.run(self.bindir / "initdb", "-D", str(self.data), "-U", USER, f"--pwfile={handoff}",
                            "--auth=scram-sha-256", "--encoding=UTF8", "--no-locale", "--no-instructions")
        finally:
            handoff.unlink(missing_ok=True)
        with open(self.data / "postgresql.conf", "a", encoding="utf-8") as conf:
            conf.write("\n# the lab's own server: loopback TCP only, no Unix socket\n"
                       f"listen_addresses = '{HOST}'\nunix_socket_directories = ''\n")

    def _ctl(self, action: str, *args: str, check: bool = True):
        # pg_ctl start detaches the server, so its captured output ends when the server is up.
        return self.folder.run(self.bindir / "pg_ctl", action, "-D", str(self.data), *args, check=check)
