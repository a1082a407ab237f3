"""``python -m labproject.benchmarks.seeding``: seeding throughput, start-up included, on a fresh temporary SQLite file.

Each repeat runs ``manage.py seed_rows`` as a new process, as a user would, and times it whole.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# The issues' goals: executemany into SQLite, COPY into PostgreSQL (a server round trip away),
# LOAD DATA into MariaDB (which also checks every payload with JSON_VALID).
GOALS = {"sqlite": 150_000, "postgres": 100_000, "mysql": 50_000}


def time_seed(rows: int, payload_bytes: int, env: dict) -> float:
    """Seed a fresh database in a new process and return the wall seconds, start-up included."""
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "seed_rows", "--rows", str(rows),
         "--payload-bytes", str(payload_bytes), "--no-progress", "--force"],
        check=True, env=env, stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=500_000)
    parser.add_argument("--payload-bytes", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--database-url", default="", help="default: a new SQLite file per repeat")
    args = parser.parse_args(argv)
    rates = []
    with tempfile.TemporaryDirectory() as tmp:
        for repeat in range(args.repeats):
            url = args.database_url or f"sqlite:///{tmp}/seed-bench-{repeat}.sqlite3"
            env = {**os.environ, "DATABASE_URL": url}
            # Migrate first so the timed run measures seeding, as on an existing lab database.
            subprocess.run([sys.executable, str(ROOT / "manage.py"), "migrate", "-v0"], check=True, env=env)
            seconds = time_seed(args.rows, args.payload_bytes, env)
            rates.append(args.rows / seconds)
            print(f"repeat {repeat + 1}: {args.rows:,} rows x {args.payload_bytes} B in {seconds:.2f} s "
                  f"= {rates[-1]:,.0f} rows/s (start-up included)")
    median = statistics.median(rates)
    goal = GOALS[next((scheme for scheme in GOALS if args.database_url.startswith(scheme)), "sqlite")]
    spread = f"{min(rates):,.0f}-{max(rates):,.0f}"
    print(f"seeding: median {median:,.0f} rows/s (range {spread}) on {os.cpu_count()} cores; "
          f"goal >= {goal:,}: {'met' if median >= goal else 'NOT met'}")
    return 0 if median >= goal else 1


if __name__ == "__main__":
    sys.exit(main())
