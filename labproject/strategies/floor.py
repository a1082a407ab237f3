"""The in-database floor: the calculation's SQL twin applied by the database itself.

Only these strategies may use the SQL twin; they show how close the Python-side ones come to
letting the database do the whole job, which is possible only when the calculation is expressible in SQL.
"""

from __future__ import annotations

from django.db.models import Max, Min
from django.db.models.expressions import RawSQL

from labproject.strategies.base import integer_key, sql_twin, strategy
from labproject.walk import Walk


def _twin(walk: Walk) -> RawSQL:
    return RawSQL(walk.target.sql_for(walk.vendor), ())


@strategy(
    "sql_update", "One UPDATE with the calculation in SQL", family="floor", cost="in_sql", python_side=False,
    needs=sql_twin,
    why="""A single statement: no row leaves the database, so it is the floor every other strategy is
    measured against. It is one transaction that locks (PostgreSQL: every row; SQLite: the whole database)
    and writes the whole table's journal or WAL until it commits.""",
)
def sql_update(walk: Walk) -> None:
    walk.advance(walk.target.queryset.update(**{walk.target.field: _twin(walk)}))


@strategy(
    "sql_update_batched", "The SQL UPDATE run per key range", family="floor", cost="in_sql", python_side=False,
    needs=lambda walk: sql_twin(walk) or integer_key(walk),
    why="""The same statement limited to key ranges of one batch each, committed one by one: what production
    teams run so locks, WAL and replication lag stay short. It costs one statement and commit per range and
    reads min/max key once; rows inserted above the max during the walk are not updated.""",
)
def sql_update_batched(walk: Walk) -> None:
    rows = walk.target.queryset
    bounds = rows.aggregate(low=Min("pk"), high=Max("pk"))
    if bounds["low"] is None:
        return
    start = bounds["low"] - 1
    while start < bounds["high"]:
        stop = start + walk.batch_size
        walk.advance(rows.filter(pk__gt=start, pk__lte=stop).update(**{walk.target.field: _twin(walk)}))
        start = stop
