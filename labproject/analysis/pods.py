"""What a pod's memory limit does to each strategy: measured kills and survivals, and what the fits predict.

A run under a cap either survives or is killed by the runner as a container would; sizes larger than
the report can afford are predicted from each strategy's memory fit (``scaling.memory_fits``), and a
prediction from sizes that cannot tell is marked as such.
"""

from __future__ import annotations

import pandas as pd

from labproject.analysis.growth import PER_ROWS
from labproject.analysis.scaling import POD_SIZES, UNKNOWN
from labproject.units import MIB


def cap_outcomes(runs: pd.DataFrame) -> pd.DataFrame:
    """Return per strategy, under a memory cap, the largest size it survived and the first that killed it."""
    records = []
    for strategy, group in runs.groupby("strategy", sort=False):
        ok = group[group["status"] == "ok"]
        killed = group[group["status"] == "killed"].sort_values("rows")
        first = killed.iloc[0] if len(killed) else None
        records.append({
            "strategy": strategy,
            "largest survived": int(ok["rows"].max()) if len(ok) else None,
            "first killed at": int(first["rows"]) if first is not None else None,
            "killed after rows": int(first["rows_done"]) if first is not None else None,
            "tree RSS at kill (MiB)": first["killed_at_rss_bytes"] / MIB if first is not None else None,
            "largest tried": int(group["rows"].max()),
        })
    return pd.DataFrame.from_records(records)


def predicted(fits: pd.DataFrame, *, cap_mb: float, sizes: tuple[int, ...] = POD_SIZES) -> pd.DataFrame:
    """Return per strategy and pod size above what was run: the memory its fit predicts and whether it fits the cap.

    ``state`` is ``fits`` or ``over`` (baseline + predicted memory against ``cap_mb``), or ``unsure``
    when the strategy's sizes could not tell its growth (the value is then the fit's extrapolation).
    """
    records = []
    for _, fit in fits.iterrows():
        for size in sizes:
            if size <= fit["largest rows"]:
                continue
            rising = max(fit["MiB per 100k rows"], 0.0) if pd.notna(fit["MiB per 100k rows"]) else 0.0
            mib = fit["peak at largest (MiB)"] + rising * (size - fit["largest rows"]) / PER_ROWS
            whole = mib + fit["baseline MiB"]
            state = "unsure" if fit["memory"] not in ("O(1)", "O(n)") else "over" if whole > cap_mb else "fits"
            records.append({"strategy": fit["strategy"], "rows": size, "memory MiB": mib, "with baseline MiB": whole,
                             "state": state})
    return pd.DataFrame.from_records(records, columns=["strategy", "rows", "memory MiB", "with baseline MiB", "state"])


def cap_sentence(outcome: pd.Series, cap_mb: int, fit: pd.Series | None = None) -> str:
    """Say in markdown how a strategy fared under the cap and, for a survivor, what its fit says beyond."""
    name = f"`{outcome['strategy']}`"
    survived = outcome["largest survived"]
    if pd.notna(outcome["first killed at"]):
        largest = f"{int(survived):,} rows" if pd.notna(survived) else "none"
        done = int(outcome["killed after rows"])
        when = f"after {done:,} rows" if done else "while loading, before its first row"
        rss = outcome["tree RSS at kill (MiB)"]
        return (f"{name}: **killed** at {int(outcome['first killed at']):,} rows ({when}, tree RSS {rss:.0f} MiB "
                f"> {cap_mb} MiB); largest survived: {largest}")
    said = f"{name}: survived every size tried (up to {int(outcome['largest tried']):,} rows)"
    if fit is None:
        return said
    whole = fit["baseline MiB"] + fit["at target (MiB)"]
    target = int(fit["target rows"])
    if fit["memory"] == "O(1)":
        return said + f"; flat, so {target:,} rows should need about {whole:.0f} MiB with its baseline"
    if fit["memory"] == UNKNOWN:
        verdict = "over" if whole > cap_mb else "under"
        return (said + f"; its sizes cannot tell its growth: the fit's {whole:.0f} MiB at {target:,} rows (with its "
                f"baseline) would be {verdict} the cap, so run it larger before trusting it in a pod")
    return said
