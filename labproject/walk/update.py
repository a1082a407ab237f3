"""``update_rows``: recompute one column for every row of a queryset, the fastest safe way this backend has.

It picks a method (``"auto"``: the fastest the lab measured for the backend that can walk this
target), keeps a checkpoint committed with every batch, writes only rows whose value changes,
shows progress, and stops cleanly on Ctrl-C, SIGTERM, SIGHUP, its row limit or its memory limit,
saying how to resume. Every method the lab's engine measures is available by name.
"""

from __future__ import annotations

import contextlib
import resource
import signal
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from labproject.errors import BadInput, Interrupted, LabError, NotApplicable
from labproject.processes import signal_number, signals_interrupt
from labproject.walk.checkpoints import Checkpoints
from labproject.walk.context import ComputeFailed, LimitReached, Walk
from labproject.walk.progress import Progress, rss_mib
from labproject.walk.reading import WHOLE, Bounds
from labproject.walk.target import Target, target_of

# Options only the library's own batch methods honour (they commit each batch through Walk.batch).
_BATCH_ONLY = ("resume", "dry_run", "limit", "throttle", "memory_limit_mb")


class WalkFailed(LabError):
    """The walk stopped on a database or reader error; the batches before it are committed."""

    exit_code = 1


@dataclass(frozen=True)
class Summary:
    """What a walk did: rows read and written, time, memory, and where it stopped if it did."""

    name: str
    method: str
    rows_read: int
    rows_written: int
    seconds: float
    peak_rss_bytes: int
    helpers_peak_rss_bytes: int
    dry_run: bool = False
    resumed_after: Any = None
    stopped: str = ""
    batch_size: int = 0

    @property
    def rows_unchanged(self) -> int:
        return self.rows_read - self.rows_written

    def describe(self) -> str:
        verb = "would change" if self.dry_run else "wrote"
        head = f"{self.name}: read {self.rows_read:,} rows, {verb} {self.rows_written:,}"
        if self.rows_written == 0 and self.rows_read and not self.dry_run:
            head += " (every row already held its value)"
        else:
            head += f", {self.rows_unchanged:,} unchanged"
        rate = self.rows_read / self.seconds if self.seconds else 0
        peak = f"peak RSS {self.peak_rss_bytes / 2**20:.0f} MiB"
        if self.helpers_peak_rss_bytes:  # a forked reader's RSS counts the pages it shares with this process
            peak += f" (a helper process: {self.helpers_peak_rss_bytes / 2**20:.0f} MiB RSS, most of it shared)"
        tail = f" in {self.seconds:.2f} s ({rate:,.0f} rows/s), {peak}, method {self.method}"
        if self.resumed_after is not None:
            tail += f", resumed after key {self.resumed_after}"
        return head + tail + (f"; {self.stopped}" if self.stopped else "")


def choose(walk: Walk, method: str):
    """Return the strategy ``method`` names, or for ``"auto"`` the best-ranked one that can walk ``walk``."""
    from labproject import strategies

    if method != "auto":
        chosen = strategies.get(method)
        refusal = chosen.refusal(walk)
        if refusal:
            raise NotApplicable(refusal)
        return chosen
    ranked = sorted((s for s in strategies.all_strategies(experiments=False) if s.auto_rank is not None),
                    key=lambda s: s.auto_rank)
    reasons = []
    for candidate in ranked:
        refusal = candidate.refusal(walk)
        if refusal is None:
            return candidate
        reasons.append(refusal)
    raise NotApplicable(f"no method can walk {walk.target.name} on {walk.vendor}: " + "; ".join(reasons))


def _positive(what: str, value: Any, *, allow_none: bool = False) -> None:
    if value is None and allow_none:
        return
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise BadInput(f"{what} must be a positive whole number, got {value!r}")


def _memory_of_tree() -> int:
    """Return the RSS of this process and its children (a forked reader counts)."""
    import psutil

    me = psutil.Process()
    total = me.memory_info().rss
    for child in me.children(recursive=True):
        with contextlib.suppress(psutil.Error):
            total += child.memory_info().rss
    return total


