"""The databases a study compares: the kernel's own, and the other backend when one can be had.

A backend comparison needs SQLite and PostgreSQL side by side, whichever the notebook's kernel
uses. PostgreSQL comes from ``DATABASE_URL`` when it names one, otherwise from the lab's own server
(``labproject.servers.postgres``, started here when its binaries exist and stopped again by :func:`release`);
when neither is possible the database carries the reason instead of a URL, for the notebook to state.
Runs on a database go through the engine with its URL (``compare(database_url=...)``): the workers
and the seeding get the URL, so the kernel's own Django connection never changes.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass

from labproject.engine import measure
from labproject.engine.measured import Measured
from labproject.errors import LabError

# The studies' own database on the lab's server, so they never reseed the `lab` database others use.
STUDY_DATABASE = "lab_studies"
STUDY_SQLITE = "studies.sqlite3"


@dataclass(frozen=True)
class Database:
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


def sqlite() -> Database:
    """Return the kernel's database if it is SQLite, else an SQLite file of the studies under ``var/``."""
    from django.conf import settings
    from django.db import connection

    if connection.vendor == "sqlite":
        return Database("sqlite", kernel_url())
    return Database("sqlite", f"sqlite:///{settings.VAR_DIR / STUDY_SQLITE}")


def postgresql(mode: str = "auto") -> Database:
    """Return PostgreSQL: the kernel's database if it is one, else the lab's server (``mode="auto"``).

    ``mode="off"`` asks for no server; the database then says so.
    """
    from django.db import connection

    if connection.vendor == "postgresql":
        return Database("postgresql", kernel_url())
    if mode == "off":
        return Database("postgresql", None, "the notebook was run with postgres='off'")
    from labproject.servers.postgres import DEFAULT_ROOT, LabServer, find_binaries

    try:
        server = LabServer(DEFAULT_ROOT, find_binaries())
        started = server.start()
        server.create_database(STUDY_DATABASE)
        return Database("postgresql", server.url(STUDY_DATABASE), started_server=server if started else None)
    except LabError as exc:
        return Database("postgresql", None, f"DATABASE_URL is not PostgreSQL and the lab's server is unusable: {exc}")


def release(database: Database) -> str:
    """Stop the server :func:`postgresql` started, unless someone else connected meanwhile; say what happened.

    A server that was already running is left alone, and so is one this process started if other
    clients now use it (the lab's server is shared by whoever runs ``make pg``).
    """
    if database.started_server is None:
        return "no server was started here"
    others = _other_clients(database.url)
    if others:
        return f"left the lab's PostgreSQL server running: {others} other connection(s) use it now"
    database.started_server.stop()
    return "stopped the lab's PostgreSQL server this notebook started"


def _other_clients(url: str) -> int:
    """Return how many client connections other than this one the server at ``url`` has."""
    import psycopg

    with psycopg.connect(url, autocommit=True, connect_timeout=10) as conn:
        row = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' "
                           "AND pid <> pg_backend_pid()").fetchone()
    return int(row[0])


def run_each(database: Database, parts: Sequence[tuple[Sequence[str], dict]], *, label: str, reuse: bool = False,
             **common) -> tuple[Measured | None, str]:
    """Run every ``(strategies, options)`` part on ``database``, options on top of ``common``.

    ``options`` are :func:`labproject.engine.measure.specs`'s (rows, repeats, batch size, payload
    bytes, DEBUG, server-side cursors, probes...), so every part of a spec reaches the runs. With
    ``reuse``, runs an earlier page of the same report made of the same specs are taken instead of
    run again (``studies.reuse``). Return all the runs, or ``(None, why not)`` when the database is
    missing or cannot be used.
    """
    from labproject.studies import reuse as earlier

    if not database.available:
        return None, database.reason
    results = []
    for strategies, options in parts:
        try:
            plan = measure.specs(strategies, database_url=database.url, **{**common, **options})
            if reuse:
                found, plan = earlier.split(plan)
                results += found.results
            if plan:
                results += measure.run(plan, label=label, database_url=database.url).results
        except LabError as exc:
            return None, f"{database.backend}: {exc}"
    return Measured(results), ""
