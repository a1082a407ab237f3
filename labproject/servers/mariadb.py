"""A MariaDB server of the lab's own (``make mariadb``): Debian's binaries, loopback only, a generated password.

The first start installs a data folder under ``var/mariadb/`` (``mariadb-install-db``, no test
database, no anonymous account), then starts ``mariadbd`` on a free loopback port it keeps, with its
Unix socket inside the data folder (only the server's own account can reach it). The ``lab`` account
(``lab@127.0.0.1``, with the generated password) is made through that socket by the administrator
account that socket authentication gives the caller, and creates and migrates the lab database.

Settings chosen here, each recorded with every result: utf8mb4 (what Django needs for any text), no
host name lookups, and a 1 GiB buffer pool. InnoDB reads its files with O_DIRECT, past the OS page
cache, so with the default 128 MiB pool a 500k-row table would be read from disk on every walk while
PostgreSQL's is cached by the OS; sizing the pool to hold the table is what every MariaDB setup does.
"""

from __future__ import annotations

import os
import signal
import subprocess
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from labproject.errors import ConfigError, DatabaseNotReady
from labproject.servers.common import (
    HOST,
    VAR_DIR,
    PidFileServer,
    ServerFolder,
    find_program,
    first_line,
    process_alive,
    wait_until,
)

INSTALL_HINT = "install the server with `apt-get install mariadb-server` (Debian/Ubuntu)"
SERVER_USER_UNDER_ROOT = "mysql"
USER = "lab"
DATABASE = "lab"
DEFAULT_ROOT = VAR_DIR / "mariadb"
BUFFER_POOL = "1G"
START_SECONDS = 60


