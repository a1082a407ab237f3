"""A batch of run results with its tidy tables: what the analysis, the charts and the notebooks take."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import pandas as pd

from labproject.engine import tidy
from labproject.engine.result import RunResult


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
        from labproject.engine.store import ResultStore

        return cls((store or ResultStore()).load(*sessions))
