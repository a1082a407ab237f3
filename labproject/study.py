"""Run strategies from a notebook cell or a panel into the results store, and get the tidy tables back.

    from labproject import study
    measured = study.run(study.specs(study.article_strategies(), rows=50_000, repeats=3), label="five")
    measured.runs, measured.samples   # tidy tables, what charts take
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property

import pandas as pd

from labproject.bench import tidy
from labproject.bench.result import RunResult
from labproject.bench.spec import RunSpec


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
    return [RunSpec(strategy=name, rows=rows, repeats=repeats, probes=tuple(probes), backend=backend, **options)
            for name in strategies]


def run(plan: Sequence[RunSpec], *, label: str = "", observers: Sequence = (),
        database_url: str | None = None) -> Measured:
    """Run ``plan`` (each repeat in a fresh worker) into a new session of the store; return the batch.

    ``database_url`` (empty or None: this kernel's database) says where the workers run. A progress
    bar shows every row of every run. A kernel interrupt kills the running worker and raises
    ``labproject.errors.Interrupted``; finished runs stay in the store.
    """
    import sys

    from labproject.bench.observers import ProgressBar
    from labproject.bench.runner import compare

    # A run that did not end ok is a measurement too: its line is ordinary output, not a red error box.
    watching = [ProgressBar(disable=False, notes=sys.stdout), *observers]
    return Measured(compare(plan, label=label, observers=watching, seed_progress=False,
                            database_url=database_url or None))


@dataclass(frozen=True)
class Measured:
    """A batch of results with its tidy tables, computed once each."""

    results: list[RunResult]

    @cached_property
    def runs(self) -> pd.DataFrame:
        return tidy.runs_table(self.results)

    @cached_property
    def samples(self) -> pd.DataFrame:
        return tidy.samples_table(self.results)

    @cached_property
    def traced(self) -> pd.DataFrame:
        return tidy.tracemalloc_table(self.results)

    @cached_property
    def sites(self) -> pd.DataFrame:
        return tidy.sites_table(self.results)

    @cached_property
    def retained(self) -> pd.DataFrame:
        return tidy.retained_types_table(self.results)

    @property
    def tables(self) -> tuple[pd.DataFrame, ...]:
        """Return (runs, samples, traced, sites, retained), the arguments of ``charts.standard_charts``."""
        return self.runs, self.samples, self.traced, self.sites, self.retained

    def carrying(self, probe: str) -> Measured:
        """Return the runs that carried ``probe`` besides RSS ("rss": the runs that carried RSS only)."""
        wanted = ["rss"] if probe == "rss" else ["rss", probe]
        return Measured([r for r in self.results if list(r.probes) == wanted])

    def where(self, **equal) -> Measured:
        """Return the runs whose fields equal the given values (``rows=3000, strategy="..."``)."""
        return Measured([r for r in self.results if all(getattr(r, k) == v for k, v in equal.items())])

    @classmethod
    def load(cls, *sessions: str, store=None) -> Measured:
        """Return the stored results of ``sessions`` (all sessions when none is named)."""
        from labproject.bench.store import ResultStore

        return cls((store or ResultStore()).load(*sessions))
