"""The runner: seeds when needed, then runs every (strategy, repeat) in a fresh worker process.

While a worker runs, the runner samples its memory from outside every few milliseconds together
with the rows done (read from a shared board), kills it with SIGKILL when the tree's RSS passes
the memory cap (as a container limit does) and turns every ending, clean or not, into a result
record: ``ok``, ``wrong``, ``killed`` or ``error``. A compare holds the database's lab lock from
start to end. Ctrl-C, SIGTERM and SIGHUP kill the current worker and keep what finished.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import psutil

from labproject.database import redact
from labproject.engine.observers import RunObserver
from labproject.engine.progress import RUNNING, SETUP, ProgressBoard
from labproject.engine.result import RunResult, read_worker_part
from labproject.engine.sampler import Timeline, TreeSampler, kill_tree
from labproject.engine.sections import Tree
from labproject.engine.spec import RunSpec
from labproject.engine.store import ResultStore
from labproject.errors import BadInput, DatabaseNotReady, Interrupted, ResultFormatError, StoreError, WorkerFailed
from labproject.processes import last_line, pid_alive, signal_number, signals_interrupt
from labproject.units import MIB

RUN_FOLDER_PREFIX = "lab-run-"
log = logging.getLogger(__name__)
SAMPLE_INTERVAL = 0.005
PSS_INTERVAL = 0.1  # reading smaps_rollup costs ~1-2 ms a process: every 100 ms keeps it under 5% of a core


def _shape(spec: RunSpec) -> tuple:
    return spec.target, spec.rows, spec.payload_bytes, spec.seed


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
    wait: bool = True,
) -> list[RunResult]:
    """Run every spec's repeats, each in its own worker, store each result as it lands, and return them.

    ``database_url`` runs on another database than this process's (a notebook kernel on SQLite can
    measure the lab's PostgreSQL server): the workers and the seeding get it; this process does not.
    The whole compare holds that database's lab lock (``wait=False``: refuse at once if another
    holds it). Ctrl-C, SIGTERM and SIGHUP kill the current worker and keep what finished.
    """
    from labproject.iteration.lock import lab_lock

    store = store or ResultStore()
    store.check()
    sweep_run_folders()
    with signals_interrupt(), lab_lock(database_url, wait=wait) as lock:
        if database_url is None:
            from labproject.iteration.readiness import ensure_ready

            ensure_ready()
        session = session or store.new_session(label)
        return _run_all(plan(specs), store, session, lock, observers=observers, seed_progress=seed_progress,
                        timeout=timeout, pss_interval=pss_interval, database_url=database_url)


def _run_all(runs: list[tuple[RunSpec, int]], store: ResultStore, session: str, lock, *, observers, seed_progress,
             timeout, pss_interval, database_url) -> list[RunResult]:
    """Seed and run ``runs`` in order under ``lock``, storing each result; stop with one line on any fault."""
    results: list[RunResult] = []
    folder = store.root / session
    seeded = None
    for observer in observers:
        observer.compare_started(runs)
    try:
        for index, (spec, repeat) in enumerate(runs):
            if _shape(spec) != seeded:  # the table is reloaded only when the next runs need another shape
                seeded = _shape(spec)
                _seed(spec, database_url, seed_progress)
            lock.check()  # the first check notes the database as it is
            for observer in observers:
                observer.run_started(index, spec, repeat)
            result = run_once(spec, repeat, session, observers=observers, timeout=timeout, pss_interval=pss_interval,
                              database_url=database_url)
            try:
                store.write(result)
            except StoreError as exc:
                print(json.dumps([result.to_dict()]), flush=True)  # kept: nothing measured is lost
                raise StoreError(f"{exc}; the result of {spec.strategy} #{repeat + 1} is printed as JSON on stdout, "
                                 f"{len(results)} earlier run(s) are in {folder}, "
                                 f"{len(runs) - index - 1} run(s) not started") from None
            results.append(result)
            for observer in observers:
                observer.run_finished(result)
            try:
                lock.check()
            except DatabaseNotReady as exc:
                raise DatabaseNotReady(f"{exc} during the compare; {len(results)} finished run(s) kept in {folder}, "
                                       f"{len(runs) - index - 1} run(s) not started") from None
    except KeyboardInterrupt as exc:
        signum = signal_number(exc)
        cause = "interrupted" if signum == signal.SIGINT else f"interrupted by {signal.Signals(signum).name}"
        raise Interrupted(f"{cause}: the current worker was killed; {len(results)} finished run(s) kept in "
                          f"{folder}", signum) from None
    finally:
        for observer in observers:
            observer.compare_finished()
    return results


def new_run_folder() -> Path:
    """Create a run's temporary folder (board, worker output, stderr), recording this runner as its owner."""
    folder = Path(tempfile.mkdtemp(prefix=RUN_FOLDER_PREFIX))
    (folder / "owner").write_text(json.dumps({"pid": os.getpid(), "created": psutil.Process().create_time()}))
    return folder


