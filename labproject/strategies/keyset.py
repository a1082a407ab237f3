"""Keyset ("seek") strategies: walk the table in key order with ``key > last``, never OFFSET, never COUNT.

All three compute the calculation in Python for every row. Rows inserted behind the walk's
position (key below ``last``) are not visited; rows inserted ahead of it are; a deleted row is
simply not found. No row is visited twice, whatever changes during the walk.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Model

from labproject.strategies.base import strategy
from labproject.walk import Walk
from labproject.walk.reading import keyset_batches
from labproject.walk.writing import VALUES_ROW_LIMIT, Writer


@strategy(
    "keyset_bulk_update", "Keyset batches of model instances + bulk_update", family="keyset", cost="per_batch_orm",
    why="""Each batch is one indexed range read (pk > last ORDER BY pk LIMIT k), so no page costs more than
    the first and memory holds one batch; but it still builds model instances and bulk_update's CASE WHEN
    expression, which dominate its time. One short transaction per batch; rows inserted behind the walk are
    missed, ahead of it are visited, none twice.""",
)
def keyset_bulk_update(walk: Walk) -> None:
    target = walk.target
    for batch in keyset_instances(walk):
        target.model.objects.bulk_update(batch, [target.field])
        walk.advance(len(batch))


def keyset_instances(walk: Walk) -> Iterator[list[Model]]:
    """Yield the target's model instances in key batches (``key > last``, no OFFSET), each one calculated.

    Every instance has its written field set to ``target.value_of(obj)``, ready for a bulk write.
    """
    target = walk.target
    key = target.key.name
    rows = target.queryset.using(walk.using).order_by(key)
    if walk.bounds.up_to is not None:
        rows = rows.filter(**{f"{key}__lte": walk.bounds.up_to})
    last = walk.bounds.after
    while batch := list((rows.filter(**{f"{key}__gt": last}) if last is not None else rows)[: walk.batch_size]):
        for obj in batch:
            setattr(obj, target.field, target.value_of(obj))
        yield batch
        last = getattr(batch[-1], key)


def walk_keyset(walk: Walk, write) -> None:
    """Read keyset batches, calculate them, and commit each with ``write(writer, cursor, pairs)``."""
    writer = Writer(walk.target, walk.connection, only_changed=walk.only_changed)
    for batch in walk.batches(keyset_batches(walk.target, lambda: walk.batch_size, using=walk.using,
                                             bounds=walk.bounds)):
        walk.batch(walk.calculated(batch), lambda cursor, pairs: write(writer, cursor, pairs))


@strategy(
    "keyset_executemany", "Keyset values_list + one executemany per batch", family="keyset", cost="raw_batch",
    resumable=True, auto_rank=30,
    why="""Reads (key, payload) tuples, no model instances, decodes and calculates in Python, and sends
    one prepared UPDATE ... WHERE id = %s executed for every row of the batch: the driver binds parameters in
    C and nothing builds SQL per row. One transaction per batch keeps locks and the journal short; rows
    inserted behind the walk are missed, none is visited twice.""",
)
def keyset_executemany(walk: Walk) -> None:
    walk_keyset(walk, lambda writer, cursor, pairs: writer.executemany(cursor, pairs))


@strategy(
    "keyset_update_from_values", "Keyset values_list + UPDATE ... FROM (VALUES ...) per batch", family="keyset",
    cost="raw_batch", max_batch_size=VALUES_ROW_LIMIT, resumable=True, auto_rank=20,
    why="""The same read as keyset_executemany, written as one statement per batch that joins the table to a
    VALUES list of (value, key): one parse and one plan per batch instead of one execution per row. A batch is
    bounded by the backend's parameter limit (two a row); one transaction per batch.""",
)
def keyset_update_from_values(walk: Walk) -> None:
    walk_keyset(walk, lambda writer, cursor, pairs: writer.from_values(cursor, pairs))
