"""``python -m labproject.servers <pg|mariadb|pgbouncer|redis> <start|stop|url>``: what the make targets run.

The URL goes to stdout as ``DATABASE_URL=...`` (``REDIS_URL=...`` for Redis) and everything else to
stderr, so ``export $(make -s mariadb)`` works. ``start`` reuses a running server; a database
server's ``start`` also creates and migrates the lab database.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from labproject.errors import LabError
from labproject.servers.common import HOST, migrate

KINDS = ("pg", "mariadb", "pgbouncer", "redis")


def make_server(kind: str, root: Path | None, pg_root: Path | None):
    """Return the server of ``kind`` in ``root`` (default: its folder under ``var/``)."""
    from labproject.servers import mariadb, pgbouncer, postgres, redis

    def pg(folder: Path | None):
        return postgres.LabServer((folder or postgres.DEFAULT_ROOT).resolve(), postgres.find_binaries())

    if kind == "pg":
        return pg(root)
    if kind == "mariadb":
        return mariadb.MariaDBServer((root or mariadb.DEFAULT_ROOT).resolve())
    if kind == "pgbouncer":
        return pgbouncer.PgBouncerServer((root or pgbouncer.DEFAULT_ROOT).resolve(), pg(pg_root))
    return redis.RedisServer((root or redis.DEFAULT_ROOT).resolve())


def start(kind: str, server, say) -> str:
    """Start (or reuse) ``server`` and its lab database; return the line for stdout."""
    if server.start():
        print(f"started {server.where} on {HOST}:{server.port()}; log in {server.log_file}", file=say)
    else:
        print(f"{server.where} is already running on {HOST}:{server.port()}; reusing it", file=say)
    if kind == "redis":
        print(f"password in {server.password_file} (readable by you only); stop with `make redis-stop`", file=say)
        return f"REDIS_URL={server.url()}"
    database = server.postgres if kind == "pgbouncer" else server
    if database.create_database():
        print(f"created database 'lab' on {database.where}", file=say)
    migrate(database.url(), out=say)
    print(f"password in {database.password_file} (readable by you only); stop with `make {kind}-stop`", file=say)
    return f"DATABASE_URL={server.url()}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The lab's own servers (make pg, mariadb, pgbouncer, redis).")
    parser.add_argument("kind", choices=KINDS)
    parser.add_argument("action", choices=["start", "stop", "url"],
                        help="start (or reuse) and print its URL; stop; print the URL of the running one")
    parser.add_argument("--root", type=Path, help="the server's folder (default: var/<kind>)")
    parser.add_argument("--pg-root", type=Path, help="pgbouncer: the folder of the PostgreSQL it fronts")
    parser.add_argument("--pooler", default="", choices=["", "transaction"],
                        help="pg: put PgBouncer in this pooling mode in front (make pg POOLER=transaction); "
                             "its folder is the pgbouncer one beside the PostgreSQL folder")
    args = parser.parse_args(argv)
    say = sys.stderr
    kind, root, pg_root = args.kind, args.root, args.pg_root
    if kind == "pg" and args.pooler:  # the PgBouncer beside that PostgreSQL (var/pg: var/pgbouncer)
        kind, root, pg_root = "pgbouncer", args.root.parent / "pgbouncer" if args.root else None, args.root
    try:
        server = make_server(kind, root, pg_root)
        if args.action == "stop":
            print(f"stopped {server.where}" if server.stop() else f"{server.where} was not running", file=say)
            return 0
        if args.action == "start":
            print(start(kind, server, say))
        else:
            print(f"{'REDIS' if kind == 'redis' else 'DATABASE'}_URL={server.url()}")
    except LabError as exc:
        print(f"error: {exc}", file=say)
        return exc.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
