"""Tidy tables from results: one row per run, one row per sample; what charts and summaries read."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from labproject.engine.result import RunResult

MIB = 2**20
RUN_COLUMNS = [
    "session", "run_id", "strategy", "repeat", "status", "rows", "payload_bytes", "batch_size", "backend",
    "debug", "probes", "wall_seconds", "baseline_rss_bytes", "peak_rss_bytes", "sampled_peak_rss_bytes",
    "end_rss_bytes", "trimmed_rss_bytes", "rows_done", "rows_verified", "rows_wrong", "memory_cap_bytes",
    "killed_at_rss_bytes", "error", "started_at",
]
SETTING_COLUMNS = ["python", "django", "database_version", "journal_mode", "synchronous"]


def runs_table(results: Iterable[RunResult]) -> pd.DataFrame:
    """Return one row per run with the derived figures a reader compares (MiB above baseline, rows/s)."""
    records = []
    for r in results:
        row = {c: getattr(r, c) for c in RUN_COLUMNS}
        row["probes"] = ",".join(r.probes)
        row["partitions"] = r.spec.get("partitions")
        row["server_side_cursors"] = r.spec.get("server_side_cursors", True)
        tree = r.tree or {}
        row["processes"] = tree.get("processes")
        row["tree_peak_pss_bytes"] = tree.get("peak_pss_bytes")
        row["tree_baseline_pss_bytes"] = tree.get("baseline_pss_bytes")
        row["pss_read_seconds"] = tree.get("pss_read_seconds")
        row["tracemalloc_peak_bytes"] = (r.tracemalloc or {}).get("peak_bytes")
        row["queries"] = (r.queries or {}).get("count")
        row["query_seconds"] = (r.queries or {}).get("seconds")
        row["pympler_retained_bytes"] = (r.pympler or {}).get("total_size_diff_bytes")
        row.update(_setting(r.environment or {}))
        records.append(row)
    table = pd.DataFrame.from_records(records, columns=[*RUN_COLUMNS, "partitions", "server_side_cursors",
                                                        "processes", "tree_peak_pss_bytes", "tree_baseline_pss_bytes",
                                                        "pss_read_seconds",
                                                        "tracemalloc_peak_bytes", "queries", "query_seconds",
                                                        "pympler_retained_bytes", *SETTING_COLUMNS])
    table["baseline_mib"] = table["baseline_rss_bytes"] / MIB
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


def _setting(environment: dict) -> dict:
    """Return what a figure must state about where a run ran: Python, Django, the database and its pragmas."""
    database = environment.get("database") or {}
    return {"python": environment.get("python"), "django": environment.get("django"),
            "database_version": database.get("version"), "journal_mode": database.get("journal_mode"),
            "synchronous": database.get("synchronous")}


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
        timeline = (r.tracemalloc or {}).get("timeline") or []
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
    records = [{"run_id": r.run_id, "strategy": r.strategy, "repeat": r.repeat, **site}
               for r in results for site in (r.tracemalloc or {}).get("top_sites", [])]
    return pd.DataFrame.from_records(
        records, columns=["run_id", "strategy", "repeat", "site", "size_diff_bytes", "count_diff", "size_bytes"])


def retained_types_table(results: Iterable[RunResult]) -> pd.DataFrame:
    """Return pympler's retained object types per run (count and bytes gained over the strategy)."""
    records = [{"run_id": r.run_id, "strategy": r.strategy, "repeat": r.repeat, **row}
               for r in results for row in (r.pympler or {}).get("retained", [])]
    return pd.DataFrame.from_records(
        records, columns=["run_id", "strategy", "repeat", "type", "count_diff", "size_diff_bytes"])
