"""Where a walk spends its time: cProfile over a strategy's first batches, each function's own time put in a group.

The groups say what the code does, not where it lives: building model instances from rows,
decoding JSON, a library's checks of the objects it is given, building SQL (querysets, expressions,
statement text), binding parameters (values turned into what the driver sends), round trips (the
driver and the database: execute, fetch, commit, COPY; SQLite binds inside ``execute`` too), and the
strategy's own loop with the calculation. A C function's time goes to the group of the Python code
that called it, unless the function itself is the driver's. cProfile slows Python calls far more
than C and I/O, so the shares, not the seconds, are the finding.
"""

from __future__ import annotations

import cProfile
import gc
import pstats

GROUPS = ("model instances", "JSON decoding", "checks of the objects", "building SQL", "binding parameters",
          "round trips", "loop and calculation", "other")
Key = tuple[str, int, str]

# (group, a fragment of the file's path, the function names there or None for every function); first match wins.
RULES: list[tuple[str, str, frozenset[str] | None]] = [
    ("model instances", "django/db/models/base.py", frozenset({"__init__", "from_db", "_get_pk_val", "pk"})),
    ("checks of the objects", "django/db/models/base.py", None),
    ("model instances", "django/db/models/query.py", frozenset({"__iter__", "_fetch_all", "__len__"})),
    ("model instances", "django/db/models/sql/compiler.py",
     frozenset({"results_iter", "apply_converters", "get_converters"})),
    ("round trips", "django/db/models/sql/compiler.py", frozenset({"cursor_iter", "<lambda>"})),
    ("JSON decoding", "django/db/models/fields/json.py", frozenset({"from_db_value"})),
    ("JSON decoding", "/json/", None),
    ("binding parameters", "django/db/models/fields/", frozenset({"get_db_prep_save", "get_db_prep_value",
                                                                  "get_prep_value", "to_python"})),
    ("binding parameters", "django/db/backends/sqlite3/base.py", frozenset({"convert_query"})),
    ("binding parameters", "django/db/backends/", frozenset({"adapt_integerfield_value", "adapt_json_value",
                                                              "validate_autopk_value"})),
    ("building SQL", "operations.py", None),
    ("round trips", "django/db/backends/", None),
    ("round trips", "django/db/transaction.py", None),
    ("binding parameters", "psycopg/_queries.py", None),
    ("binding parameters", "psycopg/adapt.py", None),
    ("binding parameters", "psycopg/types/", None),
    ("round trips", "psycopg/", None),
    ("checks of the objects", "fast_update/query.py", frozenset({"sanity_check"})),
    ("binding parameters", "fast_update/fast.py", frozenset({"_fast_update"})),
    ("binding parameters", "fast_update/copy.py", frozenset({"copy_from", "Int", "IntOrNone", "write_lazy"})),
    ("building SQL", "fast_update/", None),
    ("binding parameters", "pgbulk/core.py", frozenset({"_get_field_db_val", "_prep_sql_args",
                                                        "_value_is_db_default"})),
    ("checks of the objects", "pgbulk/core.py", frozenset({"<lambda>", "_filter_fields"})),
    ("building SQL", "pgbulk/", None),
    ("building SQL", "chunkator/", None),
    ("building SQL", "django/db/models/", None),
    ("building SQL", "django/utils/", None),
    ("building SQL", "/copy.py", None),
    ("loop and calculation", "labproject/", None),
]
# C functions that are the driver's own work, by a fragment of their name.
DRIVER = [("binding parameters", "Transformer"), ("round trips", "sqlite3."),
          ("round trips", "CursorWrapper.execute"), ("round trips", "psycopg_binary"), ("round trips", "select."),
          ("JSON decoding", "orjson"), ("JSON decoding", "_json")]


class _Enough(Exception):
    """Raised by the progress hook once the profiled rows are done, to end the walk where it stands."""


