"""Deliberately leaky variants of the article's method 3, each changing one thing, for the leak study.

They exist to explain memory, never to be recommended (family "experiment"); each still updates
every row correctly, so the engine verifies them like any other strategy.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.db import reset_queries
from django.db.models import Model

from labproject.strategies.base import strategy
from labproject.walk import Walk


def _calculated(walk: Walk) -> Iterator[Model]:
    """Yield every instance with its field set, streamed as method 3 reads them (iterator, chunk = batch)."""
    target = walk.target
    for obj in target.queryset.all().iterator(chunk_size=walk.batch_size):
        setattr(obj, target.field, target.value_of(obj))
        yield obj


def _batches(walk: Walk) -> Iterator[list[Model]]:
    """Yield method 3's batches: ``batch_size`` calculated instances, the last one shorter."""
    batch: list[Model] = []
    for obj in _calculated(walk):
        batch.append(obj)
        if len(batch) >= walk.batch_size:
            yield batch
            batch = []
    if batch:
        yield batch


@strategy(
    "iterator_bulk_update_reset", "Experiment: method 3 with reset_queries() after every batch",
    family="experiment", cost="per_batch_orm",
    why="""Method 3 unchanged except that django.db.reset_queries() empties the connection's query log after
    each batch, as a request does when it ends. Under DEBUG=True this isolates the log's share of the climb.""",
)
def iterator_bulk_update_reset(walk: Walk) -> None:
    for batch in _batches(walk):
        walk.target.model.objects.bulk_update(batch, [walk.target.field])
        reset_queries()
        walk.advance(len(batch))


@strategy(
    "iterator_bulk_update_kept", "Experiment: method 3 whose batch list is never cleared", family="experiment",
    cost="per_batch_orm",
    why="""The common slip in method 3: objects are appended to one list and each batch is sent as its last
    batch_size items, but the list is never cleared. Every updated instance stays alive to the end, so memory
    grows with the table.""",
)
def iterator_bulk_update_kept(walk: Walk) -> None:
    updated: list[Model] = []
    for obj in _calculated(walk):
        updated.append(obj)
        if len(updated) % walk.batch_size == 0:
            walk.target.model.objects.bulk_update(updated[-walk.batch_size:], [walk.target.field])
            walk.advance(walk.batch_size)
    tail = len(updated) % walk.batch_size
    if tail:
        walk.target.model.objects.bulk_update(updated[-tail:], [walk.target.field])
        walk.advance(tail)


@strategy(
    "bulk_update_everything", "Experiment: every instance collected, then one bulk_update(all, batch_size)",
    family="experiment", cost="per_batch_orm",
    why="""Streams and calculates as method 3 does (rows are counted as they are calculated), then hands every
    instance to a single bulk_update(objs, batch_size=...). Django materialises all of them and builds every
    batch's CASE WHEN expression before the first UPDATE runs, so the peak grows with the table.""",
)
def bulk_update_everything(walk: Walk) -> None:
    everything: list[Model] = []
    for obj in _calculated(walk):
        everything.append(obj)
        walk.advance()
    walk.target.model.objects.bulk_update(everything, [walk.target.field], batch_size=walk.batch_size)


@strategy(
    "keyset_values_list_plain", "Experiment: the plain Django listing notebook 04 used to hand out",
    family="experiment", cost="raw_batch",
    why="""Keyset batches read with a values_list queryset built per batch (Django decodes every JSON payload),
    the calculation in Python, one executemany per batch in a short transaction: the command a reader was
    given to copy before the walk library. Kept to measure what the library's compiled reads, orjson and the
    pipeline save against it.""",
)
def keyset_values_list_plain(walk: Walk) -> None:
    from django.db import connection, transaction

    target = walk.target
    quote = connection.ops.quote_name
    key = target.key
    update = (f"UPDATE {quote(target.table)} SET {quote(target.written.column)} = %s "
              f"WHERE {quote(key.column)} = %s")
    rows = target.queryset.order_by(key.name).values_list(key.name, *target.reads)
    last = None
    while batch := list((rows.filter(**{f"{key.name}__gt": last}) if last is not None else rows)[: walk.batch_size]):
        values = [(target.compute(*row[1:]), row[0]) for row in batch]
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(update, values)
        last = batch[-1][0]
        walk.advance(len(batch))
