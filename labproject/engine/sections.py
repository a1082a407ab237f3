"""The typed sections of a run result: what each probe, the sampler and the environment report.

Each section is a frozen record that owns its JSON form (``to_dict``/``from_dict``) and refuses a
key it does not know, so a reader never digs through nested dicts with ``.get()`` chains.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any, ClassVar

from labproject.errors import ResultFormatError


class Section:
    """A record read from one JSON object; subclasses name the keys that hold nested records."""

    nested: ClassVar[dict[str, type[Section]]] = {}

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: object) -> Any:
        if isinstance(data, cls):
            return data
        if not isinstance(data, dict):
            raise ResultFormatError(f"the {cls.__name__} section must be a JSON object, got {type(data).__name__}")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ResultFormatError(f"the {cls.__name__} section has unknown keys: {', '.join(unknown)}")
        values = {k: tuple(cls.nested[k].from_dict(item) for item in v) if k in cls.nested else v
                  for k, v in data.items()}
        try:
            return cls(**values)
        except TypeError as exc:
            raise ResultFormatError(f"the {cls.__name__} section is incomplete: {exc}") from None


@dataclass(frozen=True)
class Tree(Section):
    """The worker's process tree as the runner sampled it: how many processes, and their summed PSS.

    ``timeline`` holds ``[seconds since the strategy started, PSS bytes, processes]``.
    """

    processes: int = 1
    baseline_pss_bytes: int | None = None
    peak_pss_bytes: int | None = None
    timeline: list[list[float]] = field(default_factory=list)
    pss_interval_seconds: float | None = None
    pss_read_seconds: float = 0.0
    pss_reads: int = 0


@dataclass(frozen=True)
class Site(Section):
    """One allocation site (``file:line``) and what its live blocks gained over the strategy."""

    site: str
    size_diff_bytes: int
    count_diff: int
    size_bytes: int


@dataclass(frozen=True)
class Traced(Section):
    """tracemalloc's view: traced bytes at the end and at the peak, over time, and the sites that grew most.

    ``timeline`` holds ``[seconds since the strategy started, current bytes, peak bytes]``.
    """

    nested: ClassVar = {"top_sites": Site}

    current_bytes: int
    peak_bytes: int
    timeline: list[list[float]] = field(default_factory=list)
    top_sites: tuple[Site, ...] = ()

    @property
    def start_bytes(self) -> int:
        """Traced bytes at the first sample, taken as the strategy starts (the probe's own snapshot is in it)."""
        return self.timeline[0][1] if self.timeline else 0


@dataclass(frozen=True)
class RetainedType(Section):
    """One object type and how many objects and bytes of it the strategy left behind."""

    type: str
    count_diff: int
    size_diff_bytes: int


@dataclass(frozen=True)
class Retained(Section):
    """pympler's census: the object types retained after the strategy, largest first, and their total."""

    nested: ClassVar = {"retained": RetainedType}

    retained: tuple[RetainedType, ...] = ()
    total_size_diff_bytes: int = 0


@dataclass(frozen=True)
class Queries(Section):
    """The queries sent through Django's connection during the strategy, the time they took, and what they cost.

    ``instances`` counts the model instances Django built (its ``post_init`` signal), ``offset_rows`` the rows
    the SELECTs asked the database to step over (their ``OFFSET``), ``sql_chars`` the SQL text sent.
    """

    count: int
    seconds: float
    executemany_count: int = 0
    note: str = ""
    instances: int = 0
    offset_rows: int = 0
    sql_chars: int = 0


@dataclass(frozen=True)
class NativeSite(Section):
    """One C call site live at memray's heap peak: its function, C library, the Python line above it, bytes."""

    site: str
    library: str
    python: str
    size_bytes: int
    allocations: int


@dataclass(frozen=True)
class Native(Section):
    """memray's view: the heap's peak split into Python's allocators and C code, C code by call site.

    ``timeline`` holds ``[seconds since the strategy started, RSS bytes, heap high-water mark bytes]``;
    ``capture`` is the file memray wrote, from which a flame graph is drawn. ``native_high_water_*``
    is C code's own high-water mark, which may come before the heap's peak (a buffer freed early).
    """

    nested: ClassVar = {"native_sites": NativeSite, "native_high_water_sites": NativeSite}

    capture: str
    peak_bytes: int
    python_at_peak_bytes: int
    native_at_peak_bytes: int
    native_traces: bool = True
    trace_python_allocators: bool = True
    native_sites: tuple[NativeSite, ...] = ()
    timeline: list[list[float]] = field(default_factory=list)
    allocations: int = 0
    native_high_water_bytes: int | None = None
    python_at_native_high_water_bytes: int | None = None
    native_high_water_seconds: float | None = None
    native_high_water_sites: tuple[NativeSite, ...] = ()


@dataclass(frozen=True)
class Database(Section):
    """The database a run used: backend, where (never a password), version, and the settings that move timings.

    ``settings`` differ by backend (SQLite's pragmas, PostgreSQL's ``work_mem``...); in JSON they sit
    beside the three named keys, as one flat object.
    """

    backend: str
    where: str = ""
    version: str | None = None
    settings: dict[str, Any] = field(default_factory=dict)

    def setting(self, name: str) -> Any:
        """Return one setting, or None where this backend has no such setting."""
        return self.settings.get(name)

    def to_dict(self) -> dict:
        return {"backend": self.backend, "where": self.where, "version": self.version, **self.settings}

    @classmethod
    def from_dict(cls, data: object) -> Database:
        if isinstance(data, cls):
            return data
        if not isinstance(data, dict) or "backend" not in data:
            raise ResultFormatError("the Database section must be a JSON object with a backend")
        named = {"backend", "where", "version"}
        return cls(**{k: v for k, v in data.items() if k in named},
                   settings={k: v for k, v in data.items() if k not in named})


@dataclass(frozen=True)
class Environment(Section):
    """Where a run ran: the machine, the interpreter, Django, the database with its settings, and the peers.

    ``libraries`` maps each peer library a registered strategy calls (its PyPI name) to the version
    installed, or None; results written before it existed read as ``{}``.
    """

    cores: int | None
    memory_bytes: int | None
    platform: str
    python: str
    django: str
    database: Database | None = None
    libraries: dict[str, str | None] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {**asdict(self), "database": None if self.database is None else self.database.to_dict()}

    @classmethod
    def from_dict(cls, data: object) -> Environment:
        if isinstance(data, dict) and data.get("database") is not None:
            data = {**data, "database": Database.from_dict(data["database"])}
        return super().from_dict(data)
