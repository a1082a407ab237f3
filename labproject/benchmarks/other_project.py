"""``python -m labproject.benchmarks.other_project``: the walk library in a Django project that is not the lab.

In ``tests/otherproject`` (one app, its own settings, none of the lab's), its ten-line ``recompute_totals``
command on ``UpdateRowsCommand`` updates N rows of its own model; the same calculation as one SQL UPDATE
is that model's floor, timed on the same database in the same run. Then the command is killed with
SIGKILL mid-walk and resumed (a trigger counts every write per row), and rerun on the finished table.
"""

from __future__ import annotations

import argparse
import re
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GOAL = 1.6


def _timed_floor(shop) -> float:
    from tests.shop import TOTAL_SQL

    shop.sql("UPDATE shop_order SET total = NULL")
    started = time.perf_counter()
    shop.sql(f"UPDATE shop_order SET total = {TOTAL_SQL[shop.vendor]}")
    return time.perf_counter() - started


def _timed_command(shop) -> float:
    shop.sql("UPDATE shop_order SET total = NULL")
    done = shop.manage("recompute_totals", "--no-progress")
    if done.returncode != 0:
        raise SystemExit(f"the command failed: {done.stderr.strip().splitlines()[-1]}")
    return float(re.search(r" in ([0-9.]+) s ", done.stdout).group(1))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--database-url", default="", help="an empty PostgreSQL database (default: a new SQLite file)")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from tests.shop import TRIGGERS, Shop

    with tempfile.TemporaryDirectory() as tmp:
        shop = Shop(args.database_url or f"sqlite:///{tmp}/shop.sqlite3", Path(tmp))
        shop.setup(args.rows)
        shop.sql("DROP TRIGGER count_writes" + (" ON shop_order" if shop.vendor == "postgresql" else ""))
        floors, walks = [], []
        for _ in range(args.repeats):  # alternated, so drift on a shared machine spreads over both
            floors.append(_timed_floor(shop))
            walks.append(_timed_command(shop))
        floor, walk = statistics.median(floors), statistics.median(walks)
        print(f"{args.rows:,} orders on {shop.vendor}, {args.repeats} repeats alternated: the SQL floor "
              f"{floor:.2f} s ({min(floors):.2f}-{max(floors):.2f}), the command's walk {walk:.2f} s "
              f"({min(walks):.2f}-{max(walks):.2f}): {walk / floor:.2f}x (goal <= {GOAL})")
        shop.sql("UPDATE shop_order SET total = NULL, writes = 0")
        shop.sql("DELETE FROM labwalk_checkpoint")  # the timed runs finished a walk of the same name
        for statement in TRIGGERS[shop.vendor]:
            if "FUNCTION" not in statement or shop.vendor != "postgresql":
                shop.sql(statement)
            else:
                shop.sql("CREATE OR REPLACE" + statement.removeprefix("CREATE"))
        walking = shop.start("recompute_totals", "--no-progress")
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline and (shop.checkpoint() or (None, 0))[1] < args.rows * 0.4:
            time.sleep(0.01)
        walking.send_signal(signal.SIGKILL)
        walking.communicate()
        killed_at = shop.checkpoint()
        resumed = shop.manage("recompute_totals", "--resume", "--no-progress")
        tally = shop.tally()
        again = shop.manage("recompute_totals", "--no-progress")
        print(f"killed with SIGKILL after {killed_at[1]:,} rows committed, resumed: {resumed.stdout.strip()}")
        print(f"after the kill and --resume: {tally['right']:,} of {tally['rows']:,} rows right, written once "
              f"{tally['once']:,}, never {tally['never']:,}, twice or more {tally['twice_or_more']:,}")
        print(f"rerun on the finished table: {again.stdout.strip()}")
        ok = (walk / floor <= GOAL and tally["right"] == tally["once"] == args.rows
              and "wrote 0 " in again.stdout)
        print(f"goal (<= {GOAL}x the floor, every row right, none written twice, a rerun writes nothing): "
              f"{'met' if ok else 'NOT met'}")
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