def update_rows(
    queryset: Any,
    compute: Callable[..., Any],
    *,
    field: str,
    reads: Sequence[str] | str,
    batch_size: int = 1000,
    method: str = "auto",
    progress: bool = True,
    resume: bool = False,
    only_changed: bool = True,
    memory_limit_mb: int | None = None,
    dry_run: bool = False,
    limit: int | None = None,
    throttle: float = 0.0,
    name: str = "",
    sql: Mapping[str, str] | None = None,
    quiet: bool = False,
    stream=None,
) -> Summary:
    """Set ``field`` to ``compute(*reads)`` for every row of ``queryset``; return what was done.

    ``compute`` gets the values of ``reads`` for one row (only those columns are fetched) and returns
    the new value. ``method="auto"`` picks the fastest the lab measured for this backend; any strategy
    name of ``python manage.py run_strategy --list`` works too. ``resume`` continues after the last
    batch committed by an earlier run of the same walk (named ``name``, by default ``app.model.field``);
    ``only_changed`` writes only rows whose value differs, so a rerun on a finished table writes nothing.
    ``dry_run`` computes and counts what would change and writes nothing; ``limit`` stops after that many
    rows; ``throttle`` pauses that many seconds between batches; ``memory_limit_mb`` halves the batch
    size as memory nears it and stops cleanly before passing it. ``sql`` is the calculation's SQL twin
    per vendor (used to verify, and by ``method="sql_update"``). Progress goes to ``stream`` (stderr).
    """
    target = queryset if isinstance(queryset, Target) else target_of(queryset, compute, field=field, reads=reads,
                                                                     sql=sql, name=name)
    return walk_target(target, batch_size=batch_size, method=method, progress=progress, resume=resume,
                       only_changed=only_changed, memory_limit_mb=memory_limit_mb, dry_run=dry_run, limit=limit,
                       throttle=throttle, quiet=quiet, stream=stream)


