"""Strategies that overlap reading and decoding with writing, or split the table among processes.

Serial strategies stop near twice the in-SQL floor because reading, decoding and writing take turns.
Here the database writes one batch while Python reads and decodes the next:

- ``pipelined``: a reader and a writer with their own connections and a bounded channel between them.
  On SQLite the reader is a small process of its own (the sqlite3 module keeps the GIL while it
  steps statements and binds parameters, so a reader thread mostly waits for the writer: see the
  ``pipelined_thread`` experiment); on PostgreSQL a thread suffices, as psycopg releases the GIL
  while it waits on the network.
- ``partitioned`` (PostgreSQL): the pk range cut into N slices walked by N processes at once.
"""

from __future__ import annotations

import gc
import multiprocessing
import queue
import subprocess
import sys
import threading
import time
from array import array

from django.db import connection, connections, transaction
from django.db.models import Max, Min

from labproject.errors import NotApplicable
from labproject.processes import last_line
from labproject.strategies._batches import TABLE, UNNEST_UPDATE, write_postgresql_batch
from labproject.strategies._codec import pack, unpack
from labproject.strategies._sqlite_reader import FRAME, read_batches
from labproject.strategies.base import POSTGRESQL, SQLITE, RunContext, strategy

QUEUE_BATCHES = 4  # batches in flight between a reader thread and the writer
WRITE_SQL = f'UPDATE "{TABLE}" SET "field" = ? WHERE "id" = ?'


def _require_wal() -> str:
    """Return the SQLite file's path, refusing a database that is not in WAL mode."""
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        mode = cursor.fetchone()[0]
    if mode != "wal":
        raise NotApplicable(
            f"pipelined needs SQLite's WAL journal so its reader never waits for the writer's commits; "
            f"this database runs journal_mode={mode} (set SQLITE_JOURNAL_MODE=wal)"
        )
    return connection.settings_dict["NAME"]


def _write_batch(ctx: RunContext, packed: bytes) -> None:
    """Write one packed SQLite batch in one transaction through the raw driver (no per-row Python)."""
    values, pks = unpack(packed)
    with transaction.atomic():
        connection.connection.executemany(WRITE_SQL, zip(values, pks, strict=True))
    ctx.advance(len(pks))


def _frames(stream):
    """Yield the frames a reader process writes until its empty end frame."""
    while True:
        head = stream.read(FRAME.size)
        if len(head) < FRAME.size:
            raise RuntimeError("the reader process ended without finishing the table")
        (size,) = FRAME.unpack(head)
        if size == 0:
            return
        yield stream.read(size)


def _pipelined_sqlite(ctx: RunContext) -> None:
    path = _require_wal()
    command = [sys.executable, "-m", "labproject.strategies._sqlite_reader", path, TABLE, str(ctx.batch_size)]
    reader = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        for frame in _frames(reader.stdout):
            _write_batch(ctx, frame)
    except RuntimeError:
        reader.wait()
        said = last_line(reader.stderr.read().decode(errors="replace"), f"exit code {reader.returncode}")
        raise RuntimeError(f"reader process failed: {said}") from None
    finally:
        reader.kill()
        reader.wait()
        reader.stdout.close()
        reader.stderr.close()


def _put(out: queue.Queue, item, stop: threading.Event) -> None:
    """Put into a bounded queue, giving up when the writer has stopped listening."""
    while not stop.is_set():
        try:
            out.put(item, timeout=0.1)
            return
        except queue.Full:
            continue


def _drain(batches: queue.Queue, write, most: int) -> None:
    """Write what a reader thread hands over until it sends None; a string is the reader's error.

    Each write takes the next batch and up to ``most - 1`` more that are already waiting: a writer
    that falls behind sends fewer, larger statements instead of falling further behind.
    """
    finished = False
    while not finished:
        group: list[bytes] = []
        item = batches.get()
        while True:
            if item is None:
                finished = True
                break
            if isinstance(item, str):
                raise RuntimeError(item)
            group.append(item)
            if len(group) >= most:
                break
            try:
                item = batches.get_nowait()
            except queue.Empty:
                break
        if group:
            write(group)


