""""Try this" prompts: an experiment a reader can run next, what it should show, and how long it takes here.

The expected effect and the time come from figures measured in this report (a page's own runs, or an
earlier page's key figures when the report ran it); without them a prompt says what to look for and
gives no number.
"""

from __future__ import annotations

from labproject.analysis.growth import PER_ROWS
from labproject.analysis.offset import offset_rows_skipped


def rate(quotes: list[dict], strategy: str) -> float | None:
    """Return the best measured rows/s of ``strategy`` among ``quotes`` (its largest size), or None."""
    mine = [q for q in quotes if q.get("strategy") == strategy and q.get("rows_per_second")]
    return max(mine, key=lambda q: q["rows"])["rows_per_second"] if mine else None


def _takes(rows: int, rate: float | None) -> str:
    if not rate:
        return "time not measured here"
    seconds = rows / rate
    if seconds < 1:
        return "under a second here"
    return f"about {seconds / 60:.0f} min here" if seconds >= 120 else f"about {seconds:.0f} s here"


def debug_at_article_batch(quotes: list[dict], debug: dict | None, rows: int = 300_000) -> str:
    """DEBUG on at batch 1,000: the log's climb at the article's batch."""
    if debug:
        climb = debug["climb_per_100k"]
        expect = (f"the log climbs about {climb:.0f} MiB per 100k rows, so +{climb * rows / PER_ROWS:.0f} MiB at "
                  f"{rows:,} rows, still short of its {debug['rows_to_fill']:,}-row plateau")
    else:
        expect = "RSS against rows climbing steadily where DEBUG off stays flat"
    return (f"- **`strategies=['iterator_bulk_update'], debug=True, batch_size=1000, rows={rows:_}`** Expect: {expect} "
            f"({_takes(rows, rate(quotes, 'iterator_bulk_update'))}, plus seeding).")


def capped_loop(quotes: list[dict], cap_mb: int = 256, rows: int = 100_000) -> str:
    """A memory cap with method 1 at 100k rows."""
    loop = next((q for q in sorted(quotes, key=lambda q: -(q.get("rows") or 0))
                 if q.get("strategy") == "queryset_loop" and q.get("memory_mib") is not None), None)
    if loop:
        need = loop["baseline_mib"] + loop["memory_mib"] / loop["rows"] * rows
        expect = (f"about {need:.0f} MiB with its baseline (its +{loop['memory_mib']:.0f} MiB at {loop['rows']:,} "
                  f"rows scaled up): " + ("killed by the cap" if need > cap_mb else "it survives"))
    else:
        expect = "the run recorded as killed, with the rows it had done"
    return (f"- **`strategies=['queryset_loop'], rows={rows:_}, memory_cap_mb={cap_mb}`** Expect: {expect} "
            f"({_takes(rows, rate(quotes, 'queryset_loop'))}, plus seeding).")


def cursors_off(cursor: dict | None, rows: int = 200_000) -> str:
    """Server-side cursors off on PostgreSQL: the client-side buffer."""
    rate = (cursor or {}).get("client_per_100k")
    expect = (f"RSS {rate * rows / PER_ROWS:+.0f} MiB above the same run with cursors on (measured {rate:+.0f} MiB per "
              "100k rows)" if rate else "RSS growing with the table while tracemalloc stays flat")
    return (f"- **`python manage.py compare --strategies iterator_save --rows {rows} --no-server-side-cursors` with "
            f"`DATABASE_URL` from `make pg`** Expect: {expect}.")


def paginator_at(scan: dict | None, rate: float | None, rows: int = 1_000_000, batch: int = 1000) -> str:
    """A Paginator method at 1M rows: OFFSET's scan beside its work."""
    skipped = offset_rows_skipped(rows, batch)
    expect = f"OFFSET steps over {skipped:,} rows"
    if scan and scan.get("us_per_1000", 0) > 0:
        expect += f", about {skipped * scan['us_per_1000'] / 1000 / 1e6:,.0f} s of scanning"
        if rate:
            expect += f" beside {rows / rate:,.0f} s of per-row work"
    return (f"- **`python manage.py compare --strategies paginator_bulk_update --rows {rows}`** Expect: {expect} "
            f"({_takes(rows, rate)}).")


def seed_larger(rows_per_second: float | None, rows: int = 500_000) -> str:
    """Seed the large preset and rerun the page."""
    takes = f"seeding takes about {rows / rows_per_second:.0f} s here" if rows_per_second else \
        "seeding time not measured here (the table was already seeded)"
    return (f"- **`python manage.py seed_rows --rows {rows}`, then run this page again** Expect: the same agreement on "
            f"{rows:,} rows ({takes}).")


