"""A PostgreSQL cluster of the lab's own (``make pg``): Debian's binaries, loopback only, a generated password.

``python -m labproject.labserver start`` initialises a cluster under ``var/pg/`` the first time,
starts it on a free loopback port (no Unix socket, so nothing else on the machine can reach it
without the password), creates and migrates the lab database, and prints the ``DATABASE_URL``
on stdout; everything else goes to stderr, so ``export $(make -s pg)`` works. ``stop`` stops it.

The same class serves the test suite, which starts a throwaway cluster in a temporary folder.
PostgreSQL refuses to run as root, so under root the server programs run as the ``postgres``
user (``runuser``), who then owns the data folder; the password file stays the caller's, 0600.
"""

from __future__ import annotations

import argparse
import contextlib
import glob
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from labproject.errors import ConfigError, DatabaseNotReady, LabError

BINARIES = "/usr/lib/postgresql/*/bin"
INSTALL_HINT = "install the server with `apt-get install postgresql` (Debian/Ubuntu)"
SERVER_USER_UNDER_ROOT = "postgres"
USER = "lab"
DATABASE = "lab"
HOST = "127.0.0.1"
DEFAULT_ROOT = Path(os.environ.get("LAB_VAR_DIR", Path(__file__).resolve().parent.parent / "var")) / "pg"


def find_binaries(pattern: str = BINARIES) -> Path:
    """Return the newest Debian PostgreSQL ``bin`` folder holding ``initdb`` and ``pg_ctl``, or say how to get one."""
    found = [Path(p) for p in glob.glob(pattern) if all((Path(p) / n).is_file() for n in ("initdb", "pg_ctl"))]
    if not found:
        raise ConfigError(f"no PostgreSQL server binaries (initdb, pg_ctl) under {pattern}; {INSTALL_HINT}")
    return max(found, key=lambda p: [int(x) for x in p.parent.name.split(".") if x.isdigit()] or [0])


