"""A lab for the fan-out tests: a real Redis on loopback, real Celery workers, a database with a write counter.

A trigger on the lab's table counts every write of ``field`` per row in ``lab_writes``, so a test sees
a row written twice (a range walked twice) or never. Workers are started by the test, tied to it (the
kernel kills them if the test process dies) and stopped after it, whatever happened.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest

ROOT = Path(__file__).resolve().parents[1]
COUNTER = [
    "CREATE TABLE lab_writes (id bigint PRIMARY KEY, n integer NOT NULL)",
    "CREATE FUNCTION count_lab_writes() RETURNS trigger AS $$ BEGIN INSERT INTO lab_writes VALUES (NEW.id, 1) "
    "ON CONFLICT (id) DO UPDATE SET n = lab_writes.n + 1; RETURN NULL; END $$ LANGUAGE plpgsql",
    "CREATE TRIGGER count_lab_writes AFTER UPDATE OF field ON iteration_somemodel FOR EACH ROW "
    "EXECUTE FUNCTION count_lab_writes()",
]


def wait_for(condition, deadline: float = 120.0, what: str = "condition"):
    """Poll ``condition()`` until it returns something truthy, failing after ``deadline`` seconds."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        found = condition()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@dataclass
class FanoutLab:
    """The lab on one PostgreSQL database, a broker, and the workers this test started."""

    root: Path
    url: str
    broker: str
    env: dict
    started: list = field(default_factory=list)

    @property
    def fleet(self):
        from labproject.fanout.fleet import Fleet

        return Fleet(self.root / "workers")

    def manage(self, *args: str, env: dict | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, str(ROOT / "manage.py"), *args], env={**self.env, **(env or {})},
                              cwd=self.root, capture_output=True, text=True, timeout=timeout)

    def start(self, *args: str) -> subprocess.Popen:
        """Start ``manage.py`` in the background with SIGINT at its default, as at a terminal."""
        import signal

        return subprocess.Popen([sys.executable, str(ROOT / "manage.py"), *args], env=self.env, cwd=self.root,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))

    def workers(self, count: int, **env: str) -> list:
        """Start ``count`` workers writing to this lab's database (``env`` added), stopped after the test."""
        started = self.fleet.start(count, broker_url=self.broker, env={"DATABASE_URL": self.url, **env}, tied=True)
        self.started += started
        return started

    def stop_workers(self) -> None:
        self.fleet.stop(self.started)
        self.started = []

    def sql(self, query: str, params: tuple = ()) -> list[tuple]:
        with psycopg.connect(self.url, autocommit=True) as conn:
            cursor = conn.execute(query, params)
            return cursor.fetchall() if cursor.description else []

    def seed(self, rows: int) -> None:
        done = self.manage("seed_rows", "--rows", str(rows))
        assert done.returncode == 0, done.stderr
        for statement in COUNTER:
            self.sql(statement)

    def tally(self) -> dict:
        """Return rows, rows right, and rows written never, once and more than once."""
        rows = self.sql("SELECT COUNT(*) FROM iteration_somemodel")[0][0]
        from labproject.iteration.calculation import calculation_sql

        twin = calculation_sql("postgresql")
        right = self.sql(f"SELECT COUNT(*) FROM iteration_somemodel WHERE field = {twin}")[0][0]
        counts = dict(self.sql("SELECT n, COUNT(*) FROM lab_writes GROUP BY n"))
        written = sum(counts.values())
        return {"rows": rows, "right": right, "never": rows - written, "once": counts.get(1, 0),
                "twice_or_more": written - counts.get(1, 0)}

    def ranges(self) -> list[tuple]:
        """Return ``(name, state, rows_read, attempts, note)`` of every range row, in range order."""
        found = self.sql("SELECT name, state, rows_read, attempts, note FROM labwalk_checkpoint "
                         "WHERE part_of IS NOT NULL")
        return sorted(found, key=lambda r: int(r[0].rpartition("#")[2]))

    def rows_done(self) -> int:
        with contextlib.suppress(psycopg.Error):
            return int(self.sql("SELECT COALESCE(SUM(rows_read), 0) FROM labwalk_checkpoint "
                                "WHERE part_of IS NOT NULL")[0][0])
        return 0


@pytest.fixture
def fanout_lab(tmp_path, pg_url, redis_server):
    """A lab on a fresh PostgreSQL database with the session's broker; its workers are stopped after the test."""
    broker = redis_server.url()
    env = {**os.environ, "DATABASE_URL": pg_url, "LAB_BROKER_URL": broker, "LAB_VAR_DIR": str(tmp_path),
           "LAB_RESULTS_DIR": str(tmp_path / "results"), "PYTHONUNBUFFERED": "1"}
    env.pop("DJANGO_DEBUG", None)
    env.pop("LAB_FANOUT_KILL_AFTER", None)
    lab = FanoutLab(tmp_path, pg_url, broker, env)
    try:
        yield lab
    finally:
        lab.stop_workers()