def _with_reader_thread(ctx: RunContext, read, write, most: int = 1) -> None:
    """Run ``read(put, stop)`` in a thread feeding a bounded queue while this thread calls ``write``."""
    batches: queue.Queue = queue.Queue(maxsize=QUEUE_BATCHES)
    stop = threading.Event()

    def reader() -> None:
        try:
            read(lambda item: _put(batches, item, stop), stop)
            _put(batches, None, stop)
        except BaseException as exc:  # the writer turns this into the run's error
            _put(batches, f"reader failed: {type(exc).__name__}: {exc}", stop)

    thread = threading.Thread(target=reader, name="pipeline-reader", daemon=True)
    thread.start()
    try:
        _drain(batches, write, most)
    finally:
        stop.set()
        thread.join()


def _pipelined_postgresql(ctx: RunContext, write_batch=write_postgresql_batch) -> None:
    def read(put, stop) -> None:
        reader = connections.create_connection(ctx.alias)
        try:
            reader.ensure_connection()
            raw = reader.connection
            with raw.transaction(), raw.cursor(name="lab_pipeline") as stream:
                stream.execute(f'SELECT "id", "data"::text FROM "{TABLE}" ORDER BY "id"')
                while not stop.is_set() and (rows := stream.fetchmany(ctx.batch_size)):
                    put(pack(rows))
        finally:
            reader.close()

    def write(group: list[bytes]) -> None:
        values, pks = _joined(group)
        with transaction.atomic(), connection.cursor() as cursor:
            # This transaction's commit need not wait for the WAL flush: a crash loses at most the last
            # few batches, which the idempotent walk redoes; nothing is ever half written.
            cursor.execute("SET LOCAL synchronous_commit = off")
            write_batch(cursor, values, pks)
        ctx.advance(len(pks))

    _with_reader_thread(ctx, read, write, most=QUEUE_BATCHES)


def _joined(group: list[bytes]) -> tuple[array, array]:
    """Return the values and pks of several packed batches, in order."""
    values, pks = array("q"), array("q")
    for packed in group:
        more_values, more_pks = unpack(packed)
        values.extend(more_values)
        pks.extend(more_pks)
    return values, pks


@strategy(
    "pipelined", "Pipelined: a reader decodes the next batch while the writer writes this one", family="concurrent",
    why="""Reading, JSON decoding and the calculation happen in a second process (SQLite) or thread (PostgreSQL)
    with its own connection, handing packed (value, pk) batches through a bounded pipe or queue, while the
    main connection writes them, one transaction per batch (on PostgreSQL, whatever batches are waiting go in
    one statement, and commits do not wait for the WAL flush: a crash loses the last few, which a re-run
    redoes). It costs a second connection and, on SQLite, a helper process and WAL mode (it refuses without
    WAL); rows inserted behind the reader are missed, and nothing else may hold a long write lock meanwhile.""",
)
def pipelined(ctx: RunContext) -> None:
    if connection.vendor == SQLITE:
        _pipelined_sqlite(ctx)
    else:
        _pipelined_postgresql(ctx)


@strategy(
    "pipelined_thread", "Experiment: the SQLite pipeline with a reader thread instead of a process",
    family="experiment", backends={SQLITE},
    why="""The same pipeline with the reader in a thread of the worker: it shows what the GIL costs, since the
    sqlite3 module holds it while stepping statements and binding parameters, so reader and writer mostly
    take turns. Kept to measure that choice, not to be used.""",
)
def pipelined_thread(ctx: RunContext) -> None:
    path = _require_wal()

    def read(put, stop) -> None:
        for packed in read_batches(path, TABLE, ctx.batch_size):
            if stop.is_set():
                return
            put(packed)

    _with_reader_thread(ctx, read, lambda group: _write_batch(ctx, group[0]))


