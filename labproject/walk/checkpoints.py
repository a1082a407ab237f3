"""Where a walk is: the last key done, committed in the same transaction as that batch's writes.

The library keeps one small table, created on first use (no migration, no app to install), with one
row per walk name. Because a batch's rows and its checkpoint commit together, a walk stopped by
Ctrl-C, SIGTERM or SIGKILL resumes after the last committed batch: no row is skipped and none is
written twice. Keys are stored as text and turned back into the key's type when read.

A walk cut into key ranges (a fan-out) keeps its plan in the same table: a plan row named after the
walk, holding its settings, and one row per range named ``<walk>#<i>`` (``part_of`` the plan) with the
range's bounds, the rows it held when planned, its state, and how often it was started. Each range
row is then that range's checkpoint, so the database, not the task queue, knows what is done.
Columns added for plans are added to an older table on first use; a plain walk leaves them empty.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import connections, transaction

TABLE = "labwalk_checkpoint"
STATES = ("pending", "running", "done", "failed", "stopped")
_BASE = ("name", "last_key", "rows_read", "rows_written", "state", "note", "updated_at")
# The plan's columns (name -> type), added to a table made before fan-outs existed.
_PLAN_COLUMNS = {"part_of": "VARCHAR(255)", "after_key": "TEXT", "up_to_key": "TEXT", "planned_rows": "BIGINT",
                 "attempts": "INTEGER", "owner": "VARCHAR(255)", "spec": "TEXT"}
_COLUMNS = (*_BASE, *_PLAN_COLUMNS)
_READY: set[tuple[str, str]] = set()  # (alias, database name) whose table has every column, in this process


def now_stamp() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class Checkpoint:
    """One walk's saved position and counts (and, for a range of a plan, its bounds and deliveries)."""

    name: str
    last_key: Any
    rows_read: int
    rows_written: int
    state: str
    note: str = ""
    updated_at: str = ""
    part_of: str | None = None
    after_key: Any = None
    up_to_key: Any = None
    planned_rows: int | None = None
    attempts: int = 0
    owner: str = ""
    spec: dict | None = None

    def describe(self) -> str:
        where = "the start" if self.last_key is None else f"key {self.last_key}"
        return (f"walk {self.name!r} is {self.state} after {where} ({self.rows_read:,} rows read, "
                f"{self.rows_written:,} written, saved {self.updated_at or 'now'})")

    @property
    def index(self) -> int:
        """Return a range's number in its plan (``<walk>#<i>``)."""
        return int(self.name.rpartition("#")[2])


