"""Each page's answer, in words computed from its runs: the box that opens it and the figures the index reads.

Every function takes what a page measured and returns ``{"answer", "article", "facts", "quotes"}``:
two markdown sentences for the opening box (the answer to the page's question, and what it means for
the article's claim), the numbers they were made from (``facts``, read by the report's front page)
and the run sets they quote (``analysis.quotes``). Nothing here runs anything or types a figure.
"""

from __future__ import annotations

import pandas as pd

from labproject.analysis import claims as claims_module
from labproject.analysis.floor import FLOOR
from labproject.analysis.querylog import Plateau
from labproject.analysis.quotes import quote, quotes_by_strategy
from labproject.analysis.recommend import FASTEST, POOLER, PYTHON
from labproject.analysis.scaling import UNKNOWN
from labproject.engine.environment import backend_label
from labproject.engine.measured import Measured
from labproject.engine.summary import summarize


def _names(items: list[str]) -> str:
    items = [f"`{i}`" for i in items]
    return ", ".join(items[:-1]) + f" and {items[-1]}" if len(items) > 1 else (items[0] if items else "none")


def _methods() -> dict[str, int]:
    from labproject import strategies

    return {s.name: s.method for s in strategies.all_strategies() if s.method}


def start_here(*, rows: int, payload_bytes: int, backend: str, disagree: int) -> dict:
    """Page 00: the table every page walks, and whether the calculation's two forms agree."""
    agree = rows - disagree
    return {
        "answer": (f"{rows:,} rows of {payload_bytes}-byte JSON payloads on {backend}. `some_calculation` in Python "
                   f"and its SQL twin agree on {agree:,} of {rows:,} rows"
                   + (", so every run can be checked in SQL and the SQL form is the floor." if not disagree else
                      f": {disagree:,} disagree, so runs cannot be verified until that is fixed.")),
        "article": "The article's model and calculation, reproduced: a JSONField `data` and an IntegerField `field` "
                   "computed from it, which every method must rewrite for every row.",
        "facts": {"rows": rows, "payload_bytes": payload_bytes, "backend": backend, "disagree": disagree},
        "quotes": [],
    }


def five_methods(runs: pd.DataFrame, checked: pd.DataFrame) -> dict:
    """Page 01: the five methods at the article's size, and how many of its claims hold."""
    summary = summarize(runs).dropna(subset=["peak_mib_median"]).set_index("strategy")
    if summary.empty:
        return {"answer": "no verified run to summarise", "article": "not checked: no verified run",
                "facts": {}, "quotes": []}
    mib = summary["peak_mib_median"]
    heaviest, flat = mib.idxmax(), mib.drop(index=mib.idxmax())
    leanest = flat.idxmin()
    methods = _methods()
    rows = int(runs["rows"].max())
    repeats = int(summary["runs"].max())
    overlap = summary["wall_s_min"].max() <= summary["wall_s_max"].min()
    time = (f"their times overlap ({summary['wall_s_min'].min():.1f}–{summary['wall_s_max'].max():.1f} s), so no "
            "method wins on time" if overlap else
            f"fastest `{summary['wall_s_median'].idxmin()}` ({summary['wall_s_median'].min():.2f} s median)")
    held, total = claims_module.held(checked)
    refuted = checked.index[checked["verdict"] != "confirmed"].tolist()
    return {
        "answer": (f"At {rows:,} rows ({repeats} runs each), only method {methods.get(heaviest, '?')} (`{heaviest}`) "
                   f"grows: +{mib[heaviest]:.1f} MiB. The other four stay within +{flat.max():.1f} MiB, the leanest "
                   f"`{leanest}` (method {methods.get(leanest, '?')}, +{mib[leanest]:.1f} MiB); {time}."),
        "article": (f"{held} of its {total} claims {'holds' if held == 1 else 'hold'} here; not reproduced: "
                    + "; ".join(refuted) + ". The claims table below says why.") if refuted else
        f"All {total} of its claims hold here.",
        "facts": {"rows": rows, "repeats": repeats, "heaviest": heaviest, "leanest": leanest, "overlap": bool(overlap),
                  "claims": checked.reset_index(names="claim").to_dict("records"), "held": held},
        "quotes": quotes_by_strategy(runs),
    }


