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
    report made of the same specs. Returns the runs table of all databases and, per backend that could not
    be measured, the reason.
    """
    measured, missing = [], {}
    for database in where:
        names = grid.applicable(database.backend, peers=peers)
        parts = [([n for n in names if n in slow], {"rows": slow_rows[database.backend], "repeats": slow_repeats}),
                 ([n for n in names if n not in slow], {"rows": rows[database.backend], "repeats": repeats})]
        got, why = databases.run_each(database, [(names, options) for names, options in parts if names], reuse=reuse,
                                      **common)
        if got is None:
            missing[database.backend] = why
        else:
            measured.append(got)
    return variants.merged(*measured).runs, missing


def payload_text_bytes() -> float:
    """Return the mean length of the lab table's JSON payload as text, measured in SQL: what a walk decodes per row."""
    from django.db.models import Avg, TextField
    from django.db.models.functions import Cast, Length

    from labproject.iteration.models import SomeModel

    return float(SomeModel.objects.aggregate(n=Avg(Length(Cast("data", TextField()))))["n"] or 0.0)