def huge_rows(quotes: list[dict], flat: list[str], rows: int = 5_000_000) -> str:
    """Run the flat strategies at 5M rows from notebook 03's parameters."""
    rates = [rate(quotes, name) for name in flat]
    seconds = sum(rows / r for r in rates if r)
    takes = f"about {seconds / 60:.0f} min of walking here, plus seeding" if seconds else "time not measured here"
    return (f"- **`huge_rows = {rows:_}` in notebook 03's parameters** Expect: {', '.join(f'`{n}`' for n in flat)} "
            f"at {rows:,} rows, each flat as its fit says ({takes}).")


def follow_the_runs(facts: dict) -> str:
    """Run the command with the method this page's runs put first, where ``auto`` chose another."""
    lines = []
    commands = {c["backend"]: c for c in facts.get("commands", [])}
    for backend, mine in (facts.get("backends") or {}).items():
        command = commands.get(backend)
        if not command or not command.get("x_floor"):
            continue
        floor_rate = mine["floor_rows"] / mine["floor_seconds"]
        lines.append(f"- **`python manage.py recompute_field --method {mine['pick']}` on {mine['name']}** Expect: "
                     f"about {mine['pick_x']:.1f}x the floor's time per row where the command took "
                     f"{command['x_floor']:.1f}x with `{command['method']}` "
                     f"({_takes(mine['floor_rows'], floor_rate / mine['pick_x'])} for {mine['floor_rows']:,} rows, "
                     "plus the library's checkpoints).")
    return "\n".join(lines) or "- **Run the command on your own table** (page 06 shows how)."


def pipeline_on_busy_machine(facts: dict) -> str:
    """Run the pipeline beside another CPU-heavy job on your machine."""
    loaded = {r["strategy"]: r for r in facts.get("busy", [])}
    if "pipelined" not in loaded:
        return ("- **`compare --strategies pipelined,keyset_executemany` during a CPU-heavy job** Expect: the "
                "pipeline's gain shrinks.")
    others = [r for name, r in loaded.items() if name != "pipelined"]
    serial = f" and `{others[0]['strategy']}` {others[0]['x floor']:.1f}x" if others else ""
    return (f"- **`python manage.py compare --strategies pipelined{',' + others[0]['strategy'] if others else ''} "
            f"--rows {int(loaded['pipelined']['rows'])}` while another CPU-heavy job runs** Expect: what this page "
            f"measured with one busy core, `pipelined` {loaded['pipelined']['x floor']:.1f}x the idle floor{serial}; "
            "on a machine with more free cores the overlap's gain comes back.")


def own_target(facts: dict, quotes: list[dict], rows: int = 100_000) -> str:
    """Measure the fastest strategy on your own model, as this page did on the invoices."""
    best = next(iter(facts.values()), {}) if facts else {}
    name = best.get("best", "keyset_executemany")
    expect = f"about {best['best_x']:.1f}x your floor, as here" if best.get("best_x") else "a ratio to your floor"
    return (f"- **A `labproject.walk.Target` of your model in `yourapp/targets.py`, then `python manage.py compare "
            f"--target yourapp.targets:yours --strategies {name},sql_update --rows {rows}`** Expect: {expect} "
            f"({_takes(rows, rate(quotes, name))} on a table like the invoices).")


def more_workers(facts: dict, rows: int = 1_000_000) -> str:
    """Fan a larger table out over the worker count this page found best, on the backend it ran fastest."""
    measured = {b: f for b, f in facts.items() if isinstance(f, dict) and f.get("rows_per_second")}
    if not measured:
        return (f"- **`python manage.py fanout lab --workers 2 --ranges 8` on a {rows:,}-row table** Expect: rows/s "
                "against one worker; not measured here.")
    backend, best = max(measured.items(), key=lambda item: item[1]["rows_per_second"])
    workers = best["workers"]
    return (f"- **`python manage.py fanout lab --workers {workers} --ranges {4 * workers}` on a {rows:,}-row "
            f"{backend} table** Expect: about {best['rows_per_second']:,.0f} rows/s as here, if nothing else "
            f"shares the cores ({_takes(rows, best['rows_per_second'])}), and a fleet PSS near "
            f"{best['fleet_pss_mib']:.0f} MiB.")


def page_prompts(items: list[str]) -> str:
    """Return the prompts as the markdown of a page's last section."""
    return "\n".join(items)