def leak_facts(*, control: Measured, lists: Measured, cursor_runs: Measured | None, why_not: str,
               plateau: Plateau | None, cap_mb: int) -> dict:
    """Return the numbers page 02's box and the front page state, from the experiments' runs."""
    from labproject.analysis.growth import median_growth
    from labproject.analysis.leak import NotMeasured, Peak, per_100k, reading

    facts: dict = {"cap_mb": cap_mb}
    try:
        peak = Peak.of(control)
        facts["control"] = {"mib": peak.mib, "per_100k": float(median_growth(control.samples).median()),
                            "rows": peak.rows}
        everything = Peak.of(lists.where(strategy="bulk_update_everything"))
        facts["everything_per_100k"] = per_100k(everything.mib - peak.mib, everything.rows)
    except NotMeasured:
        facts.setdefault("control", {"mib": float("nan"), "per_100k": float("nan"), "rows": 0})
    if plateau is not None:
        cost = plateau.cost
        facts["debug_1000"] = {"batch_size": cost.batch_size, "backend": cost.backend,
                               "kib_per_batch": cost.bytes_per_batch / 1024,
                               "entries_per_batch": cost.entries_per_batch,
                               "rows_to_fill": cost.rows_to_fill, "level_mib": plateau.level_mib,
                               "climb_per_100k": plateau.climb_mib_per_100k,
                               "rss_per_object_byte": plateau.rss_per_object_byte}
    cursor: dict = {"cap_mb": cap_mb, "why": why_not}
    if cursor_runs is not None:
        try:
            client, server = Peak.of(reading(cursor_runs, server_side=False)), Peak.of(
                reading(cursor_runs, server_side=True))
            rate = per_100k(client.mib - server.mib, client.rows)
            baseline = float(cursor_runs.runs["baseline_mib"].median())
            cursor.update(client_per_100k=rate, client_mib=client.mib, server_mib=server.mib,
                          rows_to_cap=int((cap_mb - baseline) / rate * 100_000) if rate > 0 else None)
        except NotMeasured as exc:
            cursor["why"] = str(exc)
    facts["cursor"] = cursor
    return facts


def leak(facts: dict, quotes: list[dict]) -> dict:
    """Page 02: why method 3 climbed, from the experiments' facts (``studies``' runs through ``analysis.leak``)."""
    control, debug = facts["control"], facts.get("debug_1000") or {}
    cursor = facts.get("cursor") or {}
    rate = control["per_100k"]
    climbs = f"it stays at +{control['mib']:.1f} MiB" + (
        "" if pd.isna(rate) else f" ({rate:+.2f} MiB per 100k rows over the walk)")
    log = ""
    if debug:
        log = (f" DEBUG=True makes it climb: Django's query log keeps every statement, {debug['kib_per_batch']:,.0f} "
               f"KiB per batch of {debug['batch_size']:,} on {debug['backend']}, so the log (9,000 entries) fills "
               f"only after {debug['rows_to_fill']:,} rows, at about {debug['level_mib']:,.0f} MiB.")
    client = ""
    if cursor.get("client_per_100k") is not None and cursor.get("rows_to_cap"):
        client = (f" Or a client-side cursor: PostgreSQL without server-side cursors buffers the whole result, "
                  f"{cursor['client_per_100k']:+.0f} MiB per 100k rows, which a {cursor['cap_mb']} MiB pod cannot "
                  f"hold past about {cursor['rows_to_cap']:,} rows: the article's method 2 reads the same way.")
    return {
        "answer": f"Not by itself: with DEBUG off {climbs}.{log}",
        "article": ("Its leak is most likely DEBUG's query log left on, which a management command never empties."
                    + client),
        "facts": facts, "quotes": quotes,
    }


