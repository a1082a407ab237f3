"""Bulk loaders, one per backend: each writes generated rows into named columns on an open transaction.

SQLite takes one ``executemany`` per chunk on the raw connection (Django's cursor wrapper
adds nothing here but per-call overhead); PostgreSQL takes ``COPY ... FROM STDIN``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from labproject.errors import NotApplicable

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
