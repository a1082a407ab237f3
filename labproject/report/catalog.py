"""The notebooks the report executes, in order, with their quick (CI) and full parameters."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

NOTEBOOKS_DIR = Path(__file__).resolve().parents[2] / "notebooks"


@dataclass(frozen=True)
class Page:
    """One notebook of the report and the parameters it runs with in each mode."""

    stem: str
    title: str
    quick: dict = field(default_factory=dict)
    full: dict = field(default_factory=dict)

    @property
    def path(self) -> Path:
        return NOTEBOOKS_DIR / f"{self.stem}.ipynb"

    def parameters(self, mode: str) -> dict:
        return dict(self.quick if mode == "quick" else self.full)


PAGES: list[Page] = [
    Page("00_start_here", "Start here: the lab table and its calculation",
         quick={"preset": "tiny"}, full={"preset": "tiny"}),
    Page("01_the_five_methods", "The five methods, measured: memory, time, three memory tools and their cost",
         quick={"rows": 3000, "repeats": 2, "probe_repeats": 1},
         full={"rows": 50_000, "repeats": 3, "probe_repeats": 1}),
    Page("05_playground", "Playground: choose, run and watch memory live (static charts in the report)",
         quick={"rows": 3000, "repeats": 2}, full={"rows": 50_000, "repeats": 3}),
]