def scaling(memory: pd.DataFrame, timing: pd.DataFrame, outcomes: pd.DataFrame, offset: pd.DataFrame | None,
            scan: dict | None, runs: pd.DataFrame, cap_mb: int) -> dict:
    """Page 03: how memory and time grow, who the cap kills, and what OFFSET's scan costs."""
    grows = memory[memory["memory"] == "O(n)"]
    flat = memory[memory["memory"] == "O(1)"]
    unknown = memory[memory["memory"] == UNKNOWN]
    killed = outcomes[outcomes["first killed at"].notna()]
    kills = "; ".join(f"`{r['strategy']}` from {int(r['first killed at']):,} rows" for _, r in killed.iterrows())
    growing = "; ".join(f"`{r['strategy']}` {r['MiB per 100k rows']:+.0f} MiB per 100k rows" for _, r in
                        grows.iterrows())
    largest = int(timing["largest rows"].max())
    at_largest = timing[timing["largest rows"] == largest].sort_values("rows/s at largest", ascending=False).iloc[0]
    answer = ((f"Memory grows with the table only for {growing}" if growing else
               "No strategy's memory grows measurably over the sizes run")
              + (f" (under the {cap_mb} MiB cap: killed {kills})" if kills else "")
              + f". Flat to {int(flat['largest rows'].max()) if len(flat) else 0:,} rows and at "
              f"{int(memory['target rows'].iloc[0]):,} rows extrapolated: {_names(flat['strategy'].tolist())}."
              + (f" The sizes run cannot tell for {_names(unknown['strategy'].tolist())} (the report runs them to "
                 f"{int(unknown['largest rows'].max()):,} rows at most)." if len(unknown) else "")
              + f" Fastest at {largest:,} rows: `{at_largest['strategy']}`, "
              f"{at_largest['rows/s at largest']:,.0f} rows/s.")
    loop = memory[memory["strategy"] == "queryset_loop"]
    article = ("Method 1's memory grows with the table, as the article says." if len(loop) and
               loop["memory"].iloc[0] == "O(n)" else "Whether method 1's memory grows cannot be told at these sizes.")
    catch = offset["catches up at rows"].dropna() if offset is not None and len(offset) else pd.Series(dtype=float)
    if scan and scan.get("us_per_1000", 0) > 0 and len(catch):
        article += (f" The Paginator's OFFSET scan is quadratic, {scan['us_per_1000']:.1f} µs per 1,000 rows stepped "
                    f"over, but it overtakes the per-row work only from about {int(catch.min()):,} rows, so at the "
                    "article's 50,000 rows it cannot show.")
    elif scan:
        article += f" OFFSET's cost per stepped-over row does not show on a {scan.get('table_rows', 0):,}-row table."
    return {
        "answer": answer, "article": article,
        "facts": {"cap_mb": cap_mb, "memory": _records(memory), "timing": _records(timing),
                  "killed": _records(killed), "offset": _records(offset) if offset is not None else [],
                  "scan": scan or {}},
        "quotes": quotes_by_strategy(runs[runs["status"] == "ok"]),
    }


