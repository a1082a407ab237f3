"""Check that the lab database answers and is migrated, before any long work starts."""

from __future__ import annotations

import logging
from typing import TextIO

from django.db import connections

from labproject.database import pooler_of, redact
from labproject.errors import DatabaseNotReady

log = logging.getLogger(__name__)


def describe_connection(alias: str = "default") -> str:
    """Return where a connection points, without its password: ``sqlite file X`` or ``postgresql at h:p/db``."""
    settings = connections[alias].settings_dict
    vendor = connections[alias].vendor
    if vendor == "sqlite":
        return f"sqlite file {settings['NAME']}"
    host = settings.get("HOST") or "localhost"
    port = settings.get("PORT") or {"mysql": 3306}.get(vendor, 5432)
    pooler = pooler_of(settings)
    through = f" through a {pooler} pooler" if pooler else ""
    return f"{vendor} database {settings.get('NAME')!r} at {host}:{port}{through}"


def connection_error(alias: str, exc: BaseException) -> DatabaseNotReady:
    """Turn a driver's exception into one line that names the database and never its password."""
    first = next((line.strip() for line in str(exc).splitlines() if line.strip()), type(exc).__name__)
    return DatabaseNotReady(f"cannot use the {describe_connection(alias)}: {redact(first)}")


def pending_migrations(alias: str = "default") -> list[str]:
    """Return the names of migrations not yet applied to the database."""
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connections[alias])
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{migration.app_label}.{migration.name}" for migration, _backwards in plan]


def ensure_ready(alias: str = "default", *, migrate: bool = True, out: TextIO | None = None) -> None:
    """Connect, and migrate an unmigrated database (saying so) or refuse it when ``migrate`` is off."""
    from django.core.management import call_command

    connection = connections[alias]
    try:
        connection.ensure_connection()
        pending = pending_migrations(alias)
    except DatabaseNotReady:
        raise
    except Exception as exc:  # every driver has its own OperationalError family
        raise connection_error(alias, exc) from None
    if not pending:
        return
    if not migrate:
        raise DatabaseNotReady(
            f"the {describe_connection(alias)} is not migrated ({len(pending)} pending); "
            "run `python manage.py migrate` first"
        )
    said = f"the {describe_connection(alias)} was not migrated; migrating it now"
    if out is None:
        log.info(said)
    else:
        print(said, file=out)
    call_command("migrate", database=alias, verbosity=0)
