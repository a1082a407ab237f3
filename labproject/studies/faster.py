"""Run every strategy that applies on each database, the slow ones at a smaller table, for notebook 04."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from labproject.analysis import variants
from labproject.studies import databases, grid
from labproject.studies.databases import Database


def measure(where: list[Database], *, slow: list[str], rows: Mapping[str, int], slow_rows: Mapping[str, int],
            repeats: int, slow_repeats: int, reuse: bool = False, peers: bool = True, **common
            ) -> tuple[pd.DataFrame, dict[str, str]]:
    """Run every strategy that applies on each database, ``slow`` ones at the smaller size; return runs and gaps.

    The peers (the libraries a reader would install instead) are in unless ``peers=False``: what to use
    instead of the article's five includes them. ``rows`` and ``slow_rows`` give the sizes per backend;
    ``common`` holds the other spec options and the label; ``reuse`` takes the runs an earlier page of the
    report made of the same specs. Sizes and gaps are keyed by setup (the backend, or
    ``postgresql+transaction`` through PgBouncer, where the strategies that need one server session for
    the walk are left out). Returns the runs table of all databases and, per setup that could not be
    measured, the reason.
    """
    from labproject import strategies

    measured, missing = [], {}
    for database in where:
        names = [n for n in grid.applicable(database.backend, peers=peers)
                 if strategies.get(n).pooler_refusal(database.pooler) is None]
        parts = [([n for n in names if n in slow], {"rows": slow_rows[database.setup], "repeats": slow_repeats}),
                 ([n for n in names if n not in slow], {"rows": rows[database.setup], "repeats": repeats})]
        got, why = databases.run_each(database, [(names, options) for names, options in parts if names], reuse=reuse,
                                      **common)
        if got is None:
            missing[database.setup] = why
        else:
            measured.append(got)
    return variants.merged(*measured).runs, missing


def payload_text_bytes() -> float:
    """Return the mean length of the lab table's JSON payload as text, measured in SQL: what a walk decodes per row."""
    from django.db.models import Avg, TextField
    from django.db.models.functions import Cast, Length

    from labproject.iteration.models import SomeModel

    return float(SomeModel.objects.aggregate(n=Avg(Length(Cast("data", TextField()))))["n"] or 0.0)