class Checkpoints:
    """The checkpoint table on one database alias."""

    def __init__(self, using: str = "default") -> None:
        self.using = using

    @property
    def connection(self):
        return connections[self.using]

    def ensure_table(self) -> None:
        """Create the table when it is missing and add the plan columns an older one lacks (idempotent)."""
        ready = (self.using, str(self.connection.settings_dict.get("NAME")))
        if ready in _READY:
            return
        q = self.connection.ops.quote_name
        plan = "".join(f", {q(c)} {kind}" for c, kind in _PLAN_COLUMNS.items())
        with self.connection.cursor() as cursor:
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {q(TABLE)} ({q('name')} VARCHAR(255) PRIMARY KEY, {q('last_key')} TEXT, "
                f"{q('rows_read')} BIGINT NOT NULL, {q('rows_written')} BIGINT NOT NULL, "
                f"{q('state')} VARCHAR(16) NOT NULL, {q('note')} TEXT, {q('updated_at')} VARCHAR(40) NOT NULL{plan})"
            )
            have = {c.name for c in self.connection.introspection.get_table_description(cursor, TABLE)}
            for column, kind in _PLAN_COLUMNS.items():
                if column not in have:
                    cursor.execute(f"ALTER TABLE {q(TABLE)} ADD COLUMN {q(column)} {kind}")
        _READY.add(ready)

    def _select(self, where: str, params: list, key_field=None) -> list[Checkpoint]:
        self.ensure_table()
        q = self.connection.ops.quote_name
        with self.connection.cursor() as cursor:
            cursor.execute(f"SELECT {', '.join(q(c) for c in _COLUMNS)} FROM {q(TABLE)} WHERE {where}", params)
            rows = cursor.fetchall()

        def key(text):
            return text if text is None or key_field is None else key_field.to_python(text)

        return [Checkpoint(r[0], key(r[1]), int(r[2]), int(r[3]), r[4], r[5] or "", r[6], r[7], key(r[8]), key(r[9]),
                           None if r[10] is None else int(r[10]), int(r[11] or 0), r[12] or "",
                           None if r[13] is None else json.loads(r[13])) for r in rows]

    def load(self, name: str, key_field=None) -> Checkpoint | None:
        """Return the saved checkpoint of ``name`` (its keys converted by ``key_field``), or None."""
        found = self._select(f"{self.connection.ops.quote_name('name')} = %s", [name], key_field)
        return found[0] if found else None

    def save(self, cursor, name: str, last_key: Any, rows_read: int, rows_written: int, state: str = "running",
             note: str = "") -> None:
        """Upsert ``name``'s position on ``cursor`` (inside the batch's own transaction); a plan's columns stay."""
        q = self.connection.ops.quote_name
        values = [name, None if last_key is None else str(last_key), rows_read, rows_written, state, note, now_stamp()]
        columns = ", ".join(q(c) for c in _BASE)
        if self.connection.vendor == "mysql":
            tail = "ON DUPLICATE KEY UPDATE " + ", ".join(f"{q(c)} = VALUES({q(c)})" for c in _BASE[1:])
        else:
            tail = f"ON CONFLICT ({q('name')}) DO UPDATE SET " + ", ".join(
                f"{q(c)} = excluded.{q(c)}" for c in _BASE[1:])
        cursor.execute(f"INSERT INTO {q(TABLE)} ({columns}) VALUES (%s, %s, %s, %s, %s, %s, %s) {tail}", values)

    def start(self, name: str, last_key: Any = None) -> None:
        """Save a walk's starting position, zero counts and state running (a walk started afresh)."""
        self.ensure_table()
        with transaction.atomic(using=self.using), self.connection.cursor() as cursor:
            self.save(cursor, name, last_key, 0, 0, "running")

    def mark(self, checkpoint: Checkpoint, state: str, note: str = "") -> None:
        """Record a walk's final state, keeping the position its last committed batch saved.

        A signal can land after a batch committed and before the walk counted it, so the walk's own
        counters may lag the row; they are written only when the walk has no row yet.
        """
        q = self.connection.ops.quote_name
        with transaction.atomic(using=self.using), self.connection.cursor() as cursor:
            cursor.execute(f"UPDATE {q(TABLE)} SET {q('state')} = %s, {q('note')} = %s, {q('updated_at')} = %s "
                           f"WHERE {q('name')} = %s", [state, note, now_stamp(), checkpoint.name])
            if cursor.rowcount == 0:
                self.save(cursor, checkpoint.name, checkpoint.last_key, checkpoint.rows_read, checkpoint.rows_written,
                          state, note)

    def forget(self, name: str) -> None:
        """Remove ``name``'s checkpoint (a walk started afresh)."""
        self.ensure_table()
        q = self.connection.ops.quote_name
        with self.connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {q(TABLE)} WHERE {q('name')} = %s", [name])

    # A plan: one row for the walk, one per key range.

    def save_plan(self, plan: str, spec: dict, ranges: list[tuple[Any, Any, int]]) -> None:
        """Replace plan ``plan`` (and its ranges) with ``spec`` and ``ranges`` of ``(after, up_to, rows)``."""
        self.ensure_table()
        q = self.connection.ops.quote_name
        columns = ", ".join(q(c) for c in (*_BASE, "part_of", "after_key", "up_to_key", "planned_rows", "attempts",
                                           "spec"))
        insert = f"INSERT INTO {q(TABLE)} ({columns}) VALUES ({', '.join(['%s'] * 13)})"
        stamp = now_stamp()
        text = lambda key: None if key is None else str(key)  # noqa: E731
        rows = [[plan, None, 0, 0, "pending", "", stamp, None, None, None, sum(r for _, _, r in ranges), 0,
                 json.dumps(spec, sort_keys=True)]]
        rows += [[f"{plan}#{i}", None, 0, 0, "pending", "", stamp, plan, text(after), text(up_to), count, 0, None]
                 for i, (after, up_to, count) in enumerate(ranges)]
        with transaction.atomic(using=self.using), self.connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {q(TABLE)} WHERE {q('name')} = %s OR {q('part_of')} = %s", [plan, plan])
            cursor.executemany(insert, rows)

    def parts(self, plan: str, key_field=None) -> list[Checkpoint]:
        """Return plan ``plan``'s ranges in order (empty when there is no such plan)."""
        found = self._select(f"{self.connection.ops.quote_name('part_of')} = %s", [plan], key_field)
        return sorted(found, key=lambda c: c.index)

    def claim(self, name: str, owner: str) -> int:
        """Mark a range running for ``owner`` and count the start; return how many times it was started."""
        q = self.connection.ops.quote_name
        with transaction.atomic(using=self.using), self.connection.cursor() as cursor:
            cursor.execute(f"UPDATE {q(TABLE)} SET {q('attempts')} = COALESCE({q('attempts')}, 0) + 1, "
                           f"{q('owner')} = %s, {q('state')} = 'running', {q('updated_at')} = %s "
                           f"WHERE {q('name')} = %s", [owner, now_stamp(), name])
            cursor.execute(f"SELECT {q('attempts')} FROM {q(TABLE)} WHERE {q('name')} = %s", [name])
            return int(cursor.fetchone()[0])

    def set_state(self, name: str, state: str, note: str = "", *, totals: tuple[int, int] | None = None) -> None:
        """Set a row's state and note, keeping its position (and its counts unless ``totals`` are given)."""
        q = self.connection.ops.quote_name
        sets, params = [f"{q('state')} = %s", f"{q('note')} = %s", f"{q('updated_at')} = %s"], [state, note,
                                                                                                  now_stamp()]
        if totals is not None:
            sets += [f"{q('rows_read')} = %s", f"{q('rows_written')} = %s"]
            params += list(totals)
        with transaction.atomic(using=self.using), self.connection.cursor() as cursor:
            cursor.execute(f"UPDATE {q(TABLE)} SET {', '.join(sets)} WHERE {q('name')} = %s", [*params, name])