def walk_target(target: Target, *, batch_size: int = 1000, method: str = "auto", progress: bool = True,
                resume: bool = False, only_changed: bool = True, memory_limit_mb: int | None = None,
                dry_run: bool = False, limit: int | None = None, throttle: float = 0.0, quiet: bool = False,
                stream=None, bounds: Bounds = WHOLE, checkpoint_name: str | None = None,
                observe: Callable[[Walk], None] | None = None) -> Summary:
    """Walk ``target`` as :func:`update_rows` describes.

    ``bounds`` and ``checkpoint_name`` give one range of a larger walk (a fan-out's), ``observe`` is
    called after every batch with the walk (the engine counts rows with it).
    """
    _positive("batch size", batch_size)
    _positive("limit", limit, allow_none=True)
    _positive("memory limit (MiB)", memory_limit_mb, allow_none=True)
    if throttle < 0:
        raise BadInput(f"throttle must be zero or more seconds, got {throttle!r}")
    if memory_limit_mb is not None and rss_mib() >= memory_limit_mb:
        raise BadInput(f"memory limit {memory_limit_mb} MiB is below this process's baseline: it already uses "
                       f"{rss_mib():.0f} MiB before reading a row")
    using = target.queryset.db
    checkpoints = Checkpoints(using)
    name = checkpoint_name or target.name
    key_field = target.key
    saved = checkpoints.load(name, key_field)
    after, before = bounds.after, (0, 0)
    if resume:
        if saved is None:
            raise BadInput(f"no checkpoint for walk {name!r}, so there is nothing to resume; run it without --resume")
        if saved.state == "done":
            raise BadInput(f"{saved.describe()}: nothing to resume; run it without --resume to walk it again")
        after = saved.last_key if saved.last_key is not None else after
        before = (saved.rows_read, saved.rows_written)
    progress_out = Progress(None, name=name, bar=progress, quiet=quiet, stream=stream)
    if saved is not None and not resume and saved.state != "done":
        progress_out.say(f"note: {saved.describe()}; starting from the beginning (pass --resume to continue)")
    walk = Walk(target, batch_size, using=using, bounds=Bounds(after, bounds.up_to), only_changed=only_changed,
                dry_run=dry_run, limit=limit, throttle=throttle,
                memory_limit_bytes=None if memory_limit_mb is None else memory_limit_mb * 2**20,
                checkpoint_name=name, before=before, memory=_memory_of_tree, on_notice=progress_out.say)
    chosen = choose(walk, method)
    asked = {"resume": resume, "dry_run": dry_run, "limit": limit, "throttle": throttle,
             "memory_limit_mb": memory_limit_mb}
    if not chosen.resumable:
        refused = [option for option in _BATCH_ONLY if asked[option]]
        if refused:
            raise BadInput(f"method {chosen.name} walks model instances and cannot {', '.join(refused)}; "
                           "use method='auto' or one of the keyset methods")
        walk = Walk(target, batch_size, using=using, bounds=walk.bounds, on_notice=progress_out.say)
        if only_changed:
            progress_out.say(f"note: {chosen.name} writes every row (only-changed writes need a batch method)")
    progress_out.total = _remaining(target, walk.bounds, limit)
    if progress_out.bar is not None:
        progress_out.bar.total = progress_out.total
    def on_progress(w: Walk) -> None:
        progress_out.update(w.rows_done, w.rows_written)
        if observe is not None:
            observe(w)

    walk.on_progress = on_progress
    if chosen.resumable and not dry_run and not resume:
        # A walk started afresh owns its checkpoint from the start, so the row never shows an older run's
        # position and the final state can be recorded without rewriting the committed one.
        checkpoints.start(name, walk.bounds.after)
    started = time.perf_counter()
    try:
        with signals_interrupt():
            chosen.run(walk)
    except LimitReached:
        walk.finish("stopped", walk.stop_reason)
    except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM/SIGHUP turned into one: the open batch rolled back
        walk.finish("stopped", "interrupted")
        progress_out.close()
        number = signal_number(exc)
        how = "Ctrl-C" if number == signal.SIGINT else signal.Signals(number).name
        where = "the start" if walk.last_key is None else f"key {walk.last_key}"
        raise Interrupted(_interrupted(how, walk, where), number) from None
    except ComputeFailed:
        walk.finish("failed", "calculation error")
        progress_out.close()
        raise
    except LabError:
        walk.finish("failed")
        progress_out.close()
        raise
    except Exception as exc:
        walk.finish("failed", type(exc).__name__)
        progress_out.close()
        from labproject.database import redact

        raise WalkFailed(redact(f"the walk stopped: {type(exc).__name__}: {' '.join(str(exc).split())}; the "
                                f"{walk.rows_written:,} rows written before it are committed"
                                + ("; run again with --resume to continue" if chosen.resumable else ""))) from exc
    else:
        walk.finish("done")
    progress_out.close()
    own = _high_water_mark()
    helpers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    # A method that walks model instances saves every row it reads.
    written = walk.rows_written if chosen.resumable else walk.rows_done
    return Summary(name, chosen.name, walk.rows_done, written, time.perf_counter() - started, own,
                   helpers, dry_run, after if resume else None, walk.stop_reason, walk.batch_size)


def _high_water_mark() -> int:
    """Return this process's peak RSS since it started (VmHWM; ``ru_maxrss`` would carry a parent's across exec)."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _interrupted(how: str, walk: Walk, where: str) -> str:
    kept = f"{walk.rows_done:,} rows read and {walk.rows_written:,} written are committed"
    if walk.resumable and not walk.dry_run:
        return f"interrupted by {how} after {where}: {kept}; the open batch was rolled back; run again with --resume"
    return f"interrupted by {how} after {where}: {kept}; the open batch was rolled back"


def _remaining(target: Target, bounds: Bounds, limit: int | None) -> int:
    """Return how many rows the walk will read (one COUNT, for the progress bar's total and ETA)."""
    rows = target.queryset
    key = target.key.name
    if bounds.after is not None:
        rows = rows.filter(**{f"{key}__gt": bounds.after})
    if bounds.up_to is not None:
        rows = rows.filter(**{f"{key}__lte": bounds.up_to})
    count = rows.count()
    return min(count, limit) if limit is not None else count

