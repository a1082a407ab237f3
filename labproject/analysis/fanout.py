"""What the fan-out runs say: throughput against workers, where it flattens and why, and a fitted projection.

Every figure comes from the runs of ``labproject.studies.fanout`` (the coordinator's summaries): time,
rows, the fleet's PSS and CPU seconds, the PostgreSQL server's CPU seconds when it runs on this machine.
The model is fitted to the one-worker run and checked against the others on this machine; what N
workers on N machines would reach is a projection from it, and says so.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

MIB = 2**20
SHOWN = ["backend", "label", "workers", "seconds", "rows_per_second", "fleet_pss_peak_mib", "worker_pss_peak_mib",
         "fleet_cpu_s", "database_cpu_s", "cpu_busy", "database_share", "redelivered", "verified_ok"]
FLAT = 1.2  # a step that gains less than 20% more rows/s is the curve flattening


def runs_table(runs: Sequence[dict]) -> pd.DataFrame:
    """Return one row per fan-out run with the derived figures (rates, MiB, shares of CPU)."""
    rows = []
    for run in runs:
        fleet_cpu = run.get("fleet_cpu_seconds")
        db_cpu = run.get("database_cpu_seconds")
        used = (fleet_cpu or 0.0) + (db_cpu or 0.0)
        peaks = list((run.get("worker_pss_peak_bytes") or {}).values())
        rows.append({
            "backend": run["backend"], "label": run["label"], "workers": run["workers"], "chaos": run["chaos"],
            "repeat": run.get("repeat", 0), "rows": run["rows_read"], "rows_read": run["rows_read"],
            "rows_written": run["rows_written"], "seconds": run["seconds"],
            "rows_per_second": run["rows_read"] / run["seconds"] if run["seconds"] else float("nan"),
            "planning_s": run["planning_seconds"],
            "fleet_pss_peak_mib": (run["fleet_pss_peak_bytes"] or 0) / MIB,
            "fleet_pss_idle_mib": (run.get("fleet_pss_idle_bytes") or 0) / MIB,
            "worker_pss_peak_mib": sum(peaks) / len(peaks) / MIB if peaks else float("nan"),
            "fleet_cpu_s": fleet_cpu, "database_cpu_s": db_cpu,
            "cpu_busy": used / (run["cores"] * run["seconds"]) if run["seconds"] else float("nan"),
            "database_share": db_cpu / used if db_cpu is not None and used else float("nan"),
            "worker_on_cpu": (fleet_cpu / (run["workers"] * run["seconds"])
                              if fleet_cpu is not None and run["seconds"] else float("nan")),
            "redelivered": len(run["redelivered"]), "deliveries": run["deliveries"],
            "verified_ok": run["verified_total"] is not None and run["verified_total"] == run["verified_right"],
            "cores": run["cores"], "load_before": run["load_before"], "load_after": run["load_after"],
        })
    return pd.DataFrame(rows)


def median_seconds(table: pd.DataFrame, workers: int, backend: str = "postgresql") -> float:
    """Return the median time of the plain (not chaos) runs over ``workers`` workers."""
    plain = table[(~table["chaos"]) & (table["workers"] == workers) & (table["backend"] == backend)]
    return float(plain["seconds"].median())


def scaling_table(table: pd.DataFrame) -> pd.DataFrame:
    """Return per backend and worker count: median time and rows/s, speedup over one worker, efficiency."""
    plain = table[~table["chaos"]]
    out = plain.groupby(["backend", "workers"], as_index=False).agg(
        seconds=("seconds", "median"), rows_per_second=("rows_per_second", "median"),
        cpu_busy=("cpu_busy", "median"), database_share=("database_share", "median"),
        worker_on_cpu=("worker_on_cpu", "median"), worker_pss_mib=("worker_pss_peak_mib", "median"),
        fleet_pss_mib=("fleet_pss_peak_mib", "median"), runs=("seconds", "size"))
    one = out[out["workers"] == out.groupby("backend")["workers"].transform("min")].set_index("backend")
    out["speedup"] = out["rows_per_second"] / out["backend"].map(one["rows_per_second"])
    out["efficiency"] = out["speedup"] / (out["workers"] / out["backend"].map(one["workers"]))
    return out


def flattens_at(scaled: pd.DataFrame, backend: str) -> int | None:
    """Return the worker count after which more workers gain less than 20% rows/s, or None if it never does."""
    rows = scaled[scaled["backend"] == backend].sort_values("workers")
    rates = list(zip(rows["workers"], rows["rows_per_second"], strict=True))
    for (n, rate), (_, more) in zip(rates, rates[1:], strict=False):
        if more < FLAT * rate:
            return int(n)
    return None


def flattening_line(scaled: pd.DataFrame, backend: str) -> str:
    """Say where the curve flattens on ``backend`` and why, from the CPU the workers and the database used."""
    rows = scaled[scaled["backend"] == backend].set_index("workers")
    if rows.empty:
        return f"{backend}: not measured"
    at = flattens_at(scaled, backend)
    line = ", ".join(f"{n} worker(s) {r['rows_per_second']:,.0f} rows/s ({r['speedup']:.2f}x)" for n, r in
                     rows.iterrows())
    if at is None:
        return f"{backend}: {line}; each step added at least {FLAT - 1:.0%} more rows/s"
    r, most = rows.loc[at], rows.iloc[-1]
    on_cpu = (f"each worker was on a CPU {rows.iloc[0]['worker_on_cpu']:.0%} of the walk with {rows.index[0]} "
              f"worker(s) and {most['worker_on_cpu']:.0%} with {rows.index[-1]}")
    if backend == "sqlite":
        why = f"SQLite lets one writer in at a time: {on_cpu}, the rest waiting for the write lock"
    else:
        cores = int(scaled.attrs.get("cores", 0)) or "the"
        why = (f"at {at} worker(s) the workers and the database kept {cores} cores {r['cpu_busy']:.0%} busy "
               f"({r['database_share']:.0%} of that CPU in the PostgreSQL server); {on_cpu}")
    load = scaled.attrs.get("load")
    tail = f"; the machine's load average was {load:.1f} (other work shares these cores)" if load else ""
    return f"{backend}: {line}; the curve flattens after {at} worker(s): {why}{tail}"


def fitted_model(table: pd.DataFrame, cores: int) -> dict:
    """Fit the per-row costs to the one-worker PostgreSQL run.

    ``rate_one``: rows/s of one worker; ``worker_cpu``/``database_cpu``: CPU seconds per row in the
    workers and in the server. On this machine N workers reach ``min(N * rate_one, cores / (worker_cpu +
    database_cpu))``: workers add throughput until the machine's cores are all busy.
    """
    one = table[(~table["chaos"]) & (table["backend"] == "postgresql") & (table["workers"] == 1)]
    if one.empty or one["database_cpu_s"].isna().all():
        return {}
    rows = float(one["rows"].median())
    return {"rate_one": float(one["rows_per_second"].median()), "worker_cpu": float(one["fleet_cpu_s"].median()) / rows,
            "database_cpu": float(one["database_cpu_s"].median()) / rows, "cores": cores}


def predicted_here(model: dict, workers: int) -> float:
    """Return the rows/s the model gives for ``workers`` workers sharing this machine's cores with the database."""
    ceiling = model["cores"] / (model["worker_cpu"] + model["database_cpu"])
    return min(workers * model["rate_one"], ceiling)


