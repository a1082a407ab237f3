"""The runner: seeds when needed, then runs every (strategy, repeat) in a fresh worker process.

While a worker runs, the runner samples its memory from outside every few milliseconds together
with the rows done (read from a shared board), kills it with SIGKILL when the tree's RSS passes
the memory cap (as a container limit does) and turns every ending, clean or not, into a result
record: ``ok``, ``wrong``, ``killed`` or ``error``. Ctrl-C kills the current worker and keeps
what finished.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from labproject.bench.observers import RunObserver
from labproject.bench.progress import RUNNING, SETUP, ProgressBoard
from labproject.bench.result import RunResult
from labproject.bench.sampler import Timeline, TreeSampler, kill_tree
from labproject.bench.spec import RunSpec
from labproject.bench.store import ResultStore
from labproject.database import last_line, redact
from labproject.errors import BadInput, Interrupted, WorkerFailed

log = logging.getLogger(__name__)
SAMPLE_INTERVAL = 0.005
PSS_INTERVAL = 0.1  # reading smaps_rollup costs ~1-2 ms a process: every 100 ms keeps it under 5% of a core


def _shape(spec: RunSpec) -> tuple:
    return spec.rows, spec.payload_bytes, spec.seed


def plan(specs: Sequence[RunSpec]) -> list[tuple[RunSpec, int]]:
    """Order runs by table shape (seeded once each), then round-robin so drift spreads evenly over strategies.

    Round-robin means every strategy's first repeat, then every second, and so on.
    """
    ordered: list[tuple[RunSpec, int]] = []
    for shape in dict.fromkeys(_shape(s) for s in specs):
        group = [s for s in specs if _shape(s) == shape]
        most = max(s.repeats for s in group)
        ordered += [(spec, repeat) for repeat in range(most) for spec in group if repeat < spec.repeats]
    return ordered


def compare(
    specs: Sequence[RunSpec],
    *,
    store: ResultStore | None = None,
    session: str | None = None,
    label: str = "",
    observers: Sequence[RunObserver] = (),
    seed_progress: bool = True,
    timeout: float | None = None,
    pss_interval: float | None = PSS_INTERVAL,
    database_url: str | None = None,
) -> list[RunResult]:
    """Run every spec's repeats, each in its own worker, store each result as it lands, and return them.

    ``database_url`` runs on another database than this process's (a notebook kernel on SQLite can
    measure the lab's PostgreSQL server): the workers and the seeding get it; this process does not.
    """
    if database_url is None:
        from labproject.iteration.readiness import ensure_ready

        ensure_ready()
    store = store or ResultStore()
    session = session or store.new_session(label)
    runs = plan(specs)
    results: list[RunResult] = []
    seeded = None
    for observer in observers:
        observer.compare_started(runs)
    try:
        for index, (spec, repeat) in enumerate(runs):
            if _shape(spec) != seeded:  # the table is reloaded only when the next runs need another shape
                seeded = _shape(spec)
                _seed(spec, database_url, seed_progress)
            for observer in observers:
                observer.run_started(index, spec, repeat)
            result = run_once(spec, repeat, session, observers=observers, timeout=timeout, pss_interval=pss_interval,
                              database_url=database_url)
            store.write(result)
            results.append(result)
            for observer in observers:
                observer.run_finished(result)
    except KeyboardInterrupt:
        raise Interrupted(
            f"interrupted: the current worker was killed; {len(results)} finished run(s) kept in "
            f"{store.root / session}"
        ) from None
    finally:
        for observer in observers:
            observer.compare_finished()
    return results


def worker_command(spec: RunSpec, repeat: int, board: Path, output: Path) -> list[str]:
    """Return the command line that starts one worker."""
    return [sys.executable, "-m", "labproject.bench.worker", "--spec", json.dumps(spec.to_dict()),
            "--repeat", str(repeat), "--board", str(board), "--output", str(output)]


def _seed(spec: RunSpec, database_url: str | None, progress: bool) -> None:
    """Bring the table to the spec's shape: here, or through ``manage.py seed_rows`` on another database."""
    from seed import PayloadSpec, seed_table

    if database_url is None:
        outcome = seed_table(PayloadSpec(spec.rows, spec.payload_bytes, spec.seed, force=spec.force),
                             progress=progress)
        if not outcome.skipped:
            log.info(outcome.message())
        return
    from django.conf import settings

    command = [sys.executable, str(settings.BASE_DIR / "manage.py"), "seed_rows", "--rows", str(spec.rows),
               "--payload-bytes",
               str(spec.payload_bytes), "--seed", str(spec.seed), "--no-progress"] + ["--force"] * spec.force
    done = subprocess.run(command, env=worker_environment(spec, database_url), capture_output=True, text=True,
                          stdin=subprocess.DEVNULL)
    if done.returncode != 0:
        raise WorkerFailed(f"seeding {redact(database_url)} failed: {last_line(done.stderr, str(done.returncode))}")
    log.info(done.stdout.strip())


def worker_environment(spec: RunSpec, database_url: str | None = None) -> dict[str, str]:
    """Return the worker's environment: the parent's, with DEBUG, cursor settings and database from the spec."""
    env = dict(os.environ)
    if database_url is not None:
        env["DATABASE_URL"] = database_url
    env["DJANGO_SETTINGS_MODULE"] = env.get("DJANGO_SETTINGS_MODULE", "labproject.settings")
    env["DJANGO_DEBUG"] = "1" if spec.debug else "0"
    env["LAB_DISABLE_SERVER_SIDE_CURSORS"] = "0" if spec.server_side_cursors else "1"
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # a worker runs no event loop
    return env


