"""Which strategy to use in which situation, picked from measured time and memory (``faster.against_floor``).

Measurements decide the picks; what each family does when rows change during the walk is a
property of its reads, tested in ``tests/integration/test_strategies.py`` and stated in ``WALK``.
"""

from __future__ import annotations

import pandas as pd

from labproject.analysis.floor import FLOOR

BATCHED_FLOOR = "sql_update_batched"
PIPELINED = "pipelined"
LIBRARY = "library"  # the peers' family
SERIAL = ("keyset", "cursor")  # Python-side, one process, reading without OFFSET
# What a walk does when rows are inserted or deleted while it runs, by family.
WALK = {
    "keyset": "pk > last: rows inserted behind the walk are missed, none is visited twice",
    "cursor": "one snapshot: rows inserted after the walk began are not seen, none twice",
    "floor": "pk ranges: rows inserted above the last range are not updated",
    "article": "OFFSET pages shift when earlier rows change (rows skipped or seen twice); SQLite's iterator may "
               "see a changed row once, twice or not at all",
}
COLUMNS = ["situation", "backend", "use", "measured", "why"]


def _measured(row: pd.Series) -> str:
    return (f"{row['x floor']:.1f}x {FLOOR}'s time per row, +{row['peak MiB']:.1f} MiB peak "
            f"(at {int(row['rows']):,} rows)")


def whole_peak(row: pd.Series) -> float:
    """Return a run's peak with the interpreter's baseline, what a process-wide memory limit counts."""
    return row["baseline MiB"] + row["peak MiB"]


def for_backend(table: pd.DataFrame, *, cap_mb: int, gain: float = 0.2) -> list[dict]:
    """Return the recommendation rows for one backend's part of ``faster.against_floor``."""
    backend = table["setup"].iloc[0]
    ok = table[table["x floor"].notna()].set_index("strategy")
    if FLOOR not in ok.index:
        return [{"situation": "any", "backend": backend, "use": "not measured",
                 "measured": f"{FLOOR} has no verified run here", "why": "no floor to compare against"}]
    rows = int(ok["rows"].max())
    python = ok[ok["python_side"]].sort_values("x floor")
    full = python[python["rows"] == rows]
    fits = full[full.apply(whole_peak, axis=1) <= cap_mb]
    serial = fits[fits["family"].isin(SERIAL)]
    best = next(iter(serial.index), None) or next(iter(fits.index), None) or python.index[0]
    out = [
        {"situation": "the calculation can be written in SQL, and one statement may lock the table",
         "use": FLOOR, "measured": _measured(ok.loc[FLOOR]),
         "why": "no row leaves the database: the floor every other strategy is measured against"},
    ]
    if BATCHED_FLOOR in ok.index:
        out.append({"situation": "the calculation can be written in SQL, and other writers must not wait",
                    "use": BATCHED_FLOOR, "measured": _measured(ok.loc[BATCHED_FLOOR]),
                    "why": "one short transaction per pk range keeps locks and WAL small"})
    out.append({"situation": "the calculation needs Python", "use": best, "measured": _measured(ok.loc[best]),
                "why": f"the fastest Python-side strategy with one process and one connection "
                       f"({ok.loc[best, 'family']} family)"})
    out.append(_pipelined(ok, best, gain))
    if len(serial):
        paged = ok[ok["family"] == "article"]
        out.append({"situation": "rows are inserted or deleted while the walk runs", "use": best,
                    "measured": _measured(ok.loc[best]),
                    "why": WALK[ok.loc[best, "family"]] + ("; the article's methods: " + WALK["article"]
                                                           if len(paged) else "")})
    out.append(_memory_limit(python, fits, best, rows, cap_mb))
    library = _library(python, best)
    if library:
        out.append(library)
    return [{**row, "backend": backend} for row in out]


def _memory_limit(python: pd.DataFrame, fits: pd.DataFrame, best: str, rows: int, cap_mb: int) -> dict:
    """Judge the limit on the runs at the full size only: one size cannot tell flat memory from growing."""
    over = python[(python["rows"] == rows) & ~python.index.isin(fits.index)]
    smaller = python[python["rows"] < rows]
    said = [("over the limit at this size: " + ", ".join(f"{n} {whole_peak(r):.0f} MiB" for n, r in over.iterrows()))
            if len(over) else f"every Python-side strategy run at {rows:,} rows stays under the limit"]
    if len(smaller):
        said.append(f"measured only at {int(smaller['rows'].max()):,} rows, so not judged here (notebook 03 fits how "
                    f"their memory grows): {', '.join(smaller.index)}")
    return {"situation": f"a memory limit of {cap_mb} MiB for the whole process", "use": best,
            "measured": f"{whole_peak(python.loc[best]):.0f} MiB with the baseline at {rows:,} rows",
            "why": "; ".join(said)}


