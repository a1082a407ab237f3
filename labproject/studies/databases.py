"""The databases a study compares: the kernel's own, and the other backend when one can be had.

A backend comparison needs SQLite and PostgreSQL side by side, whichever the notebook's kernel
uses. PostgreSQL comes from ``DATABASE_URL`` when it names one, otherwise from the lab's own server
(``labproject.labserver``, started here when its binaries exist and stopped again by :func:`release`);
when neither is possible the target carries the reason instead of a URL, for the notebook to state.
Runs on a target go through ``manage.py compare --json`` in a subprocess pointed at its URL, so the
kernel's own Django connection never changes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass

from labproject.bench.result import RunResult
from labproject.database import last_line
from labproject.errors import LabError, WorkerFailed
from labproject.study import Measured

# The studies' own database on the lab's server, so they never reseed the `lab` database others use.
STUDY_DATABASE = "lab_studies"
STUDY_SQLITE = "studies.sqlite3"


@dataclass(frozen=True)
class Target:
    """A database to run on (``url``), or why there is none (``reason``)."""

    backend: str
    url: str | None
    reason: str = ""
    started_server: object | None = None  # a LabServer this process started, stopped by release()

    @property
    def available(self) -> bool:
        return self.url is not None


def kernel_url() -> str:
    """Return the URL of the database this kernel uses (the settings' default)."""
    from django.conf import settings

    return os.environ.get("DATABASE_URL") or f"sqlite:///{settings.DATABASES['default']['NAME']}"


def sqlite() -> Target:
    """Return the kernel's database if it is SQLite, else an SQLite file of the studies under ``var/``."""
    from django.conf import settings
    from django.db import connection

    if connection.vendor == "sqlite":
        return Target("sqlite", kernel_url())
    return Target("sqlite", f"sqlite:///{settings.VAR_DIR / STUDY_SQLITE}")


def postgresql(mode: str = "auto") -> Target:
    """Return PostgreSQL: the kernel's database if it is one, else the lab's server (``mode="auto"``).

    ``mode="off"`` asks for no server; the target then says so.
    """
    from django.db import connection

    if connection.vendor == "postgresql":
        return Target("postgresql", kernel_url())
    if mode == "off":
        return Target("postgresql", None, "the notebook was run with postgres='off'")
    from labproject.labserver import DEFAULT_ROOT, LabServer, find_binaries

    try:
        server = LabServer(DEFAULT_ROOT, find_binaries())
        started = server.start()
        server.create_database(STUDY_DATABASE)
        return Target("postgresql", server.url(STUDY_DATABASE), started_server=server if started else None)
    except LabError as exc:
        return Target("postgresql", None, f"DATABASE_URL is not PostgreSQL and the lab's server is unusable: {exc}")


def release(target: Target) -> str:
    """Stop the server :func:`postgresql` started, unless someone else connected meanwhile; say what happened.

    A server that was already running is left alone, and so is one this process started if other
    clients now use it (the lab's server is shared by whoever runs ``make pg``).
    """
    if target.started_server is None:
        return "no server was started here"
    others = _other_clients(target.url)
    if others:
        return f"left the lab's PostgreSQL server running: {others} other connection(s) use it now"
    target.started_server.stop()
    return "stopped the lab's PostgreSQL server this notebook started"


def _other_clients(url: str) -> int:
    """Return how many client connections other than this one the server at ``url`` has."""
    import psycopg

    with psycopg.connect(url, autocommit=True, connect_timeout=10) as conn:
        row = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' "
                           "AND pid <> pg_backend_pid()").fetchone()
    return int(row[0])


def run_each(target: Target, parts: Sequence[tuple[Sequence[str], dict]], **common) -> tuple[Measured | None, str]:
    """Run every ``(strategies, options)`` part on ``target`` (options of :func:`run_on`, on top of ``common``).

    Return all the runs, or ``(None, why not)`` when the target is missing or cannot be used.
    """
    if not target.available:
        return None, target.reason
    results = []
    for strategies, options in parts:
        try:
            results += run_on(target, strategies, **{**common, **options}).results
        except LabError as exc:
            return None, str(exc)
    return Measured(results), ""


def run_on(target: Target, strategies: Sequence[str], *, rows: int, label: str, repeats: int = 1,
           batch_size: int = 1000, debug: bool = False, server_side_cursors: bool = True,
           probes: Sequence[str] = ()) -> Measured:
    """Run ``strategies`` on ``target`` through ``manage.py compare`` and return its verified runs.

    Results land in the same results store as the kernel's runs. A failure to run at all raises
    :class:`WorkerFailed` with one line (no password); a run that failed is data, as everywhere.
    """
    from django.conf import settings

    if not target.available:
        raise WorkerFailed(f"no {target.backend} database: {target.reason}")
    command = [sys.executable, str(settings.BASE_DIR / "manage.py"), "compare", "--json", "--label", label,
               "--strategies", ",".join(strategies), "--rows", str(rows), "--repeats", str(repeats),
               "--batch-size", str(batch_size), "--probes", ",".join(["rss", *probes])]
    command += ["--debug"] * debug + ["--no-server-side-cursors"] * (not server_side_cursors)
    env = {**os.environ, "DATABASE_URL": target.url}
    done = subprocess.run(command, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    try:
        return Measured([RunResult.from_dict(item) for item in json.loads(done.stdout)])
    except ValueError:
        said = last_line(done.stderr, f"exit code {done.returncode}")
        raise WorkerFailed(f"compare on {target.backend} failed: {said}") from None
