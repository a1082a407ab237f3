"""The leak study's hypotheses about method 3 (iterator + bulk_update), each judged from its own runs.

Every function takes the runs of one controlled experiment (one thing changed, the rest kept) and
returns a :class:`Finding` whose effect sentence and verdict are computed from them.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from labproject.analysis.growth import PER_ROWS, median_growth, plateau
from labproject.analysis.querylog import LogCost
from labproject.analysis.verdicts import CONFIRMED, DEPENDS, NOISE_MIB, NOT_MEASURED, REFUTED, Finding, margin
from labproject.engine.measured import Measured
from labproject.engine.summary import summarize
from labproject.units import MIB

METHOD_3 = "iterator_bulk_update"
# The hypotheses judged here, each stated once (the judges' findings and their NOT_MEASURED twins share it).
CLIMBS = "Method 3 climbs with the table even with DEBUG off"
DEBUG_LOG = "DEBUG's query log makes method 3 climb"
BATCH_SIZE = "The chunk/batch size makes method 3 climb"
ALLOCATOR = "What RSS keeps after the walk is memory the allocator holds, not live objects"
CURSOR = "The backend's cursor decides whether reading grows with the table"


class NotMeasured(ValueError):
    """An experiment has no verified run to judge; ``subject`` names its runs, the message says why."""

    def __init__(self, subject: str, why: str) -> None:
        super().__init__(why)
        self.subject = subject


@dataclass(frozen=True)
class Peak:
    """The median peak above baseline of a set of verified runs, its spread and the table size."""

    mib: float
    spread: float
    rows: int

    @classmethod
    def of(cls, measured: Measured) -> Peak:
        """Return the peak of ``measured``'s verified runs; raise :class:`NotMeasured` saying why when there is none."""
        verified = measured.where(status="ok")
        if not verified.results:
            raise NotMeasured(*unmeasured(measured))
        row = summarize(verified.runs.assign(strategy="all")).iloc[0]
        return cls(row["peak_mib_median"], row["peak_mib_max"] - row["peak_mib_min"], int(verified.runs["rows"].max()))

    def above(self, other: Peak) -> tuple[float, float]:
        """Return (this peak minus ``other``, the margin that difference must clear)."""
        return self.mib - other.mib, margin(self.spread, other.spread)


def unmeasured(measured: Measured) -> tuple[str, str]:
    """Return (which runs, why none of them was verified): their statuses and the first reason they gave."""
    if not measured.results:
        return "no runs", "no run of this experiment was made"
    names = ", ".join(dict.fromkeys(r.strategy for r in measured.results))
    rows = ", ".join(f"{n:,}" for n in sorted({r.rows for r in measured.results}))
    statuses = pd.Series([r.status for r in measured.results]).value_counts()
    counted = ", ".join(f"{n} {status}" for status, n in statuses.items())
    reason = next((r.error for r in measured.results if r.error), "")
    return f"{names}, {rows} rows", f"none of its {len(measured.results)} run(s) was verified ({counted})" + (
        f": {reason}" if reason else "")


def judges(hypothesis: str | None = None) -> Callable:
    """Turn a judge's :class:`NotMeasured` into a NOT_MEASURED finding that says which runs failed and why.

    ``hypothesis`` is the judge's own; without it, the judge's ``hypothesis`` argument is used.
    """
    def wrap(judge: Callable[..., Finding]) -> Callable[..., Finding]:
        signature = inspect.signature(judge)

        @functools.wraps(judge)
        def judged(*args, **kwargs) -> Finding:
            try:
                return judge(*args, **kwargs)
            except NotMeasured as exc:
                stated = hypothesis or signature.bind(*args, **kwargs).arguments["hypothesis"]
                return Finding(stated, exc.subject, f"not measured: {exc}", NOT_MEASURED)
        return judged
    return wrap


def per_100k(mib: float, rows: int) -> float:
    return mib / rows * PER_ROWS


def signed(value: float) -> str:
    """Format a growth rate, or say there was none to fit (a walk of a few huge batches)."""
    return "n/a" if pd.isna(value) else f"{value:+.1f}"


