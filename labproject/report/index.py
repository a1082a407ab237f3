"""Write ``reports/index.html``: what was measured, where, when, how long, and a finding per page."""

from __future__ import annotations

import html
from datetime import UTC, datetime
from pathlib import Path

from labproject.report.execute import Executed


def _rows(mapping: dict) -> str:
    return "".join(
        f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(str(v))}</td></tr>" for k, v in mapping.items()
    )


def write_index(out_dir: Path, executed: list[Executed], environment: dict, mode: str, seconds: float) -> Path:
    """Write the index page linking every exported page."""
    env = dict(environment)
    database = env.pop("database", {})
    env["memory"] = f"{env.pop('memory_bytes', 0) / 2**30:.1f} GiB"
    items = []
    for item in executed:
        status = f" <strong>failed: {html.escape(item.error)}</strong>" if item.error else ""
        finding = html.escape(item.finding or "(no finding recorded)")
        notebook = html.escape(item.notebook.relative_to(out_dir).as_posix()) if item.notebook.is_relative_to(out_dir) \
            else html.escape(item.notebook.as_uri())
        measured = html.escape(", ".join(item.setups) or "no runs")
        items.append(
            f'<li><a href="{item.page.stem}.html">{html.escape(item.page.title)}</a>'
            f' <small>({item.seconds:.0f} s; measured on: {measured}; '
            f'<a href="{notebook}" download>executed notebook</a>)</small>'
            f"{status}<br>{finding}</li>"
        )
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Iteration lab report</title>
<style>body{{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;line-height:1.5}}
th{{text-align:left;padding-right:1rem}}li{{margin-bottom:.8rem}}</style></head>
<body><h1>Iteration lab report</h1>
<p>Built {datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")} in {seconds:.0f} s, {html.escape(mode)} mode.</p>
<h2>Pages</h2><ul>{"".join(items)}</ul>
<h2>Machine</h2><table>{_rows(env)}</table>
<h2>Database</h2><table>{_rows(database)}</table>
</body></html>
"""
    target = out_dir / "index.html"
    target.write_text(page, encoding="utf-8")
    return target
