"""Cut a walk into key ranges of about equal rows, and walk one range at a time, never two walkers at once.

The ranges come from the key's actual distribution: one ``NTILE(M) OVER (ORDER BY key)`` pass over
the target's own queryset gives the last key of each M-th of the rows, so sparse or clustered keys
still give ranges of equal work (cutting ``[min, max]`` into equal widths does not). The first range
starts before the smallest key and the last one has no upper bound, so rows added at the end after
planning are walked too.

A range is walked under a lock that dies with its holder: a PostgreSQL session advisory lock on a
connection of its own, or an ``flock`` on a file for SQLite (one machine). A task queue may deliver a
range twice (a redelivery after a kill, a broker that restored a message still being worked on); the
second delivery waits for the lock or finds the range done, so no row is ever walked by two at once.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import connections

from labproject.errors import BadInput, NotApplicable
from labproject.processes import one_line
from labproject.walk.checkpoints import Checkpoints
from labproject.walk.reading import Bounds
from labproject.walk.target import Target

LOCK_WAIT_SECONDS = 5.0  # a redelivered range may arrive before the killed holder's connection is gone


@dataclass(frozen=True)
class KeyRange:
    """Keys above ``after`` up to and including ``up_to`` (None: no bound), holding ``rows`` rows when planned."""

    after: Any
    up_to: Any
    rows: int


def plan_ranges(target: Target, parts: int, *, using: str | None = None) -> list[KeyRange]:
    """Return up to ``parts`` ranges covering every key, each holding about the same number of rows."""
    if not isinstance(parts, int) or isinstance(parts, bool) or parts < 1:
        raise BadInput(f"ranges must be a positive whole number, got {parts!r}")
    using = using or target.queryset.db
    connection = connections[using]
    keys = target.queryset.using(using).order_by().values_list(target.key.name)
    inner, params = keys.query.get_compiler(using).as_sql()
    key = connection.ops.quote_name(target.key.column)
    sql = (f"SELECT tile, MAX(k), COUNT(*) FROM (SELECT q.{key} AS k, NTILE(%s) OVER (ORDER BY q.{key}) AS tile "
           f"FROM ({inner}) q) t GROUP BY tile ORDER BY tile")
    with connection.cursor() as cursor:
        cursor.execute(sql, [parts, *params])
        tiles = cursor.fetchall()
    if not tiles:
        return [KeyRange(None, None, 0)]
    ranges, after = [], None
    for number, (_, last, rows) in enumerate(tiles):
        up_to = None if number == len(tiles) - 1 else last
        ranges.append(KeyRange(after, up_to, int(rows)))
        after = last
    return ranges


class RangeLock:
    """An exclusive lock on one range's name that the operating system or the server drops when its holder dies."""

    def __init__(self, name: str, using: str = "default") -> None:
        self.name, self.using = name, using
        self.vendor = connections[using].vendor
        if self.vendor not in ("postgresql", "sqlite"):
            raise NotApplicable(f"a fan-out locks its ranges on postgresql or sqlite, not {self.vendor}")
        self._held = None

    def _try(self, name: str | None = None) -> bool:
        name = name or self.name
        if self.vendor == "postgresql":
            if self._held is None:
                self._held = connections.create_connection(self.using)
                self._held.ensure_connection()
            with self._held.cursor() as cursor:
                cursor.execute("SELECT pg_try_advisory_lock(hashtextextended(%s::text, 0))", [name])
                return bool(cursor.fetchone()[0])
        handle = open(self._lock_file(name), "a")  # noqa: SIM115 - kept open while the lock is held
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        self._held = handle
        return True

    def _lock_file(self, name: str) -> Path:
        database = os.path.realpath(str(connections[self.using].settings_dict["NAME"]))
        folder = Path(tempfile.gettempdir()) / "labwalk-locks"
        folder.mkdir(mode=0o700, exist_ok=True)
        return folder / hashlib.sha1(f"{database}\0{name}".encode()).hexdigest()[:24]

    def acquire(self, wait: float = 0.0) -> bool:
        """Take the lock, polling up to ``wait`` seconds; return whether it is now held."""
        deadline = time.monotonic() + wait
        while True:
            if self._try():
                return True
            if time.monotonic() >= deadline:
                self.release()
                return False
            time.sleep(0.1)

    def release(self) -> None:
        """Drop the lock (closing its connection or file)."""
        held, self._held = self._held, None
        if held is None:
            return
        with contextlib.suppress(Exception):  # a connection already gone has dropped its lock with it
            held.close()

    def free(self, name: str | None = None) -> bool:
        """Tell whether nobody holds the lock (or ``name``'s, with this lock's connection) now, taking and dropping it.

        A watcher checks many ranges through one lock object, so one connection serves them all.
        """
        taken = self._try(name)
        if taken and self.vendor == "postgresql":
            with self._held.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(hashtextextended(%s::text, 0))", [name or self.name])
        elif taken:
            self.release()
        return taken

    def __enter__(self) -> RangeLock:
        return self

    def __exit__(self, *exc) -> None:
        self.release()


