"""The calculation the article's command stores in ``field``, in Python and as its SQL twin.

Both live here so they cannot drift: the engine verifies every run by comparing ``field``
with the SQL twin, and the ``sql_*`` strategies use the twin as the in-database floor.
The calculation reads the nested JSON payload the seeder writes::

    {"id": 7, "metrics": {"score": 512, "tags": ["k2", "q9", ...]}, "note": "..."}
"""

from __future__ import annotations

from typing import Any

from labproject.errors import NotApplicable


def calculate(data: dict[str, Any]) -> int:
    """Return the derived value for one decoded payload."""
    metrics = data["metrics"]
    return metrics["score"] * 2 + len(metrics["tags"])


def some_calculation(obj: Any) -> int:
    """Return the derived value for one model instance (the article's ``some_calculation``)."""
    return calculate(obj.data)


_SQL = {
    "sqlite": "(json_extract({col}, '$.metrics.score') * 2 + json_array_length({col}, '$.metrics.tags'))",
    "postgresql": "(({col} -> 'metrics' ->> 'score')::integer * 2 + jsonb_array_length({col} -> 'metrics' -> 'tags'))",
}


def calculation_sql(vendor: str, column: str = '"data"') -> str:
    """Return the SQL expression that computes the same value from ``column`` on ``vendor``."""
    try:
        return _SQL[vendor].format(col=column)
    except KeyError:
        raise NotApplicable(f"no SQL twin of the calculation for {vendor!r}; known: {sorted(_SQL)}") from None
