"""A Django project that is not the lab (tests/otherproject), driven through its own manage.py in subprocesses.

Its ``recompute_totals`` command is ten lines on ``labproject.walk.UpdateRowsCommand``. A trigger counts
every write of ``total`` per row in ``writes``, so a test can see a row written twice or never.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

PROJECT = Path(__file__).resolve().parent / "otherproject"
TRIGGERS = {
    "sqlite": ["CREATE TRIGGER count_writes AFTER UPDATE OF total ON shop_order "
               "BEGIN UPDATE shop_order SET writes = writes + 1 WHERE id = NEW.id; END"],
    "postgresql": ["CREATE FUNCTION count_writes() RETURNS trigger AS $$ BEGIN NEW.writes := OLD.writes + 1; "
                   "RETURN NEW; END $$ LANGUAGE plpgsql",
                   "CREATE TRIGGER count_writes BEFORE UPDATE OF total ON shop_order FOR EACH ROW "
                   "EXECUTE FUNCTION count_writes()"],
    # MariaDB has no UPDATE OF: every row an UPDATE matches counts, so a statement that reaches past its
    # batch is seen too (the tests change nothing else there).
    "mysql": ["CREATE TRIGGER count_writes BEFORE UPDATE ON shop_order FOR EACH ROW SET NEW.writes = OLD.writes + 1"],
}
TOTAL_SQL = {
    "sqlite": "(SELECT SUM(json_extract(l.value, '$.qty') * json_extract(l.value, '$.price')) FROM json_each(lines) l)",
    "postgresql": "(SELECT SUM((l ->> 'qty')::bigint * (l ->> 'price')::bigint) FROM jsonb_array_elements(lines) l)",
    "mysql": ("(SELECT SUM(l.qty * l.price) FROM JSON_TABLE(`lines`, '$[*]' COLUMNS (qty BIGINT PATH '$.qty', "
              "price BIGINT PATH '$.price')) AS l)"),  # LINES is a reserved word there
}


def orders(count: int, seed: int = 3) -> list[tuple[str, str, str]]:
    """Return ``(customer, lines JSON, note)`` rows: 1-6 lines each, a note the walk must not fetch."""
    draw = random.Random(seed)
    rows = []
    for n in range(count):
        lines = [{"sku": f"S{draw.randrange(99)}", "qty": draw.randrange(1, 9), "price": draw.randrange(50, 5000)}
                 for _ in range(draw.randrange(1, 7))]
        rows.append((f"c{n % 97}", json.dumps(lines), "x" * 200))
    return rows


@dataclass
class Shop:
    """The other project on one database: its manage.py, and SQL on that database."""

    url: str
    root: Path

    @property
    def vendor(self) -> str:
        return "postgresql" if self.url.startswith("postgres") else "mysql" if self.url.startswith("mysql") \
            else "sqlite"

    @property
    def env(self) -> dict:
        env = {**os.environ, "SHOP_DATABASE_URL": self.url, "PYTHONPATH": str(PROJECT),
               "DJANGO_SETTINGS_MODULE": "shopsite.settings", "PYTHONUNBUFFERED": "1"}
        env.pop("DATABASE_URL", None)
        return env

    def command(self, *args: str) -> list[str]:
        return [sys.executable, str(PROJECT / "manage.py"), *args]

    def manage(self, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
        return subprocess.run(self.command(*args), env=self.env, cwd=self.root, capture_output=True, text=True,
                              timeout=timeout)

    def start(self, *args: str) -> subprocess.Popen:
        return subprocess.Popen(self.command(*args), env=self.env, cwd=self.root, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)

    def sql(self, query: str, params: tuple = ()) -> list[tuple]:
        if self.vendor == "sqlite":
            import sqlite3

            with sqlite3.connect(self.url.removeprefix("sqlite:///")) as conn:
                return conn.execute(query, params).fetchall()
        if self.vendor == "mysql":
            from tests.server_fixtures import mysql_query

            return mysql_query(self.url, query.replace("?", "%s"), params)
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            cursor = conn.execute(query.replace("?", "%s"), params)
            return cursor.fetchall() if cursor.description else []

    def setup(self, rows: int) -> None:
        """Migrate, load ``rows`` orders and install the write-counting trigger."""
        done = self.manage("migrate", "-v0")
        assert done.returncode == 0, done.stderr
        data = orders(rows)
        if self.vendor == "sqlite":
            import sqlite3

            with sqlite3.connect(self.url.removeprefix("sqlite:///")) as conn:
                conn.execute("PRAGMA journal_mode=WAL")
                conn.executemany("INSERT INTO shop_order (customer, lines, note, writes) VALUES (?, ?, ?, 0)", data)
                for statement in TRIGGERS["sqlite"]:
                    conn.execute(statement)
        elif self.vendor == "mysql":
            from tests.server_fixtures import mysql_query

            mysql_query(self.url, "INSERT INTO shop_order (customer, `lines`, note, writes) VALUES "
                        + ", ".join(["(%s, %s, %s, 0)"] * len(data)), tuple(v for row in data for v in row))
            for statement in TRIGGERS["mysql"]:
                mysql_query(self.url, statement)
        else:
            import psycopg

            with psycopg.connect(self.url, autocommit=True) as conn:
                with conn.cursor().copy("COPY shop_order (customer, lines, note, writes) FROM STDIN") as copy:
                    for row in data:
                        copy.write_row((*row, 0))
                for statement in TRIGGERS["postgresql"]:
                    conn.execute(statement)
                conn.execute("ANALYZE shop_order")

    def tally(self) -> dict:
        """Return rows, rows right, rows written never, once and more than once."""
        right, = self.sql(f"SELECT COUNT(*) FROM shop_order WHERE total = {TOTAL_SQL[self.vendor]}")[0]
        counts = dict(self.sql("SELECT writes, COUNT(*) FROM shop_order GROUP BY writes"))
        total = sum(counts.values())
        return {"rows": total, "right": right, "never": counts.get(0, 0), "once": counts.get(1, 0),
                "twice_or_more": total - counts.get(0, 0) - counts.get(1, 0)}

    def checkpoint(self) -> tuple | None:
        try:
            found = self.sql("SELECT last_key, rows_read, rows_written, state FROM labwalk_checkpoint")
        except Exception:  # no table yet: the walk has not committed a batch
            return None
        return found[0] if found else None
