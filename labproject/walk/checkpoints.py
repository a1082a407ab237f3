"""Where a walk is: the last key done, committed in the same transaction as that batch's writes.

The library keeps one small table, created on first use (no migration, no app to install), with one
row per walk name. Because a batch's rows and its checkpoint commit together, a walk stopped by
Ctrl-C, SIGTERM or SIGKILL resumes after the last committed batch: no row is skipped and none is
written twice. Keys are stored as text and turned back into the key's type when read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import connections

TABLE = "labwalk_checkpoint"
STATES = ("running", "done", "failed", "stopped")


@dataclass(frozen=True)
class Checkpoint:
    """One walk's saved position and counts."""

    name: str
    last_key: Any
    rows_read: int
    rows_written: int
    state: str
    note: str = ""
    updated_at: str = ""

    def describe(self) -> str:
        where = "the start" if self.last_key is None else f"key {self.last_key}"
        return (f"walk {self.name!r} is {self.state} after {where} ({self.rows_read:,} rows read, "
                f"{self.rows_written:,} written, saved {self.updated_at or 'now'})")


class Checkpoints:
    """The checkpoint table on one database alias."""

    def __init__(self, using: str = "default") -> None:
        self.using = using

    @property
    def connection(self):
        return connections[self.using]

    def ensure_table(self) -> None:
        """Create the table when it is missing (idempotent; every backend has CREATE TABLE IF NOT EXISTS)."""
        q = self.connection.ops.quote_name
        with self.connection.cursor() as cursor:
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {q(TABLE)} ({q('name')} VARCHAR(255) PRIMARY KEY, {q('last_key')} TEXT, "
                f"{q('rows_read')} BIGINT NOT NULL, {q('rows_written')} BIGINT NOT NULL, "
                f"{q('state')} VARCHAR(16) NOT NULL, {q('note')} TEXT, {q('updated_at')} VARCHAR(40) NOT NULL)"
            )

    def load(self, name: str, key_field=None) -> Checkpoint | None:
        """Return the saved checkpoint of ``name`` (its key converted by ``key_field``), or None."""
        self.ensure_table()
        q = self.connection.ops.quote_name
        with self.connection.cursor() as cursor:
            cursor.execute(f"SELECT {q('last_key')}, {q('rows_read')}, {q('rows_written')}, {q('state')}, "
                           f"{q('note')}, {q('updated_at')} FROM {q(TABLE)} WHERE {q('name')} = %s", [name])
            row = cursor.fetchone()
        if row is None:
            return None
        key = row[0]
        if key is not None and key_field is not None:
            key = key_field.to_python(key)
        return Checkpoint(name, key, int(row[1]), int(row[2]), row[3], row[4] or "", row[5])

    def save(self, cursor, name: str, last_key: Any, rows_read: int, rows_written: int, state: str = "running",
             note: str = "") -> None:
        """Upsert ``name``'s position on ``cursor`` (inside the batch's own transaction)."""
        q = self.connection.ops.quote_name
        stamp = datetime.now(UTC).isoformat(timespec="seconds")
        values = [name, None if last_key is None else str(last_key), rows_read, rows_written, state, note, stamp]
        columns = ", ".join(q(c) for c in ("name", "last_key", "rows_read", "rows_written", "state", "note",
                                           "updated_at"))
        if self.connection.vendor == "mysql":
            tail = "ON DUPLICATE KEY UPDATE " + ", ".join(
                f"{q(c)} = VALUES({q(c)})" for c in ("last_key", "rows_read", "rows_written", "state", "note",
                                                     "updated_at"))
        else:
            tail = f"ON CONFLICT ({q('name')}) DO UPDATE SET " + ", ".join(
                f"{q(c)} = excluded.{q(c)}" for c in ("last_key", "rows_read", "rows_written", "state", "note",
                                                     "updated_at"))
        cursor.execute(f"INSERT INTO {q(TABLE)} ({columns}) VALUES (%s, %s, %s, %s, %s, %s, %s) {tail}", values)

    def mark(self, checkpoint: Checkpoint, state: str, note: str = "") -> None:
        """Record a new state for a walk at its current position (in a transaction of its own)."""
        from django.db import transaction

        with transaction.atomic(using=self.using), self.connection.cursor() as cursor:
            self.save(cursor, checkpoint.name, checkpoint.last_key, checkpoint.rows_read, checkpoint.rows_written,
                      state, note)

    def forget(self, name: str) -> None:
        """Remove ``name``'s checkpoint (a walk started afresh)."""
        self.ensure_table()
        q = self.connection.ops.quote_name
        with self.connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {q(TABLE)} WHERE {q('name')} = %s", [name])