def faster(table: pd.DataFrame, advice: pd.DataFrame, *, runs: pd.DataFrame, busy: pd.DataFrame | None = None,
           why_fast: str = "", outcomes: list[dict] | None = None) -> dict:
    """Page 04: what to use per backend, how far the article's methods are from the floor, and why."""
    parts, facts = [], {"backends": {}}
    for backend, picks in advice.groupby("backend", sort=False):
        mine = table[table["backend"] == backend].set_index("strategy")
        chosen = picks.set_index("situation")
        name = backend_label(backend, runs.loc[runs["backend"] == backend, "database_version"].dropna().tolist()
                             if "database_version" in runs else [])
        if PYTHON not in chosen.index or FLOOR not in mine.index:
            parts.append(f"on {name} nothing was verified")
            continue
        pick = chosen.loc[PYTHON, "use"]
        article = mine[mine["family"] == "article"]["x floor"].dropna()
        floor = mine.loc[FLOOR]
        parts.append(f"on {name}, `{pick}` ({mine.loc[pick, 'x floor']:.1f}x the SQL floor's time per row, "
                     f"+{mine.loc[pick, 'memory MiB']:.1f} MiB)")
        fastest = chosen.loc[FASTEST, "use"] if FASTEST in chosen.index else None
        facts["backends"][backend] = {
            "name": name, "pick": pick, "pick_x": float(mine.loc[pick, "x floor"]),
            "pick_mib": float(mine.loc[pick, "memory MiB"]),
            "fastest": fastest,
            "fastest_x": float(mine.loc[fastest, "x floor"]) if fastest in mine.index else None,
            "fastest_why": chosen.loc[FASTEST, "why"] if FASTEST in chosen.index else "",
            "pooler": chosen.loc[POOLER, "use"] if POOLER in chosen.index else None,
            "floor_rows": int(floor["rows"]), "floor_seconds": float(floor["seconds"]),
            "article_x": [float(article.min()), float(article.max())] if len(article) else None,
            "advice": picks.to_dict("records"),
        }
    spans = [f["article_x"] for f in facts["backends"].values() if f["article_x"]]
    article = (f"The article's five take {min(s[0] for s in spans):.0f}–{max(s[1] for s in spans):.0f}x the floor's "
               "time per row." if spans else "")
    orm = table[(table["strategy"] == "keyset_bulk_update") & table["x floor"].notna()]
    if len(orm):
        article += (f" `keyset_bulk_update`, which skips OFFSET but still builds a model instance per row and a CASE "
                    f"WHEN per batch, takes {orm['x floor'].min():.0f}x: the model instances, not only OFFSET, are "
                    "the cost (\"Why the fast ones are fast\" counts them).")
    facts["why_fast"] = why_fast
    if busy is not None and len(busy):
        facts["busy"] = _records(busy)
    from labproject.analysis.recommend import listing_ratio

    facts["commands"] = [{"backend": o["backend"], "method": o.get("method"), "x_floor": listing_ratio(o, table)}
                         for o in outcomes or []]
    return {"answer": "For a calculation that needs Python: " + "; ".join(parts)
            + f". When the new value can be written in SQL, one `UPDATE` (`QuerySet.update()` with an expression, "
              f"`{FLOOR}`) is the floor itself.",
            "article": article.strip(), "facts": facts, "quotes": quotes_by_strategy(runs[runs["status"] == "ok"])}


def playground(runs: pd.DataFrame) -> dict:
    """Page 05: what the run the parameters chose did, saying which strategies it held (and which it did not)."""
    summary = summarize(runs).dropna(subset=["peak_mib_median"]).set_index("strategy")
    if summary.empty:
        return {"answer": "no verified run", "article": "nothing to compare", "facts": {}, "quotes": []}
    mib, wall = summary["peak_mib_median"], summary["wall_s_median"]
    names = summary.index.tolist()
    methods = _methods()
    absent = [n for n in methods if n not in names]
    return {
        "answer": (f"Among the {len(names)} strategies this run held ({_names(names)}; {int(runs['rows'].max()):,} "
                   f"rows, {int(summary['runs'].max())} runs each): most memory `{mib.idxmax()}` (+{mib.max():.1f} "
                   f"MiB), least `{mib.idxmin()}` (+{mib.min():.1f} MiB); fastest `{wall.idxmin()}` "
                   f"({wall.min():.2f} s), slowest `{wall.idxmax()}` ({wall.max():.2f} s)."),
        "article": (f"Not in this run: {_names(absent)}; the article's five side by side are page 01's."
                    if absent else "All five of the article's methods were in this run."),
        "facts": {"strategies": names, "absent": absent}, "quotes": quotes_by_strategy(runs),
    }


