"""One measurement at a time per database: the lab lock, tied to the database itself.

Two commands that reset and walk the same lab table spoil each other's runs (one's column reset
lands in the middle of the other's walk). Whatever resets or walks it holds this lock:

    from labproject.iteration.lock import lab_lock
    with lab_lock():                  # this process's database; lab_lock(url) for another one
        ...                           # reset, walk, verify

The lock lives where the database does: an advisory lock on PostgreSQL (``pg_advisory_lock``, on a
connection of its own), a named lock on MariaDB/MySQL (``GET_LOCK``), an ``fcntl`` lock on a file
beside an SQLite file. Each records its holder (command, pid, start time). A second taker waits,
saying once whom it waits for, with a spinner counting the wait (``wait=False`` refuses at once,
naming the holder), and a lock left by a holder that is gone is taken over with a message. Processes
started under a held lock (a report's notebook kernels, a runner's seeding) see it in their
environment and do not wait for their own ancestor.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TextIO

import psutil

from labproject.database import database_config, pooler_of, redact
from labproject.errors import DatabaseNotReady, Interrupted, LabError
from labproject.processes import signal_number

HELD_ENV = "LAB_LOCK_HELD"  # JSON {database identity: pid of the holder} for the processes it starts
POLL_SECONDS = 0.2
PG_KEYS = (0x6C6162, 1)  # "lab", then the lab table's lock: pg_try_advisory_lock(int4, int4)


class LabBusy(LabError):
    """Another command holds the lab lock and the caller asked not to wait."""

    exit_code = 75  # EX_TEMPFAIL: try again later


@dataclass(frozen=True)
class Holder:
    """Who holds a lab lock: the command, its pid and host, and when it took the lock (epoch seconds)."""

    command: str
    pid: int
    started: float
    host: str

    def describe(self) -> str:
        since = datetime.fromtimestamp(self.started).strftime("%H:%M:%S")
        where = "" if self.host == socket.gethostname() else f" on {self.host}"
        return f"{self.command} (pid {self.pid}{where}, since {since}, {time.time() - self.started:.0f} s ago)"

    def gone(self) -> bool:
        """Tell whether the holder's process has ended (only knowable for a holder on this machine)."""
        if self.host != socket.gethostname():
            return False
        try:
            return psutil.Process(self.pid).create_time() > self.started + 1  # the pid was reused since
        except psutil.NoSuchProcess:
            return True
        except psutil.Error:
            return False

    def to_text(self) -> str:
        return json.dumps({"command": self.command, "pid": self.pid, "started": self.started, "host": self.host})

    @classmethod
    def from_text(cls, text: str) -> Holder | None:
        try:
            return cls(**json.loads(text))
        except (ValueError, TypeError):
            return None


def this_process() -> str:
    """Name this process as a holder: ``manage.py compare``, ``python -m labproject.report``, a Jupyter kernel."""
    argv = sys.argv or [""]
    name = os.path.basename(argv[0])
    if name == "manage.py" and len(argv) > 1:
        return f"manage.py {argv[1]}"
    if "ipykernel" in name:
        return "a Jupyter kernel"
    spec = getattr(sys.modules.get("__main__"), "__spec__", None)
    if spec is not None and spec.name:
        return f"python -m {spec.name.removesuffix('.__main__')}"
    return name or "python"


class _FileLock:
    """SQLite: an exclusive ``flock`` on ``<file>.lab-lock``; the kernel frees it when its holder dies."""

    def __init__(self, config: dict) -> None:
        self.database = Path(config["NAME"])
        self.path = self.database.with_name(self.database.name + ".lab-lock")
        self.handle: TextIO | None = None
        self.inode: int | None = None

    def try_acquire(self, holder: Holder) -> Holder | None | bool:
        """Take the lock and return the stale holder it replaced (or None); False when someone holds it."""
        try:
            handle = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115 - held open for the lock's life
        except OSError as exc:
            raise DatabaseNotReady(f"cannot open the lab lock file {self.path}: {exc.strerror}") from None
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        handle.seek(0)
        stale = Holder.from_text(handle.read())
        handle.seek(0)
        handle.truncate()
        handle.write(holder.to_text())
        handle.flush()
        self.handle = handle
        return stale

    def holder(self) -> Holder | None:
        try:
            return Holder.from_text(self.path.read_text(encoding="utf-8"))
        except OSError:
            return None

    def take_over(self, holder: Holder) -> bool:
        return False  # a dead holder's flock is already free: the kernel released it

    def check(self) -> str | None:
        """Say what happened to the database file since the lock was taken, or None when it is as it was."""
        try:
            status = os.stat(self.database)
        except FileNotFoundError:
            return f"the sqlite file {self.database} was deleted"
        if self.inode is None:
            self.inode = status.st_ino
        elif status.st_ino != self.inode:
            return f"the sqlite file {self.database} was replaced by another file"
        if not os.access(self.database, os.W_OK) or not os.access(self.database.parent, os.W_OK):
            return f"the sqlite file {self.database} can no longer be written"
        return None

    def release(self) -> None:
        if self.handle is not None:
            with contextlib.suppress(OSError):  # a read-only or vanished folder: the flock goes anyway
                self.handle.seek(0)
                self.handle.truncate()
            self.handle.close()
            self.handle = None


