"""What every figure must state: machine, interpreter, Django, the peer libraries, the database and its settings."""

from __future__ import annotations

import os
import platform
from importlib import metadata

import django
import psutil

from labproject.database import pooler_of
from labproject.engine.sections import Database, Environment

# How a backend is written for a reader, wherever a figure names it.
BACKEND_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL", "mysql": "MariaDB/MySQL",
                 "postgresql+transaction": "PostgreSQL through PgBouncer"}  # the last a setup (tidy.setup_name)
_SYNCHRONOUS = {0: "off", 1: "normal", 2: "full", 3: "extra"}
# The PostgreSQL settings that move these timings: sorting/hashing memory, cache, commit durability, checkpoints.
POSTGRESQL_SETTINGS = ["server_version", "work_mem", "shared_buffers", "synchronous_commit", "fsync", "max_wal_size",
                       "lock_timeout"]
# The MariaDB/MySQL ones: commit durability, the page cache InnoDB reads through, the largest statement,
# and how long a statement waits for another's row lock.
MYSQL_SETTINGS = ["innodb_flush_log_at_trx_commit", "innodb_buffer_pool_size", "max_allowed_packet",
                  "innodb_lock_wait_timeout"]


def backend_label(backend: str, versions: list[str] | tuple[str, ...] = ()) -> str:
    """Return a backend as a reader writes it, with its versions' first words (``PostgreSQL 15.18``)."""
    short = dict.fromkeys(str(v).split()[0] for v in versions if v)
    return " ".join([BACKEND_NAMES.get(backend, backend), *short])


def machine() -> dict:
    """Return cores, memory and platform of this machine, and the interpreter's versions."""
    return {
        "cores": os.cpu_count(),
        "memory_bytes": psutil.virtual_memory().total,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "django": django.get_version(),
    }


def database(alias: str = "default") -> Database:
    """Return the backend, its version and the settings that move timings (never a password)."""
    from django.db import connections

    from labproject.iteration.readiness import describe_connection

    connection = connections[alias]
    info: dict = {"backend": connection.vendor, "where": describe_connection(alias)}
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            import sqlite3

            info["version"] = sqlite3.sqlite_version
            for pragma in ("journal_mode", "synchronous", "cache_size", "page_size"):
                cursor.execute(f"PRAGMA {pragma}")
                info[pragma] = cursor.fetchone()[0]
            info["synchronous"] = _SYNCHRONOUS.get(info["synchronous"], info["synchronous"])
        elif connection.vendor == "postgresql":
            import psycopg

            cursor.execute("SELECT name, current_setting(name) FROM unnest(%s::text[]) AS name", [POSTGRESQL_SETTINGS])
            info.update(cursor.fetchall())
            info["version"] = info.pop("server_version")
            info["driver"] = f"psycopg {psycopg.__version__}, libpq {psycopg.pq.version()}"
            # What iterator() did in this run: a named cursor, or the whole result buffered in libpq.
            info["server_side_cursors"] = not connection.settings_dict.get("DISABLE_SERVER_SIDE_CURSORS", False)
            # Whether a pooler sat between the lab and the server (the URL says so: ?pooler=transaction).
            info["pooler"] = pooler_of(connection.settings_dict)
        elif connection.vendor == "mysql":
            import MySQLdb

            cursor.execute("SELECT VERSION(), " + ", ".join(f"@@{name}" for name in MYSQL_SETTINGS))
            version, *values = cursor.fetchone()
            info.update(version=version, **dict(zip(MYSQL_SETTINGS, values, strict=True)))
            info["driver"] = (f"mysqlclient {'.'.join(map(str, MySQLdb.version_info[:3]))}, "
                              f"client library {MySQLdb._mysql.get_client_info()}")
            # Django has no server-side cursors here: the driver buffers every result (iterator() too).
            info["server_side_cursors"] = False
    return Database.from_dict(info)


def libraries() -> dict[str, str | None]:
    """Return the version of every library a registered strategy calls (None when it is not installed)."""
    from labproject import strategies

    return {name: _version(name) for name in sorted({s.library for s in strategies.all_strategies() if s.library})}


def _version(distribution: str) -> str | None:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def describe(alias: str = "default") -> Environment:
    """Return the whole environment section of a result."""
    return Environment(**machine(), database=database(alias), libraries=libraries())