@dataclass(frozen=True)
class RangeOutcome:
    """What one delivery of a range did: walked it (``walked``), found it ``done``, ``busy`` or ``stale``."""

    name: str
    status: str
    attempts: int = 0
    summary: Any = None

    def describe(self) -> str:
        said = {"walked": "walked", "done": "already done", "busy": "being walked by another task",
                "stale": "not part of the current plan"}[self.status]
        tail = f": {self.summary.describe()}" if self.summary is not None else ""
        return f"range {self.name} {said}{tail}"


def walk_range(target: Target, plan: str, index: int, *, owner: str, generation: str | None = None,
               observe: Callable[[Any, int], None] | None = None,
               retry_if: Callable[[BaseException], bool] | None = None,
               lock_wait: float = LOCK_WAIT_SECONDS) -> RangeOutcome:
    """Walk range ``index`` of plan ``plan`` from its checkpoint on, under its lock; return what happened.

    ``generation`` is the plan's token: a delivery from a plan since replaced does nothing. ``observe``
    is called after every committed batch with the walk and the range's start count (1 the first time).
    An error propagates with the range's state recorded before the lock is dropped: ``stopped`` after a
    signal, ``pending`` when ``retry_if(error)`` says the caller will try again (a lost connection, a
    lock timeout), else ``failed``.
    """
    from labproject.errors import Interrupted
    from labproject.walk.update import walk_target

    using = target.queryset.db
    checkpoints = Checkpoints(using)
    name = f"{plan}#{index}"
    head = checkpoints.load(plan)
    if head is None or (generation is not None and (head.spec or {}).get("generation") != generation):
        return RangeOutcome(name, "stale")
    with RangeLock(name, using) as lock:
        if not lock.acquire(lock_wait):
            return RangeOutcome(name, "busy")
        part = checkpoints.load(name, target.key)
        if part is None:
            return RangeOutcome(name, "stale")
        if part.state == "done":
            return RangeOutcome(name, "done", part.attempts)
        attempts = checkpoints.claim(name, owner)
        spec = head.spec or {}
        seen = None if observe is None else (lambda walk: observe(walk, attempts))
        try:
            summary = walk_target(target, batch_size=int(spec.get("batch_size", 1000)),
                                  method=spec.get("method", "auto"), throttle=float(spec.get("throttle", 0.0)),
                                  progress=False, quiet=True, resume=True,
                                  bounds=Bounds(part.after_key, part.up_to_key), checkpoint_name=name, observe=seen)
        except Interrupted:
            raise
        except Exception as exc:
            state = "pending" if retry_if is not None and retry_if(exc) else "failed"
            with contextlib.suppress(Exception):  # the database may be what failed
                checkpoints.set_state(name, state, one_line(exc))
            raise
        return RangeOutcome(name, "walked", attempts, summary)


def transient(exc: BaseException) -> bool:
    """Tell whether an error (or what caused it) is one a retry may not meet again: a database connection or lock.

    Django wraps each driver's errors, so its ``OperationalError`` and ``InterfaceError`` cover a server
    gone away, a refused connection, a lock or statement timeout and a serialization failure.
    """
    from django.db import InterfaceError, OperationalError

    from labproject.errors import DatabaseNotReady

    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, OperationalError | InterfaceError | DatabaseNotReady):
            return True
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return False


