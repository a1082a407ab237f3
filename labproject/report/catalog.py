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
    # What the full main report (``servers="main"``) sets on top: a server the page's answer needs, at sizes
    # the report's time allows.
    main: dict = field(default_factory=dict)

    @property
    def path(self) -> Path:
        return NOTEBOOKS_DIR / f"{self.stem}.ipynb"

    def parameters(self, mode: str, servers: str = "auto") -> dict:
        """Return the page's parameters for ``mode`` with the servers ``servers`` leaves on.

        The servers a page can use are the parameters of its notebook named in ``SERVER_PARAMETERS``;
        ``"auto"`` leaves them on, ``"off"`` turns every one off, and ``"main"`` too except what the page's
        ``main`` turns on again in full mode (quick mode is SQLite only).
        """
        chosen = dict(self.quick if mode == "quick" else self.full)
        if servers != "auto":
            import papermill

            declared = papermill.inspect_notebook(str(self.path))
            chosen.update({name: "off" for name in SERVER_PARAMETERS if name in declared})
        if _main_applies(mode, servers):  # a per-backend size names only the backends it changes
            chosen.update({k: {**chosen[k], **v} if isinstance(v, dict) else v for k, v in self.main.items()})
        return chosen

    def main_servers(self, mode: str, servers: str) -> list[str]:
        """Return the servers ``main`` starts for this page in ``mode``, by name (``SERVER_PARAMETERS``)."""
        if not _main_applies(mode, servers):
            return []
        return [what for name, what in SERVER_PARAMETERS.items() if self.main.get(name) == "auto"]


def _main_applies(mode: str, servers: str) -> bool:
    """A page's ``main`` counts in the full main report only: quick mode is SQLite only."""
    return servers == "main" and mode == "full"


# The notebook parameters that start a database server ("auto") or leave it out ("off"), and what each starts.
SERVER_PARAMETERS = {"postgres": "PostgreSQL", "mariadb": "MariaDB", "pooler": "PostgreSQL through PgBouncer"}
# main: SQLite, and a server only where a page's answer needs it; auto: every server a page can use; off: none.
SERVER_CHOICES = ("main", "auto", "off")


PAGES: list[Page] = [
    Page("00_start_here", "Start here: the lab table and its calculation",
         quick={"preset": "tiny"}, full={"preset": "tiny"}),
    Page("01_the_five_methods", "The five methods, measured: memory, time, three memory tools and their cost",
         quick={"rows": 3000, "repeats": 2, "probe_rows": 3000, "probe_repeats": 1, "memray_rows": 1000},
         full={"rows": 50_000, "repeats": 2, "probe_rows": 10_000, "probe_repeats": 1, "memray_rows": 2000}),
    Page("02_leak_investigation", "The leak investigation: why iterator + bulk_update climbs, one experiment per "
         "hypothesis, with verdicts",
         quick={"rows": 3000, "debug_rows": 3000, "batch_sizes": [10, 100, 1000], "views_rows": 2000, "repeats": 1,
                "native_rows": 1000, "postgres": "off", "mariadb": "off", "pooler": "off"},
         full={"rows": 20_000, "debug_rows": 45_000, "batch_sizes": [100, 1000, 10_000], "views_rows": 8000,
               "native_rows": 6000, "repeats": 2}),
    Page("03_scaling", "Scaling: memory and time against rows on log-log axes, and who a memory cap kills",
         quick={"sizes": [1000, 2000, 4000], "repeats": 1, "fit_from": 1000, "memory_cap_mb": 128,
                "limits": {"per_row_save": 2000},
                "cap_sizes": [8000, 40_000], "mariadb": "off"},
         full={"sizes": [1000, 3000, 10_000, 30_000, 100_000, 500_000], "repeats": 2, "memory_cap_mb": 256,
               "cap_sizes": [50_000, 200_000, 500_000], "cap_repeats": 1}),
    Page("04_faster_than_the_five", "Faster than the five: every strategy against the SQL floor, and what to use",
         quick={"rows": {"sqlite": 4000, "postgresql": 4000, "mysql": 4000, "postgresql+transaction": 4000},
                "slow_rows": {"sqlite": 2000, "postgresql": 1000, "mysql": 1000, "postgresql+transaction": 1000},
                "repeats": 1, "postgres": "off", "mariadb": "off", "pooler": "off"},
         full={"rows": {"sqlite": 500_000, "postgresql": 200_000, "mysql": 200_000, "postgresql+transaction": 200_000},
               "slow_rows": {"sqlite": 30_000, "postgresql": 5000, "mysql": 5000, "postgresql+transaction": 5000},
               "repeats": 2, "slow_repeats": 1},
         # The decision chart and the index's advice set PostgreSQL beside SQLite. At this table its runs are
         # mostly a worker's start and the column's reset: 5% of the report (README, "make report" timings).
         main={"postgres": "auto", "rows": {"postgresql": 20_000}, "slow_rows": {"postgresql": 1000}}),
    Page("05_playground", "Playground: choose, run and watch memory live (static charts in the report)",
         # The report shows what the panel draws; the article's 50,000-row table is notebook 01's.
         quick={"rows": 3000, "repeats": 2}, full={"rows": 20_000, "repeats": 2}),
    Page("06_your_own_table", "Your own table: a second model, its strategies, and the command generated for it",
         quick={"rows": 3000, "slow_rows": 1000, "repeats": 1, "postgres": "off"},
         full={"rows": 100_000, "slow_rows": 5000, "repeats": 2}),
    Page("07_more_than_one_worker", "More than one worker: the walk fanned out over Celery, measured and killed on "
         "purpose",
         quick={"rows": 3000, "sqlite_rows": 3000, "workers": [1, 2], "postgres": "off", "demo_rows": 2000},
         full={"rows": 200_000, "sqlite_rows": 20_000, "workers": [1, 2, 4], "repeats": 1, "demo_rows": 20_000}),
]