def run_once(
    spec: RunSpec,
    repeat: int,
    session: str,
    *,
    observers: Sequence[RunObserver] = (),
    timeout: float | None = None,
    pss_interval: float | None = PSS_INTERVAL,
    database_url: str | None = None,
) -> RunResult:
    """Run one worker to its end and return its result; KeyboardInterrupt kills the worker and propagates.

    ``pss_interval`` sets how often the process tree's PSS is read (None: never, to measure its cost).
    """
    folder = Path(tempfile.mkdtemp(prefix="lab-run-"))
    board = ProgressBoard(folder / "board", create=True)
    output = folder / "result.json"
    started_at = datetime.now(UTC).isoformat()
    with open(folder / "stderr", "w+b") as stderr:
        proc = subprocess.Popen(
            worker_command(spec, repeat, folder / "board", output), env=worker_environment(spec, database_url),
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr, start_new_session=True,
        )
        try:
            watch = _watch(proc, board, spec, observers, timeout, pss_interval)
        except BaseException:
            kill_tree(proc.pid)
            proc.wait()
            board.close()
            shutil.rmtree(folder, ignore_errors=True)
            raise
        stderr.seek(0)
        said = last_line(stderr.read().decode("utf-8", "replace"))
    part = _read_part(output)
    board.close()
    shutil.rmtree(folder, ignore_errors=True)
    if watch["killed_in_setup"]:
        raise BadInput(
            f"memory cap {spec.memory_cap_mb} MiB is below the worker's baseline: it reached "
            f"{watch['killed_rss'] / 2**20:.0f} MiB before the strategy started; raise --memory-cap-mb"
        )
    return _assemble(spec, repeat, session, started_at, proc, part, watch, said)


def _watch(proc, board: ProgressBoard, spec: RunSpec, observers, timeout: float | None,
           pss_interval: float | None) -> dict:
    """Sample the worker until it exits, is killed at the cap, or times out."""
    sampler = TreeSampler(proc.pid, pss_interval=pss_interval)
    cap = spec.memory_cap_bytes
    timeline, tree_timeline = Timeline(), Timeline()
    watch = {"killed_rss": None, "killed_in_setup": False, "timed_out": False, "sampler": sampler,
             "timeline": timeline, "tree_timeline": tree_timeline}
    deadline = None if timeout is None else time.monotonic() + timeout
    while proc.poll() is None:
        now = time.monotonic()
        phase = board.phase
        try:
            sample = sampler.take(now)
        except ProcessLookupError:
            break
        if phase == RUNNING:
            seconds = round((time.monotonic_ns() - board.started_ns) / 1e9, 4)
            rows = board.rows_done
            timeline.add([seconds, sample.worker_rss, rows])
            if sample.tree_pss is not None:
                tree_timeline.add([seconds, sample.tree_pss, sample.processes])
            for observer in observers:
                observer.sampled(seconds, sample.worker_rss, rows)
        if cap is not None and sample.tree_rss > cap:
            kill_tree(proc.pid)
            watch.update(killed_rss=sample.tree_rss, killed_in_setup=phase == SETUP, killed_rows=board.rows_done)
            break
        if deadline is not None and now > deadline:
            kill_tree(proc.pid)
            watch["timed_out"] = True
            break
        time.sleep(SAMPLE_INTERVAL)
    proc.wait()
    watch["baseline_rss"] = board.baseline_rss or None
    watch["baseline_pss"] = board.baseline_pss or None
    watch["rows_done"] = board.rows_done
    return watch


def _read_part(output: Path) -> dict | None:
    try:
        return json.loads(output.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _assemble(spec, repeat, session, started_at, proc, part, watch, said: str) -> RunResult:
    """Merge the worker's document with what the runner saw into one result record."""
    timeline: Timeline = watch["timeline"]
    sampler: TreeSampler = watch["sampler"]
    tree_timeline: Timeline = watch["tree_timeline"]
    base = {
        "strategy": spec.strategy, "repeat": repeat, "rows": spec.rows, "payload_bytes": spec.payload_bytes,
        "batch_size": spec.batch_size, "backend": spec.backend, "debug": spec.debug, "session": session,
        "run_id": f"{started_at[:19].replace(':', '')}-{spec.strategy}-r{repeat}-{proc.pid}",
        "started_at": started_at, "probes": list(spec.probes), "memory_cap_bytes": spec.memory_cap_bytes,
        "rss_timeline": timeline.finished(), "spec": spec.to_dict(), "pid": proc.pid,
        "sampled_peak_rss_bytes": timeline.maximum,
        "baseline_rss_bytes": watch["baseline_rss"], "rows_done": watch["rows_done"],
        "tree": {
            "processes": len(sampler.processes_seen) or 1,
            "baseline_pss_bytes": watch["baseline_pss"],
            "peak_pss_bytes": tree_timeline.maximum,
            "timeline": tree_timeline.finished(),
            "pss_interval_seconds": sampler.pss_interval,
            "pss_read_seconds": round(sampler.pss_seconds, 4),
            "pss_reads": sampler.pss_reads,
        },
    }
    if watch["killed_rss"] is not None:
        cap = spec.memory_cap_mb
        base.update(status="killed", killed_at_rss_bytes=watch["killed_rss"], error=(
            f"killed at {watch['killed_rss'] / 2**20:.0f} MiB (cap {cap} MiB) after {watch['killed_rows']:,} rows"))
        return RunResult(**base)
    if watch["timed_out"]:
        base.update(status="error", error="timed out; the worker was killed")
        return RunResult(**base)
    if part is None:
        code = proc.returncode
        how = f"killed by signal {-code}" if code < 0 else f"exited with code {code}"
        base.update(status="error", error=f"worker {how} without a result" + (f": {said}" if said else ""))
        return RunResult(**base)
    return RunResult(**{**base, **{k: v for k, v in part.items() if v is not None or k not in base}})
