"""Strategies that overlap reading and decoding with writing, or split the table among processes.

Serial strategies stop near twice the in-SQL floor because reading, decoding and writing take turns.
Here the database writes one batch while Python reads and decodes the next:

- ``pipelined``: a reader and a writer with their own connections and a bounded queue between them.
  On SQLite the reader is a forked process (the sqlite3 module keeps the GIL while it steps
  statements and binds parameters, so a reader thread mostly waits for the writer: see the
  ``pipelined_thread`` experiment); on PostgreSQL a thread suffices, as psycopg releases the GIL
  while it waits on the network.
- ``partitioned`` (PostgreSQL): the pk range cut into N slices walked by N processes at once.
"""

from __future__ import annotations

import multiprocessing
import queue
import threading
import time
from array import array

from django.db import connection, connections, transaction
from django.db.models import Max, Min

from labproject.errors import NotApplicable
from labproject.iteration.calculation import calculate
from labproject.strategies._batches import TABLE, decode
from labproject.strategies.base import POSTGRESQL, SQLITE, RunContext, strategy
from labproject.strategies.cursor import UNNEST_UPDATE

QUEUE_BATCHES = 4  # batches in flight between reader and writer: memory stays flat at any table size
READ_SQL = 'SELECT "id", "data" FROM "{table}" WHERE "id" > ? ORDER BY "id" LIMIT ?'
WRITE_SQL = f'UPDATE "{TABLE}" SET "field" = ? WHERE "id" = ?'


def _pack(rows: list[tuple[int, str]]) -> bytes:
    """Return a batch's calculated values followed by its pks, as one buffer of int64."""
    return array("q", [calculate(decode(text)) for _, text in rows]).tobytes() + array(
        "q", [pk for pk, _ in rows]).tobytes()


def _unpack(buffer: bytes) -> tuple[array, array]:
    numbers = array("q")
    numbers.frombytes(buffer)
    half = len(numbers) // 2
    return numbers[:half], numbers[half:]


def _sqlite_reader(path: str, batch_size: int, out) -> None:
    """Read keyset batches on a connection of its own, calculate, and hand packed batches to the writer."""
    import sqlite3

    try:
        reader = sqlite3.connect(path, isolation_level=None)
        sql = READ_SQL.format(table=TABLE)
        last = 0
        while rows := reader.execute(sql, (last, batch_size)).fetchall():
            out.put(_pack(rows))
            last = rows[-1][0]
        out.put(None)
    except BaseException as exc:  # the writer turns this into the run's error
        out.put(f"reader failed: {type(exc).__name__}: {exc}")


def _write_sqlite(ctx: RunContext, incoming) -> None:
    """Write packed batches as they arrive, one transaction each, until the reader says it is done."""
    raw = connection.connection
    while (item := incoming.get()) is not None:
        if isinstance(item, str):
            raise RuntimeError(item)
        values, pks = _unpack(item)
        with transaction.atomic():
            raw.executemany(WRITE_SQL, zip(values, pks, strict=True))
        ctx.advance(len(pks))


def _require_wal() -> str:
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        mode = cursor.fetchone()[0]
    if mode != "wal":
        raise NotApplicable(
            f"pipelined needs SQLite's WAL journal so its reader never waits for the writer's commits; "
            f"this database runs journal_mode={mode} (set SQLITE_JOURNAL_MODE=wal)"
        )
    return connection.settings_dict["NAME"]


def _pipelined_sqlite(ctx: RunContext) -> None:
    path = _require_wal()
    fork = multiprocessing.get_context("fork")
    batches = fork.Queue(maxsize=QUEUE_BATCHES)
    reader = fork.Process(target=_sqlite_reader, args=(path, ctx.batch_size, batches), daemon=True)
    reader.start()
    try:
        _write_sqlite(ctx, batches)
    finally:
        reader.kill()
        reader.join()


