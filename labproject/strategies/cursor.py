"""Server-side cursor streaming (PostgreSQL): the database keeps the result; the client fetches it in chunks.

A named cursor on the reading connection, inside one transaction so PostgreSQL need not
materialise it WITH HOLD, streams ``(pk, payload)`` rows; each batch is written and committed on a
second connection, so write locks last one batch, not the whole walk. A cursor WITHOUT HOLD inside
one transaction also survives a transaction-pooling proxy, where the WITH HOLD cursors Django's
``iterator()`` declares outside ``atomic()`` do not (hence ``DISABLE_SERVER_SIDE_CURSORS`` there).
"""

from __future__ import annotations

from django.db import connections, transaction

from labproject.strategies._batches import TABLE, write_postgresql_batch
from labproject.strategies._codec import calculated
from labproject.strategies.base import POSTGRESQL, RunContext, strategy


@strategy(
    "server_side_cursor", "Server-side cursor stream + batched writes on a second connection", family="cursor",
    backends={POSTGRESQL},
    why="""One query, streamed chunk by chunk from a named cursor: no OFFSET, no per-batch query, and client
    memory holds one chunk. It costs a second connection and one read transaction open for the whole walk
    (its snapshot ignores rows inserted after it began, and it holds back VACUUM); writes commit per batch
    on the second connection. SQLite has no server-side cursors, so it is not offered there.""",
)
def server_side_cursor(ctx: RunContext) -> None:
    reader = connections[ctx.alias]
    writer = connections.create_connection(ctx.alias)
    try:
        writer.ensure_connection()
        out = writer.connection  # the driver's connection: Django's atomic() only knows registered aliases
        with transaction.atomic(using=ctx.alias), reader.connection.cursor(name="lab_stream") as stream, \
                out.cursor() as cursor:
            stream.execute(f'SELECT "id", "data"::text FROM "{TABLE}" ORDER BY "id"')
            while batch := stream.fetchmany(ctx.batch_size):
                pairs = calculated(batch)
                with out.transaction():
                    write_postgresql_batch(cursor, [value for value, _ in pairs], [pk for _, pk in pairs])
                ctx.advance(len(batch))
    finally:
        writer.close()
