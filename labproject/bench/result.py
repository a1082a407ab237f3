"""The result of one run: a frozen record that validates itself and owns its JSON form."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields

from labproject.errors import ResultFormatError

SCHEMA_VERSION = 1
STATUSES = ("ok", "wrong", "killed", "error")


@dataclass(frozen=True)
class RunResult:
    """One (strategy, repeat) run as measured by the worker and its runner.

    ``peak_rss_bytes`` is the kernel's high-water mark (VmHWM) over the strategy alone, which
    periodic sampling can miss; ``sampled_peak_rss_bytes`` is the maximum of ``rss_timeline``.
    ``rss_timeline`` holds ``[seconds since the strategy started, rss bytes, rows done]``.
    ``rows_verified``/``rows_wrong`` are None when the run never reached verification.
    """

    strategy: str
    repeat: int
    status: str
    rows: int
    payload_bytes: int
    batch_size: int
    backend: str
    debug: bool
    session: str
    run_id: str
    started_at: str
    probes: list[str] = field(default_factory=lambda: ["rss"])
    wall_seconds: float | None = None
    baseline_rss_bytes: int | None = None
    peak_rss_bytes: int | None = None
    sampled_peak_rss_bytes: int | None = None
    end_rss_bytes: int | None = None
    trimmed_rss_bytes: int | None = None
    rows_done: int = 0
    rows_verified: int | None = None
    rows_wrong: int | None = None
    rss_timeline: list[list[float]] = field(default_factory=list)
    memory_cap_bytes: int | None = None
    killed_at_rss_bytes: int | None = None
    error: str | None = None
    pid: int | None = None
    tree: dict | None = None
    tracemalloc: dict | None = None
    pympler: dict | None = None
    queries: dict | None = None
    memray: dict | None = None
    environment: dict = field(default_factory=dict)
    spec: dict = field(default_factory=dict)
    schema_version: int = SCHEMA_VERSION

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ResultFormatError(f"status {self.status!r} is not one of {STATUSES}")
        if self.status in ("ok", "wrong") and (self.rows_verified is None or self.wall_seconds is None):
            raise ResultFormatError(f"a {self.status} run must carry its verification and wall time")

    @property
    def peak_above_baseline(self) -> int | None:
        if self.peak_rss_bytes is None or self.baseline_rss_bytes is None:
            return None
        return self.peak_rss_bytes - self.baseline_rss_bytes

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> RunResult:
        """Build a result from its JSON form, refusing unknown schema versions and missing keys."""
        if not isinstance(data, dict):
            raise ResultFormatError("a result must be a JSON object")
        version = data.get("schema_version")
        if version != SCHEMA_VERSION:
            raise ResultFormatError(f"result schema version {version!r} is not {SCHEMA_VERSION}, the one read here")
        known = {f.name for f in fields(cls)}
        try:
            return cls(**{k: v for k, v in data.items() if k in known})
        except TypeError as exc:
            raise ResultFormatError(f"result is missing fields: {exc}") from None
