"""The report's first screen: what to use and what to avoid, per backend and situation, with the two warnings.

Built only from the key figures each page's opening box carries (``analysis.answers``), every number
linked to the page that measured it. A page that did not run (or failed) leaves its lines saying so.
"""

from __future__ import annotations

PAGES = {"01": "01_the_five_methods", "02": "02_leak_investigation", "03": "03_scaling",
         "04": "04_faster_than_the_five", "06": "06_your_own_table"}
NOT_RUN = "not measured in this report"


def _link(text: str, page: str) -> str:
    return f"[{text}]({PAGES[page]}.html)"


def _title(name: str) -> str:
    from labproject import strategies

    try:
        return strategies.get(name).title
    except Exception:  # a strategy renamed since the run: its name alone
        return name


def _facts(figures: dict, page: str) -> dict:
    return (figures.get(PAGES[page]) or {}).get("facts") or {}


def use_table(figures: dict) -> str:
    """Return the markdown table of what to use, one row per situation, one column per backend measured."""
    backends = _facts(figures, "04").get("backends") or {}
    if not backends:
        return f"What to use: {NOT_RUN} (page 04 did not run)."
    header = "| situation | " + " | ".join(b["name"] for b in backends.values()) + " |"
    lines = [header, "|---" * (len(backends) + 1) + "|"]

    def row(situation: str, cell) -> None:
        lines.append(f"| {situation} | " + " | ".join(cell(k, b) for k, b in backends.items()) + " |")

    row("the new value can be written in SQL",
        lambda _k, b: "one `UPDATE`: `QuerySet.update(field=<expression>)`, "
                      + _link(f"{b['floor_rows']:,} rows in {b['floor_seconds']:.1f} s", "04"))
    row("the calculation needs Python",
        lambda _k, b: f"`{b['pick']}` ({_title(b['pick'])}): "
                      + _link(f"{b['pick_x']:.1f}x the floor's time per row, +{b['pick_mib']:.1f} MiB", "04"))
    row("it must be as fast as possible", lambda _k, b: _fastest(b))
    row("behind PgBouncer (transaction pooling)",
        lambda _k, b: f"`{b['pooler']}`: keyset batches hold no cursor between transactions" if b.get("pooler")
        else "does not apply")
    commands = {c["backend"]: c for c in _facts(figures, "04").get("commands", [])}
    row("a command to copy",
        lambda k, _b: "`UpdateRowsCommand` (`labproject.walk`): " + (
            _link(f"{commands[k]['x_floor']:.1f}x the floor with checkpoints and only-changed writes", "04")
            if k in commands and commands[k].get("x_floor") else NOT_RUN))
    return "\n".join(lines)


def _fastest(backend: dict) -> str:
    use = backend.get("fastest")
    if not use:
        return NOT_RUN
    said = [f"{backend['fastest_x']:.1f}x the floor's time per row"] if backend.get("fastest_x") else []
    if "pays only with a free core" in backend.get("fastest_why", ""):
        said.append("only with a free CPU core")
    return f"`{use}`" + (": " + _link(", ".join(said), "04") if said else "")


def avoid_list(figures: dict) -> str:
    """Return the markdown list of what to avoid, each with the figure that says why."""
    items = []
    scaling = _facts(figures, "03")
    grows = [m for m in scaling.get("memory", []) if m.get("memory") == "O(n)"]
    killed = {k["strategy"]: k for k in scaling.get("killed", [])}
    for fit in grows:
        kill = killed.get(fit["strategy"])
        items.append(f"`{fit['strategy']}` ({_title(fit['strategy'])}): memory grows with the table, "
                     + _link(f"{fit['MiB per 100k rows']:+.0f} MiB per 100k rows", "03")
                     + (f"; a {scaling['cap_mb']} MiB pod killed it at "
                        + _link(f"{int(kill['first killed at']):,} rows", "03") if kill else ""))
    offset = scaling.get("offset", [])
    catch = [o["catches up at rows"] for o in offset if o.get("catches up at rows")]
    if catch:
        items.append("`Paginator` pages (the article's methods 4 and 5): OFFSET steps over every earlier row, "
                     + _link(f"{scaling['scan']['us_per_1000']:.1f} µs per 1,000 rows", "03")
                     + f", which outweighs the per-row work from about {int(min(catch)):,} rows")
    spans = [b["article_x"] for b in (_facts(figures, "04").get("backends") or {}).values() if b.get("article_x")]
    if spans:
        items.append("a model instance and `save()` or `bulk_update()` per row (all five of the article's methods): "
                     + _link(f"{min(s[0] for s in spans):.0f}–{max(s[1] for s in spans):.0f}x the floor's time per "
                             "row", "04"))
    everything = _facts(figures, "02").get("everything_per_100k")
    if everything is not None:
        items.append("one `bulk_update()` over every object: Django builds every batch's CASE WHEN first, "
                     + _link(f"{everything:+.0f} MiB per 100k rows", "02"))
    return "\n".join(f"- {item}" for item in items) or f"- {NOT_RUN}"


def warnings(figures: dict) -> str:
    """Return the two settings that kill a pod: DEBUG on, and a transaction pooler under iterator()."""
    leak = _facts(figures, "02")
    out = []
    debug = leak.get("debug_1000")
    if debug:
        out.append("**DEBUG=True** in a management command: Django's query log keeps every statement; "
                   + _link(f"{debug['kib_per_batch']:,.0f} KiB per batch of {debug['batch_size']:,}", "02")
                   + f" on {debug['backend']}, so it climbs until {debug['rows_to_fill']:,} rows and then holds "
                   + _link(f"about {debug['level_mib']:,.0f} MiB", "02") + ". Run commands with DEBUG off, or call "
                   "`django.db.reset_queries()` after every batch.")
    else:
        out.append(f"**DEBUG=True**: {NOT_RUN}.")
    cursor = leak.get("cursor") or {}
    if cursor.get("client_per_100k") is not None:
        out.append("**PgBouncer in transaction mode** (`DISABLE_SERVER_SIDE_CURSORS = True`): `QuerySet.iterator()` "
                   "then buffers the whole result in libpq, "
                   + _link(f"{cursor['client_per_100k']:+.0f} MiB per 100k rows", "02")
                   + f"; a {cursor['cap_mb']} MiB pod is killed from about {cursor['rows_to_cap']:,} rows. Use "
                   "keyset batches there.")
    else:
        out.append(f"**PgBouncer in transaction mode**: {NOT_RUN} ({cursor.get('why', 'PostgreSQL was not run')}).")
    return "\n".join(f"- {line}" for line in out)


def front_page(figures: dict) -> str:
    """Return the first screen as markdown: use, avoid, the two warnings."""
    return (f"## What to use\n\n{use_table(figures)}\n\n## What to avoid\n\n{avoid_list(figures)}\n\n"
            f"## Two settings that kill pods\n\n{warnings(figures)}\n")