def _pipelined_postgresql(ctx: RunContext) -> None:
    batches: queue.Queue = queue.Queue(maxsize=QUEUE_BATCHES)
    stop = threading.Event()
    thread = threading.Thread(target=_pg_reader, args=(ctx.alias, ctx.batch_size, batches, stop), daemon=True)
    thread.start()
    try:
        with connection.cursor() as cursor:
            while (item := batches.get()) is not None:
                if isinstance(item, str):
                    raise RuntimeError(item)
                values, pks = _unpack(item)
                with transaction.atomic():
                    cursor.execute(UNNEST_UPDATE, (values.tolist(), pks.tolist()))
                ctx.advance(len(pks))
    finally:
        stop.set()
        thread.join()


def _pg_reader(alias: str, batch_size: int, out: queue.Queue, stop: threading.Event) -> None:
    """Stream the table through a server-side cursor on a second connection and hand packed batches over."""
    reader = connections.create_connection(alias)
    try:
        reader.ensure_connection()
        raw = reader.connection
        with raw.transaction(), raw.cursor(name="lab_pipeline") as stream:
            stream.execute(f'SELECT "id", "data"::text FROM "{TABLE}" ORDER BY "id"')
            while not stop.is_set() and (rows := stream.fetchmany(batch_size)):
                _put(out, _pack(rows), stop)
        _put(out, None, stop)
    except BaseException as exc:
        _put(out, f"reader failed: {type(exc).__name__}: {exc}", stop)
    finally:
        reader.close()


def _put(out: queue.Queue, item, stop: threading.Event) -> None:
    """Put into a bounded queue, giving up when the writer has stopped listening."""
    while not stop.is_set():
        try:
            out.put(item, timeout=0.1)
            return
        except queue.Full:
            continue


@strategy(
    "pipelined", "Pipelined: a reader decodes the next batch while the writer writes this one", family="concurrent",
    why="""Reading, JSON decoding and the calculation happen in a second process (SQLite) or thread (PostgreSQL)
    with its own connection, handing packed (value, pk) batches through a bounded queue, while the main
    connection writes each batch in one transaction: the database is never idle waiting for Python. It
    costs a second connection and, on SQLite, a forked process and WAL mode (it refuses without WAL);
    rows inserted behind the reader are missed, and nothing else may hold a long write lock meanwhile.""",
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
    batches: queue.Queue = queue.Queue(maxsize=QUEUE_BATCHES)
    thread = threading.Thread(target=_sqlite_reader, args=(path, ctx.batch_size, batches), daemon=True)
    thread.start()
    try:
        _write_sqlite(ctx, batches)
    finally:
        thread.join(timeout=5)


def partition_plan(low: int, high: int, parts: int) -> list[tuple[int, int]]:
    """Cut the pk range ``[low, high]`` into ``parts`` half-open ranges ``(after, up_to]`` of equal width."""
    width = -(-(high - low + 1) // parts)
    return [(low - 1 + i * width, min(high, low - 1 + (i + 1) * width)) for i in range(parts)
            if low - 1 + i * width < high]


def _walk_partition(index: int, after: int, up_to: int, batch_size: int, done, errors) -> None:
    """Walk one pk slice with keyset batches on a connection of its own (runs in a forked process)."""
    try:
        connection.ensure_connection()
        sql = f'SELECT "id", "data"::text FROM "{TABLE}" WHERE "id" > %s AND "id" <= %s ORDER BY "id" LIMIT %s'
        with connection.cursor() as cursor:
            last = after
            while True:
                cursor.execute(sql, (last, up_to, batch_size))
                rows = cursor.fetchall()
                if not rows:
                    break
                values, pks = _unpack(_pack(rows))
                with transaction.atomic():
                    cursor.execute(UNNEST_UPDATE, (values.tolist(), pks.tolist()))
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
    for worker in workers:
        worker.start()
    try:
        while any(w.is_alive() for w in workers):
            ctx.advance(sum(done) - ctx.rows_done)
            time.sleep(0.02)
        ctx.advance(sum(done) - ctx.rows_done)
        failed = [w for w in workers if w.exitcode != 0]
        if failed:
            raise RuntimeError(errors.get(timeout=5) if not errors.empty() else f"{len(failed)} partition(s) failed")
    finally:
        for worker in workers:
            worker.kill()
            worker.join()
