"""Strategies that exist only for the PostgreSQL tests; loaded through LAB_STRATEGY_MODULES."""

import json
import os
import time
from pathlib import Path

from django.db import connection, connections

from labproject.iteration.calculation import some_calculation
from labproject.iteration.models import SomeModel
from labproject.strategies.base import POSTGRESQL, SQLITE, strategy


def _observe_reader() -> dict:
    """Return what PostgreSQL shows of this connection's query: in its own session and from a second one."""
    pid = connection.connection.info.backend_pid  # known to libpq: asking the server would replace its last query
    # pg_stat_activity is visible to every session; its query column holds the reader's latest statement.
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT query FROM pg_stat_activity WHERE pid = %s", [pid])
            (seen_from_outside,) = cursor.fetchone()
    finally:
        other.close()
    # pg_cursors lists the cursors of the session that asks, so the reader asks it itself.
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, statement, is_holdable FROM pg_cursors")
        cursors = [{"name": n, "statement": s, "is_holdable": h} for n, s, h in cursor.fetchall()]
    return {"seen_from_outside": seen_from_outside, "cursors": cursors}


@strategy("test_pg_cursor_probe", "iterator() + save(), noting mid-walk which cursor PostgreSQL holds",
          why="Proves iterator() opens a server-side cursor, or not.", family="experiment", backends={POSTGRESQL})
def cursor_probe(ctx):
    observed = None
    for obj in SomeModel.objects.all().iterator(chunk_size=ctx.batch_size):
        if observed is None:
            observed = _observe_reader()
        obj.field = some_calculation(obj)
        obj.save(update_fields=["field"])
        ctx.advance()
    Path(os.environ["LAB_TEST_OBSERVATIONS"]).write_text(json.dumps(observed))


@strategy("test_pg_slow_walk", "iterator() + save(), slowly", why="A walk to stop the server under.",
          family="experiment", backends={POSTGRESQL})
def slow_walk(ctx):
    for obj in SomeModel.objects.all().iterator(chunk_size=100):
        time.sleep(0.01)
        obj.field = some_calculation(obj)
        obj.save(update_fields=["field"])
        ctx.advance()


@strategy("test_sqlite_only", "A strategy that applies to SQLite alone", why="Proves the backend check.",
          family="experiment", backends={SQLITE})
def sqlite_only(ctx):
    raise AssertionError("never runs on PostgreSQL")
