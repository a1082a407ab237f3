"""Measure what one bulk_update batch adds to Django's DEBUG query log, on the lab table."""

from __future__ import annotations

from labproject.analysis.querylog import LogCost


def log_cost(batch_size: int) -> LogCost:
    """Run one real bulk_update of ``batch_size`` rows in autocommit, as method 3 does, and capture its log.

    It writes the calculated value into those rows, which every measured run resets first.
    """
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from labproject.iteration.calculation import some_calculation
    from labproject.iteration.models import SomeModel

    objs = list(SomeModel.objects.order_by("pk")[:batch_size])
    for obj in objs:
        obj.field = some_calculation(obj)
    with CaptureQueriesContext(connection) as captured:
        SomeModel.objects.bulk_update(objs, ["field"])
    entries = captured.captured_queries
    return LogCost(batch_size, len(entries), sum(len(e["sql"]) for e in entries), connection.queries_log.maxlen,
                   tuple(e["sql"].split(None, 1)[0] for e in entries))
