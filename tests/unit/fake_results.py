"""Small hand-made run results: known shapes, so chart and summary tests can say exactly what to expect."""

from __future__ import annotations

from labproject.engine.result import RunResult
from labproject.engine.sections import Database, Environment, Queries, Retained, RetainedType, Site, Traced
from labproject.engine.spec import RunSpec

MIB = 2**20
BASELINE = 40 * MIB
ENVIRONMENT = Environment(cores=2, memory_bytes=2**34, platform="Linux", python="3.11.7", django="5.2.1",
                          database=Database("sqlite", "sqlite file lab.sqlite3", "3.40.1",
                                            {"journal_mode": "wal", "synchronous": "normal"}))


def result(strategy: str, repeat: int = 0, *, peak_mib: float = 10.0, wall: float = 2.0, rows: int = 1000,
           probes: tuple[str, ...] = ("rss",), baseline_mib: float = 40.0, status: str = "ok", **sections) -> RunResult:
    """Return a run whose RSS climbs linearly to ``peak_mib`` above baseline over ``wall`` seconds and ``rows``."""
    baseline = int(baseline_mib * MIB)
    steps = 10
    timeline = [[wall * i / steps, baseline + int(peak_mib * MIB * i / steps), rows * i // steps]
                for i in range(steps + 1)]
    ok = status in ("ok", "wrong")
    spec = RunSpec(strategy, rows=rows, backend="sqlite", batch_size=100, probes=probes, check=False)
    return RunResult(
        strategy=strategy, repeat=repeat, status=status, spec=spec, session="s",
        run_id=f"{strategy}-{'-'.join(probes)}-r{repeat}",
        started_at=f"2025-01-01T00:00:{repeat:02d}", wall_seconds=wall if ok else None,
        rss_before_connection_bytes=baseline - 3 * MIB, rss_after_reset_bytes=baseline - MIB,
        baseline_rss_bytes=baseline, peak_rss_bytes=baseline + int(peak_mib * MIB),
        end_rss_bytes=baseline + int(peak_mib * MIB / 2), trimmed_rss_bytes=baseline + int(peak_mib * MIB / 4),
        rows_done=rows, rows_verified=rows if ok else None, rows_wrong=0 if ok else None,
        rss_timeline=timeline if ok else [], environment=ENVIRONMENT, **sections,
    )


def traced(peak_mib: float) -> Traced:
    """Return a tracemalloc section: current rising to ``peak_mib``, two allocation sites."""
    timeline = [[i / 10, int(peak_mib * MIB * i / 10), int(peak_mib * MIB * i / 10)] for i in range(11)]
    sites = (Site("/x/.venv/lib/python3.11/site-packages/django/db/models/base.py:10", 3 * MIB, 300, 3 * MIB),
             Site("/x/labproject/strategies/article.py:20", MIB, 7, MIB))
    return Traced(current_bytes=0, peak_bytes=int(peak_mib * MIB), timeline=timeline, top_sites=sites)


def retained() -> Retained:
    """Return a pympler section with two retained types."""
    return Retained((RetainedType("dict", 1000, 2 * MIB), RetainedType("str", 50, 512 * 1024)), int(2.5 * MIB))


def five_methods() -> list[RunResult]:
    """Return two repeats of a steep strategy and of a flat one, and one probe run each, like notebook 01's."""
    runs = []
    for repeat in (0, 1):
        runs.append(result("steep", repeat, peak_mib=100 + repeat * 10, wall=3 + repeat))
        runs.append(result("flat", repeat, peak_mib=2 + repeat, wall=5 + repeat))
    runs.append(result("steep", probes=("rss", "tracemalloc"), peak_mib=130, wall=12, baseline_mib=41,
                       tracemalloc=traced(90)))
    runs.append(result("flat", probes=("rss", "tracemalloc"), peak_mib=3, wall=20, baseline_mib=41,
                       tracemalloc=traced(1)))
    runs.append(result("steep", probes=("rss", "pympler"), peak_mib=105, wall=3.5, baseline_mib=58,
                       pympler=retained()))
    runs.append(result("steep", probes=("rss", "queries"), peak_mib=105, wall=3.5,
                       queries=Queries(count=1001, seconds=1.5)))
    runs.append(result("flat", probes=("rss", "queries"), peak_mib=2, wall=5.5,
                       queries=Queries(count=11, seconds=0.5)))
    return runs
