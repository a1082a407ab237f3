"""The calculation the article's command stores in ``field``, in Python, as its SQL twin and as an ORM expression.

All live here so they cannot drift: the engine verifies every run by comparing ``field``
with the SQL twin, the ``sql_*`` strategies use the twin as the in-database floor, and
``orm_expression_update`` writes it with Django's expressions instead of raw SQL.
The calculation reads the nested JSON payload the seeder writes::

    {"id": 7, "metrics": {"score": 512, "tags": ["k2", "q9", ...]}, "note": "..."}

The second lab table's calculation, an invoice's total from its line items, is here too.
"""

from __future__ import annotations

from typing import Any

from django.db.models import F, Func, IntegerField
from django.db.models.fields.json import KT
from django.db.models.functions import Cast

from labproject.errors import NotApplicable


def calculate(data: dict[str, Any]) -> int:
    """Return the derived value for one decoded payload."""
    metrics = data["metrics"]
    return metrics["score"] * 2 + len(metrics["tags"])


def some_calculation(obj: Any) -> int:
    """Return the derived value for one model instance (the article's ``some_calculation``)."""
    return calculate(obj.data)


# ``{data}`` stands for the quoted payload column (see labproject.walk.Target.sql).
SOME_CALCULATION_SQL = {
    "sqlite": "(json_extract({data}, '$.metrics.score') * 2 + json_array_length({data}, '$.metrics.tags'))",
    "postgresql": ("(({data} -> 'metrics' ->> 'score')::integer * 2 "
                   "+ jsonb_array_length({data} -> 'metrics' -> 'tags'))"),
    # JSONField is LONGTEXT with a JSON_VALID check on MariaDB: JSON_EXTRACT returns the score as JSON
    # text, so it is cast to an integer, not left to the implicit conversion to a double.
    "mysql": "(CAST(JSON_EXTRACT({data}, '$.metrics.score') AS SIGNED) * 2 + JSON_LENGTH({data}, '$.metrics.tags'))",
}


class JSONArrayLength(Func):
    """The length of a JSON array, which Django does not ship: the few lines a user adds for this route."""

    function = "JSON_ARRAY_LENGTH"
    output_field = IntegerField()

    def as_postgresql(self, compiler, connection, **extra):
        return super().as_sql(compiler, connection, function="JSONB_ARRAY_LENGTH", **extra)

    def as_mysql(self, compiler, connection, **extra):
        return super().as_sql(compiler, connection, function="JSON_LENGTH", **extra)


def calculation_expression() -> Func:
    """Return the calculation as an ORM expression: the score times two plus the number of tags."""
    return Cast(KT("data__metrics__score"), IntegerField()) * 2 + JSONArrayLength(F("data__metrics__tags"))


# ``{lines}`` stands for the quoted line-items column.
INVOICE_TOTAL_SQL = {
    "sqlite": ("(SELECT COALESCE(SUM(json_extract(l.value, '$.qty') * json_extract(l.value, '$.unit_cents') "
               "- json_extract(l.value, '$.discount_cents')), 0) FROM json_each({lines}) AS l)"),
    "postgresql": ("(SELECT COALESCE(SUM((l ->> 'qty')::bigint * (l ->> 'unit_cents')::bigint "
                   "- (l ->> 'discount_cents')::bigint), 0) FROM jsonb_array_elements({lines}) AS l)"),
    # MariaDB (10.6+) and MySQL (8.0+) unpack the list into rows with JSON_TABLE.
    "mysql": ("(SELECT COALESCE(SUM(l.qty * l.unit_cents - l.discount_cents), 0) FROM JSON_TABLE({lines}, '$[*]' "
              "COLUMNS (qty BIGINT PATH '$.qty', unit_cents BIGINT PATH '$.unit_cents', "
              "discount_cents BIGINT PATH '$.discount_cents')) AS l)"),
}
# MySQL and MariaDB quote identifiers with backticks (double quotes are string literals there).
_DATA_COLUMN = {"mysql": "`data`"}


def calculation_sql(vendor: str, column: str | None = None) -> str:
    """Return the SQL expression that computes the same value from ``column`` (default ``data``) on ``vendor``."""
    try:
        return SOME_CALCULATION_SQL[vendor].format(data=column or _DATA_COLUMN.get(vendor, '"data"'))
    except KeyError:
        known = sorted(SOME_CALCULATION_SQL)
        raise NotApplicable(f"no SQL twin of the calculation for {vendor!r}; known: {known}") from None
