"""``python -m labproject.benchmarks fanout``: the walk fanned out over 1, 2 and 4 Celery workers on PostgreSQL.

Against ``sql_update`` (the floor) and the single-process ``pipelined`` at the same table, measured in
the same invocation: each fan-out's time (enqueue to the last range done; planning and worker start-up
reported apart), its fleet's PSS, and the chaos run (a worker SIGKILLed mid-range) and its extra time.
Goal: 2 workers in at most 1.6x ``sql_update``'s time, every row right after the kill, none read twice.
"""

from __future__ import annotations

import os

GOAL = 1.6


def fanout(args) -> int:
    from django.db import connection

    from labproject.analysis import fanout as analysis
    from labproject.benchmarks.suites import _describe_machine, _medians, _run, _verdict
    from labproject.errors import BadInput
    from labproject.studies.fanout import own_broker, scaling

    if connection.vendor != "postgresql":
        raise BadInput("the fan-out benchmark runs on PostgreSQL: `make pg`, then `export $(make -s pg)`")
    rows = args.rows or 1_000_000
    repeats = args.repeats or 1
    floor_runs = _run(["sql_update", "pipelined"], rows, repeats, "bench-fanout")
    floor = _medians(floor_runs)
    print(f"Fan-out at {rows:,} rows x 300 B, DEBUG off, batch 1000, 4 ranges per worker; "
          f"{_describe_machine(floor_runs)}; load average {os.getloadavg()[0]:.1f} before (a shared machine)")
    print(floor[["runs", "wall_s", "wall_min", "wall_max", "tree_peak_mib"]].round(2).to_string())
    with own_broker() as broker:
        if broker.url is None:
            raise BadInput(broker.reason)
        runs = scaling(os.environ["DATABASE_URL"], broker, rows=rows, repeats=repeats)
    table = analysis.runs_table(runs)
    print(table[analysis.SHOWN].round(2).to_string(index=False))
    sql = floor.loc["sql_update", "wall_s"]
    print(analysis.against_floor_lines(table, sql, floor.loc["pipelined", "wall_s"]))
    two = analysis.median_seconds(table, 2)
    ratio = two / sql
    chaos = table[table["chaos"]].iloc[0]
    right = (bool(chaos["verified_ok"]) and int(chaos["rows_read"]) == rows == int(chaos["rows_written"])
             and int(chaos["redelivered"]) == 1)
    print(f"2 workers: {two:.2f} s = {ratio:.2f}x sql_update (goal <= {GOAL}): {_verdict(ratio <= GOAL)}")
    print(f"chaos run (range 1's worker SIGKILLed after its first commit): {analysis.chaos_line(table)}; "
          f"the range redelivered, every row right, none read or written twice: {_verdict(right)}")
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    return 0 if ratio <= GOAL and right else 1
