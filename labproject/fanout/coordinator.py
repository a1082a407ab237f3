"""The coordinator: plan key ranges, enqueue one task per range, watch the checkpoint table until all are done.

The database is the source of truth. The plan and every range's state and checkpoint are rows of the
walk library's checkpoint table; Redis only carries "walk range i" messages. So the coordinator can
always tell what is left: a range claimed by a worker whose lock is free has lost its worker (the
coordinator enqueues it again), a broker that restarted may have lost messages (every range not done
is enqueued again), and a rerun with ``resume`` continues the same plan. A range delivered twice is
harmless: its lock makes the second delivery wait or find it done, and writes are only-changed.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from labproject.errors import BadInput, BrokerNotReady, Interrupted, LabError
from labproject.fanout.broker import broker_url as find_broker
from labproject.fanout.progress import FanoutProgress, Snapshot
from labproject.walk.checkpoints import Checkpoint, Checkpoints

POLL_SECONDS = 0.25
ORPHAN_SECONDS = 5.0  # a range claimed but unlocked this long has lost its walker
IDLE_SECONDS = 60.0  # no worker answering and no row walked this long: stop, keeping the plan
STOP_SECONDS = 30.0  # after Ctrl-C, how long running ranges get to roll back their open batch
RATE_WINDOW = 3.0  # seconds over which the shown rows/s is measured
SEND_RETRY = {"max_retries": 20, "interval_start": 0.2, "interval_step": 0.5, "interval_max": 2.0}


class FanoutFailed(LabError):
    """Some ranges failed for good (a calculation error, or retries exhausted); the rest are done."""

    exit_code = 1


def plan_name(target_name: str) -> str:
    """Return the checkpoint name of a target's fan-out plan (its ranges are ``<plan>#<i>``)."""
    return f"fanout/{target_name}"


@dataclass(frozen=True)
class FanoutSummary:
    """What a fan-out did, from the checkpoint table and the watch on the workers."""

    plan: str
    target: str
    method: str
    batch_size: int
    workers: int
    ranges: int
    rows_read: int
    rows_written: int
    seconds: float
    planning_seconds: float
    deliveries: int  # times a range was started, over all ranges
    redelivered: list[int]  # ranges started more than once
    requeued: int  # messages the coordinator sent again (a lost worker, a restarted broker)
    broker_restarts: int
    started_workers: int
    fleet_pss_peak_bytes: int | None
    fleet_pss_idle_bytes: int | None  # before the walk: interpreter, Django and Celery in every process
    worker_pss_peak_bytes: dict[str, int]
    fleet_cpu_seconds: float | None
    database_cpu_seconds: float | None
    verified_total: int | None = None
    verified_right: int | None = None
    verified_how: str = ""
    resumed: bool = False
    range_rows: list[int] = field(default_factory=list)
    range_attempts: list[int] = field(default_factory=list)

    @property
    def rows_per_second(self) -> float:
        return self.rows_read / self.seconds if self.seconds else 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def describe(self) -> str:
        """Return the summary in a few lines, the verification last."""
        head = (f"{self.plan}: {self.ranges} ranges over {self.workers} worker(s), read {self.rows_read:,} rows, "
                f"wrote {self.rows_written:,}" + (" (every row already held its value)"
                                                  if self.rows_read and not self.rows_written else "")
                + f" in {self.seconds:.2f} s ({self.rows_per_second:,.0f} rows/s), method {self.method}, "
                f"batch {self.batch_size}" + (", resumed" if self.resumed else ""))
        lines = [head]
        again = (f"ranges started more than once: {', '.join(map(str, self.redelivered))}"
                 if self.redelivered else "every range was walked by one delivery")
        lines.append(f"{self.deliveries} deliveries; {again}; {self.requeued} sent again by the coordinator; "
                     f"broker restarts seen: {self.broker_restarts}")
        if self.fleet_pss_peak_bytes:
            each = ", ".join(f"{node.split('@')[0]} {peak / 2**20:.0f}" for node, peak in
                             sorted(self.worker_pss_peak_bytes.items()))
            idle = f", {self.fleet_pss_idle_bytes / 2**20:.0f} MiB idle" if self.fleet_pss_idle_bytes else ""
            lines.append(f"memory: fleet PSS peak {self.fleet_pss_peak_bytes / 2**20:.0f} MiB{idle} (per worker peak, "
                         f"MiB: {each})")
        if self.verified_total is not None:
            wrong = self.verified_total - (self.verified_right or 0)
            verdict = "every row right" if wrong == 0 else f"{wrong:,} rows wrong or not written"
            lines.append(f"checked {self.verified_how}: {self.verified_right:,} of {self.verified_total:,} rows right "
                         f"({verdict})")
        return "\n".join(lines)


