"""A Redis server of the lab's own (``make redis``), the broker of the fan-out walk's Celery workers.

Debian's ``redis-server`` with its data under ``var/redis/``: loopback only (no Unix socket), a free
port it keeps, a generated password (``requirepass``; kept in ``password``, 0600), and the append-only
file on, so a restarted broker still holds the tasks it had. Under root it runs as the ``redis`` user.
``redis-cli`` (installed with the server) answers the readiness check, given the password through its
environment, never on a command line another user could read.
"""

from __future__ import annotations

import os
import signal
import subprocess
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
    process_alive,
    wait_until,
    write_private,
)

INSTALL_HINT = "install it with `apt-get install redis-server` (Debian/Ubuntu)"
SERVER_USER_UNDER_ROOT = "redis"
DEFAULT_ROOT = VAR_DIR / "redis"
START_SECONDS = 30


@dataclass(frozen=True)
class RedisServer(PidFileServer):
    """One Redis folder (``data/``, ``redis.conf``, ``password``, ``port``, ``server.log``) and its server."""

    MAKE = "redis"

    root: Path

    @cached_property
    def folder(self) -> ServerFolder:
        return ServerFolder(self.root, self.where, SERVER_USER_UNDER_ROOT, INSTALL_HINT)

    @property
    def where(self) -> str:
        return f"the lab's Redis server in {self.data}"

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def config_file(self) -> Path:
        return self.data / "redis.conf"  # it holds the password: the server's own, 0600

    @property
    def pid_file(self) -> Path:
        return self.data / "redis.pid"

    def url(self, database: int = 0) -> str:
        """Return the REDIS_URL of the running server (it carries the password)."""
        return f"redis://:{self.password()}@{HOST}:{self.port()}/{database}"

    def start(self) -> bool:
        """Start the server (making its folder the first time); return False when it was already running."""
        if self.running():
            return False
        program = find_program("redis-server", "/usr/bin/redis-server", hint=INSTALL_HINT)
        if not self.data.is_dir():
            self.folder.make_root()
            self.data.mkdir(mode=0o700)
            self.folder.give_to_server(self.data)
            self.folder.make_password()
        password = self.password()
        self.log_file.touch(mode=0o600, exist_ok=True)
        self.folder.give_to_server(self.log_file)
        port = self.folder.next_port()
        write_private(self.config_file, (
            "# The lab's Redis: loopback TCP only, no Unix socket, a password, the append-only file on.\n"
            f"bind {HOST}\nport {port}\nprotected-mode yes\nrequirepass {password}\n"
            f"daemonize yes\npidfile {self.pid_file}\nlogfile {self.log_file}\ndir {self.data}\n"
            "appendonly yes\nappendfsync everysec\n"
        ))
        self.folder.give_to_server(self.config_file)
        self.folder.run(program, str(self.config_file))  # daemonises once it has read its configuration
        if not wait_until(self._answers, START_SECONDS):
            raise DatabaseNotReady(f"{self.where} did not answer within {START_SECONDS} s: "
                                   f"{self.folder.last_log_line()}")
        return True

    def stop(self) -> bool:
        """Stop the server (SIGTERM: it flushes the append-only file and exits); False when it was not running."""
        pid = self.pid()
        if pid is None:
            return False
        os.kill(pid, signal.SIGTERM)
        if not wait_until(lambda: not process_alive(pid), START_SECONDS):
            raise DatabaseNotReady(f"{self.where} (pid {pid}) did not stop within {START_SECONDS} s")
        return True

    def cli(self, *command: str) -> subprocess.CompletedProcess:
        """Run one ``redis-cli`` command against the running server, authenticated, and return what it did."""
        program = find_program("redis-cli", "/usr/bin/redis-cli", hint=INSTALL_HINT)
        return subprocess.run([str(program), "-h", HOST, "-p", str(self.port()), *command],
                              env={**os.environ, "REDISCLI_AUTH": self.password()},
                              capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=30)

    def _answers(self) -> bool:
        try:
            return self.cli("PING").stdout.strip() == "PONG"
        except DatabaseNotReady:
            return False
