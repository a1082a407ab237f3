"""RunSpec: everything that defines one measured run, validated when it is made."""

from __future__ import annotations

import os
from dataclasses import InitVar, asdict, dataclass, field

from labproject.errors import BadInput
from labproject.shape import check_shape
from labproject.units import MIB

PROBES = ("rss", "tracemalloc", "pympler", "queries", "memray")
# Python + Django alone take more than this: a cap below it can only kill the worker at start-up.
MIN_MEMORY_CAP_MB = 32
MAX_BATCH_SIZE = 1_000_000
MAX_REPEATS = 100


@dataclass(frozen=True)
class RunSpec:
    """One strategy at one table shape, with its batch size, probes, memory cap and repeat count.

    ``backend`` names the database the runner's ``DATABASE_URL`` points at and ``pooler`` the pooler in
    front of it (PostgreSQL: ``"transaction"`` or None); both are recorded, and a strategy that does not
    support them is refused before anything runs. ``server_side_cursors`` left at None becomes what Django
    does there: on for PostgreSQL, off behind a transaction pooler (Django requires that) and on MySQL
    (Django has none there). ``check=False`` reads back a
    spec that ran: its strategy may since have been renamed or lived in a test module, and its table
    may be above today's ceiling, so neither the registry nor the ceiling is asked again.
    """

    strategy: str
    rows: int
    backend: str
    target: str = "lab"  # a lab table's target (lab, invoices) or package.module:attribute
    payload_bytes: int = 300
    seed: int = 1
    batch_size: int = 1000
    debug: bool = False
    probes: tuple[str, ...] = ("rss",)
    memory_cap_mb: int | None = None
    repeats: int = 1
    server_side_cursors: bool | None = None  # False sets DISABLE_SERVER_SIDE_CURSORS (PostgreSQL)
    pooler: str | None = None
    partitions: int = field(default_factory=lambda: os.cpu_count() or 1)
    force: bool = field(default=False, compare=False)  # allows tables above the seeding ceiling
    check: InitVar[bool] = True

    def __post_init__(self, check: bool) -> None:
        from labproject import strategies

        probes = tuple(dict.fromkeys(("rss", *self.probes)))
        object.__setattr__(self, "probes", probes)
        if self.pooler is not None and self.backend != "postgresql":
            raise BadInput(f"a pooler ({self.pooler}) is only known in front of postgresql, not {self.backend}")
        if self.server_side_cursors is None:
            object.__setattr__(self, "server_side_cursors", self.pooler is None and self.backend != "mysql")
        if self.server_side_cursors and self.backend == "mysql":
            raise BadInput("Django has no server-side cursors on mysql: the driver buffers every result")
        check_shape(self.rows, self.payload_bytes, self.seed, force=self.force or not check)
        _positive("batch size", self.batch_size, MAX_BATCH_SIZE)
        _positive("repeats", self.repeats, MAX_REPEATS)
        _positive("partitions", self.partitions, 64)
        unknown = [p for p in probes if p not in PROBES]
        if unknown:
            raise BadInput(f"unknown probe(s) {', '.join(unknown)}; known: {', '.join(PROBES)}")
        if {"memray", "tracemalloc"} <= set(probes):
            raise BadInput("memray and tracemalloc both hook Python's allocators: give each its own runs")
        if self.memory_cap_mb is not None:
            _positive("memory cap (MiB)", self.memory_cap_mb, 1 << 20)
            if self.memory_cap_mb < MIN_MEMORY_CAP_MB:
                raise BadInput(
                    f"memory cap {self.memory_cap_mb} MiB is below any worker's baseline "
                    f"(Python + Django need more than {MIN_MEMORY_CAP_MB} MiB)"
                )
        if not check:
            return
        from labproject.iteration.targets import get_target

        get_target(self.target)  # an unknown or unimportable target is refused before anything runs
        chosen = strategies.get(self.strategy, self.backend, self.pooler)
        limit = chosen.max_batch_size.get(self.backend)
        if limit and self.batch_size > limit:
            raise BadInput(
                f"batch size {self.batch_size} is above what {self.strategy} can send to {self.backend} "
                f"in one statement ({limit}); use --batch-size {limit} or less"
            )

    @property
    def memory_cap_bytes(self) -> int | None:
        return None if self.memory_cap_mb is None else self.memory_cap_mb * MIB

    def to_dict(self) -> dict:
        data = asdict(self)
        data["probes"] = list(self.probes)
        data.pop("force")
        return data

    @classmethod
    def from_dict(cls, data: dict, *, check: bool = True) -> RunSpec:
        """Build a spec from its JSON form (a table above the ceiling was allowed when it was made)."""
        return cls(**{**data, "probes": tuple(data.get("probes", ("rss",))), "force": True}, check=check)


def _positive(what: str, value: object, ceiling: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise BadInput(f"{what} must be a positive whole number, got {value!r}")
    if value > ceiling:
        raise BadInput(f"{what} {value:,} is above the lab's limit of {ceiling:,}")