def model_check(model: dict, scaled: pd.DataFrame) -> pd.DataFrame:
    """Return measured against predicted rows/s on this machine, per worker count (PostgreSQL)."""
    rows = scaled[scaled["backend"] == "postgresql"][["workers", "rows_per_second"]].copy()
    rows["predicted"] = [predicted_here(model, int(n)) for n in rows["workers"]]
    rows["error"] = rows["predicted"] / rows["rows_per_second"] - 1
    return rows


def projection(model: dict, write_rates: Sequence[float], workers: Sequence[int] = (1, 2, 4, 8, 16, 32, 64)
               ) -> pd.DataFrame:
    """PROJECTION: rows/s of N workers on N machines against a database that absorbs ``rate`` rows/s.

    Each worker on a core of its own walks ``rate_one`` rows/s (measured with one worker here); the
    database is the shared part: its write rate caps the sum, and a worker's share of it shrinks as the
    database nears it (time per row = 1/(N * rate_one) + 1/rate), so the curve bends before the cap.
    """
    out = []
    for rate in write_rates:
        for n in workers:
            reach = 1.0 / (1.0 / (n * model["rate_one"]) + 1.0 / rate)
            out.append({"database_rows_per_s": rate, "workers": n, "projected_rows_per_s": reach,
                        "share_of_database": reach / rate})
    return pd.DataFrame(out)


def projection_line(projected: pd.DataFrame, workers: int = 8) -> str:
    """Say what the projection gives ``workers`` workers against each database write rate, marked as projected."""
    at = projected[projected["workers"] == workers]
    said = "; ".join(f"a database absorbing {r.database_rows_per_s:,.0f} rows/s: {r.projected_rows_per_s:,.0f} rows/s "
                     f"({r.share_of_database:.0%} of it)" for r in at.itertuples())
    return f"PROJECTION, not measured: {workers} workers on {workers} machines would reach, against {said}"


def against_floor_lines(table: pd.DataFrame, sql_update_s: float, pipelined_s: float | None,
                        backend: str = "postgresql") -> str:
    """Say each worker count's time against the in-SQL floor and the single-process pipelined walk."""
    lines = []
    plain = table[(~table["chaos"]) & (table["backend"] == backend)]
    for n in sorted(plain["workers"].unique()):
        seconds = median_seconds(table, int(n), backend)
        tail = f", {seconds / pipelined_s:.2f}x pipelined ({pipelined_s:.2f} s)" if pipelined_s else ""
        lines.append(f"{backend}, {n} worker(s): {seconds:.2f} s = {seconds / sql_update_s:.2f}x sql_update "
                     f"({sql_update_s:.2f} s){tail}")
    return "\n".join(lines)


def chaos_line(table: pd.DataFrame) -> str:
    """Say what the chaos run cost: its time against the plain run of as many workers, and what came back."""
    chaos = table[table["chaos"]]
    if chaos.empty:
        return "no chaos run"
    run = chaos.iloc[0]
    plain = median_seconds(table, int(run["workers"]), run["backend"])
    verdict = "every row right" if run["verified_ok"] else "ROWS WRONG"
    return (f"{run['seconds']:.2f} s against {plain:.2f} s without the kill ({run['seconds'] - plain:+.2f} s), "
            f"{int(run['redelivered'])} range(s) redelivered, {int(run['deliveries'])} deliveries, "
            f"{int(run['rows_read']):,} rows read, {int(run['rows_written']):,} written, {verdict}")
