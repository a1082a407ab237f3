"""Stream a target's rows from PostgreSQL with a server-side (named) cursor on a connection of its own.

The cursor is declared, fetched and closed inside one transaction of the reading connection, so
PostgreSQL need not materialise it WITH HOLD (as Django's ``iterator()`` does outside ``atomic()``),
and it also works through a transaction-pooling proxy, which keeps the server connection for the
transaction. Writes go on the walk's own connection, committed per batch, so locks last one batch.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connections

from labproject.walk.reading import Bounds, stream_statement
from labproject.walk.target import Target


@contextmanager
def streamed(target: Target, *, using: str, bounds: Bounds, batch_size: int, name: str = "labwalk_stream"
             ) -> Iterator[Iterator[list[tuple]]]:
    """Yield an iterator of ``(key, *reads)`` batches read through a named cursor on a second connection."""
    reader = connections.create_connection(using)
    try:
        reader.ensure_connection()
        raw = reader.connection  # the driver's connection: Django's atomic() only knows registered aliases
        sql, params, compiled = stream_statement(target, using=using, bounds=bounds)
        with raw.transaction(), raw.cursor(name=name) as stream:
            stream.execute(sql, params)

            def batches() -> Iterator[list[tuple]]:
                while rows := stream.fetchmany(batch_size):
                    yield compiled.shaped(rows)

            yield batches()
    finally:
        reader.close()
