"""Which strategy to use in which situation, picked from measured time and memory (``faster.against_floor``).

Measurements decide the picks; what each family does when rows change during the walk is a
property of its reads, tested in ``tests/integration/test_strategies.py`` and stated in ``WALK``.
"""

from __future__ import annotations

import pandas as pd

from labproject.analysis.floor import FLOOR

BATCHED_FLOOR = "sql_update_batched"
WALK_LIBRARY = "update_rows"  # the walk library as a user calls it
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


# What running beside the walk costs, per backend: what a second connection brings along.
PIPELINE_NEEDS = {"sqlite": "a second connection, a reader process and WAL mode",
                  "postgresql": "a second connection and a reader thread"}
# Situations with a name of their own, used by the headline and the report's front page.
PYTHON = "the calculation needs Python"
FASTEST = "the calculation needs Python and the walk must be as fast as possible"
POOLER = "behind PgBouncer in transaction pooling mode (DISABLE_SERVER_SIDE_CURSORS)"


def _measured(row: pd.Series) -> str:
    return (f"{row['x floor']:.1f}x {FLOOR}'s time per row, +{row['memory MiB']:.1f} MiB "
            f"(at {int(row['rows']):,} rows)")


def whole_peak(row: pd.Series) -> float:
    """Return a run's peak with the interpreter's baseline, what a process-wide memory limit counts."""
    return row["baseline MiB"] + row["memory MiB"]


def for_backend(table: pd.DataFrame, *, cap_mb: int, gain: float = 0.2, busy: pd.DataFrame | None = None
                ) -> list[dict]:
    """Return the recommendation rows for one backend's part of ``faster.against_floor``.

    ``busy`` (``floor.against_idle_floor`` of runs made beside one CPU-busy process) says whether the
    pipeline still pays without a free core.
    """
    backend = table["backend"].iloc[0]
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
    out.append({"situation": PYTHON, "use": best, "measured": _measured(ok.loc[best]),
                "why": f"the fastest Python-side strategy with one process and one connection "
                       f"({ok.loc[best, 'family']} family)"})
    mine = None if busy is None else busy[busy["backend"] == backend].set_index("strategy")
    out.append(_pipelined(ok, best, gain, backend, mine))
    if backend == "postgresql":
        out.append(_pooler(ok, fits))
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


def _pooler(ok: pd.DataFrame, fits: pd.DataFrame) -> dict:
    """Pick for a transaction pooler: keyset batches, which read one batch per query and need no open cursor."""
    keyset = fits[fits["family"] == "keyset"]
    pick = next(iter(keyset.index), None)
    why = ("Django's iterator() (the article's methods 2 and 3) then buffers the whole result client-side, which "
           "notebook 02 measures; keyset batches read one batch per query and hold no cursor between transactions")
    if pick is None:
        return {"situation": POOLER, "use": "not measured", "measured": "no keyset run under the limit", "why": why}
    return {"situation": POOLER, "use": pick, "measured": _measured(ok.loc[pick]), "why": why}


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


def _pipelined(ok: pd.DataFrame, best: str, gain: float, backend: str, busy: pd.DataFrame | None) -> dict:
    """Recommend ``pipelined`` only when it saves at least ``gain`` of the best serial strategy's time.

    With ``busy`` runs it also says what is left of the gain when another process keeps one core busy.
    """
    needs = PIPELINE_NEEDS.get(backend, "a second connection and a reader")
    if PIPELINED not in ok.index:
        return {"situation": FASTEST, "use": best, "measured": _measured(ok.loc[best]),
                "why": f"{PIPELINED} was not measured here"}
    saved = 1 - ok.loc[PIPELINED, "x floor"] / ok.loc[best, "x floor"]
    loaded = _under_load(busy, best)
    if saved >= gain:
        return {"situation": FASTEST, "use": PIPELINED, "measured": _measured(ok.loc[PIPELINED]),
                "why": f"saves {saved:.0%} of {best}'s time on an idle machine, worth {needs}" + loaded}
    how = f"saves only {saved:.0%} of its time" if saved >= 0 else f"takes {-saved:.0%} longer than it"
    return {"situation": FASTEST, "use": best, "measured": _measured(ok.loc[best]),
            "why": f"{PIPELINED} {how} (it would need to save {gain:.0%}): not worth {needs}" + loaded}


def best_serial(table: pd.DataFrame, backend: str) -> str | None:
    """Return the fastest single-connection Python-side strategy measured at the backend's full size."""
    mine = table[(table["backend"] == backend) & table["x floor"].notna()]
    full = mine[(mine["rows"] == mine["rows"].max()) & mine["family"].isin(SERIAL) & mine["python_side"]]
    return full.sort_values("x floor")["strategy"].iloc[0] if len(full) else None


