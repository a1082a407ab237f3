"""What a strategy is: a named way to walk ``SomeModel`` and set ``field`` for every row.

A strategy module registers its functions with :func:`strategy`; the registry finds every module
in this package (and any named in ``LAB_STRATEGY_MODULES``), so adding one is adding one file.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

SQLITE = "sqlite"
POSTGRESQL = "postgresql"
ALL_BACKENDS = frozenset({SQLITE, POSTGRESQL})

# Families group strategies in tables and notebooks; "experiment" ones exist to explain memory,
# never to be recommended.
FAMILIES = ("article", "keyset", "floor", "cursor", "concurrent", "experiment")


class RunContext:
    """What the engine hands a strategy: the batch size, options, and a progress counter.

    ``advance(n)`` adds ``n`` rows to the count the runner reads from outside while the strategy
    runs; it writes one integer into shared memory, cheap enough to call once per row.
    """

    def __init__(self, batch_size: int, options: dict[str, Any] | None = None,
                 counter: Any = None, alias: str = "default") -> None:
        self.batch_size = batch_size
        self.options = dict(options or {})
        self.alias = alias
        self.rows_done = 0
        self._counter = counter

    def advance(self, rows: int = 1) -> None:
        """Count ``rows`` more rows as done."""
        self.rows_done += rows
        if self._counter is not None:
            self._counter.rows_done = self.rows_done


@dataclass(frozen=True)
class Strategy:
    """A registered strategy: its stable name, the article's method number, why it behaves so, and its code."""

    name: str
    title: str
    why: str
    run: Callable[[RunContext], None] = field(repr=False)
    method: int | None = None
    backends: frozenset[str] = ALL_BACKENDS
    family: str = "article"
    python_side: bool = True  # computes some_calculation in Python for every row (the article's premise)
    max_batch_size: dict[str, int] = field(default_factory=dict)  # per backend, where a limit exists

    @property
    def experiment(self) -> bool:
        return self.family == "experiment"


_REGISTERED: dict[str, Strategy] = {}


def strategy(name: str, title: str, why: str, **details: Any) -> Callable[[Callable], Callable]:
    """Register the decorated function as a strategy named ``name``."""
    if details.get("family", "article") not in FAMILIES:
        raise ValueError(f"strategy {name}: family must be one of {FAMILIES}")

    def register(func: Callable[[RunContext], None]) -> Callable[[RunContext], None]:
        if name in _REGISTERED:
            raise ValueError(f"strategy {name!r} is registered twice")
        backends = frozenset(details.pop("backends", ALL_BACKENDS))
        _REGISTERED[name] = Strategy(name=name, title=title, why=" ".join(why.split()), run=func,
                                     backends=backends, **details)
        return func

    return register


def registered() -> dict[str, Strategy]:
    """Return what has been registered so far (the registry module imports the strategy modules)."""
    return _REGISTERED