class _ServerLock:
    """PostgreSQL and MariaDB/MySQL: a lock held by a connection of its own, freed when it closes.

    Through a transaction pooler a session's lock would stay with whichever server connection took
    it, which the pooler then hands to other clients; there the lock is taken for a transaction that
    stays open while it is held (``pg_try_advisory_xact_lock``), and the pooler keeps that server
    connection for this client until the transaction ends.
    """

    def __init__(self, config: dict) -> None:
        self.vendor = "postgresql" if "postgresql" in config["ENGINE"] else "mysql"
        self.connection = _connect(self.vendor, config)
        self.name = f"lab:{config['NAME']}"[:64]  # MariaDB's lock names are server-wide: name the database
        self.in_transaction = pooler_of(config) == "transaction"

    def _one(self, sql: str, params: tuple = ()):
        cursor = self.connection.cursor()
        try:
            cursor.execute(sql, params)
            return cursor.fetchone()
        finally:
            cursor.close()

    def try_acquire(self, holder: Holder) -> Holder | None | bool:
        if self.vendor == "postgresql" and self.in_transaction:
            self.connection.execute("BEGIN")
            if not self._one("SELECT pg_try_advisory_xact_lock(%s, %s)", PG_KEYS)[0]:
                self.connection.execute("ROLLBACK")
                return False
            self._one("SELECT set_config('application_name', %s, true)", (_compact(holder),))
            return None
        if self.vendor == "postgresql":
            if not self._one("SELECT pg_try_advisory_lock(%s, %s)", PG_KEYS)[0]:
                return False
            # The holder's record is the lock connection's application_name (63 bytes at most), seen by all.
            self._one("SELECT set_config('application_name', %s, false)", (_compact(holder),))
            return None
        if self._one("SELECT GET_LOCK(%s, 0)", (self.name,))[0] != 1:
            return False
        self._one("CREATE TABLE IF NOT EXISTS lab_lock_holder (name VARCHAR(64) PRIMARY KEY, "
                  "connection_id BIGINT NOT NULL, holder VARCHAR(255) NOT NULL)")
        self._one("REPLACE INTO lab_lock_holder VALUES (%s, CONNECTION_ID(), %s)", (self.name, _compact(holder)))
        return None

    def _holding_session(self) -> tuple[int, str] | None:
        """Return (server session id, holder record) of whoever holds the lock, or None."""
        if self.vendor == "postgresql":
            return self._one(
                "SELECT a.pid, a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                "WHERE l.locktype = 'advisory' AND l.granted AND l.classid = %s AND l.objid = %s AND l.objsubid = 2 "
                "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())", PG_KEYS)
        found = self._one("SELECT IS_USED_LOCK(%s)", (self.name,))
        if not found or found[0] is None:
            return None
        record = self._one("SELECT holder FROM lab_lock_holder WHERE name = %s AND connection_id = %s",
                           (self.name, found[0]))
        return found[0], record[0] if record else ""

    def holder(self) -> Holder | None:
        session = self._holding_session()
        if session is None:
            return None
        return _uncompact(session[1]) or Holder(f"server session {session[0]}", 0, time.time(), "?")

    def take_over(self, holder: Holder) -> bool:
        """End the server session of a holder whose process is gone (its connection outlived it)."""
        session = self._holding_session()
        if session is None:
            return True
        if self.vendor == "postgresql":
            return bool(self._one("SELECT pg_terminate_backend(%s)", (session[0],))[0])
        self._one(f"KILL {int(session[0])}")
        return True

    def check(self) -> str | None:
        try:
            self._one("SELECT 1")
        except Exception as exc:  # every driver has its own OperationalError family
            return f"the lab lock's connection was lost ({_first_line(exc)})"
        return None

    def release(self) -> None:
        with contextlib.suppress(Exception):  # a lost connection has released the lock already
            if self.vendor == "postgresql" and self.in_transaction:
                self.connection.execute("ROLLBACK")
            elif self.vendor == "postgresql":
                self._one("SELECT pg_advisory_unlock(%s, %s)", PG_KEYS)
            else:
                self._one("SELECT RELEASE_LOCK(%s)", (self.name,))
        self.connection.close()