@judges(CLIMBS)
def climbs(control: Measured) -> Finding:
    """Judge whether method 3 itself, DEBUG off, grows with the table (its timeline's slope)."""
    peak = Peak.of(control)
    growth = float(median_growth(control.samples).median())
    over_run = growth * peak.rows / PER_ROWS
    batch = int(control.runs["batch_size"].iloc[0])
    return Finding(
        CLIMBS,
        f"{METHOD_3}, batch {batch:,}, {peak.rows:,} rows, DEBUG off: RSS against rows done",
        (f"{growth:+.2f} MiB per 100k rows over the walk ({over_run:+.1f} MiB over {peak.rows:,} rows); "
         if pd.notna(growth) else "too few batches to fit a climb; ") + f"peak {peak.mib:.1f} MiB above baseline",
        CONFIRMED if over_run > margin(peak.spread) else REFUTED,
    )


@judges(DEBUG_LOG)
def debug_log(measured: Measured, cost: LogCost) -> Finding:
    """Judge DEBUG's query log: method 3 with DEBUG off, on, and on with reset_queries() after every batch."""
    off = Peak.of(measured.where(strategy=METHOD_3, debug=False))
    on_runs = measured.where(strategy=METHOD_3, debug=True)
    on = Peak.of(on_runs)
    reset = Peak.of(measured.where(strategy="iterator_bulk_update_reset", debug=True))
    gained, needed = on.above(off)
    left, _ = reset.above(off)
    shape = plateau(on_runs.samples[on_runs.samples["repeat"] == 0])
    if shape.levelled:
        course = (f"it grew {shape.early_mib_per_100k:.1f} MiB per 100k rows, then levelled off from about "
                  f"{shape.levels_off_at_rows:,} rows at {shape.level_mib:.1f} MiB (predicted full log: "
                  f"{cost.rows_to_fill:,} rows)")
    else:
        course = (f"it grew {shape.early_mib_per_100k:.1f} MiB per 100k rows early and "
                  f"{shape.late_mib_per_100k:.1f} late: no plateau within {on.rows:,} rows (the log is full only "
                  f"after {cost.rows_to_fill:,})")
    verdict = REFUTED if gained <= needed else CONFIRMED if left <= needed else DEPENDS
    return Finding(
        DEBUG_LOG,
        f"{METHOD_3}, batch {cost.batch_size:,}, {on.rows:,} rows: DEBUG off / on / on + reset_queries() per batch",
        f"DEBUG on: {gained:+.1f} MiB peak over DEBUG off; {course}; reset_queries() per batch: {left:+.1f} MiB",
        verdict,
    )


@judges()
def grows_with_table(measured: Measured, variant: str, hypothesis: str, change: str) -> Finding:
    """Judge a variant of method 3 against method 3 itself, at the same size, batch and DEBUG setting."""
    control = Peak.of(measured.where(strategy=METHOD_3))
    other = Peak.of(measured.where(strategy=variant))
    gained, needed = other.above(control)
    return Finding(
        hypothesis,
        f"{variant} vs {METHOD_3} ({change}), {other.rows:,} rows",
        f"{per_100k(gained, other.rows):+.1f} MiB per 100k rows ({other.mib:.1f} vs {control.mib:.1f} MiB peak "
        f"above baseline)",
        CONFIRMED if gained > needed else REFUTED,
    )


@judges(BATCH_SIZE)
def batch_size(measured: Measured) -> Finding:
    """Judge the chunk/batch size: does a bigger one climb with the table, or only sit higher?"""
    by_batch = {b: measured.where(batch_size=b) for b in sorted(measured.runs["batch_size"].unique())}
    peaks = {b: Peak.of(m) for b, m in by_batch.items()}
    growth = {b: float(median_growth(m.samples).median()) for b, m in by_batch.items()}
    rows = max(p.rows for p in peaks.values())
    needed = margin(*(p.spread for p in peaks.values()))
    climbing = [b for b in peaks if growth[b] * rows / PER_ROWS > needed]
    spread = max(p.mib for p in peaks.values()) - min(p.mib for p in peaks.values())
    verdict = CONFIRMED if climbing else DEPENDS if spread > needed else REFUTED
    listed = " / ".join(f"{b:,}" for b in peaks)
    return Finding(
        BATCH_SIZE,
        f"{METHOD_3} at batch {listed}, {rows:,} rows, DEBUG off",
        f"peak {' / '.join(f'{p.mib:.1f}' for p in peaks.values())} MiB; growth "
        f"{' / '.join(signed(growth[b]) for b in peaks)} MiB per 100k rows"
        + ("" if climbing else "; the batch sets the level, the table does not raise it" if spread > needed else ""),
        verdict,
    )


