"""Run strategies from a notebook cell or a panel into the results store, and get the tidy tables back.

    from labproject.engine import measure
    measured = measure.run(measure.specs(measure.article_strategies(), rows=50_000, repeats=3), label="five")
    measured.runs, measured.samples   # tidy tables, what charts take
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from labproject.engine.measured import Measured
from labproject.engine.spec import RunSpec


def article_strategies() -> list[str]:
    """Return the article's five methods in its order."""
    from labproject import strategies

    return [s.name for s in strategies.all_strategies() if s.method is not None]


def backend_of(database_url: str | None) -> str:
    """Return the backend a URL names, or this kernel's when it is empty or None."""
    if not database_url:
        from django.db import connection

        return connection.vendor
    from labproject.database import backend_name, database_config

    return backend_name(database_config(database_url)["ENGINE"])


def specs(strategies: Iterable[str], *, rows: int, repeats: int = 1, probes: Sequence[str] = (),
          database_url: str | None = None, **options) -> list[RunSpec]:
    """Return one validated spec per strategy (``options`` as RunSpec's).

    The specs are for the database this kernel uses, or the one ``database_url`` names.
    """
    backend = backend_of(database_url)
    options.setdefault("pooler", pooler_of_url(database_url))
    return [RunSpec(strategy=name, rows=rows, repeats=repeats, probes=tuple(probes), backend=backend, **options)
            for name in strategies]


def pooler_of_url(database_url: str | None) -> str | None:
    """Return the pooler a URL says sits in front of its server, or this kernel's when it is empty or None."""
    from labproject.database import database_config, pooler_of

    if not database_url:
        from django.db import connection

        return pooler_of(connection.settings_dict)
    return pooler_of(database_config(database_url))


def run(plan: Sequence[RunSpec], *, label: str = "", observers: Sequence = (),
        database_url: str | None = None) -> Measured:
    """Run ``plan`` (each repeat in a fresh worker) into a new session of the store; return the batch.

    ``database_url`` (empty or None: this kernel's database) says where the workers run. A progress
    bar shows every row of every run. A kernel interrupt kills the running worker and raises
    ``labproject.errors.Interrupted``; finished runs stay in the store.
    """
    import sys

    from labproject.engine.observers import ProgressBar
    from labproject.engine.runner import compare

    # A run that did not end ok is a measurement too: its line is ordinary output, not a red error box.
    watching = [ProgressBar(disable=False, notes=sys.stdout), *observers]
    return Measured(compare(plan, label=label, observers=watching, seed_progress=False,
                            database_url=database_url or None))
