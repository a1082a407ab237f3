"""Stream a target's rows from MariaDB/MySQL with an unbuffered cursor on a connection of its own.

Django has no server-side cursors there, and mysqlclient's default cursor stores a whole result in
the client before returning its first row, so ``iterator()`` holds the table. ``SSCursor`` reads rows
off the network as they are fetched, so memory holds one batch. While its result is open its
connection can run no other statement, so the reading has a connection of its own and the writes go
on the walk's, committed per batch. The read is one consistent snapshot that holds back InnoDB's
purge until it ends; the server drops a reader that stops fetching for ``net_write_timeout`` seconds,
so the reading session raises it to :data:`READER_WAIT` (a slow calculation or a throttle waits).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connections

from labproject.walk.reading import Bounds, stream_statement
from labproject.walk.target import Target

READER_WAIT = 3600  # seconds the server waits for the reader to fetch more before it gives up


@contextmanager
def unbuffered(target: Target, *, using: str, bounds: Bounds, batch_size: int) -> Iterator[Iterator[list[tuple]]]:
    """Yield an iterator of ``(key, *reads)`` batches read through an unbuffered cursor on a second connection."""
    import MySQLdb.cursors

    reader = connections.create_connection(using)
    try:
        reader.ensure_connection()
        raw = reader.connection  # the driver's connection: Django's cursors are buffered
        sql, params, compiled = stream_statement(target, using=using, bounds=bounds)
        cursor = raw.cursor(MySQLdb.cursors.SSCursor)
        cursor.execute(f"SET SESSION net_write_timeout = {READER_WAIT}")
        cursor.execute(sql, params)

        def batches() -> Iterator[list[tuple]]:
            while rows := cursor.fetchmany(batch_size):
                yield compiled.shaped(list(rows))

        yield batches()
    finally:
        # Closing the connection ends an unfinished read at once; closing the cursor would read the rest.
        reader.close()