def memory_views(measured: Measured) -> pd.DataFrame:
    """Return per verified run what RSS, tracemalloc and pympler saw, and what malloc_trim gave back (MiB).

    tracemalloc's figures are counted from its first sample, taken as the strategy starts: its own
    snapshot of the traces before the walk is live Python memory too, and would otherwise count.
    """
    records = []
    for r in measured.results:
        if r.status != "ok":
            continue
        base = r.baseline_rss_bytes
        traced, nan = r.tracemalloc, float("nan")
        records.append({
            "strategy": r.strategy, "probes": ",".join(r.probes), "repeat": r.repeat,
            "RSS peak": (r.peak_rss_bytes - base) / MIB,
            "RSS at the end": (r.end_rss_bytes - base) / MIB,
            "after gc + malloc_trim": (r.trimmed_rss_bytes - base) / MIB,
            "tracemalloc peak": (traced.peak_bytes - traced.start_bytes) / MIB if traced else nan,
            "tracemalloc at the end": (traced.current_bytes - traced.start_bytes) / MIB if traced else nan,
            "pympler retained": r.pympler.total_size_diff_bytes / MIB if r.pympler else nan,
        })
    return pd.DataFrame(records).round(2)


def kept_by(end_mib: float, trimmed_mib: float, live_mib: float) -> str:
    """Say what held a run's memory when the strategy returned: nothing, live objects, or the allocator.

    The allocator's share includes what the trim cannot return (pymalloc arenas that still hold one
    live block, C libraries' caches): memory no Python object accounts for.
    """
    if end_mib <= NOISE_MIB:
        return "nothing kept"
    if live_mib >= 0.5 * end_mib:
        return "live objects"
    return f"the allocator (the trim returned {max(end_mib - trimmed_mib, 0):.1f} of {end_mib:.1f} MiB)"


@judges(ALLOCATOR)
def allocator(measured: Measured) -> Finding:
    """Judge whether what RSS keeps after the walk is live objects or memory the allocator holds.

    Each variant runs twice: with RSS only, whose end and trimmed RSS are what the variant keeps
    (tracemalloc's own tables would inflate both), and with pympler and tracemalloc. tracemalloc's
    live memory at the end, counted from the strategy's start, says how much of it is live Python
    objects (pympler's census, shown beside it, walks only what the collector reaches and sizes it roughly).
    """
    views = memory_views(measured)
    if views.empty:
        raise NotMeasured(*unmeasured(measured))
    plain = views[views["probes"] == "rss"].groupby("strategy", sort=False).median(numeric_only=True)
    probed = views[views["probes"] != "rss"].groupby("strategy", sort=False).median(numeric_only=True)
    parts, kinds = [], set()
    for name, row in plain.iterrows():
        live = probed.loc[name, "tracemalloc at the end"] if name in probed.index else float("nan")
        kind = kept_by(row["RSS at the end"], row["after gc + malloc_trim"], live)
        kinds.add(kind.split(" (")[0])
        parts.append(f"{name}: {row['RSS at the end']:.1f} MiB at the end, {row['after gc + malloc_trim']:.1f} after "
                     f"the trim, live objects {live:.1f}: {kind}")
    kinds.discard("nothing kept")
    verdict = CONFIRMED if kinds == {"the allocator"} else REFUTED if kinds == {"live objects"} else DEPENDS
    return Finding(
        ALLOCATOR,
        "each variant with RSS only (end, then gc.collect() + malloc_trim(0)) and with pympler + tracemalloc",
        "; ".join(parts), verdict)


