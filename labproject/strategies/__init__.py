"""The strategy registry: every module in this package, plus those named in ``LAB_STRATEGY_MODULES``."""

from __future__ import annotations

import importlib
import os
import pkgutil

from labproject.errors import NotApplicable, UnknownStrategy
from labproject.strategies.base import ALL_BACKENDS, FAMILIES, Strategy, registered

__all__ = ["ALL_BACKENDS", "Strategy", "all_strategies", "applicable", "get", "names"]

_loaded = False


def _load() -> dict[str, Strategy]:
    """Import every strategy module once, so their decorators register them."""
    global _loaded
    if not _loaded:
        for module in pkgutil.iter_modules(__path__):
            if module.name != "base" and not module.name.startswith("_"):
                importlib.import_module(f"{__name__}.{module.name}")
        for extra in filter(None, os.environ.get("LAB_STRATEGY_MODULES", "").split(",")):
            importlib.import_module(extra.strip())
        _loaded = True
    return registered()


def all_strategies(*, experiments: bool = True) -> list[Strategy]:
    """Return every registered strategy, the article's five first in method order."""
    found = _load().values()
    chosen = [s for s in found if experiments or not s.experiment]
    return sorted(chosen, key=lambda s: (s.method is None, s.method or 0, FAMILIES.index(s.family)))


def names() -> list[str]:
    """Return the registered names in listing order."""
    return [s.name for s in all_strategies()]


def get(name: str, backend: str | None = None, pooler: str | None = None) -> Strategy:
    """Return the strategy called ``name``, refusing unknown names, unsupported backends and poolers it cannot pass."""
    try:
        found = _load()[name]
    except KeyError:
        raise UnknownStrategy(f"unknown strategy {name!r}; known: {', '.join(names())}") from None
    if backend is not None and backend not in found.backends:
        raise NotApplicable(
            f"strategy {name!r} does not apply to {backend}; it runs on {', '.join(sorted(found.backends))}"
        )
    pooled = found.pooler_refusal(pooler)
    if pooled:
        raise NotApplicable(pooled)
    return found


def applicable(backend: str, *, experiments: bool = False, peers: bool = False) -> list[Strategy]:
    """Return the strategies that run on ``backend``, in listing order.

    Experiments and the peers (family ``library``) are left out unless asked: the studies' sizes and
    budgets are set for the lab's own strategies, and a page or suite that shows the peers asks for them.
    """
    return [s for s in all_strategies(experiments=experiments)
            if backend in s.backends and (peers or not s.peer)]
