"""``python -m labproject.fanout workers start N | stop | status``: what ``make workers`` and ``make workers-stop`` run.

``start`` starts (or reuses) the lab's Redis under ``var/redis`` and as many Celery workers as are
missing for N, writing to the database of ``DATABASE_URL`` (the lab's SQLite file without it); the
broker URL goes to stdout as ``LAB_BROKER_URL=...``, everything else to stderr. ``stop`` stops the
workers, then the lab's Redis.
"""

from __future__ import annotations

import argparse
import os
import sys

from labproject.errors import exit_code_of


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The fan-out's broker and workers (make workers / workers-stop).")
    parser.add_argument("what", choices=["workers"])
    parser.add_argument("action", choices=["start", "stop", "status"])
    parser.add_argument("count", nargs="?", type=int, default=2, help="start: how many workers should run")
    args = parser.parse_args(argv)
    return exit_code_of(lambda: run(args.action, args.count))


def run(action: str, count: int) -> int:
    from labproject.errors import BadInput
    from labproject.fanout.fleet import Fleet
    from labproject.servers.common import HOST
    from labproject.servers.redis import DEFAULT_ROOT, RedisServer

    say = sys.stderr
    fleet, redis = Fleet(), RedisServer(DEFAULT_ROOT)
    if action == "stop":
        stopped = fleet.stop()
        print(f"stopped {len(stopped)} worker(s)" if stopped else "no worker was running", file=say)
        print(f"stopped {redis.where}" if redis.stop() else f"{redis.where} was not running", file=say)
        return 0
    running = fleet.running()
    if action == "status":
        where = f"on {HOST}:{redis.port()}" if redis.running() else "(not running)"
        print(f"{redis.where} {where}; {len(running)} worker(s): {', '.join(w.name for w in running) or 'none'}",
              file=say)
        return 0
    if count < 1:
        raise BadInput(f"N must be at least 1, got {count}")
    if redis.start():
        print(f"started {redis.where} on {HOST}:{redis.port()}; log in {redis.log_file}", file=say)
    else:
        print(f"{redis.where} is already running on {HOST}:{redis.port()}; reusing it", file=say)
    url = redis.url()
    if len(running) >= count:
        print(f"{len(running)} worker(s) already running ({', '.join(w.name for w in running)}); reusing them",
              file=say)
    else:
        started = fleet.start(count - len(running), broker_url=url)
        print(f"started {len(started)} worker(s) ({', '.join(w.name for w in started)}) writing to "
              f"{_database()}; logs in {fleet.root}", file=say)
    print("stop them with `make workers-stop`", file=say)
    print(f"LAB_BROKER_URL={url}")
    return 0


def _database() -> str:
    from labproject.database import redact

    return redact(os.environ.get("DATABASE_URL") or "the lab's SQLite file (no DATABASE_URL)")


if __name__ == "__main__":
    sys.exit(main())