def _positive(what: str, value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise BadInput(f"{what} must be a positive whole number, got {value!r}")
    return value


@dataclass
class _Run:
    """The moving parts of one coordinator run."""

    target_name: str
    target: Any
    plan: str
    generation: str
    client: Any
    checkpoints: Checkpoints
    out: FanoutProgress
    sent: dict[int, list[str]] = field(default_factory=dict)
    requeued: int = 0

    def send(self, index: int) -> None:
        from labproject.fanout.app import QUEUE

        result = self.client.send_task("labwalk.walk_range", args=[self.target_name, self.plan, index,
                                                                   self.generation],
                                       queue=QUEUE, retry=True, retry_policy=SEND_RETRY)
        self.sent.setdefault(index, []).append(result.id)

    def parts(self) -> list[Checkpoint]:
        return self.checkpoints.parts(self.plan, self.target.key)


def fan_out(target: str = "lab", *, workers: int = 2, ranges: int | None = None, resume: bool = False,
            batch_size: int = 1000, method: str = "auto", throttle: float = 0.0, progress: bool = True,
            quiet: bool = False, stream=None, broker_url: str | None = None, start_workers: bool = True,
            worker_env: dict | None = None, verify: bool = True,
            on_snapshot: Callable[[Snapshot], None] | None = None) -> FanoutSummary:
    """Walk ``target`` (``lab``, ``invoices`` or ``package.module:attribute``) over ``workers`` Celery workers.

    The key range is cut into ``ranges`` parts of about equal rows (default four per worker), each
    walked by one task with the library's walk (``method``, ``batch_size``, only-changed writes, a
    checkpoint per batch, ``throttle`` seconds of pause between batches). Workers already answering
    on the broker are used; with ``start_workers`` the missing ones are started for this walk
    (``worker_env`` added to their environment) and stopped after it. ``resume`` continues the
    target's last plan. Progress is a bar in a terminal, a panel in a notebook, else a log line every
    few seconds; ``on_snapshot`` gets every snapshot.
    Ends with the SQL verification (``verify``). Ctrl-C revokes the queued and running ranges (their
    open batches roll back) and raises :class:`Interrupted` saying how to resume.
    """
    from labproject.fanout.app import client
    from labproject.fanout.fleet import Fleet
    from labproject.iteration.readiness import describe_connection, ensure_ready
    from labproject.iteration.targets import get_target
    from labproject.walk.ranges import plan_ranges

    _positive("workers", workers)
    _positive("batch size", batch_size)
    if not isinstance(throttle, int | float) or throttle < 0:
        raise BadInput(f"throttle must be zero or more seconds, got {throttle!r}")
    ranges = _positive("ranges", ranges) if ranges is not None else 4 * workers
    if not isinstance(target, str):
        raise BadInput("a fan-out names its target (lab, invoices or package.module:attribute), so workers can "
                       "build it too")
    walked = get_target(target)
    using = walked.queryset.db
    ensure_ready(using)
    if method != "auto":
        from labproject import strategies

        if not strategies.get(method).resumable:
            raise BadInput(f"method {method} cannot walk a range from its checkpoint; use auto or a keyset method")
    url = find_broker(broker_url)
    from labproject.fanout.watch import Watch, database_cpu_seconds, fleet_cpu_seconds

    watch = Watch(url)  # raises one line when the broker is unreachable or refuses the password
    mine = describe_connection(using)
    elsewhere = {n: i["database"] for n, i in watch.nodes.items() if i.get("database") != mine}
    if elsewhere:
        node, where = next(iter(elsewhere.items()))
        raise BrokerNotReady(f"worker {node} writes to the {where}, not to the {mine} this walk uses; stop it "
                             "(make workers-stop) and start workers with this DATABASE_URL")
    if len(watch.nodes) > workers:
        raise BadInput(f"{len(watch.nodes)} workers answer on the broker, more than the {workers} asked for; "
                       f"stop some (make workers-stop) or ask for --workers {len(watch.nodes)}")
    checkpoints = Checkpoints(using)
    plan = plan_name(target)
    head = checkpoints.load(plan)
    out = FanoutProgress(0, name=plan, bar=progress, quiet=quiet, stream=stream)
    planning = time.perf_counter()
    if resume:
        if head is None or head.spec is None:
            raise BadInput(f"no fan-out plan {plan!r} to resume; run it without --resume")
        parts = checkpoints.parts(plan, walked.key)
        if parts and all(p.state == "done" for p in parts):
            raise BadInput(f"fan-out plan {plan!r} is finished ({len(parts)} ranges done): nothing to resume; run it "
                           "without --resume to walk it again")
        spec = head.spec
    else:
        if head is not None and head.state not in ("done",):
            left = sum(1 for p in checkpoints.parts(plan) if p.state != "done")
            if left:
                out.say(f"note: plan {plan!r} has {left} range(s) not done; starting a new plan (pass --resume to "
                        "continue it)")
        cut = plan_ranges(walked, ranges, using=using)
        spec = {"target": target, "ranges": len(cut), "batch_size": batch_size, "method": method, "throttle": throttle,
                "generation": uuid.uuid4().hex, "planned_at": datetime.now(UTC).isoformat(timespec="seconds")}
        checkpoints.save_plan(plan, spec, [(r.after, r.up_to, r.rows) for r in cut])
    planning = time.perf_counter() - planning
    fleet = Fleet()
    own = []
    if len(watch.nodes) < workers:
        if not start_workers:
            raise BrokerNotReady(f"{len(watch.nodes)} of the {workers} workers asked for answer on the broker; "
                                 "start them with `make workers N=...`")
        own = fleet.start(workers - len(watch.nodes), broker_url=url, env=worker_env, tied=True)
        out.say(f"started {len(own)} worker(s) for this walk ({', '.join(w.name for w in own)}; logs in "
                f"{fleet.root}); they stop when it ends")
        watch.look()
    run = _Run(target, walked, plan, spec["generation"], client(url), checkpoints, out)
    try:
        return _walk(run, watch, spec, resume, planning, workers, len(own), verify, on_snapshot,
                     fleet_cpu_seconds, database_cpu_seconds)
    finally:
        out.close()
        watch.stop()
        if own:
            fleet.stop(own)


def _walk(run: _Run, watch, spec: dict, resume: bool, planning: float, workers: int, started: int, verify: bool,
          on_snapshot, fleet_cpu_seconds, database_cpu_seconds) -> FanoutSummary:
    """Enqueue the ranges not done, watch until every range is done or failed, and summarise."""
    from labproject.walk.ranges import RangeLock

    parts = run.parts()
    cpu_before = fleet_cpu_seconds(watch.nodes)
    db_before = database_cpu_seconds(run.checkpoints.using)
    run.checkpoints.set_state(run.plan, "running")
    began = time.monotonic()
    for part in parts:
        if part.state != "done":
            run.send(part.index)
    watch.start()
    probe = RangeLock(f"{run.plan}#probe", run.checkpoints.using)
    orphaned: dict[int, float] = {}
    history: list[tuple[float, int]] = []
    last_progress = (time.monotonic(), sum(p.rows_read for p in parts))
    try:
        while True:
            parts = run.parts()
            now = time.monotonic()
            done_rows = sum(p.rows_read for p in parts)
            history = [(t, r) for t, r in history if now - t <= RATE_WINDOW] + [(now, done_rows)]
            rate = (history[-1][1] - history[0][1]) / (history[-1][0] - history[0][0]) if len(history) > 1 else 0.0
            snapshot = Snapshot(now - began, done_rows, sum(p.rows_written for p in parts),
                                sum(p.planned_rows or 0 for p in parts), tuple(p.state for p in parts), watch.alive(),
                                rate)
            run.out.show(snapshot)
            if on_snapshot is not None:
                on_snapshot(snapshot)
            if all(p.state in ("done", "failed") for p in parts):
                break
            if done_rows != last_progress[1]:
                last_progress = (now, done_rows)
            _look_after(run, parts, probe, orphaned, now, watch.restarted())
            if not watch.alive() and now - max(watch.last_answer, last_progress[0]) > IDLE_SECONDS:
                raise BrokerNotReady(f"no worker has answered and no row was walked for {IDLE_SECONDS:.0f} s; the "
                                     f"plan is kept: start workers (make workers N={workers}) and run again with "
                                     "--resume")
            time.sleep(POLL_SECONDS)
    except KeyboardInterrupt:
        _interrupt(run, probe)
    finally:
        probe.release()
    seconds = time.monotonic() - began
    watch.look()  # once more: a short walk may end between two looks of the thread
    cpu_after = fleet_cpu_seconds(watch.nodes)
    db_after = database_cpu_seconds(run.checkpoints.using)
    failed = [p for p in parts if p.state == "failed"]
    totals = (sum(p.rows_read for p in parts), sum(p.rows_written for p in parts))
    run.checkpoints.set_state(run.plan, "failed" if failed else "done", totals=totals)
    if failed:
        first = failed[0]
        raise FanoutFailed(f"{len(failed)} of {len(parts)} ranges failed (range {first.index}: {first.note}); the "
                           "other ranges are done; fix the cause and run again with --resume")
    verified = None
    if verify:
        from labproject.walk.verification import verify as check

        verified = check(run.target)
    local = bool(watch.node_peaks)
    return FanoutSummary(
        run.plan, run.target_name, spec.get("method", "auto"), int(spec.get("batch_size", 1000)), workers, len(parts),
        totals[0], totals[1], seconds, planning, sum(p.attempts for p in parts),
        [p.index for p in parts if p.attempts > 1], run.requeued, watch.restarts, started,
        watch.fleet_peak if local else None, watch.fleet_idle if local else None, dict(watch.node_peaks),
        sum(cpu_after.get(n, 0.0) - cpu_before.get(n, 0.0) for n in cpu_after) if local else None,
        None if db_before is None or db_after is None else db_after - db_before,
        None if verified is None else verified.total, None if verified is None else verified.right,
        "" if verified is None else verified.how, resume, [p.planned_rows or 0 for p in parts],
        [p.attempts for p in parts])


def _look_after(run: _Run, parts: list[Checkpoint], probe, orphaned: dict[int, float], now: float,
                broker_restarted: bool) -> None:
    """Enqueue again a range that lost its worker, and every range not done after the broker restarted."""
    if broker_restarted:
        again = [p for p in parts if p.state not in ("done", "failed")
                 and (p.state != "running" or probe.free(p.name))]
        for part in again:
            run.send(part.index)
        run.requeued += len(again)
        run.out.say(f"the broker restarted: {len(again)} range(s) not done enqueued again, from the database")
        return
    for part in parts:
        if part.state in ("running", "stopped") and probe.free(part.name):
            first = orphaned.setdefault(part.index, now)
            if now - first >= ORPHAN_SECONDS:
                orphaned.pop(part.index)
                run.checkpoints.set_state(part.name, "pending", f"lost its worker ({part.owner}); enqueued again")
                run.send(part.index)
                run.requeued += 1
                run.out.say(f"range {part.index} lost its worker ({part.owner}) and was enqueued again")
        else:
            orphaned.pop(part.index, None)


def _interrupt(run: _Run, probe) -> None:
    """Revoke every message sent (running ranges stop and roll back), wait for them, and say how to resume."""
    ids = [task_id for sent in run.sent.values() for task_id in sent]
    with contextlib.suppress(Exception):  # a broker that is down has nothing to revoke from
        run.client.control.revoke(ids, terminate=True, signal="SIGTERM")
    deadline = time.monotonic() + STOP_SECONDS
    parts = run.parts()
    while time.monotonic() < deadline:
        parts = run.parts()
        if not any(p.state == "running" and not probe.free(p.name) for p in parts):
            break
        time.sleep(POLL_SECONDS)
    run.out.close()
    done = sum(1 for p in parts if p.state == "done")
    rows = sum(p.rows_read for p in parts)
    with contextlib.suppress(Exception):
        run.checkpoints.set_state(run.plan, "stopped", "interrupted",
                                  totals=(rows, sum(p.rows_written for p in parts)))
    raise Interrupted(f"interrupted by Ctrl-C: {done} of {len(parts)} ranges done, {rows:,} rows walked and "
                      "committed; queued ranges were revoked and running ones rolled back their open batch; run "
                      "again with --resume to continue the same plan")
