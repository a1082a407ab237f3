"""Keyset ("seek") strategies: walk the table in pk order with ``pk > last``, never OFFSET, never COUNT.

All three compute the calculation in Python for every row. Rows inserted behind the walk's
position (pk below ``last``) are not visited; rows inserted ahead of it are; a deleted row is
simply not found. No row is visited twice, whatever changes during the walk.
"""

from __future__ import annotations

from labproject.iteration.calculation import some_calculation
from labproject.iteration.models import SomeModel
from labproject.strategies._batches import VALUES_ROW_LIMIT, keyset_rows, write_executemany, write_from_values
from labproject.strategies._codec import calculated
from labproject.strategies.base import RunContext, strategy


@strategy(
    "keyset_bulk_update", "Keyset batches of model instances + bulk_update", family="keyset",
    why="""Each batch is one indexed range read (pk > last ORDER BY pk LIMIT k), so no page costs more than
    the first and memory holds one batch; but it still builds model instances and bulk_update's CASE WHEN
    expression, which dominate its time. One short transaction per batch; rows inserted behind the walk are
    missed, ahead of it are visited, none twice.""",
)
def keyset_bulk_update(ctx: RunContext) -> None:
    rows = SomeModel.objects.order_by("pk")
    last = 0
    while batch := list(rows.filter(pk__gt=last)[: ctx.batch_size]):
        for obj in batch:
            obj.field = some_calculation(obj)
        SomeModel.objects.bulk_update(batch, ["field"])
        last = batch[-1].pk
        ctx.advance(len(batch))


@strategy(
    "keyset_executemany", "Keyset values_list + one executemany per batch", family="keyset",
    why="""Reads (pk, payload text) tuples, no model instances, decodes and calculates in Python, and sends
    one prepared UPDATE ... WHERE id = %s executed for every row of the batch: the driver binds parameters in
    C and nothing builds SQL per row. One transaction per batch keeps locks and the journal short; rows
    inserted behind the walk are missed, none is visited twice.""",
)
def keyset_executemany(ctx: RunContext) -> None:
    for batch in keyset_rows(ctx.batch_size):
        write_executemany(calculated(batch))
        ctx.advance(len(batch))


@strategy(
    "keyset_update_from_values", "Keyset values_list + UPDATE ... FROM (VALUES ...) per batch", family="keyset",
    max_batch_size=VALUES_ROW_LIMIT,
    why="""The same read as keyset_executemany, written as one statement per batch that joins the table to a
    VALUES list of (value, pk): one parse and one plan per batch instead of one execution per row. A batch is
    bounded by the backend's parameter limit (two a row); one transaction per batch.""",
)
def keyset_update_from_values(ctx: RunContext) -> None:
    for batch in keyset_rows(ctx.batch_size):
        write_from_values(calculated(batch))
        ctx.advance(len(batch))
