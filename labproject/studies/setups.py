"""Notebook 02's cursor experiment on the setups where ``iterator()`` does not stream: MariaDB and a pooler.

On MariaDB the driver buffers every result client-side; behind a transaction pooler Django turns
server-side cursors off, so libpq buffers too. Each setup runs the buffered walk beside the strategies
that stream there, and gets a finding computed from those runs (or why it was not measured).
"""

from __future__ import annotations

from labproject.analysis import leak
from labproject.analysis.verdicts import Finding
from labproject.engine.measured import Measured
from labproject.studies import databases
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
