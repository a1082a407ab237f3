"""A figure a page states about a set of runs, in one form every page and the index share.

A quote names its runs (their ids), so the same runs quoted on two pages must give the same figures:
the memory is always ``engine.summary.RUN_MEMORY`` and the speed always rows/s as ``RATE_MEANS`` says,
medians over the quoted runs. Pages hand their quotes to the index in their key figures.
"""

from __future__ import annotations

import pandas as pd

from labproject.engine.summary import memory_column


def quote(runs: pd.DataFrame, what: str = "") -> dict:
    """Return the figures of ``runs``' verified runs: memory, baseline, seconds and rows/s (medians), and their ids.

    ``runs`` is one run set (one strategy at one size on one backend); ``what`` says it in words.
    """
    ok = runs[runs["status"] == "ok"]
    memory = memory_column(runs)
    first = runs.iloc[0] if len(runs) else {}
    return {
        "what": what or _what(runs),
        "strategy": str(first.get("strategy", "")) if len(runs) else "",
        "backend": str(first.get("backend", "")) if len(runs) else "",
        "rows": int(ok["rows"].median()) if len(ok) else None,
        "runs": int(len(ok)),
        "memory_mib": _round(ok[memory].median()) if len(ok) else None,
        "memory_min_mib": _round(ok[memory].min()) if len(ok) else None,
        "memory_max_mib": _round(ok[memory].max()) if len(ok) else None,
        "baseline_mib": _round(ok["baseline_mib"].median()) if len(ok) and "baseline_mib" in ok else None,
        "seconds": _round(ok["wall_seconds"].median(), 3) if len(ok) else None,
        "seconds_min": _round(ok["wall_seconds"].min(), 3) if len(ok) else None,
        "seconds_max": _round(ok["wall_seconds"].max(), 3) if len(ok) else None,
        "rows_per_second": _round(ok["rows"].median() / ok["wall_seconds"].median(), 0) if len(ok) else None,
        "run_ids": sorted(str(r) for r in ok.get("run_id", pd.Series(dtype=str))),
    }


RUN_SET = ("backend", "strategy", "rows", "debug", "batch_size", "probes", "server_side_cursors")


def quotes_by_strategy(runs: pd.DataFrame, *, by: tuple[str, ...] = RUN_SET) -> list[dict]:
    """Return one quote per run set of ``runs``: runs that share every setting of ``RUN_SET`` (those present)."""
    keys = [k for k in by if k in runs]
    return [quote(group) for _key, group in runs.groupby(keys, sort=False)] if len(runs) else []


def find(quotes: list[dict], **equal) -> dict | None:
    """Return the first quote whose fields equal the given values, or None."""
    return next((q for q in quotes if all(q.get(k) == v for k, v in equal.items())), None)


def _what(runs: pd.DataFrame) -> str:
    if runs.empty:
        return "no runs"
    row = runs.iloc[0]
    return f"{row['strategy']}, {int(row['rows']):,} rows, {row.get('backend', '')}".rstrip(", ")


def _round(value, digits: int = 2):
    return None if pd.isna(value) else round(float(value), digits)
