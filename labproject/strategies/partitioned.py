"""N processes, each walking one key slice with its own connection: the shape a task queue would run."""

from __future__ import annotations

import dataclasses
import gc
import multiprocessing
import time

from django.db import connections, transaction
from django.db.models import Max, Min

from labproject.strategies.base import POSTGRESQL, integer_key, strategy
from labproject.walk import Bounds, Walk
from labproject.walk.reading import keyset_batches
from labproject.walk.writing import Writer


def partition_plan(low: int, high: int, parts: int) -> list[tuple[int, int]]:
    """Cut the key range ``[low, high]`` into up to ``parts`` ranges ``(after, up_to]`` of equal width."""
    width = -(-(high - low + 1) // parts)
    return [(low - 1 + i * width, min(high, low - 1 + (i + 1) * width)) for i in range(parts)
            if low - 1 + i * width < high]


def _walk_partition(walk: Walk, index: int, done, errors) -> None:
    """Walk one key slice with keyset batches on a connection of its own (runs in a forked process)."""
    try:
        writer = Writer(walk.target, walk.connection)
        for batch in keyset_batches(walk.target, walk.batch_size, using=walk.using, bounds=walk.bounds):
            pairs = walk.calculated(batch)
            with transaction.atomic(using=walk.using), walk.connection.cursor() as cursor:
                writer.postgresql_batch(cursor, [v for v, _ in pairs], [k for _, k in pairs])
            done[index] += len(batch)
    except BaseException as exc:
        errors.put(f"partition {index} failed: {type(exc).__name__}: {exc}")
        raise SystemExit(1) from None
    finally:
        connections.close_all()


@strategy(
    "partitioned", "Partitioned: N processes each walk one key slice", family="concurrent", cost="raw_batch",
    backends={POSTGRESQL}, needs=integer_key,
    why="""The key range is cut into N equal slices (N from the run spec, default the core count) and N forked
    processes walk one each with keyset batches and their own connection: the shape a team uses when one
    process is not enough, and the same plan a task queue would run. It costs N connections and N processes
    (all counted in the tree's memory), and it only scales while cores and the server have room.""",
)
def partitioned(walk: Walk) -> None:
    span = walk.target.queryset.aggregate(low=Min("pk"), high=Max("pk"))
    if span["low"] is None:
        return
    plan = partition_plan(span["low"], span["high"], int(walk.options.get("partitions") or 1))
    connections.close_all()  # no connection may cross the fork
    fork = multiprocessing.get_context("fork")
    done = fork.Array("q", len(plan), lock=False)
    errors = fork.Queue()
    workers = [fork.Process(target=_walk_partition, daemon=True,
                            args=(dataclasses.replace(walk, bounds=Bounds(a, b), on_progress=None), i, done, errors))
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
            walk.advance(sum(done) - walk.rows_done)
            time.sleep(0.02)
        walk.advance(sum(done) - walk.rows_done)
        if any(w.exitcode != 0 for w in workers):
            raise RuntimeError(errors.get(timeout=5) if not errors.empty() else "a partition failed")
    finally:
        for worker in workers:
            worker.kill()
            worker.join()
