"""Deliberately leaky variants of the article's method 3, each changing one thing, for the leak study.

They exist to explain memory, never to be recommended (family "experiment"); each still updates
every row correctly, so the engine verifies them like any other strategy.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.db import reset_queries

from labproject.iteration.calculation import some_calculation
from labproject.iteration.models import SomeModel
from labproject.strategies.base import RunContext, strategy


def _calculated(ctx: RunContext) -> Iterator[SomeModel]:
    """Yield every instance with its field set, streamed as method 3 reads them (iterator, chunk = batch)."""
    for obj in SomeModel.objects.all().iterator(chunk_size=ctx.batch_size):
        obj.field = some_calculation(obj)
        yield obj


def _batches(ctx: RunContext) -> Iterator[list[SomeModel]]:
    """Yield method 3's batches: ``batch_size`` calculated instances, the last one shorter."""
    batch: list[SomeModel] = []
    for obj in _calculated(ctx):
        batch.append(obj)
        if len(batch) >= ctx.batch_size:
            yield batch
            batch = []
    if batch:
        yield batch


@strategy(
    "iterator_bulk_update_reset", "Experiment: method 3 with reset_queries() after every batch",
    family="experiment",
    why="""Method 3 unchanged except that django.db.reset_queries() empties the connection's query log after
    each batch, as a request does when it ends. Under DEBUG=True this isolates the log's share of the climb.""",
)
def iterator_bulk_update_reset(ctx: RunContext) -> None:
    for batch in _batches(ctx):
        SomeModel.objects.bulk_update(batch, ["field"])
        reset_queries()
        ctx.advance(len(batch))


@strategy(
    "iterator_bulk_update_kept", "Experiment: method 3 whose batch list is never cleared", family="experiment",
    why="""The common slip in method 3: objects are appended to one list and each batch is sent as its last
    batch_size items, but the list is never cleared. Every updated instance stays alive to the end, so memory
    grows with the table.""",
)
def iterator_bulk_update_kept(ctx: RunContext) -> None:
    updated: list[SomeModel] = []
    for obj in _calculated(ctx):
        updated.append(obj)
        if len(updated) % ctx.batch_size == 0:
            SomeModel.objects.bulk_update(updated[-ctx.batch_size:], ["field"])
            ctx.advance(ctx.batch_size)
    tail = len(updated) % ctx.batch_size
    if tail:
        SomeModel.objects.bulk_update(updated[-tail:], ["field"])
        ctx.advance(tail)


@strategy(
    "bulk_update_everything", "Experiment: every instance collected, then one bulk_update(all, batch_size)",
    family="experiment",
    why="""Streams and calculates as method 3 does (rows are counted as they are calculated), then hands every
    instance to a single bulk_update(objs, batch_size=...). Django materialises all of them and builds every
    batch's CASE WHEN expression before the first UPDATE runs, so the peak grows with the table.""",
)
def bulk_update_everything(ctx: RunContext) -> None:
    everything: list[SomeModel] = []
    for obj in _calculated(ctx):
        everything.append(obj)
        ctx.advance()
    SomeModel.objects.bulk_update(everything, ["field"], batch_size=ctx.batch_size)