@judges(CURSOR)
def cursor(sqlite: Measured, postgresql: Measured | None, reason: str = "", cap_mb: int | None = None) -> Finding:
    """Judge the backend's cursor: SQLite fetchmany vs PostgreSQL server-side cursor vs client-side buffering.

    With ``cap_mb``, say from which table size the buffer alone would pass a pod's limit: the article's
    method 2 reads through the same ``iterator()``.
    """
    lite = Peak.of(sqlite)
    hypothesis = CURSOR
    experiment = f"{METHOD_3}, {lite.rows:,} rows: SQLite fetchmany / PostgreSQL server-side / client-side"
    if postgresql is None:
        return Finding(hypothesis, experiment, f"PostgreSQL not measured: {reason}; SQLite fetchmany: peak "
                       f"{lite.mib:.1f} MiB above baseline", NOT_MEASURED)
    server = Peak.of(reading(postgresql, server_side=True))
    client = Peak.of(reading(postgresql, server_side=False))
    gained, needed = client.above(server)
    rate = per_100k(gained, client.rows)
    pod = ""
    if cap_mb and rate > 0:
        baseline = float(reading(postgresql, server_side=False).runs["baseline_mib"].median())
        rows = int((cap_mb - baseline) / rate * PER_ROWS)
        pod = (f"; at that rate a {cap_mb} MiB pod ({baseline:.0f} MiB baseline) is killed from about {rows:,} rows, "
               "and the article's method 2 reads through the same iterator(): a backend that buffers would explain "
               "why it was still killed")
    return Finding(
        hypothesis, experiment,
        f"memory above baseline: SQLite fetchmany {lite.mib:.1f}, server-side cursor {server.mib:.1f}, client-side "
        f"buffering {client.mib:.1f} MiB; buffering the whole result adds {rate:+.1f} MiB per 100k rows" + pod,
        CONFIRMED if gained > needed else REFUTED,
    )


def reading(measured: Measured, *, server_side: bool) -> Measured:
    """Return the runs that read with (or without) PostgreSQL server-side cursors."""
    return Measured([r for r in measured.results if r.spec.server_side_cursors == server_side])


def summary(verdicts: pd.DataFrame) -> str:
    """Say in markdown the answer to the page's title first (does method 3 climb by itself?), then every verdict."""
    head = verdicts[verdicts["hypothesis"] == CLIMBS]
    said = []
    if len(head):
        row = head.iloc[0]
        said.append(f"**Does method 3 climb by itself, DEBUG off?** {_answer(row['verdict'])}: "
                    f"{row['measured effect']}.")
    parts = []
    for verdict in (CONFIRMED, DEPENDS, REFUTED, NOT_MEASURED):
        named = verdicts.loc[(verdicts["verdict"] == verdict) & (verdicts["hypothesis"] != CLIMBS), "hypothesis"]
        if len(named):
            parts.append(f"{verdict}: " + "; ".join(named))
    said.append(f"**The other {len(verdicts) - len(head)} hypotheses**, from this page's runs: " + ". ".join(parts))
    return "\n\n".join(said)


def buffering_hypothesis(setup: str, buffered: str) -> str:
    """State the hypothesis that ``buffered`` holds the whole result in memory on ``setup``."""
    return f"On {setup}, {buffered} holds the whole result in memory"


def buffering(measured: Measured | None, reason: str = "", *, setup: str, buffered: str,
              streaming: list[str]) -> Finding:
    """Judge whether ``buffered``'s peak grows past the fastest verified of ``streaming`` on one setup.

    MariaDB's driver and libpq without server-side cursors (behind a transaction pooler) both read the
    whole result into the client; the streaming strategies read it in pieces.
    """
    hypothesis = buffering_hypothesis(setup, buffered)
    experiment = f"{buffered} against the fastest of {', '.join(streaming)} on {setup}"
    if measured is None:
        return Finding(hypothesis, experiment, f"not measured: {reason}", NOT_MEASURED)
    verified = measured.where(status="ok").runs
    fastest = verified[verified["strategy"].isin(streaming)].groupby("strategy")["wall_seconds"].median()
    try:
        held = Peak.of(measured.where(strategy=buffered))
        if fastest.empty:
            raise NotMeasured(*unmeasured(Measured([r for r in measured.results if r.strategy in streaming])))
    except NotMeasured as exc:
        return Finding(hypothesis, exc.subject, f"not measured: {exc}", NOT_MEASURED)
    best = str(fastest.idxmin())
    streamed = Peak.of(measured.where(strategy=best))
    gained, needed = held.above(streamed)
    return Finding(
        hypothesis, f"{experiment}, {held.rows:,} rows",
        f"peak above baseline: {buffered} {held.mib:.1f}, {best} (the fastest streaming one, "
        f"{fastest.min():.2f} s) {streamed.mib:.1f} MiB; holding the result adds "
        f"{per_100k(gained, held.rows):+.1f} MiB per 100k rows",
        CONFIRMED if gained > needed else REFUTED,
    )


def _answer(verdict: str) -> str:
    return {CONFIRMED: "Yes", REFUTED: "No", DEPENDS: "It depends"}.get(verdict, "Not measured")
