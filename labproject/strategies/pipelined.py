"""The pipeline: a reader reads and calculates the next batch while the walk's connection writes this one."""

from __future__ import annotations

import multiprocessing

from labproject.strategies.base import MYSQL, POSTGRESQL, SQLITE, strategy
from labproject.walk import Walk
from labproject.walk.pipeline import with_reader_process, with_reader_thread
from labproject.walk.streaming import streamed
from labproject.walk.unbuffered import unbuffered
from labproject.walk.writing import Writer


def sqlite_ready(walk: Walk) -> str | None:
    """A ``needs`` check: an SQLite file in WAL mode, so the reader never waits for the writer's commits."""
    if walk.vendor != SQLITE:
        return None
    name = str(walk.connection.settings_dict["NAME"])
    if name == ":memory:" or "mode=memory" in name:
        return "pipelined needs an SQLite file that a second process can open, not an in-memory database"
    if walk.connection.in_atomic_block:
        return "pipelined forks a reader and cannot run inside an open transaction (atomic block)"
    if multiprocessing.current_process().daemon:
        return "pipelined forks a reader, which a daemonic process (a Celery prefork worker's) may not do"
    with walk.connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        mode = cursor.fetchone()[0]
    if mode != "wal":
        return (f"pipelined needs SQLite's WAL journal so its reader never waits for the writer's commits; "
                f"this database runs journal_mode={mode} (set SQLITE_JOURNAL_MODE=wal)")
    return None


def postgresql_write(writer: Writer):
    """Return a batch writer whose commits need not wait for the WAL flush.

    A server crash then loses at most the last few batches, and their checkpoints with them, since
    both commit in one transaction: a resumed walk redoes exactly those. Nothing is ever half written.
    """
    def write(cursor, pairs) -> int:
        cursor.execute("SET LOCAL synchronous_commit = off")
        return writer.postgresql_batch(cursor, [value for value, _ in pairs], [key for _, key in pairs])

    return write


def read_streamed(walk: Walk):
    """Return the reader thread's batches: the table streamed through a named cursor."""
    def read():
        with streamed(walk.target, using=walk.using, bounds=walk.bounds, batch_size=walk.batch_size,
                      name="labwalk_pipeline") as batches:
            yield from batches

    return read


def read_unbuffered(walk: Walk):
    """Return the reader thread's batches on MariaDB/MySQL: the table streamed by an unbuffered cursor."""
    def read():
        with unbuffered(walk.target, using=walk.using, bounds=walk.bounds, batch_size=walk.batch_size) as batches:
            yield from batches

    return read


@strategy(
    "pipelined", "Pipelined: a reader calculates the next batch while the writer writes this one", family="concurrent",
    cost="raw_batch", backends={SQLITE, POSTGRESQL, MYSQL}, resumable=True, auto_rank=10, needs=sqlite_ready,
    why="""Reading, JSON decoding and the calculation happen in a second process (SQLite) or thread (PostgreSQL,
    reading a named cursor; MariaDB/MySQL, an unbuffered one) with its own connection, handing calculated
    (value, key) batches through a bounded pipe or queue, while the walk's connection writes them, one
    transaction per batch (on PostgreSQL and MariaDB, whatever batches are waiting go in one statement; on
    PostgreSQL commits do not wait for the WAL flush: a crash loses the last few, checkpoints included, which a
    resumed walk redoes). It costs a second connection and, on SQLite, a forked reader process and WAL mode (it
    refuses without WAL); it needs a free core to pay; rows inserted behind the reader are missed.""",
)
def pipelined(walk: Walk) -> None:
    writer = Writer(walk.target, walk.connection, only_changed=walk.only_changed)
    if walk.vendor == SQLITE:
        with_reader_process(walk, writer.executemany)
    elif walk.vendor == MYSQL:
        with_reader_thread(walk, read_unbuffered(walk), writer.batch)
    else:
        with_reader_thread(walk, read_streamed(walk), postgresql_write(writer))