def profile_strategy(name: str, *, rows: int, batch_size: int, target: str = "lab") -> dict[str, float]:
    """Run ``name``'s walk of ``target`` over its first ``rows`` rows under cProfile and return seconds per group.

    The target's column is reset first, as a worker does, so no row already holds its value. The walk
    stops after the batch that reaches ``rows``, its writes committed.
    """
    from django.db import connection

    from labproject import strategies
    from labproject.engine.worker import prepare_table
    from labproject.errors import NotApplicable
    from labproject.iteration.targets import get_target
    from labproject.walk import Walk

    chosen = strategies.get(name, connection.vendor)
    walked = get_target(target)

    def enough(walk: Walk) -> None:
        if walk.rows_done >= rows:
            raise _Enough

    walk = Walk(walked, batch_size, on_progress=enough)
    refusal = chosen.refusal(walk)
    if refusal:
        raise NotApplicable(refusal)
    prepare_table(walked, connection.vendor)
    # A full collection of the caller's heap (a benchmark holds every run's timeline) took ~65 ms here,
    # a quarter of a profiled walk, charged to whichever function allocated at that moment: it is
    # frozen out of the collector while the walk is profiled.
    gc.collect()
    gc.freeze()
    profiler = cProfile.Profile()
    profiler.enable()
    try:
        chosen.run(walk)
    except _Enough:
        pass
    finally:
        profiler.disable()
        gc.unfreeze()
    return grouped(pstats.Stats(profiler).stats)  # type: ignore[attr-defined]


def grouped(stats: dict) -> dict[str, float]:
    """Sum every function's own time into its group (``stats`` as ``pstats.Stats.stats`` holds it)."""
    totals = dict.fromkeys(GROUPS, 0.0)
    for key, (_cc, _nc, own, _cum, callers) in stats.items():
        if key[0] != "~":
            totals[group_of(key)] += own
            continue
        driver = next((group for group, part in DRIVER if part in key[2]), None)
        if driver is not None or not callers:
            totals[driver or "other"] += own
            continue
        by_caller = {caller: timing[2] for caller, timing in callers.items()}
        spread = sum(by_caller.values()) or 1.0
        for caller, seconds in by_caller.items():
            group = group_of(caller) if caller[0] != "~" else "other"
            totals[group] += own * seconds / spread
    return totals


def group_of(key: Key) -> str:
    """Return the group of one Python function, from its file and name."""
    path, _line, function = key
    path = path.replace("\\", "/")
    for group, part, functions in RULES:
        if part in path and (functions is None or function in functions):
            return group
    return "other"


def format_profile(name: str, seconds: dict[str, float], rows: int) -> str:
    """Return one line: the profiled time and each group's share, largest first."""
    total = sum(seconds.values()) or 1.0
    parts = [f"{group} {value / total:.0%}" for group, value in sorted(seconds.items(), key=lambda kv: -kv[1])
             if value / total >= 0.005]
    return f"{name}: {total:.2f} s for {rows:,} rows under cProfile; " + ", ".join(parts)


def format_difference(name: str, seconds: dict[str, float], lab: str, lab_seconds: dict[str, float]) -> str:
    """Return one line: how many times ``lab``'s profiled time ``name`` takes, and which groups the extra is."""
    extra = {group: seconds[group] - lab_seconds.get(group, 0.0) for group in seconds}
    more = {group: value for group, value in extra.items() if value > 0}
    total = sum(more.values())
    ratio = sum(seconds.values()) / (sum(lab_seconds.values()) or 1.0)
    if not total:
        return f"{name}: {ratio:.1f}x {lab}'s profiled time, no group larger than {lab}'s"
    parts = [f"{group} {value / total:.0%}" for group, value in sorted(more.items(), key=lambda kv: -kv[1])
             if value / total >= 0.005]
    return f"{name}: {ratio:.1f}x {lab}'s profiled time; what it spends beyond {lab}: " + ", ".join(parts)
