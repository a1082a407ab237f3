"""Experiments that explain the pipeline's choices; kept to measure them, never recommended."""

from __future__ import annotations

from django.db import connections

from labproject.strategies.base import POSTGRESQL, SQLITE, strategy
from labproject.strategies.pipelined import read_streamed, sqlite_ready
from labproject.walk import Walk
from labproject.walk.pipeline import with_reader_thread
from labproject.walk.reading import keyset_batches
from labproject.walk.writing import Writer


@strategy(
    "pipelined_thread", "Experiment: the SQLite pipeline with a reader thread instead of a process",
    family="experiment", cost="raw_batch", backends={SQLITE}, needs=sqlite_ready,
    why="""The same pipeline with the reader in a thread of the worker: it shows what the GIL costs, since the
    sqlite3 module holds it while stepping statements and binding parameters, so reader and writer mostly
    take turns. Kept to measure that choice, not to be used.""",
)
def pipelined_thread(walk: Walk) -> None:
    def read():
        try:  # Django's connections are per thread: this is the reader thread's own
            yield from keyset_batches(walk.target, walk.batch_size, using=walk.using, bounds=walk.bounds)
        finally:
            connections[walk.using].close()

    writer = Writer(walk.target, walk.connection)
    with_reader_thread(walk, read, writer.executemany, most=1)


@strategy(
    "pipelined_unnest", "Experiment: the PostgreSQL pipeline writing each batch as a join with unnest",
    family="experiment", cost="raw_batch", backends={POSTGRESQL},
    why="""The same pipeline, each batch written as UPDATE ... FROM unnest(values, keys), which probes the
    primary key once per row where the pipelined strategy sends one array indexed by key and updates the
    batch's key range in index order. Kept to measure that choice.""",
)
def pipelined_unnest(walk: Walk) -> None:
    writer = Writer(walk.target, walk.connection)

    def write(cursor, pairs) -> int:
        cursor.execute("SET LOCAL synchronous_commit = off")
        return writer.unnest(cursor, [value for value, _ in pairs], [key for _, key in pairs])

    with_reader_thread(walk, read_streamed(walk), write)
