"""Bulk loaders, one per backend: each writes generated rows into named columns on an open transaction.

SQLite takes one ``executemany`` per chunk on the raw connection (Django's cursor wrapper
adds nothing here but per-call overhead); PostgreSQL takes ``COPY ... FROM STDIN``; MySQL and
MariaDB take ``LOAD DATA LOCAL INFILE`` from a pipe that a thread fills while the server reads it.
"""

from __future__ import annotations

import os
import tempfile
import threading
from collections.abc import Callable, Iterable, Sequence

from labproject.errors import DatabaseNotReady, NotApplicable

Rows = Iterable[tuple]


def load_sqlite(connection, table: str, columns: Sequence[str], rows: Rows) -> None:
    """Insert rows with one prepared statement executed many times."""
    names = ", ".join(f'"{c}"' for c in columns)
    marks = ", ".join("?" * len(columns))
    connection.connection.executemany(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', rows)


def load_postgresql(connection, table: str, columns: Sequence[str], rows: Rows) -> None:
    """Stream rows into the table with COPY (the server parses JSON into jsonb), then move an id sequence."""
    from psycopg import sql

    last = None
    with connection.cursor() as cursor:
        statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
            sql.Identifier(table), sql.SQL(", ").join(sql.Identifier(c) for c in columns))
        with cursor.cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)
                last = row[0]
        if last is not None:
            # Explicit ids leave an identity sequence behind them; a later ORM insert would collide at pk 1.
            cursor.execute("SELECT setval(pg_get_serial_sequence(%s, 'id'), %s) "
                           "WHERE pg_get_serial_sequence(%s, 'id') IS NOT NULL", [f'"{table}"', last, f'"{table}"'])


def _load_data_text(value) -> str:
    """Return one field in LOAD DATA's text format: backslash escapes, tab and newline separators, ``\\N`` for NULL."""
    if value is None:
        return "\\N"
    text = str(value)
    if "\\" in text or "\t" in text or "\n" in text:  # rare: JSON escapes most of them already
        return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
    return text


def load_mysql(connection, table: str, columns: Sequence[str], rows: Rows) -> None:
    """Stream rows into the table with ``LOAD DATA LOCAL INFILE`` reading a named pipe.

    A thread writes the rows into the pipe while the driver (outside the GIL) sends them, so making
    the text and parsing it overlap, and nothing is written to disk. LOCAL turns a rejected row into a
    warning, so the rows the server took are counted and a shortfall is an error.
    """
    folder = tempfile.mkdtemp(prefix="lab-load-")
    pipe = os.path.join(folder, "rows")
    os.mkfifo(pipe, 0o600)
    sent = [0]
    failed: list[BaseException] = []

    def feed() -> None:
        try:
            with open(pipe, "w", encoding="utf-8") as out:
                for row in rows:
                    out.write("\t".join(map(_load_data_text, row)) + "\n")
                    sent[0] += 1
        except BaseException as exc:  # raised here once the statement has ended
            failed.append(exc)

    writer = threading.Thread(target=feed, name="load-data-feed", daemon=True)
    writer.start()
    quote = connection.ops.quote_name
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                f"LOAD DATA LOCAL INFILE %s INTO TABLE {quote(table)} CHARACTER SET utf8mb4 "
                "FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n' "
                f"({', '.join(map(quote, columns))})", [pipe])
            loaded = cursor.rowcount
    finally:
        while writer.is_alive():  # the statement ended before reading the pipe to its end: unblock the thread
            os.close(os.open(pipe, os.O_RDONLY | os.O_NONBLOCK))
            writer.join(0.05)
        os.unlink(pipe)
        os.rmdir(folder)
    if failed:
        raise failed[0]
    if loaded != sent[0]:
        raise DatabaseNotReady(f"LOAD DATA into {table} took {loaded} of {sent[0]} rows (see SHOW WARNINGS)")


def clear_table(connection, table: str) -> None:
    """Remove every row, the fastest way the backend offers inside a transaction."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f'TRUNCATE "{table}"')
        else:  # MySQL's TRUNCATE commits, so it would end the seeding transaction
            cursor.execute(f"DELETE FROM {connection.ops.quote_name(table)}")


LOADERS: dict[str, Callable[..., None]] = {"sqlite": load_sqlite, "postgresql": load_postgresql, "mysql": load_mysql}


def loader_for(vendor: str) -> Callable[..., None]:
    """Return the bulk loader for a Django connection vendor."""
    try:
        return LOADERS[vendor]
    except KeyError:
        raise NotApplicable(f"no bulk loader for {vendor!r}; the lab seeds {sorted(LOADERS)}") from None
