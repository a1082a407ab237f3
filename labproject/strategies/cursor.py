"""Cursor streaming: the database keeps the result and the client fetches it in chunks.

PostgreSQL streams through a named (server-side) cursor; MariaDB/MySQL, which Django gives no
server-side cursors, through an unbuffered one. Both read on a connection of their own and commit
each batch on the walk's. ``held_cursor`` is the one that cannot pass a transaction pooler: its
cursor outlives the transactions between its batches.
"""

from __future__ import annotations

from labproject.strategies.base import MYSQL, POSTGRESQL, strategy
from labproject.walk import Walk
from labproject.walk.reading import stream_statement
from labproject.walk.streaming import streamed
from labproject.walk.unbuffered import unbuffered
from labproject.walk.writing import Writer


@strategy(
    "server_side_cursor", "Server-side cursor stream + batched writes on a second connection", family="cursor",
    cost="raw_batch", backends={POSTGRESQL}, resumable=True, auto_rank=40,
    why="""One query, streamed chunk by chunk from a named cursor on a reading connection: no OFFSET, no
    per-batch query, and client memory holds one chunk. It costs a second connection and one read transaction
    open for the whole walk (its snapshot ignores rows inserted after it began, and it holds back VACUUM);
    writes commit per batch on the walk's own connection. SQLite has no server-side cursors, so it is not
    offered there; through a transaction pooler it works, since the cursor lives inside one transaction.""",
)
def server_side_cursor(walk: Walk) -> None:
    writer = Writer(walk.target, walk.connection, only_changed=walk.only_changed)
    with streamed(walk.target, using=walk.using, bounds=walk.bounds, batch_size=walk.batch_size) as batches:
        for batch in walk.batches(batches):
            pairs = walk.calculated(batch)
            walk.batch(pairs, writer.batch)


@strategy(
    "unbuffered_stream", "Unbuffered cursor stream + batched writes on a second connection", family="cursor",
    cost="raw_batch", backends={MYSQL}, resumable=True, auto_rank=15,
    why="""One SELECT streamed by mysqlclient's SSCursor, which reads rows off the network as they are fetched
    instead of storing the whole result first as every other cursor on MySQL does (iterator() included), so
    client memory holds one batch. The open result blocks its connection, so writes go on the walk's own, one
    transaction per batch, each batch one UPDATE over its key range (ELT by key, or a JSON_TABLE join when the
    keys are sparse). The read is one consistent snapshot that holds back InnoDB's purge until it ends.""",
)
def unbuffered_stream(walk: Walk) -> None:
    writer = Writer(walk.target, walk.connection, only_changed=walk.only_changed)
    with unbuffered(walk.target, using=walk.using, bounds=walk.bounds, batch_size=walk.batch_size) as batches:
        for batch in walk.batches(batches):
            pairs = walk.calculated(batch)
            walk.batch(pairs, writer.batch)


@strategy(
    "held_cursor", "One connection: a WITH HOLD cursor read between the batches' commits", family="cursor",
    cost="raw_batch", backends={POSTGRESQL}, resumable=True,
    needs_session="""its WITH HOLD cursor lives in one server session across many transactions, and a
    transaction pooler hands each transaction to whichever server connection is free (use server_side_cursor,
    whose cursor lives inside one transaction)""",
    why="""The reading and the writing share one connection: the cursor is declared WITH HOLD, so it outlives
    the commit after every batch. PostgreSQL pays for that up front: a held cursor's whole result is
    materialised on the server (in work_mem, then temporary files) when its transaction ends, here before the
    first row is read. This is what Django's iterator() does outside atomic(); it cannot pass a transaction
    pooler, which is why Django requires DISABLE_SERVER_SIDE_CURSORS there.""",
)
def held_cursor(walk: Walk) -> None:
    writer = Writer(walk.target, walk.connection, only_changed=walk.only_changed)
    walk.connection.ensure_connection()
    sql, params, compiled = stream_statement(walk.target, using=walk.using, bounds=walk.bounds)
    with walk.connection.connection.cursor(name="labwalk_held", withhold=True) as stream:
        stream.execute(sql, params)
        rows = iter(lambda: compiled.shaped(stream.fetchmany(walk.batch_size)), [])
        for batch in walk.batches(rows):
            pairs = walk.calculated(batch)
            walk.batch(pairs, writer.batch)
