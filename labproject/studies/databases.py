"""The databases a study compares: the kernel's own, and the other backend when one can be had.

A backend comparison needs SQLite, PostgreSQL, MariaDB and PostgreSQL behind PgBouncer side by
side, whichever the notebook's kernel uses. Each server comes from ``DATABASE_URL`` when it names one,
otherwise from the lab's own (``labproject.servers``, started here when its programs exist and stopped
again by :func:`release`); when neither is possible the database carries the reason instead of a URL,
for the notebook to state.
Runs on a database go through the engine with its URL (``compare(database_url=...)``): the workers
and the seeding get the URL, so the kernel's own Django connection never changes.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, replace

from labproject.engine import measure
from labproject.engine.measured import Measured
from labproject.engine.tidy import setup_name
from labproject.errors import LabError

# The studies' own database on the lab's server, so they never reseed the `lab` database others use.
STUDY_DATABASE = "lab_studies"
STUDY_SQLITE = "studies.sqlite3"
POOLER = "transaction"  # the pooling mode the studies put in front of PostgreSQL (PgBouncer's)


@dataclass(frozen=True)
class Database:
    """A database to run on (``url``), or why there is none (``reason``)."""

    backend: str
    url: str | None
    reason: str = ""
    started_server: object | None = None  # a lab server this process started, stopped by release()
    pooler: str | None = None  # "transaction": PostgreSQL reached through PgBouncer
    started_behind: object | None = None  # the PostgreSQL a pooler this process started brought up

    @property
    def available(self) -> bool:
        return self.url is not None

    @property
    def setup(self) -> str:
        """Name where the runs happen: the backend, and the pooler in front of it (the tidy table's ``setup``)."""
        return setup_name(self.backend, self.pooler)


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


ON_AGAIN = "; `make report SERVERS=auto` measures it"


def postgresql(mode: str = "auto") -> Database:
    """Return PostgreSQL: the kernel's database if it is one, else the lab's server (``mode="auto"``).

    ``mode="off"`` asks for no server; the database then says so.
    """
    from django.db import connection

    if connection.vendor == "postgresql":
        return Database("postgresql", kernel_url())
    if mode == "off":
        return Database("postgresql", None, f"the notebook was run with postgres='off'{ON_AGAIN}")
    from labproject.servers.postgres import DEFAULT_ROOT, LabServer, find_binaries

    try:
        server = LabServer(DEFAULT_ROOT, find_binaries())
        started = server.start()
        server.create_database(STUDY_DATABASE)
        return Database("postgresql", server.url(STUDY_DATABASE), started_server=server if started else None)
    except LabError as exc:
        return Database("postgresql", None, f"DATABASE_URL is not PostgreSQL and the lab's server is unusable: {exc}")


def mariadb(mode: str = "auto") -> Database:
    """Return MariaDB: the kernel's database if it is one, else the lab's own server (``mode="auto"``).

    The lab's server (``labproject.servers.mariadb``) is started in its ``var/`` folder when it is not
    running, and stopped again by :func:`release`; ``mode="off"`` asks for no server.
    """
    from django.db import connection

    if connection.vendor == "mysql":
        return Database("mysql", kernel_url())
    if mode == "off":
        return Database("mysql", None, f"the notebook was run with mariadb='off'{ON_AGAIN}")
    from labproject.servers.mariadb import DEFAULT_ROOT, MariaDBServer

    try:
        server = MariaDBServer(DEFAULT_ROOT)
        started = server.start()
        server.create_database(STUDY_DATABASE)
        return Database("mysql", server.url(STUDY_DATABASE), started_server=server if started else None)
    except LabError as exc:
        return Database("mysql", None, f"DATABASE_URL is not MariaDB and the lab's server is unusable: {exc}")


def pooled(mode: str = "auto") -> Database:
    """Return PostgreSQL through PgBouncer in transaction mode: the kernel's if it is, else the lab's own.

    The lab's PgBouncer (``labproject.servers.pgbouncer``) starts the lab's PostgreSQL when needed;
    :func:`release` stops the PgBouncer this process started. ``mode="off"`` asks for no server.
    """
    from django.db import connection

    from labproject.database import pooler_of

    if connection.vendor == "postgresql" and pooler_of(connection.settings_dict) == POOLER:
        return Database("postgresql", kernel_url(), pooler=POOLER)
    if mode == "off":
        return Database("postgresql", None, f"the notebook was run with pooler='off'{ON_AGAIN}", pooler=POOLER)
    from labproject.servers import pgbouncer, postgres

    try:
        server = pgbouncer.PgBouncerServer(pgbouncer.DEFAULT_ROOT,
                                           postgres.LabServer(postgres.DEFAULT_ROOT, postgres.find_binaries()))
        behind = server.postgres.start()
        started = server.start()
        server.postgres.create_database(STUDY_DATABASE)
        return Database("postgresql", server.url(STUDY_DATABASE), started_server=server if started else None,
                        pooler=POOLER, started_behind=server.postgres if behind else None)
    except LabError as exc:
        return Database("postgresql", None, f"the lab's PgBouncer is unusable: {exc}", pooler=POOLER)


def release(database: Database) -> str:
    """Stop the server this process started for ``database``, unless someone else connected meanwhile; say so.

    A server that was already running is left alone, and so is one this process started if other
    clients now use it (the lab's servers are shared by whoever runs ``make pg`` or ``make mariadb``).
    A PgBouncer started here is stopped first (PostgreSQL counts its pooled server connections as
    clients, so they cannot tell who else uses it), then the PostgreSQL it brought up, by the same rule.
    """
    if database.started_server is None:
        return "no server was started here"
    name = database.started_server.where
    if database.pooler is not None:
        database.started_server.stop()
        said = f"stopped {name}, which this notebook started"
        behind = database.started_behind
        if behind is None:
            return said
        others = _other_clients(replace(database, url=behind.url(STUDY_DATABASE), pooler=None))
        if others:
            return f"{said}; left {behind.where} running: {others} other connection(s) use it now"
        behind.stop()
        return f"{said}, and {behind.where} it brought up"
    others = _other_clients(database)
    if others:
        return f"left {name} running: {others} other connection(s) use it now"
    database.started_server.stop()
    return f"stopped {name}, which this notebook started"


def _other_clients(database: Database) -> int:
    """Return how many client connections other than this one the server behind ``database`` has."""
    from labproject.database import database_config

    if database.backend == "mysql":
        import MySQLdb

        config = database_config(database.url)
        conn = MySQLdb.connect(host=config["HOST"], port=int(config["PORT"]), user=config["USER"],
                               password=config["PASSWORD"], database=config["NAME"], connect_timeout=10)
        try:
            cursor = conn.cursor()
            cursor.execute("SELECT count(*) FROM information_schema.PROCESSLIST "
                           "WHERE ID <> CONNECTION_ID() AND USER NOT IN ('system user', 'event_scheduler')")
            return int(cursor.fetchone()[0])
        finally:
            conn.close()
    import psycopg

    url = database.url.split("?")[0]  # psycopg does not know the lab's ?pooler= marker
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