@strategy(
    "pipelined_unnest", "Experiment: the PostgreSQL pipeline writing each batch as a join with unnest",
    family="experiment", backends={POSTGRESQL},
    why="""The same pipeline, each batch written as UPDATE ... FROM unnest(values, pks), which probes the
    primary key once per row where the pipelined strategy sends one array indexed by pk and updates the
    batch's pk range in index order. Kept to measure that choice.""",
)
def pipelined_unnest(ctx: RunContext) -> None:
    _pipelined_postgresql(ctx, lambda cursor, values, pks: cursor.execute(UNNEST_UPDATE, (list(values), list(pks))))


def partition_plan(low: int, high: int, parts: int) -> list[tuple[int, int]]:
    """Cut the pk range ``[low, high]`` into up to ``parts`` ranges ``(after, up_to]`` of equal width."""
    width = -(-(high - low + 1) // parts)
    return [(low - 1 + i * width, min(high, low - 1 + (i + 1) * width)) for i in range(parts)
            if low - 1 + i * width < high]


def _walk_partition(index: int, after: int, up_to: int, batch_size: int, done, errors) -> None:
    """Walk one pk slice with keyset batches on a connection of its own (runs in a forked process)."""
    try:
        sql = f'SELECT "id", "data"::text FROM "{TABLE}" WHERE "id" > %s AND "id" <= %s ORDER BY "id" LIMIT %s'
        with connection.cursor() as cursor:
            last = after
            while True:
                cursor.execute(sql, (last, up_to, batch_size))
                rows = cursor.fetchall()
                if not rows:
                    break
                values, pks = unpack(pack(rows))
                with transaction.atomic():
                    write_postgresql_batch(cursor, values, pks)
                done[index] += len(rows)
                last = rows[-1][0]
    except BaseException as exc:
        errors.put(f"partition {index} failed: {type(exc).__name__}: {exc}")
        raise SystemExit(1) from None
    finally:
        connection.close()


@strategy(
    "partitioned", "Partitioned: N processes each walk one pk slice", family="concurrent", backends={POSTGRESQL},
    why="""The pk range is cut into N equal slices (N from the run spec, default the core count) and N forked
    processes walk one each with keyset batches and their own connection: the shape a team uses when one
    process is not enough, and the same plan a task queue would run. It costs N connections and N processes
    (all counted in the tree's memory), and it only scales while cores and the server have room.""",
)
def partitioned(ctx: RunContext) -> None:
    from labproject.iteration.models import SomeModel

    span = SomeModel.objects.aggregate(low=Min("pk"), high=Max("pk"))
    if span["low"] is None:
        return
    plan = partition_plan(span["low"], span["high"], int(ctx.options.get("partitions") or 1))
    connections.close_all()  # no connection may cross the fork
    fork = multiprocessing.get_context("fork")
    done = fork.Array("q", len(plan), lock=False)
    errors = fork.Queue()
    workers = [fork.Process(target=_walk_partition, args=(i, a, b, ctx.batch_size, done, errors), daemon=True)
               for i, (a, b) in enumerate(plan)]
    # A collection in a forked child writes to the header of every object it visits, copying the
    # parent's pages; freezing them out of the collector keeps them shared, so the tree's PSS stays honest.
    gc.freeze()
    try:
        for worker in workers:
            worker.start()
    finally:
        gc.unfreeze()
    try:
        while any(w.is_alive() for w in workers):
            ctx.advance(sum(done) - ctx.rows_done)
            time.sleep(0.02)
        ctx.advance(sum(done) - ctx.rows_done)
        if any(w.exitcode != 0 for w in workers):
            raise RuntimeError(errors.get(timeout=5) if not errors.empty() else "a partition failed")
    finally:
        for worker in workers:
            worker.kill()
            worker.join()
