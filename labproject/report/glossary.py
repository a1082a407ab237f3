"""The report's glossary: every term a page uses before it could define it, said once, linked from first use.

``TERMS`` maps an anchor to the term, its definition (markdown) and the words that count as a use of
it. The export links each term's first use on a page to ``glossary.html#<anchor>``; the index writes
the glossary page itself, with the table of strategies taken from the strategy registry.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from labproject.engine.summary import BASELINE_HOLDS, RATE_MEANS, RUN_MEMORY_MEANS
from labproject.units import MEMORY_FLOOR_MIB

PAGE = "glossary.html"


@dataclass(frozen=True)
class Term:
    """One glossary entry: its anchor, the term, its definition and the pattern of its uses in prose."""

    anchor: str
    term: str
    definition: str
    uses: str  # a regular expression matched as a whole word, case-sensitive

    @property
    def pattern(self) -> re.Pattern:
        return re.compile(rf"(?<![\w/#.-])(?:{self.uses})(?![\w-])")


TERMS: tuple[Term, ...] = (
    Term("memory", "a run's memory",
         f"What every page of this report means by a run's memory: {RUN_MEMORY_MEANS}. Baseline plus this is "
         "what a container's memory limit (the OOM killer) sees.", r"a run's memory"),
    Term("rows-per-second", "rows/s", f"A run's speed on every page: {RATE_MEANS}.", r"rows/s"),
    Term("rss", "RSS (resident set size)",
         "Every page of a process that is in RAM: Python objects, memory the allocators freed but kept, C "
         "libraries (SQLite's page cache, libpq's buffers). It is what the kernel's OOM killer looks at.", r"RSS"),
    Term("vmhwm", "VmHWM (the kernel's high-water mark)",
         "The highest RSS a process reached, kept by Linux in `/proc/<pid>/status`. The worker resets it after "
         "its set-up, so the peak is the strategy's alone and no spike between two samples is missed.",
         r"VmHWM|high-water mark"),
    Term("pss", "PSS (proportional set size)",
         "RSS with every shared page divided among the processes that share it. Summed over a process tree it "
         "counts a forked helper's copy-on-write pages once, which adding RSS would count twice.", r"PSS"),
    Term("baseline", "baseline",
         f"{BASELINE_HOLDS[0].upper()}{BASELINE_HOLDS[1:]}. Every memory figure is above it; the baseline is "
         "stated beside it.", r"baseline"),
    Term("malloc-trim", "malloc_trim",
         "glibc's `malloc_trim(0)`: hands the heap's free pages back to the system. The worker calls it with "
         "`gc.collect()` after the strategy; what RSS then loses was free memory the allocator had kept.",
         r"malloc_trim"),
    Term("arena", "arena",
         "The 1 MiB blocks from which Python's small-object allocator (pymalloc) serves objects up to 512 bytes. "
         "An arena goes back to the system only when every object in it is freed, so one survivor keeps a "
         "whole MiB resident.", r"arenas?"),
    Term("keyset", "keyset (seek) batches",
         "Walking a table in key order with `WHERE pk > last ORDER BY pk LIMIT k`: each batch is one indexed "
         "range read, no page costs more than the first, and rows inserted meanwhile shift nothing.",
         r"keyset"),
    Term("offset", "OFFSET",
         "`LIMIT k OFFSET o` asks the database to step over `o` rows before it returns any; Django's "
         "`Paginator` pages this way, so a whole walk steps over about n²/(2k) rows.", r"OFFSET"),
    Term("floor", "the floor",
         "`sql_update`: the whole update as one SQL `UPDATE` (Django's `QuerySet.update()` with the "
         "calculation as an expression). No row leaves the database, so no Python strategy can be faster; "
         "times are stated as multiples of it.", r"floor"),
    Term("wal", "WAL (two meanings)",
         "On SQLite, `journal_mode=WAL` is the write-ahead log that lets a reader keep reading while a writer "
         "commits (the lab runs SQLite in it). On PostgreSQL, the WAL is the server's write-ahead log that "
         "every change goes through before the table; a huge single `UPDATE` writes a huge WAL.", r"WAL"),
    Term("server-side-cursor", "server-side cursor",
         "A cursor the database keeps open and hands out in chunks (PostgreSQL's `DECLARE ... CURSOR`): "
         "`QuerySet.iterator()` uses one on PostgreSQL, so the client holds one chunk at a time.",
         r"server-side cursors?"),
    Term("client-side", "client-side buffering",
         "The driver receives the whole result before the first row is handed out: libpq (PostgreSQL's C "
         "client library) does it when server-side cursors are off (`DISABLE_SERVER_SIDE_CURSORS`, which a "
         "transaction-pooling PgBouncer needs); MySQL's drivers do it unless asked not to. tracemalloc cannot "
         "see that memory; RSS does.", r"client-side buffering|client-side"),
    Term("fetchmany", "fetchmany",
         "The DB-API call that takes the next `n` rows from an open cursor: how `iterator()` reads SQLite.",
         r"fetchmany"),
    Term("libpq", "libpq", "PostgreSQL's C client library, under psycopg; its buffers are C memory.", r"libpq"),
    Term("case-when", "CASE WHEN",
         "How Django's `bulk_update()` writes many rows in one statement: `SET field = CASE WHEN pk=1 THEN ... "
         "WHEN pk=2 THEN ... END`, an expression Django builds per object, before the statement is sent.",
         r"CASE WHEN"),
    Term("tracemalloc", "tracemalloc",
         "Python's allocation tracer: live blocks from Python's allocators, with a peak. Blind to C libraries "
         "and to memory the allocator keeps; its own tables take resident memory and it slows the run.",
         r"tracemalloc"),
    Term("pympler", "pympler",
         "Counts the objects the garbage collector can reach, by type, before and after the strategy: what is "
         "still retained, not what was used on the way.", r"pympler"),
    Term("memray", "memray",
         "A native memory profiler: every allocation, C libraries' included, with its call stack. It slows a "
         "run many times over; runs with it are marked `memray on`.", r"memray"),
    Term("query-log", "DEBUG's query log",
         "With `DEBUG=True`, Django appends every statement's SQL to `connection.queries_log`, a deque of the "
         "last 9,000 entries that nothing empties outside a request unless `reset_queries()` is called.",
         r"query log"),
    Term("pgbouncer", "PgBouncer (transaction pooling)",
         "A connection pooler that lends a server connection for one transaction at a time; Django then needs "
         "`DISABLE_SERVER_SIDE_CURSORS = True`, so `iterator()` buffers the whole result client-side.",
         r"PgBouncer"),
    Term("cap", "memory cap",
         "The limit a container puts on a process tree's memory. The runner kills a worker whose tree's RSS "
         "passes it, with SIGKILL, as the kernel would, and records the kill as a result.", r"memory cap"),
    Term("growth-class", "O(1), O(n), O(n²)",
         "How a cost grows with the table's rows n: flat, in proportion, or with the square. A page states a "
         "class only when the sizes it ran can tell; otherwise it says so and gives the extrapolation.",
         r"O\(n²\)|O\(n\^2\)|O\(n\)|O\(1\)"),
    Term("modes", "full mode, quick mode",
         "`make report` runs the pages at the sizes they state (full); `make report MODE=quick` and the tests "
         "run them at small sizes, whose figures show the machinery, not the answer.", r"full mode|quick mode"),
    Term("noise", "noise",
         f"RSS moves by about 1 MiB between identical runs here (pages, arenas, sampling); below "
         f"{MEMORY_FLOOR_MIB} MiB it resolves nothing. A difference counts only when it clears 1 MiB and three "
         "times the spread of the repeats compared.", r"noise"),
)
