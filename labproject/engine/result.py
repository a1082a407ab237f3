"""The result of one run: a frozen record that validates itself and owns its JSON form.

The JSON top level holds what is the run's own (its name, repeat, session, status and every figure
measured); ``spec`` holds what it was asked to do (rows, payload, batch size, backend, DEBUG, probes,
memory cap...), each fact in one place. Older files are read through one upgrade function per
schema version, so stored sessions keep loading after the format changes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields

from labproject.engine.sections import Environment, Native, Queries, Retained, Section, Traced, Tree
from labproject.engine.spec import RunSpec
from labproject.errors import ResultFormatError
from labproject.units import MIB

SCHEMA_VERSION = 2
STATUSES = ("ok", "wrong", "killed", "error")
SECTIONS: dict[str, type[Section]] = {"tree": Tree, "tracemalloc": Traced, "pympler": Retained, "queries": Queries,
                                      "memray": Native, "environment": Environment}
# What a worker's document may say; the runner knows everything else (and a worker may not overwrite it).
WORKER_FIELDS = frozenset({
    "status", "error", "pid", "environment", "rss_before_connection_bytes", "rss_after_reset_bytes",
    "baseline_rss_bytes", "wall_seconds", "peak_rss_bytes", "end_rss_bytes", "trimmed_rss_bytes", "rows_done",
    "rows_verified", "rows_wrong", "tracemalloc", "pympler", "queries", "memray",
})


@dataclass(frozen=True)
class RunResult:
    """One (strategy, repeat) run as measured by the worker and its runner.

    ``strategy`` is the name the run is shown under (an analysis may relabel it by variant);
    ``spec.strategy`` is what ran. ``peak_rss_bytes`` is the kernel's high-water mark (VmHWM) over
    the strategy alone, which periodic sampling can miss; ``sampled_peak_rss_bytes`` is the maximum
    of ``rss_timeline``, which holds ``[seconds since the strategy started, rss bytes, rows done]``.

    ``baseline_rss_bytes`` is the worker's RSS just before the strategy: the interpreter, Django, the
    probes, and the open database connection with the page cache the column reset warmed. That last
    share is ``rss_after_reset_bytes - rss_before_connection_bytes`` (see :attr:`connection_rss_bytes`),
    so baseline + peak above it is what the OOM killer sees. ``rows_verified``/``rows_wrong`` are
    None when the run never reached verification.
    """

    strategy: str
    repeat: int
    status: str
    session: str
    run_id: str
    started_at: str
    spec: RunSpec
    wall_seconds: float | None = None
    rss_before_connection_bytes: int | None = None
    rss_after_reset_bytes: int | None = None
    baseline_rss_bytes: int | None = None
    peak_rss_bytes: int | None = None
    sampled_peak_rss_bytes: int | None = None
    end_rss_bytes: int | None = None
    trimmed_rss_bytes: int | None = None
    rows_done: int = 0
    rows_verified: int | None = None
    rows_wrong: int | None = None
    rss_timeline: list[list[float]] = field(default_factory=list)
    killed_at_rss_bytes: int | None = None
    error: str | None = None
    pid: int | None = None
    tree: Tree | None = None
    tracemalloc: Traced | None = None
    pympler: Retained | None = None
    queries: Queries | None = None
    memray: Native | None = None
    environment: Environment | None = None
    schema_version: int = SCHEMA_VERSION

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ResultFormatError(f"status {self.status!r} is not one of {STATUSES}")
        if self.status in ("ok", "wrong") and (self.rows_verified is None or self.wall_seconds is None):
            raise ResultFormatError(f"a {self.status} run must carry its verification and wall time")
        if not isinstance(self.spec, RunSpec):
            raise ResultFormatError("a result's spec must be a RunSpec")
        for name, kind in SECTIONS.items():
            value = getattr(self, name)
            if value is not None and not isinstance(value, kind):
                raise ResultFormatError(f"a result's {name} must be a {kind.__name__}, got {type(value).__name__}")

    # What the run was asked, read from its spec (the one place it is kept).
    rows = property(lambda self: self.spec.rows)
    payload_bytes = property(lambda self: self.spec.payload_bytes)
    batch_size = property(lambda self: self.spec.batch_size)
    backend = property(lambda self: self.spec.backend)
    debug = property(lambda self: self.spec.debug)
    probes = property(lambda self: list(self.spec.probes))
    memory_cap_bytes = property(lambda self: self.spec.memory_cap_bytes)

    @property
    def connection_rss_bytes(self) -> int | None:
        """Return what opening the connection and the column reset added to the worker's RSS, or None."""
        if self.rss_before_connection_bytes is None or self.rss_after_reset_bytes is None:
            return None
        return self.rss_after_reset_bytes - self.rss_before_connection_bytes

    def to_dict(self) -> dict:
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["spec"] = {k: v for k, v in self.spec.to_dict().items() if k != "strategy"}
        for name in SECTIONS:
            if data[name] is not None:
                data[name] = data[name].to_dict()
        return data

    @classmethod
    def from_dict(cls, data: dict) -> RunResult:
        """Build a result from its JSON form, upgrading older schema versions and refusing unknown ones."""
        data = upgrade(data)
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ResultFormatError(f"result has unknown fields: {', '.join(unknown)}")
        try:
            spec = RunSpec.from_dict({**data["spec"], "strategy": data["strategy"]}, check=False)
            values = {**data, **read_sections(data), "spec": spec}
            return cls(**values)
        except (KeyError, TypeError) as exc:
            raise ResultFormatError(f"result is missing fields: {exc}") from None


def read_sections(data: dict) -> dict:
    """Return the sections present in ``data`` as typed records (absent or null ones are left out)."""
    return {name: kind.from_dict(data[name]) for name, kind in SECTIONS.items() if data.get(name) is not None}


def read_worker_part(data: object) -> dict:
    """Return a worker's document with its sections typed, refusing a field a worker may not set."""
    if not isinstance(data, dict):
        raise ResultFormatError("a worker's document must be a JSON object")
    foreign = sorted(set(data) - WORKER_FIELDS)
    if foreign:
        raise ResultFormatError(f"the worker's document sets fields only the runner may set: {', '.join(foreign)}")
    return {**data, **read_sections(data)}


def _from_v1(data: dict) -> dict:
    """Version 1 kept rows, payload, batch, backend, DEBUG, probes and the cap at the top level too."""
    top = ("rows", "payload_bytes", "batch_size", "backend", "debug", "probes")
    spec = {**{k: data[k] for k in top if k in data}, **data.get("spec", {})}
    spec.pop("strategy", None)
    cap = data.get("memory_cap_bytes")
    spec.setdefault("memory_cap_mb", None if cap is None else cap // MIB)
    upgraded = {k: v for k, v in data.items() if k not in (*top, "memory_cap_bytes")}
    upgraded.update(spec=spec, schema_version=2, environment=data.get("environment") or None)
    return upgraded


UPGRADES: dict[int, Callable[[dict], dict]] = {1: _from_v1}


def upgrade(data: object) -> dict:
    """Bring a stored result to the current schema, one version at a time; refuse versions not known here."""
    if not isinstance(data, dict):
        raise ResultFormatError("a result must be a JSON object")
    version = data.get("schema_version")
    while version != SCHEMA_VERSION:
        if version not in UPGRADES:
            raise ResultFormatError(f"result schema version {version!r} is not one read here "
                                    f"(1 to {SCHEMA_VERSION})")
        data = UPGRADES[version](data)
        version = data["schema_version"]
    return data