def free_port(wanted: int = 0) -> int:
    """Return ``wanted`` if nothing listens on it on loopback, else any free port there."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # As the server does, so a port whose last connections linger in TIME_WAIT still counts as free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((HOST, wanted))
        except OSError:
            probe.bind((HOST, 0))
        return probe.getsockname()[1]


@dataclass(frozen=True)
class LabServer:
    """One cluster: its folder (``data/``, ``password``, ``port``, ``server.log``) and the binaries that run it."""

    root: Path
    bindir: Path

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def password_file(self) -> Path:
        return self.root / "password"

    @property
    def log_file(self) -> Path:
        return self.root / "server.log"

    @property
    def port_file(self) -> Path:
        return self.root / "port"

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
        try:
            return self.password_file.read_text().strip()
        except OSError:
            raise ConfigError(
                f"{self.password_file} is missing, so the cluster in {self.data} cannot be used; "
                f"remove {self.root} to start afresh"
            ) from None

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
        self._give_to_server(self.log_file)
        # The last run's port when still free, so DATABASE_URL survives a restart.
        port = free_port(self._last_port())
        done = self._ctl("start", "-w", "-t", "60", "-l", str(self.log_file), "-o", f"-p {port}", check=False)
        if done.returncode != 0:
            raise DatabaseNotReady(f"{self.where} did not start: {self._last_log_line()}")
        self.port_file.write_text(f"{port}\n")
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
            raise DatabaseNotReady(f"cannot create database {name!r} on {self.where}: {_first_line(exc)}") from None
        return True

    def _initialise(self) -> None:
        """Run ``initdb`` with a new password, scram authentication, loopback only and no Unix socket."""
        self.root.mkdir(parents=True, exist_ok=True)
        # Under root the server user must be able to pass through the folder, never to list or write it.
        self.root.chmod(0o711 if os.geteuid() == 0 else 0o700)
        if self.data.exists() and any(self.data.iterdir()):
            raise ConfigError(f"{self.data} is not empty and holds no cluster; remove it to start afresh")
        self.data.mkdir(mode=0o700, exist_ok=True)
        self._give_to_server(self.data)
        password = secrets.token_urlsafe(24)  # URL-safe: it goes into DATABASE_URL as it is
        fd = os.open(self.password_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(password + "\n")
        handoff = self.root / ".initdb-password"  # initdb reads it as the server user; removed at once
        fd = os.open(handoff, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(password + "\n")
        self._give_to_server(handoff)
        try:
            self._run(self.bindir / "initdb", "-D", str(self.data), "-U", USER, f"--pwfile={handoff}",
                      "--auth=scram-sha-256", "--encoding=UTF8", "--no-locale", "--no-instructions")
        finally:
            handoff.unlink(missing_ok=True)
        with open(self.data / "postgresql.conf", "a", encoding="utf-8") as conf:
            conf.write("\n# the lab's own server: loopback TCP only, no Unix socket\n"
                       f"listen_addresses = '{HOST}'\nunix_socket_directories = ''\n")

    def _last_port(self) -> int:
        with contextlib.suppress(OSError, ValueError):
            return int(self.port_file.read_text())
        return 0

    def _ctl(self, action: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return self._run(self.bindir / "pg_ctl", action, "-D", str(self.data), *args, check=check)

    def _run(self, program: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        """Run a server program as the server user, its output captured (``pg_ctl start`` detaches the server)."""
        command = [*self._as_server_user(), str(program), *args]
        done = subprocess.run(command, capture_output=True, text=True, stdin=subprocess.DEVNULL)
        if check and done.returncode != 0:
            raise DatabaseNotReady(f"{program.name} {args[0]} failed for {self.data}: {_first_line(done.stderr)}")
        return done

    @staticmethod
    def _as_server_user() -> list[str]:
        if os.geteuid() != 0:
            return []
        try:
            pwd.getpwnam(SERVER_USER_UNDER_ROOT)
        except KeyError:
            raise ConfigError(f"PostgreSQL will not run as root and there is no {SERVER_USER_UNDER_ROOT!r} user; "
                              f"{INSTALL_HINT} or run as an ordinary user") from None
        return [shutil.which("runuser") or "runuser", "-u", SERVER_USER_UNDER_ROOT, "--"]

    @staticmethod
    def _give_to_server(path: Path) -> None:
        if os.geteuid() == 0:
            entry = pwd.getpwnam(SERVER_USER_UNDER_ROOT)
            os.chown(path, entry.pw_uid, entry.pw_gid)

    def _last_log_line(self) -> str:
        with contextlib.suppress(OSError):
            lines = [line for line in self.log_file.read_text(errors="replace").splitlines() if line.strip()]
            if lines:
                return lines[-1].strip()
        return f"no log in {self.log_file}"


def _first_line(error: object) -> str:
    from labproject.database import redact

    return redact(next((line.strip() for line in str(error).splitlines() if line.strip()), type(error).__name__))


def migrate(url: str) -> None:
    """Point Django at ``url`` and migrate it, saying so when it was not migrated yet."""
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "labproject.settings")
    import django

    django.setup()
    from labproject.iteration.readiness import ensure_ready

    ensure_ready(out=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The lab's own PostgreSQL server (make pg / make pg-stop).")
    parser.add_argument("action", choices=["start", "stop", "url"],
                        help="start (or reuse) and print DATABASE_URL; stop; print DATABASE_URL of the running one")
    parser.add_argument("--root", type=Path, default=DEFAULT_ROOT, help=f"cluster folder (default {DEFAULT_ROOT})")
    args = parser.parse_args(argv)
    say = sys.stderr
    try:
        server = LabServer(args.root.resolve(), find_binaries())
        if args.action == "stop":
            print(f"stopped {server.where}" if server.stop() else f"{server.where} was not running", file=say)
            return 0
        if args.action == "start":
            if server.start():
                print(f"started {server.where} on {HOST}:{server.port()}; log in {server.log_file}", file=say)
            else:
                print(f"{server.where} is already running on {HOST}:{server.port()}; reusing it", file=say)
            if server.create_database():
                print(f"created database {DATABASE!r}", file=say)
            migrate(server.url())
            print(f"password in {server.password_file} (readable by you only); stop with `make pg-stop`", file=say)
        print(f"DATABASE_URL={server.url()}")
    except LabError as exc:
        print(f"error: {exc}", file=say)
        return exc.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
