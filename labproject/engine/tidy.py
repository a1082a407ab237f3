"""Tidy tables from results: one row per run, one row per sample; what charts and summaries read."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from labproject.engine.result import RunResult
from labproject.engine.sections import Environment
from labproject.units import MIB

RUN_COLUMNS = [
    "session", "run_id", "strategy", "repeat", "status", "rows", "payload_bytes", "batch_size", "backend",
    "debug", "probes", "wall_seconds", "baseline_rss_bytes", "peak_rss_bytes", "sampled_peak_rss_bytes",
    "end_rss_bytes", "trimmed_rss_bytes", "rows_done", "rows_verified", "rows_wrong", "memory_cap_bytes",
    "killed_at_rss_bytes", "error", "started_at",
]
SECTION_COLUMNS = ["processes", "tree_peak_pss_bytes", "tree_baseline_pss_bytes", "pss_read_seconds",
                   "tracemalloc_peak_bytes", "queries", "query_seconds", "executemany_queries", "instances",
                   "offset_rows", "sql_chars", "pympler_retained_bytes"]
SETTING_COLUMNS = ["python", "django", "database_version", "journal_mode", "synchronous"]


def setup_name(backend: str, pooler: str | None) -> str:
    """Return where a run happened: the backend alone, or ``postgresql+transaction`` behind a pooler."""
    return f"{backend}+{pooler}" if pooler else backend


def runs_table(results: Iterable[RunResult]) -> pd.DataFrame:
    """Return one row per run with the derived figures a reader compares (MiB above baseline, rows/s)."""
    records = [{**{c: getattr(r, c) for c in RUN_COLUMNS}, "probes": ",".join(r.probes),
                "partitions": r.spec.partitions, "server_side_cursors": r.spec.server_side_cursors,
                "pooler": r.spec.pooler,  # PostgreSQL through PgBouncer: "transaction"
                "setup": setup_name(r.backend, r.spec.pooler),  # what the studies group by
                "connection_rss_bytes": r.connection_rss_bytes, **_sections(r), **_setting(r.environment)}
               for r in results]
    table = pd.DataFrame.from_records(records, columns=[*RUN_COLUMNS, "partitions", "server_side_cursors", "pooler",
                                                        "setup", "connection_rss_bytes", *SECTION_COLUMNS,
                                                        *SETTING_COLUMNS])
    table["baseline_mib"] = table["baseline_rss_bytes"] / MIB
    table["connection_mib"] = table["connection_rss_bytes"] / MIB
    table["peak_above_baseline_mib"] = (table["peak_rss_bytes"] - table["baseline_rss_bytes"]) / MIB
    table["end_above_baseline_mib"] = (table["end_rss_bytes"] - table["baseline_rss_bytes"]) / MIB
    table["trimmed_above_baseline_mib"] = (table["trimmed_rss_bytes"] - table["baseline_rss_bytes"]) / MIB
    table["tree_peak_above_baseline_mib"] = (table["tree_peak_pss_bytes"] - table["tree_baseline_pss_bytes"]) / MIB
    # What a run costs in all: the worker's own RSS peak, or its process tree's PSS peak when helpers
    # made that larger, so a strategy that starts processes does not look lighter than it is.
    table["memory_above_baseline_mib"] = table[["peak_above_baseline_mib", "tree_peak_above_baseline_mib"]].max(
        axis=1, skipna=True)
    table["tracemalloc_peak_mib"] = table["tracemalloc_peak_bytes"] / MIB
    table["rows_per_second"] = table["rows_done"] / table["wall_seconds"]
    return table


def _sections(r: RunResult) -> dict:
    """Return the one figure each section gives a run's row (None where the run has no such section)."""
    row = dict.fromkeys(SECTION_COLUMNS)
    if r.tree:
        row.update(processes=r.tree.processes, tree_peak_pss_bytes=r.tree.peak_pss_bytes,
                   tree_baseline_pss_bytes=r.tree.baseline_pss_bytes, pss_read_seconds=r.tree.pss_read_seconds)
    if r.tracemalloc:
        row["tracemalloc_peak_bytes"] = r.tracemalloc.peak_bytes
    if r.queries:
        row.update(queries=r.queries.count, query_seconds=r.queries.seconds,
                   executemany_queries=r.queries.executemany_count, instances=r.queries.instances,
                   offset_rows=r.queries.offset_rows, sql_chars=r.queries.sql_chars)
    if r.pympler:
        row["pympler_retained_bytes"] = r.pympler.total_size_diff_bytes
    return row


