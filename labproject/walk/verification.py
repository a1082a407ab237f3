"""Check a walk's work: every row of the target holds what the calculation gives, counted in the database.

With the calculation's SQL twin the database counts the right rows itself in one aggregate; without
one the rows are read back in keyset batches and recomputed in Python (slower, as honest).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q
from django.db.models.expressions import RawSQL

from labproject.walk.reading import decoded, keyset_batches
from labproject.walk.target import Target


@dataclass(frozen=True)
class Verified:
    """Rows in the target's queryset, rows that hold the right value, and the rest (wrong or NULL)."""

    total: int
    right: int
    how: str

    @property
    def wrong(self) -> int:
        return self.total - self.right

    def describe(self) -> str:
        verdict = "every row right" if self.wrong == 0 else f"{self.wrong:,} rows wrong or not written"
        return f"checked {self.how}: {self.right:,} of {self.total:,} rows right ({verdict})"


def verify(target: Target, *, using: str | None = None, expression: str | None = None) -> Verified:
    """Count the target's rows and those whose column equals the calculation (``expression`` overrides the twin)."""
    using = using or target.queryset.db
    from django.db import connections

    twin = expression or target.sql_for(connections[using].vendor)
    rows = target.queryset.using(using)
    if twin is not None:
        counted = rows.aggregate(total=Count("pk"), right=Count("pk", filter=Q(**{target.field: RawSQL(twin, ())})))
        return Verified(int(counted["total"]), int(counted["right"] or 0), "in SQL")
    total = right = 0
    for raw in keyset_batches(target, 5000, using=using, extra=(target.field,)):
        batch = decoded(target, raw, (target.field,))
        width = len(target.reads) + 1
        for row in batch:
            total += 1
            right += row[-1] is not None and target.compute(*row[1:width]) == row[-1]
    return Verified(total, right, "in Python (the target has no SQL twin)")
