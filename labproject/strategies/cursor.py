"""Server-side cursor streaming (PostgreSQL): the database keeps the result; the client fetches it in chunks."""

from __future__ import annotations

from labproject.strategies.base import POSTGRESQL, strategy
from labproject.walk import Walk
from labproject.walk.streaming import streamed
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
            walk.batch(pairs, lambda cursor, p: writer.postgresql_batch(cursor, [v for v, _ in p], [k for _, k in p]))