def own_table(table: pd.DataFrame, outcomes: list[dict], *, what: str, runs: pd.DataFrame) -> dict:
    """Page 06: the strategies on a table of another shape, and the command generated for it."""
    from labproject.analysis.recommend import listing_ratio

    parts, facts = [], {}
    for backend, mine in table.groupby("backend", sort=False):
        python = mine[mine["python_side"] & mine["x floor"].notna()].sort_values("x floor")
        if python.empty:
            parts.append(f"{backend}: no verified Python-side run")
            continue
        best = python.iloc[0]
        ratios = [listing_ratio(o, table) for o in outcomes if o["backend"] == backend]
        ratio = next((r for r in ratios if r is not None), None)
        parts.append(f"on {backend} `{best['strategy']}` at {best['x floor']:.1f}x the floor"
                     + (f", the generated command at {ratio:.1f}x" if ratio else ""))
        article = mine[mine["family"] == "article"]["x floor"].dropna()
        facts[backend] = {"best": best["strategy"], "best_x": float(best["x floor"]), "command_x": ratio,
                          "article_x": [float(article.min()), float(article.max())] if len(article) else None}
    spans = [f["article_x"] for f in facts.values() if f.get("article_x")]
    return {"answer": f"On {what}: " + "; ".join(parts) + ".",
            "article": (f"The article's five take {min(s[0] for s in spans):.0f}–{max(s[1] for s in spans):.0f}x the "
                        "floor here too: the cost of a model instance per row does not depend on the table."
                        if spans else "The article's methods were not measured on this table."),
            "facts": facts, "quotes": quotes_by_strategy(runs[runs["status"] == "ok"])}


def fan_out(scaled: pd.DataFrame | None, table: pd.DataFrame | None, missing: dict[str, str]) -> dict:
    """Page 07: how far more workers carry the walk on each backend, and what a killed worker cost."""
    from labproject.analysis import fanout

    if scaled is None or table is None:
        why = "; ".join(f"{b}: {reason}" for b, reason in missing.items()) or "no run"
        return {"answer": f"Not measured here ({why}).", "article": "Nothing measured to set beside the article.",
                "facts": {"missing": missing}, "quotes": []}
    parts, facts, fleets = [], {}, []
    for backend, mine in scaled.groupby("backend", sort=False):
        mine = mine.sort_values("workers")
        best, one, most = mine.loc[mine["rows_per_second"].idxmax()], mine.iloc[0], mine.iloc[-1]
        at = fanout.flattens_at(scaled, backend)
        if best["workers"] == one["workers"]:
            parts.append(f"on {backend} more workers did not help: {int(one['workers'])} walked "
                         f"{one['rows_per_second']:,.0f} rows/s, {int(most['workers'])} {most['rows_per_second']:,.0f}")
        else:
            parts.append(f"on {backend} {int(best['workers'])} workers walked {best['rows_per_second']:,.0f} rows/s "
                         f"({best['speedup']:.2f}x {int(one['workers'])})"
                         + (f", flattening after {at}" if at is not None else ""))
        fleets.append(f"{backend} {one['fleet_pss_mib']:.0f} MiB with {int(one['workers'])}, "
                      f"{most['fleet_pss_mib']:.0f} MiB with {int(most['workers'])}")
        facts[backend] = {"workers": int(best["workers"]), "rows_per_second": float(best["rows_per_second"]),
                          "speedup": float(best["speedup"]), "flattens_at": at,
                          "fleet_pss_mib": float(best["fleet_pss_mib"])}
    chaos = table[table["chaos"]]
    kill = ""
    if len(chaos):
        run = chaos.iloc[0]
        cost = run["seconds"] - fanout.median_seconds(table, int(run["workers"]), run["backend"])
        kill = (f" A worker killed mid-range cost {cost:+.2f} s and left "
                f"{'every row right' if run['verified_ok'] else 'ROWS WRONG'}.")
    return {"answer": "; ".join(parts) + "." + kill,
            "article": ("The article's loops run in one process. Fanned out, each worker holds its own memory: the "
                        "fleet's PSS peak was " + "; ".join(fleets) + "."),
            "facts": facts, "quotes": []}


def _records(table: pd.DataFrame | None) -> list[dict]:
    """Return a table's rows as JSON-safe dicts (NaN becomes None)."""
    if table is None or table.empty:
        return []
    return [{k: (None if _missing(v) else v.item() if hasattr(v, "item") else v) for k, v in row.items()}
            for row in table.to_dict("records")]


def _missing(value) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


__all__ = ["fan_out", "five_methods", "faster", "leak", "own_table", "playground", "quote", "scaling", "start_here"]