def _library(python: pd.DataFrame, best: str) -> dict | None:
    """Name the fastest peer (family ``library``) measured, and what it costs against the lab's pick."""
    peers = python[python["family"] == LIBRARY].sort_values("x floor")
    if peers.empty:
        return None
    peer = peers.index[0]
    times = peers.loc[peer, "x floor"] / python.loc[best, "x floor"]
    others = ", ".join(f"{name} {row['x floor']:.1f}x" for name, row in peers.iloc[1:].iterrows())
    return {"situation": "you would rather install a library than keep a walk of your own", "use": peer,
            "measured": _measured(peers.loc[peer]),
            "why": "the fastest of the libraries measured" + (f" (then {others})" if others else "")
                   + f"; it takes {times:.1f}x {best}'s time per row, and the walk library "
                   f"(labproject.walk.update_rows) brings the lab's ways to any model"}


def _pipelined(ok: pd.DataFrame, best: str, gain: float) -> dict:
    """Recommend ``pipelined`` only when it saves at least ``gain`` of the best serial strategy's time."""
    situation = "the calculation needs Python and the walk must be as fast as possible"
    if PIPELINED not in ok.index:
        return {"situation": situation, "use": best, "measured": _measured(ok.loc[best]),
                "why": f"{PIPELINED} was not measured here"}
    saved = 1 - ok.loc[PIPELINED, "x floor"] / ok.loc[best, "x floor"]
    if saved >= gain:
        return {"situation": situation, "use": PIPELINED, "measured": _measured(ok.loc[PIPELINED]),
                "why": f"saves {saved:.0%} of {best}'s time, worth a second connection (and on SQLite a reader "
                       f"process and WAL mode)"}
    how = f"saves only {saved:.0%} of its time" if saved >= 0 else f"takes {-saved:.0%} longer than it"
    return {"situation": situation, "use": best, "measured": _measured(ok.loc[best]),
            "why": f"{PIPELINED} {how} (it would need to save {gain:.0%}): not worth a second connection and a "
                   f"reader"}


def recommend(table: pd.DataFrame, *, cap_mb: int, gain: float = 0.2) -> pd.DataFrame:
    """Return the recommendation table for every backend measured in ``table``."""
    rows = [row for _backend, mine in table.groupby("setup", sort=False)
            for row in for_backend(mine, cap_mb=cap_mb, gain=gain)]
    return pd.DataFrame(rows, columns=COLUMNS)


def listing_ratio(outcome: dict, table: pd.DataFrame) -> float | None:
    """Return the command's time per row over the floor's on its backend, or None without a floor run."""
    mine = table[table["setup"] == outcome["backend"]].set_index("strategy")
    if FLOOR not in mine.index or pd.isna(mine.loc[FLOOR, "x floor"]):
        return None
    return outcome["seconds"] / outcome["rows"] / (mine.loc[FLOOR, "s per 100k rows"] / 100_000)


def listing_line(outcome: dict, table: pd.DataFrame) -> str:
    """Place the command's own run against the floor and against the engine's runs of the method it chose."""
    ratio = listing_ratio(outcome, table)
    if ratio is None:
        return f"no {FLOOR} run on {outcome['backend']} to compare the command with"
    mine = table[table["setup"] == outcome["backend"]].set_index("strategy")
    method = outcome.get("method")
    twin = (f"; the engine's runs of {method}, the method it chose: {mine.loc[method, 'x floor']:.1f}x"
            if method in mine.index else "")
    return (f"on {outcome['backend']} the command takes {ratio:.2f}x {FLOOR}'s time per row, with its checkpoints, "
            f"only-changed writes and progress{twin}")


def headline(advice: pd.DataFrame) -> str:
    """Return one line: per backend, what to use when the calculation needs Python, and the SQL floor's case."""
    parts = []
    for backend, mine in advice.groupby("backend", sort=False):
        picks = mine.set_index("situation")
        python = picks.loc["the calculation needs Python"] if "the calculation needs Python" in picks.index else None
        fastest = mine[mine["situation"].str.endswith("as fast as possible")]
        if python is None:
            parts.append(f"{backend}: {mine['measured'].iloc[0]}")
            continue
        parts.append(f"{backend}: {python['use']} for a Python calculation ({python['measured']})"
                     + (f", {fastest['use'].iloc[0]} when speed matters most" if len(fastest) else ""))
    return "; ".join(parts) + f"; {FLOOR} when the calculation can be written in SQL"


def target_headline(table: pd.DataFrame, outcomes: list[dict], *, what: str) -> str:
    """Say per backend which Python-side strategy was fastest on a target and how close its command came."""
    parts = []
    for backend, mine in table.groupby("setup", sort=False):
        python = mine[mine["python_side"] & mine["x floor"].notna()]
        if python.empty:
            parts.append(f"{backend}: no verified Python-side run")
            continue
        best = python.sort_values("x floor").iloc[0]
        line = f"{backend}: fastest Python-side {best['strategy']} at {best['x floor']:.2f}x {FLOOR}"
        for outcome in (o for o in outcomes if o["backend"] == backend):
            ratio = listing_ratio(outcome, table)
            if ratio is not None:
                line += f", the generated command ({outcome.get('method')}) at {ratio:.2f}x"
        parts.append(line)
    return f"On {what}: " + "; ".join(parts)
