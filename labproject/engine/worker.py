"""The worker: a fresh interpreter that runs one strategy once and writes one JSON document.

Started by the runner as ``python -m labproject.engine.worker --spec JSON --repeat N --board PATH
--output PATH``. Steps: set Django up, reset ``field`` to NULL, start the probes, record the
baseline RSS and reset the kernel's high-water mark, run the strategy, read the peak, stop the
probes, give freed memory back (``malloc_trim``) to see what was only allocator retention, and
verify every row against what the strategy says it writes (``verify_sql``: the calculation's SQL
twin unless it measures something else on purpose, as ``write_floor`` does).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import time
import traceback
from pathlib import Path

from labproject.engine import memory
from labproject.engine.progress import FINISHING, ProgressBoard
from labproject.processes import die_with_parent, one_line


def prepare_table(target, vendor: str) -> None:
    """Reset the target column so every run starts from the same table, and settle the storage.

    SQLite skips rewriting a row whose bytes do not change, so a run on an already-updated table
    would be fast for the wrong reason: every run starts from NULLs.
    """
    from django.db import connection

    if not target.written.null:
        from labproject.errors import NotApplicable

        raise NotApplicable(f"the engine resets {target.model._meta.label}.{target.field} to NULL before every run, "
                            "and that column is not nullable")
    target.queryset.update(**{target.field: None})
    with connection.cursor() as cursor:
        if vendor == "sqlite":
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        elif vendor == "postgresql":
            cursor.execute(f"VACUUM ANALYZE {connection.ops.quote_name(target.table)}")
        elif vendor == "mysql":
            cursor.execute(f"ANALYZE TABLE {connection.ops.quote_name(target.table)}")
            cursor.fetchall()
            # Wait until InnoDB has purged the reset's old row versions (MariaDB 10.5+), as VACUUM does on
            # PostgreSQL, so no run shares the server with the purge of the one before it.
            cursor.execute("SET GLOBAL innodb_max_purge_lag_wait = 0")


def run(spec_text: str, board: ProgressBoard) -> dict:
    """Run the strategy once and return this worker's part of the result (only ``WORKER_FIELDS``)."""
    import django

    django.setup()
    from django.db import connection

    from labproject import strategies
    from labproject.engine import environment
    from labproject.engine.probes import make_probes
    from labproject.engine.spec import RunSpec
    from labproject.errors import NotApplicable
    from labproject.iteration.targets import get_target
    from labproject.walk import Walk
    from labproject.walk.verification import verify

    spec = RunSpec.from_dict(json.loads(spec_text))
    chosen = strategies.get(spec.strategy, connection.vendor)
    target = get_target(spec.target)

    def progress(walk: Walk) -> None:
        board.rows_done = walk.rows_done

    ctx = Walk(target, spec.batch_size, options={"partitions": spec.partitions}, on_progress=progress)
    part: dict = {"pid": os.getpid()}
    gc.collect()
    part["rss_before_connection_bytes"] = memory.rss_bytes()  # nothing has connected yet
    refusal = chosen.refusal(ctx)
    if refusal:
        raise NotApplicable(refusal)
    prepare_table(target, connection.vendor)
    part["rss_after_reset_bytes"] = memory.rss_bytes()  # the connection, and the page cache the reset warmed
    part["environment"] = environment.describe().to_dict()
    probes = make_probes(spec.probes)
    for probe in probes:
        probe.start()
    gc.collect()
    part["baseline_rss_bytes"] = baseline = memory.rss_bytes()
    kernel_peak = memory.reset_peak()
    origin = time.monotonic_ns()
    for probe in probes:
        if hasattr(probe, "origin"):  # a probe with a timeline counts from the strategy's start
            probe.origin = origin / 1e9
    board.mark_running(origin, baseline, memory.pss_bytes())
    started = time.perf_counter()
    try:
        chosen.run(ctx)
    except Exception as exc:
        part.update(status="error", error=one_line(exc), rows_done=ctx.rows_done)
        traceback.print_exc(file=sys.stderr)
        return part
    finally:
        part["wall_seconds"] = time.perf_counter() - started
        part["peak_rss_bytes"] = memory.peak_rss_bytes() if kernel_peak else None
        part["end_rss_bytes"] = memory.rss_bytes()
        board.phase = FINISHING
    for probe in reversed(probes):
        part[probe.name] = probe.stop().to_dict()
    del ctx
    gc.collect()
    memory.malloc_trim()
    part["trimmed_rss_bytes"] = memory.rss_bytes()
    rule = chosen.verify_sql(target, connection.vendor) if chosen.verify_sql else None
    checked = verify(target, expression=rule)
    ok = checked.wrong == 0 and checked.right == spec.rows and checked.total == spec.rows
    part.update(status="ok" if ok else "wrong", rows_done=board.rows_done, rows_verified=checked.right,
                rows_wrong=checked.wrong)
    if checked.total != spec.rows:
        part["error"] = f"table holds {checked.total} rows, expected {spec.rows}"
    return part


def write_atomically(path: Path, data: dict) -> None:
    temp = path.with_suffix(".tmp")
    temp.write_text(json.dumps(data), encoding="utf-8")
    os.replace(temp, path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run one strategy once (started by the runner).")
    parser.add_argument("--spec", required=True, help="the RunSpec as JSON")
    parser.add_argument("--repeat", required=True, type=int)
    parser.add_argument("--board", required=True, help="shared progress file created by the runner")
    parser.add_argument("--output", required=True, help="where to write this worker's JSON document")
    args = parser.parse_args(argv)
    die_with_parent()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "labproject.settings")
    board = ProgressBoard(Path(args.board))
    try:
        part = run(args.spec, board)
    except Exception as exc:  # set-up or verification failed: still one document, saying why
        traceback.print_exc(file=sys.stderr)
        part = {"status": "error", "error": one_line(exc), "pid": os.getpid()}
    write_atomically(Path(args.output), part)
    return 0 if part["status"] in ("ok", "wrong") else 1


if __name__ == "__main__":
    sys.exit(main())
