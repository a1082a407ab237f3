"""Overlap reading and calculating with writing: a reader runs one batch ahead of the writer.

Serial walks stop near twice the in-SQL floor because reading, decoding and writing take turns.
Here the walk's own connection writes one batch while a reader with a connection of its own reads
and calculates the next. On SQLite the reader is a forked process (the sqlite3 module keeps the GIL
while it steps statements and binds parameters, so a reader thread mostly waits for the writer; the
``pipelined_thread`` experiment measures it); on PostgreSQL a thread suffices, as psycopg releases
the GIL while it waits on the network. Either way the channel between them is bounded, so memory
stays flat at any table size, and each batch commits with its checkpoint as in a serial walk.
"""

from __future__ import annotations

import gc
import multiprocessing
import pickle
import queue
import threading
from collections.abc import Callable, Iterator
from typing import Any

from django.db import connections

from labproject.processes import die_with_parent
from labproject.walk.context import Walk
from labproject.walk.reading import keyset_batches

QUEUE_BATCHES = 4  # batches in flight between a reader thread and the writer
_END = None


class ReaderFailed(RuntimeError):
    """The reader died or raised; its one line says why."""


def _calculated_batches(walk: Walk, source: Iterator[list[tuple]]) -> Iterator[tuple]:
    """Yield ``(pairs, rows read, last key)`` per batch; a failing calculation yields ``("failed", key, said)``."""
    left = walk.limit
    for batch in source:
        if left is not None:
            if left <= 0:
                return
            batch = batch[:left]
            left -= len(batch)
        try:
            pairs = walk.calculated(batch)
        except Exception:
            key, said = walk.first_failure(batch)
            yield ("failed", key, said)
            return
        yield (pairs, len(batch), batch[-1][0])


def _merged(items: list[tuple]) -> tuple[list, int, Any]:
    pairs: list = []
    for more, _, _ in items:
        pairs.extend(more)
    return pairs, sum(rows for _, rows, _ in items), items[-1][2]


def _batch_call(walk: Walk, pending: list[tuple], write) -> None:
    pairs, rows, last = _merged(pending)
    walk.batch(pairs, write, rows=rows, last_key=last)


def with_reader_process(walk: Walk, write: Callable[[Any, list], int]) -> None:
    """Walk with a forked reader process sending pickled batches through a pipe (SQLite)."""
    fork = multiprocessing.get_context("fork")
    inbound, outbound = fork.Pipe(duplex=False)
    connections.close_all()  # no connection may cross the fork; the writer reopens its own
    # A collection in the child writes to the header of every object it visits, copying the parent's
    # pages; freezing them out of the collector keeps them shared, so the tree's memory stays honest.
    gc.freeze()
    try:
        reader = fork.Process(target=_read_in_child, args=(walk, outbound), name="walk-reader", daemon=True)
        reader.start()
    finally:
        gc.unfreeze()
    outbound.close()

    def receive(block: bool = True):
        if not block and not inbound.poll():
            return queue.Empty
        try:
            return pickle.loads(inbound.recv_bytes())
        except EOFError:
            reader.join(5)
            raise ReaderFailed(f"the reader process ended without finishing the table (exit code "
                               f"{reader.exitcode})") from None

    try:
        _drain(walk, receive, write, most=1)
    finally:
        reader.kill()
        reader.join()
        inbound.close()


def _read_in_child(walk: Walk, out) -> None:
    """The forked reader: keyset batches on a connection of its own, calculated, pickled down the pipe."""
    die_with_parent()
    try:
        source = keyset_batches(walk.target, walk.batch_size, using=walk.using, bounds=walk.bounds)
        for item in _calculated_batches(walk, source):
            out.send_bytes(pickle.dumps(item, protocol=pickle.HIGHEST_PROTOCOL))
        out.send_bytes(pickle.dumps(_END))
    except BaseException as exc:  # one line for the writer to raise; the child then ends
        out.send_bytes(pickle.dumps(ReaderFailed(f"reader failed: {type(exc).__name__}: {' '.join(str(exc).split())}")))
    finally:
        out.close()
        connections.close_all()


def with_reader_thread(walk: Walk, read: Callable[[], Iterator[list[tuple]]], write: Callable[[Any, list], int],
                       most: int = QUEUE_BATCHES) -> None:
    """Walk with a reader thread feeding a bounded queue; ``read()`` opens and yields the raw batches."""
    batches: queue.Queue = queue.Queue(maxsize=QUEUE_BATCHES)
    stop = threading.Event()

    def put(item) -> None:
        while not stop.is_set():
            try:
                batches.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def reader() -> None:
        try:
            for item in _calculated_batches(walk, read()):
                if stop.is_set():
                    return
                put(item)
            put(_END)
        except BaseException as exc:  # the writer raises it as the walk's error
            put(ReaderFailed(f"reader failed: {type(exc).__name__}: {' '.join(str(exc).split())}"))

    def receive(block: bool = True):
        try:
            return batches.get(block=block)
        except queue.Empty:
            return queue.Empty

    thread = threading.Thread(target=reader, name="walk-reader", daemon=True)
    thread.start()
    try:
        _drain(walk, receive, write, most)
    finally:
        stop.set()
        thread.join()


def _drain(walk: Walk, receive, write, most: int) -> None:
    """Write what the reader hands over until its end, merging up to ``most`` batches already waiting."""
    while True:
        group = []
        item = receive(block=True)
        while True:
            if item is _END:
                if group:
                    _batch_call(walk, group, write)
                return
            if isinstance(item, BaseException):
                if group:
                    _batch_call(walk, group, write)
                raise item
            if item[0] == "failed":
                if group:
                    _batch_call(walk, group, write)
                raise walk.failed(item[1], item[2])
            group.append(item)
            if len(group) >= most:
                break
            item = receive(block=False)
            if item is queue.Empty:
                break
        _batch_call(walk, group, write)