def pipeline_story(table: pd.DataFrame, busy: pd.DataFrame, backend: str) -> str:
    """Say in markdown what the pipeline gains on an idle machine and what is left with one core kept busy."""
    idle = table[table["backend"] == backend].set_index("strategy")
    best = best_serial(table, backend)
    if PIPELINED not in idle.index or best is None:
        return f"`{PIPELINED}` was not measured on {backend}."
    gained = 1 - idle.loc[PIPELINED, "x floor"] / idle.loc[best, "x floor"]
    said = f"the overlap saves {gained:.0%}" if gained > 0 else f"the pipeline takes {-gained:.0%} longer"
    return (f"On an idle machine `{PIPELINED}` took {idle.loc[PIPELINED, 'x floor']:.2f}x the floor's time per row and "
            f"`{best}` {idle.loc[best, 'x floor']:.2f}x: {said}"
            + _under_load(busy[busy["backend"] == backend].set_index("strategy"), best) + ".")


def _under_load(busy: pd.DataFrame | None, best: str) -> str:
    """Say what the pipeline's overlap is worth when one other process keeps a core busy (empty when not measured)."""
    if busy is None or PIPELINED not in busy.index:
        return ""
    piped = busy.loc[PIPELINED, "x floor"]
    if best not in busy.index:
        return f"; with one other CPU-busy process beside it, {PIPELINED} took {piped:.1f}x the idle floor"
    serial = busy.loc[best, "x floor"]
    saved = 1 - piped / serial
    pays = (f"it still saves {saved:.0%}" if saved > 0
            else f"it takes {-saved:.0%} longer than {best}, so it pays only with a free core")
    return (f"; with one other CPU-busy process beside it {PIPELINED} took {piped:.1f}x the idle floor and {best} "
            f"{serial:.1f}x: {pays}")


def recommend(table: pd.DataFrame, *, cap_mb: int, gain: float = 0.2, busy: pd.DataFrame | None = None
              ) -> pd.DataFrame:
    """Return the recommendation table for every backend measured in ``table`` (``busy``: see ``for_backend``)."""
    rows = [row for _backend, mine in table.groupby("backend", sort=False)
            for row in for_backend(mine, cap_mb=cap_mb, gain=gain, busy=busy)]
    return pd.DataFrame(rows, columns=COLUMNS)


def listing_ratio(outcome: dict, table: pd.DataFrame) -> float | None:
    """Return the command's time per row over the floor's on its backend, or None without a floor run."""
    mine = table[table["backend"] == outcome["backend"]].set_index("strategy")
    if FLOOR not in mine.index or pd.isna(mine.loc[FLOOR, "x floor"]):
        return None
    return outcome["seconds"] / outcome["rows"] / (mine.loc[FLOOR, "s per 100k rows"] / 100_000)


def listing_line(outcome: dict, table: pd.DataFrame, advice: pd.DataFrame | None = None) -> str:
    """Place the command's own run beside the engine's runs of the library and of the method it chose, in markdown.

    With ``advice`` it also says whether ``method="auto"`` chose what this page's runs recommend.
    """
    ratio = listing_ratio(outcome, table)
    backend = outcome["backend"]
    if ratio is None:
        return f"no `{FLOOR}` run on {backend} to compare the command with"
    mine = table[table["backend"] == backend].set_index("strategy")
    method = outcome.get("method")
    said = [f"on {backend} the command took **{ratio:.1f}x** `{FLOOR}`'s time per row (one run, method `{method}` "
            "chosen by `auto`)"]
    if WALK_LIBRARY in mine.index and pd.notna(mine.loc[WALK_LIBRARY, "x floor"]):
        said.append(f"the engine's runs of the library itself (`{WALK_LIBRARY}`: checkpoints, only-changed writes) "
                    f"took {mine.loc[WALK_LIBRARY, 'x floor']:.1f}x")
    if method in mine.index and pd.notna(mine.loc[method, "x floor"]):
        said.append(f"of `{method}` alone {mine.loc[method, 'x floor']:.1f}x")
    line = "; ".join(said)
    if advice is not None:
        picks = advice[(advice["backend"] == backend) & (advice["situation"] == PYTHON)]
        pick = picks["use"].iloc[0] if len(picks) else None
        if pick and method and pick != method and method != PIPELINED:
            line += (f". `auto` ranks the methods as the library ships them; this page's runs put `{pick}` first "
                     f"here: run the command with `--method {pick}` to follow them")
        elif method == PIPELINED:
            line += f". `auto` chose `{PIPELINED}`, which pays only with a free core (the table above says when)"
    return line + "."
