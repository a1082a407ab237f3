"""What every figure must state: the machine, the interpreter, Django, and the database with its settings."""

from __future__ import annotations

import os
import platform

import django
import psutil

_SYNCHRONOUS = {0: "off", 1: "normal", 2: "full", 3: "extra"}


def machine() -> dict:
    """Return cores, memory and platform of this machine, and the interpreter's versions."""
    return {
        "cores": os.cpu_count(),
        "memory_bytes": psutil.virtual_memory().total,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "django": django.get_version(),
    }


def database(alias: str = "default") -> dict:
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
            cursor.execute("SHOW server_version")
            info["version"] = cursor.fetchone()[0]
            for setting in ("work_mem", "shared_buffers", "synchronous_commit", "max_wal_size"):
                cursor.execute(f"SHOW {setting}")
                info[setting] = cursor.fetchone()[0]
    return info


def describe(alias: str = "default") -> dict:
    """Return the whole environment section of a result."""
    return {**machine(), "database": database(alias)}
