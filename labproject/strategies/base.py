"""What a strategy is: a named way to walk a target (by default the lab's ``SomeModel``) and set its column.

A strategy module registers its functions with :func:`strategy`; the registry finds every module
in this package (and any named in ``LAB_STRATEGY_MODULES``), so adding one is adding one file. Each
strategy receives a :class:`labproject.walk.Walk`; every property a table, a notebook or ``auto``
needs (family, cost class, backends, whether it can resume, its rank for ``auto``) lives here, on
the strategy, and nowhere else.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from labproject.database import pooler_of
from labproject.walk.context import Walk
from labproject.walk.target import Target

SQLITE = "sqlite"
POSTGRESQL = "postgresql"
MYSQL = "mysql"  # MySQL and MariaDB, as Django's connection.vendor names them
ALL_BACKENDS = frozenset({SQLITE, POSTGRESQL, MYSQL})

# Families group strategies in tables and notebooks; "experiment" ones exist to explain memory,
# never to be recommended; "library" ones are the peers: what a user installs instead of writing a walk.
FAMILIES = ("article", "keyset", "floor", "cursor", "concurrent", "walk", "library", "experiment")
# What a strategy pays per row, cheapest last: the class decides where its time goes, so the slow
# ones (per-row save, per-batch ORM) run at a smaller table wherever time is budgeted.
COSTS = {
    "per_row_save": "one model instance and one UPDATE (and, outside a transaction, one commit) per row",
    "per_batch_orm": "model instances and one ORM or library bulk write per batch (bulk_update: a CASE WHEN per row)",
    "raw_batch": "plain tuples and one prepared statement per batch",
    "in_sql": "no row leaves the database",
}
SLOW_COSTS = ("per_row_save", "per_batch_orm")


@dataclass(frozen=True)
class Strategy:
    """A registered strategy: its stable name, the article's method number, why it behaves so, and its code.

    ``resumable`` strategies commit each batch through ``Walk.batch``, so they keep a checkpoint, honour
    only-changed writes, dry runs, limits and throttling; ``auto_rank`` orders the ones ``method="auto"``
    may pick (lowest first, as measured); ``needs`` returns why a walk cannot use it, or None;
    ``needs_session`` says why the walk needs one server session from start to end (a WITH HOLD cursor),
    so that a transaction pooler, which hands each transaction to any server connection, refuses it.
    ``verify_sql(target, vendor)`` is the SQL the written column must equal after a run, for a strategy
    that writes something other than the calculation on purpose (default: the target's SQL twin).
    ``library`` is the PyPI distribution a peer calls, whose version every result records.
    """

    name: str
    title: str
    why: str
    run: Callable[[Walk], None] = field(repr=False)
    method: int | None = None
    backends: frozenset[str] = ALL_BACKENDS
    family: str = "article"
    cost: str = "per_row_save"
    python_side: bool = True  # computes the calculation in Python for every row (the article's premise)
    max_batch_size: dict[str, int] = field(default_factory=dict)  # per backend, where a limit exists
    resumable: bool = False
    auto_rank: int | None = None
    needs: Callable[[Walk], str | None] | None = field(default=None, repr=False)
    verify_sql: Callable[[Target, str], str] | None = field(default=None, repr=False)
    needs_session: str = ""
    library: str | None = None

    @property
    def experiment(self) -> bool:
        return self.family == "experiment"

    @property
    def peer(self) -> bool:
        """Tell whether it is a library a user would install instead (left out of the studies unless asked)."""
        return self.family == "library"

    @property
    def slow(self) -> bool:
        """Tell whether it builds model instances per row, so budgets run it at a smaller table."""
        return self.cost in SLOW_COSTS

    def refusal(self, walk: Walk) -> str | None:
        """Return why this strategy cannot walk ``walk`` (backend, pooler, key, calculation), or None."""
        if walk.vendor not in self.backends:
            runs_on = ", ".join(sorted(self.backends))
            return f"strategy {self.name!r} does not apply to {walk.vendor}; it runs on {runs_on}"
        pooled = self.pooler_refusal(pooler_of(walk.connection.settings_dict))
        if pooled:
            return pooled
        return self.needs(walk) if self.needs is not None else None

    def pooler_refusal(self, pooler: str | None) -> str | None:
        """Return why this strategy cannot run through ``pooler`` (None: a direct connection), or None."""
        if pooler == "transaction" and self.needs_session:
            return f"strategy {self.name!r} cannot run through a transaction pooler: {self.needs_session}"
        return None


_REGISTERED: dict[str, Strategy] = {}


def strategy(name: str, title: str, why: str, **details: Any) -> Callable[[Callable], Callable]:
    """Register the decorated function as a strategy named ``name``."""
    if details.get("family", "article") not in FAMILIES:
        raise ValueError(f"strategy {name}: family must be one of {FAMILIES}")
    if details.get("cost", "per_row_save") not in COSTS:
        raise ValueError(f"strategy {name}: cost must be one of {tuple(COSTS)}")

    def register(func: Callable[[Walk], None]) -> Callable[[Walk], None]:
        if name in _REGISTERED:
            raise ValueError(f"strategy {name!r} is registered twice")
        backends = frozenset(details.pop("backends", ALL_BACKENDS))
        if "needs_session" in details:
            details["needs_session"] = " ".join(details["needs_session"].split())
        _REGISTERED[name] = Strategy(name=name, title=title, why=" ".join(why.split()), run=func,
                                     backends=backends, **details)
        return func

    return register


def registered() -> dict[str, Strategy]:
    """Return what has been registered so far (the registry module imports the strategy modules)."""
    return _REGISTERED


def integer_key(walk: Walk) -> str | None:
    """A ``needs`` check: the strategy indexes or slices by integer key."""
    if walk.target.integer_key:
        return None
    return f"{walk.target.model._meta.label}'s key is a {walk.target.key.get_internal_type()}; this needs integers"


def sql_twin(walk: Walk) -> str | None:
    """A ``needs`` check: the strategy runs the calculation's SQL twin."""
    if walk.target.sql_for(walk.vendor) is not None:
        return None
    return f"target {walk.target.name!r} has no SQL twin of its calculation for {walk.vendor}"
