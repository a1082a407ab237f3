"""What every lab server shares: a folder under ``var/``, a loopback port it keeps, a private password.

Each server (PostgreSQL, MariaDB, PgBouncer, Redis) keeps ``password`` (mode 0600, the caller's),
``port`` (the last port, reused when still free so a printed URL survives a restart) and
``server.log`` in its folder. Under root the server programs run as a system user of their own
(``runuser``), who then owns the data folder; the caller's files stay the caller's.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from labproject.database import redact
from labproject.errors import ConfigError, DatabaseNotReady
from labproject.processes import last_line

HOST = "127.0.0.1"
BASE_DIR = Path(__file__).resolve().parents[2]
VAR_DIR = Path(os.environ.get("LAB_VAR_DIR", BASE_DIR / "var"))


def free_port(wanted: int = 0) -> int:
    """Return ``wanted`` if nothing listens on it on loopback, else any free port there."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # As the servers do, so a port whose last connections linger in TIME_WAIT still counts as free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((HOST, wanted))
        except OSError:
            probe.bind((HOST, 0))
        return probe.getsockname()[1]


def new_password() -> str:
    """Return a new random password; URL-safe, so it goes into a URL as it is."""
    return secrets.token_urlsafe(24)


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` readable and writable by its owner only (0600), whatever the umask."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)


def first_line(error: object) -> str:
    """Return the first non-empty line of an error or a program's output, passwords masked."""
    return redact(next((line.strip() for line in str(error).splitlines() if line.strip()), type(error).__name__))


def wait_until(condition: Callable[[], bool], seconds: float, interval: float = 0.05) -> bool:
    """Poll ``condition`` until it holds or ``seconds`` pass; return whether it held."""
    deadline = time.monotonic() + seconds
    while True:
        if condition():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)


def process_alive(pid: int) -> bool:
    """Tell whether ``pid`` runs (a zombie does not count)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


class PidFileServer:
    """What the lab's servers with a pid file and a ``ServerFolder`` share: pid, port, password and log.

    A subclass (a frozen dataclass) gives ``folder``, ``where``, ``pid_file`` and ``MAKE``, the make
    target that starts it.
    """

    MAKE = ""

    @property
    def password_file(self) -> Path:
        return self.folder.password_file

    @property
    def log_file(self) -> Path:
        return self.folder.log_file

    def password(self) -> str:
        return self.folder.password()

    def pid(self) -> int | None:
        """Return the running server's process id, or None."""
        try:
            pid = int(self.pid_file.read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None
        return pid if process_alive(pid) else None

    def running(self) -> bool:
        return self.pid() is not None

    def port(self) -> int:
        """Return the port the running server listens on."""
        if not self.running():
            raise DatabaseNotReady(f"{self.where} is not running; start it with `make {self.MAKE}`")
        return int(self.folder.port_file.read_text())


@dataclass(frozen=True)
class ServerFolder:
    """A server's folder: its password, the port it keeps and its log, and how its programs are run.

    ``system_user`` is the account the server programs run as under root (None: the caller's own).
    """

    root: Path
    what: str  # "the lab's MariaDB server", used in every message
    system_user: str | None = None
    install_hint: str = ""

    @property
    def password_file(self) -> Path:
        return self.root / "password"

    @property
    def port_file(self) -> Path:
        return self.root / "port"

    @property
    def log_file(self) -> Path:
        return self.root / "server.log"

    def password(self) -> str:
        """Return the kept password, or say that the folder cannot be used without it."""
        try:
            return self.password_file.read_text().strip()
        except OSError:
            raise ConfigError(f"{self.password_file} is missing, so {self.what} cannot be used; "
                              f"remove {self.root} to start afresh") from None

    def make_password(self) -> str:
        """Generate the password and keep it (0600) in the folder."""
        password = new_password()
        write_private(self.password_file, password + "\n")
        return password

    def make_root(self) -> None:
        """Create the folder: under root the server user may pass through it, never list or write it."""
        self.root.mkdir(parents=True, exist_ok=True)
        self.root.chmod(0o711 if self.runs_as_other_user else 0o700)

    def next_port(self) -> int:
        """Return the last run's port when it is still free, else any free loopback port; remember it."""
        last = 0
        with contextlib.suppress(OSError, ValueError):
            last = int(self.port_file.read_text())
        port = free_port(last)
        self.port_file.write_text(f"{port}\n")
        return port

    @property
    def runs_as_other_user(self) -> bool:
        return os.geteuid() == 0 and self.system_user is not None

    def as_server_user(self) -> list[str]:
        """Return the command prefix that runs a program as the server user (nothing when not root)."""
        if not self.runs_as_other_user:
            return []
        self._server_account()
        return [shutil.which("runuser") or "runuser", "-u", self.system_user, "--"]

    def give_to_server(self, path: Path) -> None:
        """Make the server user own ``path`` (under root; otherwise it is the caller's already)."""
        if self.runs_as_other_user:
            account = self._server_account()
            os.chown(path, account.pw_uid, account.pw_gid)

    def server_user_name(self) -> str:
        """Return the account name the server runs as."""
        return self.system_user if self.runs_as_other_user else pwd.getpwuid(os.geteuid()).pw_name

    def run(self, *command: str | Path, check: bool = True) -> subprocess.CompletedProcess:
        """Run a server program as the server user with its output captured; raise one line on failure."""
        done = subprocess.run([*self.as_server_user(), *map(str, command)], capture_output=True, text=True,
                              stdin=subprocess.DEVNULL)
        if check and done.returncode != 0:
            said = first_line(done.stderr or done.stdout or f"exit code {done.returncode}")
            raise DatabaseNotReady(f"{Path(str(command[0])).name} failed for {self.what}: {said}")
        return done

    def last_log_line(self) -> str:
        """Return the log's last line, to say why a server did not start."""
        with contextlib.suppress(OSError):
            lines = [line for line in self.log_file.read_text(errors="replace").splitlines() if line.strip()]
            if lines:
                return redact(lines[-1].strip())
        return f"no log in {self.log_file}"

    def _server_account(self) -> pwd.struct_passwd:
        try:
            return pwd.getpwnam(self.system_user)
        except KeyError:
            raise ConfigError(f"{self.what} does not run as root and there is no {self.system_user!r} user; "
                              f"{self.install_hint} or run as an ordinary user") from None


def find_program(*candidates: str, hint: str) -> Path:
    """Return the first of ``candidates`` found (a path or a name on PATH), or say how to install it."""
    for candidate in candidates:
        found = shutil.which(candidate) or (candidate if os.access(candidate, os.X_OK) else None)
        if found:
            return Path(found)
    raise ConfigError(f"no {candidates[0].rsplit('/', 1)[-1]} found; {hint}")


def migrate(url: str, out=sys.stderr) -> None:
    """Migrate the lab database at ``url`` by running ``manage.py migrate`` in a fresh process.

    The servers layer never imports the app: a new process with ``DATABASE_URL`` set does the
    migration as a user would, and says so when the database was not migrated yet.
    """
    env = {**os.environ, "DATABASE_URL": url}
    manage = [sys.executable, str(BASE_DIR / "manage.py"), "migrate"]
    check = subprocess.run([*manage, "--check", "-v0"], env=env, capture_output=True, text=True,
                           stdin=subprocess.DEVNULL)
    if check.returncode == 0:
        return
    if check.stderr.strip():  # not pending migrations: the database could not be used at all
        raise DatabaseNotReady(f"cannot migrate {redact(url)}: {last_line(check.stderr, str(check.returncode))}")
    print(f"the database at {redact(url)} was not migrated; migrating it now", file=out)
    done = subprocess.run([*manage, "-v0"], env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if done.returncode != 0:
        raise DatabaseNotReady(f"migrating {redact(url)} failed: {last_line(done.stderr, str(done.returncode))}")
