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
    """Stream rows into the table with COPY, the payload cast to jsonb by the server."""
    with connection.cursor() as cursor, cursor.cursor.copy(
        f'COPY "{table}" ("id", "data") FROM STDIN'
    ) as copy:
        for pk, payload in rows:
            copy.write_row((pk, payload))


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
