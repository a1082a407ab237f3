"""Write ``reports/index.html`` (the answer first, then each page's question and answer, the machine) and the glossary.

The first screen says what to use and what to avoid (``analysis.front``), built from the key figures
each page's opening box carries in its executed notebook (``report.opening.figures_of``), every
number linked to its page. ``glossary.html`` holds the report's terms and the strategies' table,
taken from the strategy registry.
"""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from pathlib import Path

from labproject.report.execute import Executed
from labproject.report.glossary import PAGE as GLOSSARY
from labproject.report.glossary import TERMS
from labproject.report.opening import figures_of

STYLE = """body{font-family:system-ui,sans-serif;max-width:64rem;margin:2rem auto;padding:0 1rem;line-height:1.5}
th{text-align:left;padding-right:1rem;vertical-align:top}td{vertical-align:top;padding:.2rem .6rem .2rem 0}
table{border-collapse:collapse}thead th{border-bottom:2px solid #ccc}tbody tr{border-bottom:1px solid #eee}
li{margin-bottom:.5rem}.lab-answer{border-left:5px solid #1a5fb4;background:#f2f6fc;padding:.4rem 1rem;margin:.4rem 0}
code{background:#f3f3f3;padding:0 .2rem;border-radius:3px}dt{font-weight:600;margin-top:.8rem}dd{margin-left:1.2rem}"""


ANCHOR_LINK = re.compile(r'<a class="anchor-link" href="#[^"]*">(?:¶|&#182;)</a>')  # mistune writes the entity


def _markdown(text: str) -> str:
    """Render markdown as nbconvert does for the pages, without the pilcrow links it puts on headings."""
    from nbconvert.filters.markdown import markdown2html

    return ANCHOR_LINK.sub("", markdown2html(text))


def _rows(mapping: dict) -> str:
    return "".join(
        f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(str(v))}</td></tr>" for k, v in mapping.items()
    )


def _page(title: str, body: str) -> str:
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
            f"<style>{STYLE}</style></head>\n<body>{body}</body></html>\n")


def figures_by_page(executed: list[Executed]) -> dict[str, dict]:
    """Return the key figures of every page that ran and carries them, by notebook stem."""
    found = {}
    for item in executed:
        figures = figures_of(item.notebook) if item.notebook.exists() else None
        if figures:
            found[item.page.stem] = figures
    return found


def write_index(out_dir: Path, executed: list[Executed], environment: dict, mode: str, seconds: float, *,
                servers: str = "auto") -> Path:
    """Write the index page (and the glossary beside it) linking every exported page."""
    from labproject.analysis.front import front_page

    figures = figures_by_page(executed)
    env = dict(environment)
    database = env.pop("database", {})
    env["memory"] = f"{env.pop('memory_bytes', 0) / 2**30:.1f} GiB"
    items = []
    for item in executed:
        status = f" <strong>failed: {html.escape(item.error)}</strong>" if item.error else ""
        notebook = html.escape(item.notebook.relative_to(out_dir).as_posix()) if item.notebook.is_relative_to(out_dir) \
            else html.escape(item.notebook.as_uri())
        box = figures.get(item.page.stem)
        said = (_markdown(f"**{box['question']}** {box['answer']}") if box else
                f"<p>{html.escape(item.finding or '(no answer recorded)')}</p>")
        measured = html.escape(", ".join(item.setups) or "no runs")
        items.append(
            f'<li><a href="{item.page.stem}.html">{html.escape(item.page.title)}</a>'
            f' <small>({item.seconds:.0f} s; measured on: {measured}; '
            f'<a href="{notebook}" download>executed notebook</a>)</small>'
            f'{status}<div class="lab-answer">{said}</div></li>'
        )
    body = (f"<h1>Iteration lab report</h1>\n<p>How to walk and update every row of a big Django table without "
            f"being killed for memory, and which way is fastest: measured on this machine, every figure from the "
            f'runs of the pages below. Terms are explained in the <a href="{GLOSSARY}">glossary</a>.</p>\n'
            f"{_markdown(front_page(figures))}\n"
            f"<h2>The pages: each one's question and answer</h2><ul>{''.join(items)}</ul>\n"
            f"<p>Built {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')} in {seconds:.0f} s, {html.escape(mode)} "
            f"mode{' (small sizes: the figures show the machinery, not the answer)' if mode == 'quick' else ''}"
            + _servers_said(executed, mode, servers) + ".</p>\n"
            f"<h2>Machine</h2><table>{_rows(env)}</table>\n<h2>Database</h2><table>{_rows(database)}</table>")
    write_glossary(out_dir)
    target = out_dir / "index.html"
    target.write_text(_page("Iteration lab report", body), encoding="utf-8")
    return target


def _servers_said(executed: list[Executed], mode: str, servers: str) -> str:
    """Say which servers the report left off, and the command that measures on them too."""
    if servers == "auto":
        return ""
    kept = [f'{" and ".join(item.page.main_servers(mode, servers))} on <a href="{item.page.stem}.html">'
            f'{html.escape(item.page.title.split(":")[0])}</a>'
            for item in executed if item.page.main_servers(mode, servers)]
    return (f"; the main report: SQLite{', with ' + ', '.join(kept) if kept else ' only'} "
            f"(<code>make report SERVERS=auto</code> measures PostgreSQL, MariaDB and PgBouncer on every page)")


def strategy_table() -> str:
    """Return the strategies as a markdown table from the registry: the article's number, name, what it does."""
    from labproject import strategies
    from labproject.strategies.base import COSTS

    lines = ["| article | lab name | what it does | family | what it pays per row |", "|---|---|---|---|---|"]
    for s in strategies.all_strategies():
        lines.append(f"| {f'method {s.method}' if s.method else ''} | `{s.name}` | {s.title} | {s.family} | "
                     f"{COSTS[s.cost]} |")
    return "\n".join(lines)


def write_glossary(out_dir: Path) -> Path:
    """Write ``glossary.html``: every term with its anchor, then the strategy table."""
    terms = "".join(f'<dt id="{t.anchor}">{html.escape(t.term)}</dt><dd>{_markdown(t.definition)}</dd>'
                    for t in TERMS)
    body = (f'<p><a href="index.html">&larr; All pages</a></p><h1>Glossary</h1><dl>{terms}</dl>'
            f'<h2 id="strategies">The strategies</h2>{_markdown(strategy_table())}')
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / GLOSSARY
    target.write_text(_page("Iteration lab report: glossary", body), encoding="utf-8")
    return target
