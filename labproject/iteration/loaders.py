"""Bulk loaders, one per backend: each writes ``(pk, payload)`` rows on an open transaction.

SQLite takes one ``executemany`` per chunk on the raw connection (Django's cursor wrapper
adds nothing here but per-call overhead); PostgreSQL takes ``COPY ... FROM STDIN``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from labproject.errors import NotApplicable

Rows = Iterable[tuple[int, str]]


def load_sqlite(connection, table: str, rows: Rows) -> None:
    """Insert rows with one prepared statement executed many times."""
    raw = connection.connection
    raw.executemany(f'INSERT INTO "{table}" ("id", "data", "field") VALUES (?, ?, NULL)', rows)


def load_postgresql(connection, table: str, rows: Rows) -> None:
    """Stream rows into the table with COPY (the server parses each payload into jsonb), then move the pk sequence."""
    from psycopg import sql

    last = None
    with connection.cursor() as cursor:
        statement = sql.SQL('COPY {} ("id", "data") FROM STDIN').format(sql.Identifier(table))
        with cursor.cursor.copy(statement) as copy:
            for last, payload in rows:
                copy.write_row((last, payload))
        if last is not None:
            # Explicit ids leave the identity sequence behind them; a later ORM insert would collide at pk 1.
            cursor.execute("SELECT setval(pg_get_serial_sequence(%s, 'id'), %s)", [f'"{table}"', last])


def clear_table(connection, table: str) -> None:
    """Remove every row, the fastest way the backend offers inside a transaction."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f'TRUNCATE "{table}"')
        else:
            cursor.execute(f'DELETE FROM "{table}"')


LOADERS: dict[str, Callable[..., None]] = {"sqlite": load_sqlite, "postgresql": load_postgresql}


def loader_for(vendor: str) -> Callable[..., None]:
    """Return the bulk loader for a Django connection vendor."""
    try:
        return LOADERS[vendor]
    except KeyError:
        raise NotApplicable(f"no bulk loader for {vendor!r}; the lab seeds {sorted(LOADERS)}") from None