def sweep_run_folders() -> list[Path]:
    """Remove the temporary folders of runners that are gone (a SIGKILL leaves its folder); return them."""
    removed = []
    for folder in Path(tempfile.gettempdir()).glob(f"{RUN_FOLDER_PREFIX}*"):
        try:
            owner = json.loads((folder / "owner").read_text())
            pid, created = owner["pid"], owner["created"]
        except (OSError, ValueError, KeyError, TypeError):
            continue  # being created right now, or not one of ours
        if not pid_alive(pid, created):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


def worker_command(spec: RunSpec, repeat: int, board: Path, output: Path) -> list[str]:
    """Return the command line that starts one worker."""
    return [sys.executable, "-m", "labproject.engine.worker", "--spec", json.dumps(spec.to_dict()),
            "--repeat", str(repeat), "--board", str(board), "--output", str(output)]


def _seed(spec: RunSpec, database_url: str | None, progress: bool) -> None:
    """Bring the table to the spec's shape: here, or through ``manage.py seed_rows`` on another database."""
    from labproject.iteration.seeding import seed_table
    from labproject.iteration.targets import lab_table
    from seed import PayloadSpec

    if lab_table(spec.target) is None:
        return  # a reader's own table is measured as it is; the lab cannot seed it
    if database_url is None:
        outcome = seed_table(PayloadSpec(spec.rows, spec.payload_bytes, spec.seed, force=spec.force),
                             target=spec.target, progress=progress)
        if not outcome.skipped:
            log.info(outcome.message())
        return
    from django.conf import settings

    command = [sys.executable, str(settings.BASE_DIR / "manage.py"), "seed_rows", "--target", spec.target,
               "--rows", str(spec.rows),
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
    folder = new_run_folder()
    board = ProgressBoard(folder / "board", create=True)
    output = folder / "result.json"
    started_at = datetime.now(UTC).isoformat()
    with open(folder / "stderr", "w+b") as stderr:
        proc = subprocess.Popen(
            worker_command(spec, repeat, folder / "board", output), env=worker_environment(spec, database_url),
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr, start_new_session=True,
        )
        seen = Observed(spec, repeat, session, started_at, proc.pid, TreeSampler(proc.pid, pss_interval=pss_interval))
        try:
            _watch(proc, board, seen, observers, timeout)
        except BaseException:
            kill_tree(proc.pid)
            proc.wait()
            board.close()
            shutil.rmtree(folder, ignore_errors=True)
            raise
        stderr.seek(0)
        seen.said = last_line(stderr.read().decode("utf-8", "replace"))
    seen.returncode = proc.returncode
    seen.part = _read_part(output)
    board.close()
    shutil.rmtree(folder, ignore_errors=True)
    if seen.killed_in_setup:
        raise BadInput(
            f"memory cap {spec.memory_cap_mb} MiB is below the worker's baseline: it reached "
            f"{seen.killed_rss / MIB:.0f} MiB before the strategy started; raise --memory-cap-mb"
        )
    return _assemble(seen)


@dataclass
class Observed:
    """What the runner knows of one run: what was asked, what it sampled, how the worker ended, what it said."""

    spec: RunSpec
    repeat: int
    session: str
    started_at: str
    pid: int
    sampler: TreeSampler
    timeline: Timeline = field(default_factory=Timeline)
    tree_timeline: Timeline = field(default_factory=Timeline)
    killed_rss: int | None = None
    killed_rows: int = 0
    killed_in_setup: bool = False
    timed_out: bool = False
    baseline_rss: int | None = None
    baseline_pss: int | None = None
    rows_done: int = 0
    returncode: int | None = None
    said: str = ""  # the last line of the worker's stderr
    part: dict | None = None  # the worker's document, None when it wrote none or an unreadable one


def _watch(proc, board: ProgressBoard, seen: Observed, observers, timeout: float | None) -> None:
    """Sample the worker until it exits, is killed at the cap, or times out, noting it all in ``seen``."""
    cap = seen.spec.memory_cap_bytes
    deadline = None if timeout is None else time.monotonic() + timeout
    while proc.poll() is None:
        now = time.monotonic()
        phase = board.phase
        try:
            sample = seen.sampler.take(now, running=phase == RUNNING)
        except ProcessLookupError:
            break
        if phase == RUNNING:
            seconds = round((time.monotonic_ns() - board.started_ns) / 1e9, 4)
            rows = board.rows_done
            seen.timeline.add([seconds, sample.worker_rss, rows])
            if sample.tree_pss is not None:
                seen.tree_timeline.add([seconds, sample.tree_pss, sample.processes])
            for observer in observers:
                observer.sampled(seconds, sample.worker_rss, rows)
        if cap is not None and sample.tree_rss > cap:
            in_setup = board.phase == SETUP  # read after the sample: the strategy may have started meanwhile
            kill_tree(proc.pid)
            seen.killed_rss, seen.killed_in_setup, seen.killed_rows = sample.tree_rss, in_setup, board.rows_done
            break
        if deadline is not None and now > deadline:
            kill_tree(proc.pid)
            seen.timed_out = True
            break
        time.sleep(SAMPLE_INTERVAL)
    proc.wait()
    seen.baseline_rss = board.baseline_rss or None
    seen.baseline_pss = board.baseline_pss or None
    seen.rows_done = board.rows_done


def _read_part(output: Path) -> dict | None:
    try:
        return json.loads(output.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _assemble(seen: Observed) -> RunResult:
    """Merge the worker's document with what the runner saw into one result record."""
    spec, sampler = seen.spec, seen.sampler
    base = {
        "strategy": spec.strategy, "repeat": seen.repeat, "session": seen.session, "spec": spec,
        "run_id": f"{seen.started_at[:19].replace(':', '')}-{spec.strategy}-r{seen.repeat}-{seen.pid}",
        "started_at": seen.started_at, "rss_timeline": seen.timeline.finished(), "pid": seen.pid,
        "sampled_peak_rss_bytes": seen.timeline.maximum, "baseline_rss_bytes": seen.baseline_rss,
        "rows_done": seen.rows_done,
        "tree": Tree(
            processes=len(sampler.processes_seen) or 1, baseline_pss_bytes=seen.baseline_pss,
            peak_pss_bytes=seen.tree_timeline.maximum, timeline=seen.tree_timeline.finished(),
            pss_interval_seconds=sampler.pss_interval, pss_read_seconds=round(sampler.pss_seconds, 4),
            pss_reads=sampler.pss_reads,
        ),
    }
    if seen.killed_rss is not None:
        return RunResult(**base, status="killed", killed_at_rss_bytes=seen.killed_rss, error=(
            f"killed at {seen.killed_rss / MIB:.0f} MiB (cap {spec.memory_cap_mb} MiB) after "
            f"{seen.killed_rows:,} rows"))
    if seen.timed_out:
        return RunResult(**base, status="error", error="timed out; the worker was killed")
    if seen.part is None:
        code = seen.returncode
        how = f"killed by signal {-code}" if code < 0 else f"exited with code {code}"
        return RunResult(**base, status="error",
                         error=f"worker {how} without a result" + (f": {seen.said}" if seen.said else ""))
    try:
        part = read_worker_part(seen.part)
        return RunResult(**{**base, **{k: v for k, v in part.items() if v is not None or k not in base}})
    except (ResultFormatError, TypeError) as exc:  # a field missing or refused: the run cannot be trusted
        return RunResult(**base, status="error", error=f"the worker's document was refused: {exc}")
