"""Time the Paginator's own SELECT at several offsets of the lab table as it is now, in this kernel.

``analysis.offset`` turns the times into seconds per row stepped over. The statement is the one
Django's ``Paginator`` sends for a page (``ORDER BY pk LIMIT k OFFSET o``, every column), fetched in
full, so what is timed is what a page costs the database and the driver; it reads and writes nothing
else, so the table stays as the runs left it.
"""

from __future__ import annotations

import statistics
import time

import pandas as pd


def page_costs(*, batch_size: int, points: int = 5, repeats: int = 3) -> pd.DataFrame:
    """Return the median seconds of one page's SELECT at ``points`` offsets from the first page to the last."""
    from django.db import connection

    from labproject.iteration.models import SomeModel

    rows = SomeModel.objects.count()
    last = max(rows - batch_size, 0)
    offsets = sorted({round(last * i / max(points - 1, 1)) for i in range(points)})
    records = []
    with connection.cursor() as cursor:
        for offset in offsets:
            sql, params = SomeModel.objects.order_by("pk")[offset:offset + batch_size].query.sql_with_params()
            times = []
            for _ in range(repeats):
                started = time.perf_counter()
                cursor.execute(sql, params)
                cursor.fetchall()
                times.append(time.perf_counter() - started)
            records.append({"offset": offset, "seconds": statistics.median(times), "table rows": rows})
    return pd.DataFrame.from_records(records)