def _setting(environment: Environment | None) -> dict:
    """Return what a figure must state about where a run ran: Python, Django, the database and its pragmas."""
    if environment is None:  # the worker never reported (killed at the cap before it wrote)
        return dict.fromkeys(SETTING_COLUMNS)
    database = environment.database
    return {"python": environment.python, "django": environment.django,
            "database_version": database.version if database else None,
            "journal_mode": database.setting("journal_mode") if database else None,
            "synchronous": database.setting("synchronous") if database else None}


def samples_table(results: Iterable[RunResult]) -> pd.DataFrame:
    """Return one row per RSS sample: seconds, rows done, RSS and RSS above the run's baseline."""
    frames = []
    for r in results:
        if not r.rss_timeline:
            continue
        frame = pd.DataFrame(r.rss_timeline, columns=["seconds", "rss_bytes", "rows_done"])
        frame.insert(0, "run_id", r.run_id)
        frame.insert(1, "strategy", r.strategy)
        frame.insert(2, "repeat", r.repeat)
        frame.insert(3, "rows", r.rows)
        baseline = r.baseline_rss_bytes if r.baseline_rss_bytes is not None else frame["rss_bytes"].iloc[0]
        frame["rss_mib"] = frame["rss_bytes"] / MIB
        frame["rss_above_baseline_mib"] = (frame["rss_bytes"] - baseline) / MIB
        frames.append(frame)
    columns = ["run_id", "strategy", "repeat", "rows", "seconds", "rss_bytes", "rows_done", "rss_mib",
               "rss_above_baseline_mib"]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)


def tracemalloc_table(results: Iterable[RunResult]) -> pd.DataFrame:
    """Return one row per tracemalloc sample (current and peak traced bytes over time)."""
    frames = []
    for r in results:
        timeline = r.tracemalloc.timeline if r.tracemalloc else []
        if timeline:
            frame = pd.DataFrame(timeline, columns=["seconds", "current_bytes", "peak_bytes"])
            frame.insert(0, "run_id", r.run_id)
            frame.insert(1, "strategy", r.strategy)
            frame.insert(2, "repeat", r.repeat)
            frame["current_mib"] = frame["current_bytes"] / MIB
            frame["peak_mib"] = frame["peak_bytes"] / MIB
            frames.append(frame)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        columns=["run_id", "strategy", "repeat", "seconds", "current_bytes", "peak_bytes", "current_mib", "peak_mib"])


def sites_table(results: Iterable[RunResult]) -> pd.DataFrame:
    """Return tracemalloc's top allocation sites per run (file:line, bytes and blocks gained)."""
    records = [{"run_id": r.run_id, "strategy": r.strategy, "repeat": r.repeat, **site.to_dict()}
               for r in results if r.tracemalloc for site in r.tracemalloc.top_sites]
    return pd.DataFrame.from_records(
        records, columns=["run_id", "strategy", "repeat", "site", "size_diff_bytes", "count_diff", "size_bytes"])


def retained_types_table(results: Iterable[RunResult]) -> pd.DataFrame:
    """Return pympler's retained object types per run (count and bytes gained over the strategy)."""
    records = [{"run_id": r.run_id, "strategy": r.strategy, "repeat": r.repeat, **row.to_dict()}
               for r in results if r.pympler for row in r.pympler.retained]
    return pd.DataFrame.from_records(
        records, columns=["run_id", "strategy", "repeat", "type", "count_diff", "size_diff_bytes"])
