"""Turn ``DATABASE_URL`` into Django's DATABASES entry, and keep passwords out of every output.

SQLite is the default lab database. Its pragmas are chosen here, once, because per-row
``save()`` on SQLite is dominated by journal commits: the same method differs tenfold
between ``synchronous=FULL`` on a slow disk and WAL with ``synchronous=NORMAL``. Every
result records the pragmas in force (see ``labproject.engine.environment``).

A PostgreSQL URL may say that a pooler sits between the lab and the server (``?pooler=transaction``,
what ``make pgbouncer`` prints): the lab then sets ``DISABLE_SERVER_SIDE_CURSORS`` as Django requires
behind a transaction pooler, records the pooler with every result (``LAB_POOLER`` in the settings)
and refuses the strategies that need one server session for the whole walk.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from labproject.errors import ConfigError

SUPPORTED_ENGINES = {
    "django.db.backends.sqlite3": "sqlite",
    "django.db.backends.postgresql": "postgresql",
    "django.db.backends.mysql": "mysql",  # MySQL and MariaDB; Django's connection.vendor says "mysql"
}
POOLERS = {"transaction"}  # the pooling modes the lab knows; session pooling changes nothing it measures
# What every MySQL/MariaDB connection of the lab asks for: Django's recommended character set, the
# client's LOAD DATA LOCAL (the seeding loader), and a bounded wait for an unreachable server.
MYSQL_OPTIONS = {"charset": "utf8mb4", "local_infile": 1, "connect_timeout": 10}

# WAL lets a reader and a writer work at once (the pipelined strategy needs it) and, with
# synchronous=NORMAL, a commit appends to the WAL without an fsync: the setting Django's
# docs and most SQLite deployments recommend. Override with SQLITE_JOURNAL_MODE / SQLITE_SYNCHRONOUS.
SQLITE_JOURNAL_MODES = {"wal", "delete", "truncate", "persist", "memory", "off"}
SQLITE_SYNCHRONOUS = {"off", "normal", "full", "extra"}

_PASSWORD = re.compile(r"(?P<head>[a-z][a-z0-9+.-]*://[^:/@\s]*:)(?P<pw>[^@\s]*)(?P<at>@)", re.IGNORECASE)


def redact(text: str) -> str:
    """Replace the password of every URL in ``text`` with ``***``."""
    return _PASSWORD.sub(lambda m: f"{m['head']}***{m['at']}", str(text))


def sqlite_pragmas() -> dict[str, str]:
    """Return the journal mode and synchronous setting the lab applies to SQLite."""
    journal = os.environ.get("SQLITE_JOURNAL_MODE", "wal").lower()
    sync = os.environ.get("SQLITE_SYNCHRONOUS", "normal").lower()
    if journal not in SQLITE_JOURNAL_MODES:
        raise ConfigError(f"SQLITE_JOURNAL_MODE={journal!r} is not one of {sorted(SQLITE_JOURNAL_MODES)}")
    if sync not in SQLITE_SYNCHRONOUS:
        raise ConfigError(f"SQLITE_SYNCHRONOUS={sync!r} is not one of {sorted(SQLITE_SYNCHRONOUS)}")
    return {"journal_mode": journal, "synchronous": sync}


def busy_timeout() -> int:
    """Return how many seconds a statement waits for another connection's lock before it fails (LAB_BUSY_TIMEOUT)."""
    text = os.environ.get("LAB_BUSY_TIMEOUT", "30")
    if not text.isdigit() or int(text) == 0:
        raise ConfigError(f"LAB_BUSY_TIMEOUT={text!r} must be a whole number of seconds above 0")
    return int(text)


# What each backend says when a statement waited out the busy timeout for another connection's lock.
BUSY_MESSAGES = ("database is locked", "canceling statement due to lock timeout", "Lock wait timeout exceeded")


def busy_note(error: str) -> str:
    """Return why a statement failed when it waited out another connection's lock ('' for any other error)."""
    if not any(message in error for message in BUSY_MESSAGES):
        return ""
    return (f" (another connection held a lock on the table longer than the {busy_timeout()} s busy timeout; "
            "LAB_BUSY_TIMEOUT sets it)")


def database_config(url: str) -> dict:
    """Parse ``url`` into a DATABASES entry, refusing what the lab does not support."""
    import dj_database_url

    try:
        config = dj_database_url.parse(url)
    except Exception as exc:  # dj-database-url raises several types for bad URLs
        raise ConfigError(f"DATABASE_URL {redact(url)!r} does not parse: {redact(str(exc))}") from None
    engine = config.get("ENGINE", "")
    if engine not in SUPPORTED_ENGINES:
        raise ConfigError(
            f"DATABASE_URL {redact(url)!r} names an unsupported engine ({engine or 'none'}); "
            "use sqlite:///path, postgres://user:password@host:port/name or mysql://user:password@host:port/name"
        )
    if engine == "django.db.backends.sqlite3":
        name = config.get("NAME") or ""
        if not name or name == ":memory:":
            raise ConfigError("the lab needs an SQLite file (sqlite:///path/file.sqlite3), not an in-memory database")
        Path(name).parent.mkdir(parents=True, exist_ok=True)
        pragmas = sqlite_pragmas()
        config["OPTIONS"] = {
            "init_command": "".join(f"PRAGMA {k}={v};" for k, v in pragmas.items()),
            "timeout": busy_timeout(),
        }
        config["TEST"] = {"NAME": str(Path(name).with_suffix(".test.sqlite3"))}
    elif engine == "django.db.backends.mysql":
        config["OPTIONS"] = {**MYSQL_OPTIONS, **config.get("OPTIONS", {}),
                             # A statement blocked by another connection's row lock fails after the busy timeout.
                             "init_command": f"SET SESSION innodb_lock_wait_timeout = {busy_timeout()}"}
    else:
        options = config.setdefault("OPTIONS", {})
        pooler = options.pop("pooler", None)
        if pooler is not None and pooler not in POOLERS:
            raise ConfigError(f"DATABASE_URL {redact(url)!r}: pooler={pooler!r} is not one of {sorted(POOLERS)}")
        config["LAB_POOLER"] = pooler
        # libpq waits for an unreachable host as long as TCP retries (minutes); the lab says so after 10 s.
        options.setdefault("connect_timeout", 10)
        if pooler is None:
            # A statement blocked by another connection's lock fails after the busy timeout instead of hanging.
            # PgBouncer refuses the startup option that carries it, so through a pooler the server's own applies.
            options["options"] = f"{options.get('options', '')} -c lock_timeout={busy_timeout()}s".strip()
        # Django requires this behind a transaction pooler: iterator() then fetches the whole result
        # client-side. LAB_DISABLE_SERVER_SIDE_CURSORS=1/0 forces it either way (0: to see what breaks).
        forced = os.environ.get("LAB_DISABLE_SERVER_SIDE_CURSORS", "")
        config["DISABLE_SERVER_SIDE_CURSORS"] = forced == "1" if forced in {"0", "1"} else pooler == "transaction"
    return config


def backend_name(engine: str) -> str:
    """Return the lab's short name (``sqlite``/``postgresql``/``mysql``) for a Django engine path."""
    return SUPPORTED_ENGINES[engine]


def pooler_of(config: dict) -> str | None:
    """Return the pooler a DATABASES entry says sits in front of its server (``"transaction"``), or None."""
    return config.get("LAB_POOLER")
