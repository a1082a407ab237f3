"""Measure what one bulk_update batch adds to Django's DEBUG query log, on the lab table of some database.

``log_cost`` runs in this kernel on its own database; ``log_cost_on`` runs the same measurement in a
fresh process on another database (``python -m labproject.studies.debug_log``), so PostgreSQL's
statements are measured on PostgreSQL.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from dataclasses import asdict

from labproject.analysis.querylog import LogCost
from labproject.errors import WorkerFailed
from labproject.processes import last_line


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
                   tuple(e["sql"].split(None, 1)[0] for e in entries), sum(_size(e) for e in entries),
                   connection.vendor)


def _size(entry: dict) -> int:
    """Return what one log entry occupies as Python objects: its dict, its keys' values."""
    return sys.getsizeof(entry) + sum(sys.getsizeof(v) for v in entry.values())


def log_cost_on(database_url: str, batch_size: int) -> LogCost:
    """Measure :func:`log_cost` in a fresh process on the database ``database_url`` names (its table seeded)."""
    env = {**os.environ, "DATABASE_URL": database_url,
           "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "labproject.settings")}
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    done = subprocess.run([sys.executable, "-m", "labproject.studies.debug_log", "--batch-size", str(batch_size)],
                          env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    try:
        data = json.loads(done.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        raise WorkerFailed(f"measuring the query log failed: {last_line(done.stderr, str(done.returncode))}") \
            from None
    return LogCost(**{**data, "statements": tuple(data["statements"])})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Print what one bulk_update batch adds to DEBUG's query log.")
    parser.add_argument("--batch-size", type=int, required=True)
    args = parser.parse_args(argv)
    import django

    django.setup()
    from labproject.iteration.lock import lab_lock

    with lab_lock():  # it writes the calculated value into the first batch's rows
        cost = log_cost(args.batch_size)
    print(json.dumps(asdict(cost)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