def _connect(vendor: str, config: dict):
    """Open the lock's own connection with the driver itself, in autocommit: no Django connection is touched."""
    options = dict(config.get("OPTIONS") or {})
    if vendor == "postgresql":
        import psycopg

        for django_only in ("isolation_level", "server_side_binding", "pool", "assume_role", "cursor_factory"):
            options.pop(django_only, None)

        # No prepared statements: a transaction pooler cannot keep them between transactions.
        return psycopg.connect(dbname=config["NAME"], host=config.get("HOST") or None,
                               port=config.get("PORT") or None, user=config.get("USER") or None,
                               password=config.get("PASSWORD") or None, autocommit=True, prepare_threshold=None,
                               **options)
    import MySQLdb

    params = {"host": config.get("HOST") or "localhost", "user": config.get("USER") or "",
              "password": config.get("PASSWORD") or "", "database": config["NAME"], "autocommit": True,
              "connect_timeout": options.get("connect_timeout", 10)}
    if config.get("PORT"):
        params["port"] = int(config["PORT"])
    return MySQLdb.connect(**params)


def _compact(holder: Holder) -> str:
    return f"lab:{holder.pid}:{int(holder.started)}:{holder.host[:16]}:{holder.command}"[:63]


def _uncompact(text: str) -> Holder | None:
    parts = text.split(":", 4)
    if len(parts) != 5 or parts[0] != "lab":
        return None
    _lab, pid, started, host, command = parts
    return Holder(command, int(pid), float(started), host)


def _first_line(exc: BaseException) -> str:
    return redact(next((line.strip() for line in str(exc).splitlines() if line.strip()), type(exc).__name__))


def _config(database_url: str | None, alias: str) -> dict:
    if database_url is None:
        from django.conf import settings

        return settings.DATABASES[alias]
    return database_config(database_url)


def identity(config: dict) -> str:
    """Return what names one database for the lock: the SQLite file's real path, or vendor://host:port/name."""
    if config["ENGINE"].endswith("sqlite3"):
        return os.path.realpath(config["NAME"])
    return f"{config['ENGINE'].rsplit('.', 1)[-1]}://{config.get('HOST') or 'localhost'}:{config.get('PORT')}/" \
           f"{config['NAME']}"


def where(config: dict) -> str:
    if config["ENGINE"].endswith("sqlite3"):
        return f"sqlite file {config['NAME']}"
    return f"{config['ENGINE'].rsplit('.', 1)[-1]} database {config['NAME']!r} at " \
           f"{config.get('HOST') or 'localhost'}:{config.get('PORT') or 'default port'}"


