"""Notebook 02's cursor experiment on the setups where ``iterator()`` does not stream: MariaDB and a pooler.

On MariaDB the driver buffers every result client-side; behind a transaction pooler Django turns
server-side cursors off, so libpq buffers too. Each setup runs the buffered walk beside the strategies
that stream there, and gets a finding computed from those runs (or why it was not measured).
"""

from __future__ import annotations

import pandas as pd

from labproject.analysis import leak, pods
from labproject.analysis.verdicts import Finding
from labproject.engine.measured import Measured
from labproject.errors import LabError
from labproject.studies import databases, grid
from labproject.studies.databases import Database

BUFFERED = "iterator_save"
# What streams on each setup: MariaDB's unbuffered cursor; through the pooler the named cursors that
# live inside one transaction (README, "PgBouncer").
STREAMING = {"mysql": ["unbuffered_stream"], "postgresql+transaction": ["server_side_cursor", "pipelined"]}


def cursor_setups(where: list[Database], **common) -> list[tuple[Finding, Measured | None]]:
    """Run the buffered walk and the streaming ones on each database; return each setup's finding and runs."""
    out = []
    for database in where:
        streaming = STREAMING[database.setup]
        runs, why_not = databases.run_each(database, [([BUFFERED, *streaming], {})], **common)
        out.append((leak.buffering(runs, why_not, setup=database.setup, buffered=BUFFERED, streaming=streaming),
                    runs))
    return out


def under_cap(database: Database, sizes: list[int], *, memory_cap_mb: int, label: str,
              **options) -> tuple[Measured | None, str]:
    """Try the buffered walk and the streaming ones on ``database`` at ``sizes`` under the cap (notebook 03).

    Returns the runs, or ``(None, why not)`` when the database is missing or cannot be used.
    """
    if not database.available:
        return None, database.reason
    plan = dict.fromkeys([BUFFERED, *STREAMING[database.setup]], sizes)
    try:
        return grid.run_until_killed(plan, label=label, memory_cap_mb=memory_cap_mb, database_url=database.url,
                                     **options), ""
    except LabError as exc:
        return None, f"{database.setup}: {exc}"


def cap_lines(setup: str, runs: pd.DataFrame | None, why_not: str, memory_cap_mb: int) -> str:
    """Say per strategy on ``setup`` the largest size it survived under the cap and where it was killed."""
    if runs is None:
        return f"{setup}: not measured under the cap: {why_not}"
    return "\n".join(f"{setup}: {pods.cap_sentence(outcome, memory_cap_mb)}"
                      for _, outcome in pods.cap_outcomes(runs).iterrows())
