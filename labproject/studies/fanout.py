"""The fan-out experiments notebook 07 and ``make bench-fanout`` run: workers 1, 2, 4 and a chaos run.

Each run is the coordinator as a user starts it (``manage.py fanout ... --json`` in a fresh process, on
the database given by URL), with workers of its own on a broker of the study's own (a Redis in a
temporary folder, stopped after), on a table whose column was reset first. Nothing here interprets
the figures: ``labproject.analysis.fanout`` does.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from labproject.errors import LabError, WorkerFailed
from labproject.processes import last_line

ROOT = Path(__file__).resolve().parents[2]
RESET = ("from django.db import connection; from labproject.engine.worker import prepare_table; "
         "from labproject.iteration.targets import get_target; "
         "prepare_table(get_target({target!r}), connection.vendor)")


@dataclass(frozen=True)
class Broker:
    """A Redis of the study's own, or why there is none."""

    url: str | None
    root: Path | None
    reason: str = ""


@contextlib.contextmanager
def own_broker() -> Iterator[Broker]:
    """Start a Redis in a temporary folder for the study and stop it after; say why when it cannot start."""
    from labproject.servers.redis import RedisServer

    root = Path(tempfile.mkdtemp(prefix="lab-fanout-study-"))
    root.chmod(0o711)  # under root Redis runs as its own user, who must pass through
    server = RedisServer(root / "redis")
    try:
        try:
            server.start()
        except LabError as exc:
            yield Broker(None, None, f"no Redis server could be started: {exc}")
            return
        yield Broker(server.url(), root)
    finally:
        with contextlib.suppress(LabError):
            server.stop()
        shutil.rmtree(root, ignore_errors=True)


def _env(database_url: str, broker: Broker, extra: dict | None = None) -> dict:
    env = {**os.environ, "DATABASE_URL": database_url, "LAB_BROKER_URL": broker.url, "LAB_VAR_DIR": str(broker.root),
           "PYTHONUNBUFFERED": "1", **(extra or {})}
    env.pop("DJANGO_DEBUG", None)
    return env


def _manage(args: Sequence[str], env: dict, timeout: float = 3600) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, str(ROOT / "manage.py"), *args], env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    if done.returncode != 0:
        raise WorkerFailed(f"manage.py {args[0]} failed: {last_line(done.stderr, str(done.returncode))}")
    return done


def prepare(database_url: str, rows: int, broker: Broker) -> None:
    """Seed ``rows`` rows of the lab table (a no-op when already there) on the database at ``database_url``."""
    _manage(["seed_rows", "--rows", str(rows)], _env(database_url, broker))


def fan_out_run(database_url: str, broker: Broker, *, workers: int, ranges: int | None = None, batch_size: int = 1000,
                target: str = "lab", kill_after: str | None = None, label: str = "") -> dict:
    """Reset the column, then fan the walk out over ``workers`` fresh workers; return the summary and the context.

    ``kill_after`` (``"<range>:<batches>"``) makes the walker of that range SIGKILL itself after that
    many committed batches, the first time: the chaos run.
    """
    env = _env(database_url, broker, {"LAB_FANOUT_KILL_AFTER": kill_after} if kill_after else None)
    _manage(["shell", "-c", RESET.format(target=target)], env)
    load_before = os.getloadavg()
    done = _manage(["fanout", target, "--workers", str(workers), "--ranges", str(ranges or 4 * workers),
                    "--batch-size", str(batch_size), "--no-progress", "--json"], env)
    summary = json.loads(done.stdout)
    return {**summary, "label": label or f"{workers} worker(s)", "chaos": bool(kill_after),
            "load_before": load_before[0], "load_after": os.getloadavg()[0], "cores": os.cpu_count(),
            "backend": "postgresql" if database_url.startswith("postgres") else "sqlite"}


def scaling(database_url: str, broker: Broker, *, rows: int, workers: Sequence[int] = (1, 2, 4), repeats: int = 1,
            batch_size: int = 1000, chaos_workers: int = 2, chaos: bool = True) -> list[dict]:
    """Seed ``rows``, run the fan-out over each worker count ``repeats`` times, then the chaos run; return the runs."""
    prepare(database_url, rows, broker)
    runs = []
    for repeat in range(repeats):
        for count in workers:
            runs.append({**fan_out_run(database_url, broker, workers=count, batch_size=batch_size), "repeat": repeat})
    if chaos:
        # Range 1's walker dies right after its first commit, so even a range of one batch is redelivered.
        runs.append({**fan_out_run(database_url, broker, workers=chaos_workers, batch_size=batch_size,
                                   kill_after="1:1", label=f"{chaos_workers} worker(s), one killed"),
                     "repeat": 0})
    return runs


def references(database, rows: int, *, label: str = "fanout-references"):
    """Run ``sql_update`` (the floor) and the single-process ``pipelined`` on ``database`` through the engine.

    Return a table of backend, strategy, seconds (median) and rows/s, or ``(None, why not)``.
    """
    import pandas as pd

    from labproject.studies import databases

    measured, why = databases.run_each(database, [(["sql_update", "pipelined"], {"rows": rows})], label=label)
    if measured is None:
        return None, why
    ok = measured.runs[measured.runs["status"] == "ok"]
    table = ok.groupby("strategy", as_index=False).agg(seconds=("wall_seconds", "median"), rows=("rows", "first"))
    table["rows_per_second"] = table["rows"] / table["seconds"]
    return pd.DataFrame({"backend": database.backend, **table}), ""


def measure(targets, broker: Broker, *, rows: dict[str, int], workers: Sequence[int], repeats: int = 1,
            chaos: bool = True, batch_size: int = 1000):
    """Run the scaling runs and the references on every database that can be had; say why for the others.

    The chaos run goes to PostgreSQL, or to SQLite when PostgreSQL cannot be had.

    Return ``(fan-out runs, reference table, {backend: why not measured})``.
    """
    import pandas as pd

    runs, refs, missing = [], [], {}
    usable = [d.backend for d in targets if d.available]
    chaos_on = "postgresql" if "postgresql" in usable else next(iter(usable), None)  # one chaos run, PostgreSQL's
    for database in targets:
        if broker.url is None:
            missing[database.backend] = broker.reason
            continue
        if not database.available:
            missing[database.backend] = database.reason
            continue
        try:
            size = rows[database.backend]
            runs += scaling(database.url, broker, rows=size, workers=workers, repeats=repeats, batch_size=batch_size,
                            chaos=chaos and database.backend == chaos_on)
            found, why = references(database, size)
        except LabError as exc:
            missing[database.backend] = str(exc)
            continue
        if found is None:
            missing[database.backend] = why
        else:
            refs.append(found)
    return runs, (pd.concat(refs, ignore_index=True) if refs else pd.DataFrame(
        columns=["backend", "strategy", "seconds", "rows", "rows_per_second"])), missing
