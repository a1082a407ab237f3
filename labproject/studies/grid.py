"""Run strategies at several table sizes: one compare per size, since a compare seeds one table shape.

Sizes run smallest first, so a slow or killed strategy shows early what the larger ones will cost.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from labproject.engine import measure
from labproject.engine.measured import Measured


def sizes_for(names: Iterable[str], sizes: Iterable[int], limits: Mapping[str, int]) -> dict[int, list[str]]:
    """Return, per size, the strategies to run there: every one, up to its cost class's limit in ``limits``.

    ``limits`` maps a cost class (``per_row_save``, ``per_batch_orm``...) to the largest table its
    strategies run at, so a new strategy of a slow class is limited without a list to edit.
    """
    from labproject import strategies

    names = list(names)
    costs = {n: strategies.get(n).cost for n in names}
    plan = {size: [n for n in names if size <= limits.get(costs[n], size)] for size in sorted(sizes)}
    return {size: chosen for size, chosen in plan.items() if chosen}


def limited(names: Iterable[str], limits: Mapping[str, int]) -> dict[str, int]:
    """Return the strategies ``limits`` holds back, with the size each stops at."""
    from labproject import strategies

    return {n: limits[strategies.get(n).cost] for n in names if strategies.get(n).cost in limits}


def run_grid(plan: Mapping[int, list[str]], *, label: str, **options) -> Measured:
    """Run every (size, strategies) of ``plan``, one session per size; ``options`` as ``measure.specs`` takes."""
    results = []
    for size, names in sorted(plan.items()):
        results += measure.run(measure.specs(names, rows=size, **options), label=label).results
    return Measured(results)


def run_until_killed(plan: Mapping[str, Iterable[int]], *, label: str, memory_cap_mb: int, **options) -> Measured:
    """Run each strategy at its sizes in ``plan``, smallest first under the cap, dropping it after its first kill.

    Memory that grows with the table is only killed sooner at a larger size, so the sizes above a
    strategy's first kill are not run.
    """
    wanted = {name: set(sizes) for name, sizes in plan.items()}
    killed: set[str] = set()
    results = []
    for size in sorted(set().union(*wanted.values())):
        names = [name for name, sizes in wanted.items() if size in sizes and name not in killed]
        if not names:
            continue
        batch = measure.run(measure.specs(names, rows=size, memory_cap_mb=memory_cap_mb, **options), label=label)
        results += batch.results
        killed |= {r.strategy for r in batch.results if r.status == "killed"}
    return Measured(results)


def applicable(backend: str | None = None, *, experiments: bool = False, peers: bool = False) -> list[str]:
    """Return the names of the strategies that run on ``backend`` (default: this kernel's), as the registry's."""
    from django.db import connection

    from labproject import strategies

    return [s.name for s in strategies.applicable(backend or connection.vendor, experiments=experiments,
                                                  peers=peers)]