@dataclass(frozen=True)
class MariaDBServer(PidFileServer):
    """One MariaDB data folder (``data/``, ``server.cnf``, ``password``, ``port``, ``server.log``) and its server."""

    MAKE = "mariadb"

    root: Path

    @cached_property
    def folder(self) -> ServerFolder:
        return ServerFolder(self.root, self.where, SERVER_USER_UNDER_ROOT, INSTALL_HINT)

    @property
    def where(self) -> str:
        return f"the lab's MariaDB server in {self.data}"

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def config_file(self) -> Path:
        return self.root / "server.cnf"

    @property
    def socket(self) -> Path:
        return self.data / "mariadbd.sock"

    @property
    def pid_file(self) -> Path:
        return self.data / "mariadbd.pid"

    def url(self, database: str = DATABASE) -> str:
        """Return the DATABASE_URL of ``database`` on the running server (it carries the password)."""
        return f"mysql://{USER}:{self.password()}@{HOST}:{self.port()}/{database}"

    def start(self) -> bool:
        """Install the data folder if needed, start the server and make the lab account; False if it ran already."""
        if self.running():
            return False
        server = find_program("mariadbd", "/usr/sbin/mariadbd", hint=INSTALL_HINT)
        if not (self.data / "mysql").is_dir():
            self._install()
        password = self.password()  # refuse a folder whose password was lost before starting it
        self.log_file.touch(mode=0o600, exist_ok=True)
        self.folder.give_to_server(self.log_file)
        port = self.folder.next_port()
        user = ["--user", SERVER_USER_UNDER_ROOT] if self.folder.runs_as_other_user else []
        # mariadbd stays in the foreground; its own session keeps it alive after this process ends.
        process = subprocess.Popen([str(server), f"--defaults-file={self.config_file}", *user, f"--port={port}"],
                                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                   start_new_session=True)
        if not wait_until(lambda: process.poll() is not None or self._answers(), START_SECONDS):
            process.kill()
            raise DatabaseNotReady(f"{self.where} did not answer within {START_SECONDS} s: "
                                   f"{self.folder.last_log_line()}")
        if process.poll() is not None:
            raise DatabaseNotReady(f"{self.where} did not start: {self.folder.last_log_line()}")
        self._make_account(password)
        return True

    def stop(self) -> bool:
        """Stop the server (SIGTERM: a clean shutdown) and wait until it is gone; False if it was not running."""
        pid = self.pid()
        if pid is None:
            return False
        os.kill(pid, signal.SIGTERM)
        if not wait_until(lambda: not process_alive(pid), START_SECONDS):
            raise DatabaseNotReady(f"{self.where} (pid {pid}) did not stop within {START_SECONDS} s")
        return True

    def create_database(self, name: str = DATABASE) -> bool:
        """Create ``name`` (utf8mb4) unless it exists; return whether it was created."""
        import MySQLdb

        try:
            conn = MySQLdb.connect(host=HOST, port=self.port(), user=USER, password=self.password(),
                                   connect_timeout=10)
            try:
                cursor = conn.cursor()
                cursor.execute("SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = %s", (name,))
                if cursor.fetchone():
                    return False
                cursor.execute(f"CREATE DATABASE `{_identifier(name)}` CHARACTER SET utf8mb4")
            finally:
                conn.close()
        except MySQLdb.Error as exc:
            raise DatabaseNotReady(f"cannot create database {name!r} on {self.where}: {first_line(exc)}") from None
        return True

    def _install(self) -> None:
        """Make an empty data folder with ``mariadb-install-db``, a new password and the server's config."""
        install = find_program("mariadb-install-db", "/usr/bin/mariadb-install-db", hint=INSTALL_HINT)
        self.folder.make_root()
        if self.data.exists() and any(self.data.iterdir()):
            raise ConfigError(f"{self.data} is not empty and holds no MariaDB data; remove it to start afresh")
        self.data.mkdir(mode=0o700, exist_ok=True)
        self.folder.give_to_server(self.data)
        self.folder.make_password()
        self._write_config()
        # Socket authentication lets the caller's own account (root under root) administer the server.
        done = subprocess.run([str(install), f"--defaults-file={self.config_file}",
                               f"--user={self.folder.server_user_name()}", "--auth-root-authentication-method=socket",
                               "--skip-test-db", "--skip-name-resolve"],
                              capture_output=True, text=True, stdin=subprocess.DEVNULL)
        if done.returncode != 0:
            raise DatabaseNotReady(f"mariadb-install-db failed for {self.where}: "
                                   f"{first_line(done.stderr or done.stdout)}")

    def _write_config(self) -> None:
        self.config_file.write_text(
            "# The lab's own MariaDB server: loopback TCP only (the socket is inside the data folder).\n"
            "[mariadbd]\n"
            f"datadir = {self.data}\nsocket = {self.socket}\npid-file = {self.pid_file}\n"
            f"log-error = {self.log_file}\nbind-address = {HOST}\nskip-name-resolve\n"
            "character-set-server = utf8mb4\n"
            "# O_DIRECT bypasses the page cache: a pool that holds the table, as a MariaDB setup sizes it.\n"
            f"innodb_buffer_pool_size = {BUFFER_POOL}\n"
        )
        self.config_file.chmod(0o644)  # mariadbd ignores a world-writable config; this one holds no secret

    def _answers(self) -> bool:
        """Tell whether the server accepts connections on its socket."""
        return self._admin(lambda cursor: None, quiet=True)

    def _make_account(self, password: str) -> None:
        """Give ``lab@127.0.0.1`` the kept password and every privilege (this is the lab's own server)."""

        def make(cursor) -> None:
            cursor.execute(f"CREATE USER IF NOT EXISTS '{USER}'@'{HOST}' IDENTIFIED BY %s", (password,))
            cursor.execute(f"ALTER USER '{USER}'@'{HOST}' IDENTIFIED BY %s", (password,))
            cursor.execute(f"GRANT ALL PRIVILEGES ON *.* TO '{USER}'@'{HOST}'")

        self._admin(make)

    def _admin(self, work, quiet: bool = False) -> bool:
        """Run ``work(cursor)`` as the administrator over the Unix socket; False (quiet) when it cannot connect."""
        import MySQLdb

        try:
            conn = MySQLdb.connect(unix_socket=str(self.socket), user=_admin_user(), connect_timeout=5)
        except MySQLdb.Error as exc:
            if quiet:
                return False
            raise DatabaseNotReady(f"cannot administer {self.where}: {first_line(exc)}") from None
        try:
            work(conn.cursor())
        except MySQLdb.Error as exc:
            raise DatabaseNotReady(f"cannot set up the lab account on {self.where}: {first_line(exc)}") from None
        finally:
            conn.close()
        return True


def _admin_user() -> str:
    """Return the account socket authentication gives this process: its own name (root under root)."""
    import pwd

    return pwd.getpwuid(os.geteuid()).pw_name


def _identifier(name: str) -> str:
    """Return ``name`` if it is a plain identifier, else refuse it (it is spliced into DDL)."""
    if not name.replace("_", "").isalnum():
        raise ConfigError(f"database name {name!r} must be letters, digits and underscores")
    return name
