"""The in-database floor: the calculation's SQL twin applied by the database itself.

Only these strategies may use the SQL twin; they show how close the Python-side ones come to
letting the database do the whole job, which is possible only when the calculation is expressible in SQL.
"""

from __future__ import annotations

from django.db import connection
from django.db.models import Max, Min
from django.db.models.expressions import RawSQL

from labproject.iteration.calculation import calculation_sql
from labproject.iteration.models import SomeModel
from labproject.strategies.base import RunContext, strategy


def _twin() -> RawSQL:
    return RawSQL(calculation_sql(connection.vendor), ())


@strategy(
    "sql_update", "One UPDATE with the calculation in SQL", family="floor", python_side=False,
    why="""A single statement: no row leaves the database, so it is the floor every other strategy is
    measured against. It is one transaction that locks (PostgreSQL: every row; SQLite: the whole database)
    and writes the whole table's journal or WAL until it commits.""",
)
def sql_update(ctx: RunContext) -> None:
    ctx.advance(SomeModel.objects.update(field=_twin()))


@strategy(
    "sql_update_batched", "The SQL UPDATE run per pk range", family="floor", python_side=False,
    why="""The same statement limited to pk ranges of one batch each, committed one by one: what production
    teams run so locks, WAL and replication lag stay short. It costs one statement and commit per range and
    reads min/max pk once; rows inserted above the max during the walk are not updated.""",
)
def sql_update_batched(ctx: RunContext) -> None:
    bounds = SomeModel.objects.aggregate(low=Min("pk"), high=Max("pk"))
    if bounds["low"] is None:
        return
    start = bounds["low"] - 1
    while start < bounds["high"]:
        stop = start + ctx.batch_size
        ctx.advance(SomeModel.objects.filter(pk__gt=start, pk__lte=stop).update(field=_twin()))
        start = stop