class LabLock:
    """The lab lock of one database; use :func:`lab_lock`, or ``acquire()``/``release()`` around long work."""

    def __init__(self, database_url: str | None = None, *, alias: str = "default", command: str | None = None,
                 out: TextIO | None = None) -> None:
        self.config = _config(database_url, alias)
        self.identity = identity(self.config)
        self.where = where(self.config)
        self.command = command or this_process()
        self.out = out or sys.stderr
        self.backend: _FileLock | _ServerLock | None = None
        self.nested = False
        self._previous_env: str | None = None

    def acquire(self, *, wait: bool = True, timeout: float | None = None) -> None:
        """Take the lock, waiting for its holder (saying so once) unless ``wait`` is False; None waits for ever."""
        if self._held_by_ancestor():
            self.nested = True
            return
        me = Holder(self.command, os.getpid(), time.time(), socket.gethostname())
        try:
            self.backend = _FileLock(self.config) if self.config["ENGINE"].endswith("sqlite3") \
                else _ServerLock(self.config)
            self._take(me, wait, timeout)
        except LabError:
            self._close()
            raise
        except KeyboardInterrupt as exc:
            self._close()
            raise Interrupted("interrupted while waiting for the lab lock; nothing ran", signal_number(exc)) from None
        except Exception as exc:  # the lock's own connection failed: the database is not usable
            self._close()
            raise DatabaseNotReady(f"cannot use the {self.where} for the lab lock: {_first_line(exc)}") from None
        self._previous_env = os.environ.get(HELD_ENV)
        os.environ[HELD_ENV] = json.dumps({**self._held(), self.identity: os.getpid()})

    def _take(self, me: Holder, wait: bool, timeout: float | None) -> None:
        started = time.monotonic()
        spinner = None
        try:
            while True:
                got = self.backend.try_acquire(me)
                if got is not False:
                    if got is not None and got.pid != me.pid and got.gone():
                        print(f"took over the lab lock on the {self.where}: its holder {got.describe()} is gone",
                              file=self.out)
                    if spinner is not None:
                        print(f"got the lab lock on the {self.where} after {time.monotonic() - started:.1f} s",
                              file=self.out)
                    return
                holder = self.backend.holder()
                if holder is not None and holder.gone() and self.backend.take_over(holder):
                    print(f"took over the lab lock on the {self.where}: its holder {holder.describe()} is gone",
                          file=self.out)
                    continue
                named = holder.describe() if holder else "another process"
                if not wait:
                    raise LabBusy(f"the {self.where} is in use by {named}; try again when it is done, "
                                  "or leave out --no-wait to wait for it")
                if timeout is not None and time.monotonic() - started > timeout:
                    raise LabBusy(f"the {self.where} is still in use by {named} after {timeout:.0f} s of waiting")
                if spinner is None:
                    print(f"waiting for the lab lock on the {self.where}: it is held by {named}", file=self.out,
                          flush=True)
                    spinner = _spinner(self.out)
                spinner.update(0)
                spinner.refresh()
                time.sleep(POLL_SECONDS)
        finally:
            if spinner is not None:
                spinner.close()

    def check(self) -> None:
        """Raise :class:`DatabaseNotReady` when the database changed under the lock (deleted, read-only, lost)."""
        if self.backend is None:
            return
        problem = self.backend.check()
        if problem:
            raise DatabaseNotReady(problem)

    def release(self) -> None:
        if self.nested:
            self.nested = False
            return
        if self.backend is None:
            return
        self._close()
        if self._previous_env is None:
            os.environ.pop(HELD_ENV, None)
        else:
            os.environ[HELD_ENV] = self._previous_env

    def _close(self) -> None:
        if self.backend is not None:
            self.backend.release()
            self.backend = None

    def _held(self) -> dict:
        try:
            held = json.loads(os.environ.get(HELD_ENV, "{}"))
        except ValueError:
            return {}
        return held if isinstance(held, dict) else {}

    def _held_by_ancestor(self) -> bool:
        """Tell whether this process or one it descends from holds this database's lock already."""
        pid = self._held().get(self.identity)
        if pid == os.getpid():
            return True
        return pid is not None and pid in {p.pid for p in psutil.Process().parents()}


def _spinner(out: TextIO):
    """Return a spinner that counts the seconds waited: a bar in a terminal or a notebook, silent elsewhere."""
    from tqdm.auto import tqdm

    shown = out.isatty() or _in_notebook()
    return tqdm(total=None, desc="waiting for the lab lock", bar_format="{desc}: {elapsed}", file=out,
                disable=not shown, mininterval=0.5)


def _in_notebook() -> bool:
    """Tell whether this process is a Jupyter kernel (where tqdm.auto draws a widget)."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return type(shell).__name__ == "ZMQInteractiveShell"


@contextlib.contextmanager
def lab_lock(database_url: str | None = None, *, alias: str = "default", wait: bool = True,
             timeout: float | None = None, command: str | None = None, out: TextIO | None = None) -> Iterator[LabLock]:
    """Hold the lab lock of a database (``alias``'s of this process, or ``database_url``'s) for the block.

    ``wait=False`` raises :class:`LabBusy` naming the holder instead of waiting; ``timeout`` bounds
    the wait (seconds). ``command`` names the holder in others' messages (default: this process).
    """
    lock = LabLock(database_url, alias=alias, command=command, out=out)
    lock.acquire(wait=wait, timeout=timeout)
    try:
        yield lock
    finally:
        lock.release()
