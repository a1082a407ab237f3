"""The in-database floors: the calculation done by the database itself, and the cost of writing alone.

Only these strategies may use the SQL twin; they show how close the Python-side ones come to
letting the database do the whole job, which is possible only when the calculation is expressible in SQL.
``orm_expression_update`` is the same route written with the target's ORM expression instead of raw SQL;
``write_floor`` writes each row's own key, so no column is parsed: what the database needs merely to
write every row.
"""

from __future__ import annotations

from django.db import connections
from django.db.models import F, Max, Min
from django.db.models.expressions import RawSQL

from labproject.strategies.base import MYSQL, POSTGRESQL, SQLITE, integer_key, sql_twin, strategy
from labproject.walk import Target, Walk
from labproject.walk.target import INTEGER_KEYS


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


def orm_expression(walk: Walk) -> str | None:
    """A ``needs`` check: the target gives its calculation as an ORM expression."""
    if walk.target.expression is not None:
        return None
    return f"target {walk.target.name!r} has no ORM expression of its calculation (Target.expression)"


@strategy(
    "orm_expression_update", "QuerySet.update(field=<ORM expression>)", family="floor", cost="in_sql",
    python_side=False, needs=orm_expression, backends={SQLITE, POSTGRESQL, MYSQL},
    why="""Django's own route when the calculation can be written as an expression: one
    QuerySet.update(field=expression) built from F(), KT(), Cast(), JSON key transforms and, where Django
    has none, a small Func (the lab's: Cast(KT("data__metrics__score")) * 2 + JSONArrayLength(...)), no raw
    SQL. Django compiles it to one UPDATE that the database runs alone, as sql_update does; the SQL differs
    in how it reaches into the JSON.""",
)
def orm_expression_update(walk: Walk) -> None:
    walk.advance(walk.target.queryset.update(**{walk.target.field: walk.target.expression()}))


def integer_written(walk: Walk) -> str | None:
    """A ``needs`` check: integer keys, written into an integer column, so the key itself is a valid value."""
    refused = integer_key(walk)
    if refused:
        return refused
    written = walk.target.written
    if written.get_internal_type() in INTEGER_KEYS - {"SmallIntegerField", "PositiveSmallIntegerField"}:
        return None
    return (f"write_floor writes each row's key into {walk.target.model._meta.label}.{written.name}, "
            f"a {written.get_internal_type()}; it needs an integer column")


def key_rule(target: Target, vendor: str) -> str:
    """Return what write_floor writes, as SQL: the row's own key column, quoted."""
    return connections[target.queryset.db].ops.quote_name(target.key.column)


@strategy(
    "write_floor", "One UPDATE writing each row's key", family="floor", cost="in_sql", python_side=False,
    needs=integer_written, verify_sql=key_rule, backends={SQLITE, POSTGRESQL, MYSQL},
    why="""Measures the cost of writing alone: one UPDATE that sets the column to the row's own key, a value
    that needs no JSON parsing and no calculation, in one statement. It is verified against that rule (the
    column equals the key), not the calculation. Its time is what the database needs merely to write every
    row; a walk that comes near it spends little on reading, decoding and calculating.""",
)
def write_floor(walk: Walk) -> None:
    walk.advance(walk.target.queryset.update(**{walk.target.field: F(walk.target.key.name)}))
