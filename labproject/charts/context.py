"""What every chart shares: one colour per strategy, repeat dashes, and a title that states the setting."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

# Colour-blind-safe (Okabe-Ito, then Tol's muted), assigned in the order strategies first appear.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9", "#332288", "#117733",
           "#882255", "#999933", "#AA4499", "#44AA99"]
DASHES = ["solid", "dash", "dot", "dashdot", "longdash", "longdashdot"]
TEMPLATE = "plotly_white"


def strategy_order(runs: pd.DataFrame) -> list[str]:
    """Return the strategies in the order they first appear (the order a compare was asked in)."""
    return list(dict.fromkeys(runs["strategy"]))


def palette(names: list[str]) -> dict[str, str]:
    """Map strategy names, in order, to colours."""
    return {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(names)}


def colors(runs: pd.DataFrame) -> dict[str, str]:
    """Map each strategy of ``runs`` to its colour; pass the whole runs table so subsets keep their colours."""
    return palette(strategy_order(runs))


def dash(repeat: int) -> str:
    """Return the line dash that marks a repeat (solid for the first)."""
    return DASHES[int(repeat) % len(DASHES)]


def setting(runs: pd.DataFrame) -> str:
    """Describe where and how ``runs`` ran: rows, payload, backend with its settings, DEBUG, Python, Django."""
    parts = [_span(runs["rows"], "{:,} rows"), _span(runs["payload_bytes"], "{:,} B payload")]
    backend = " / ".join(_distinct(runs["backend"]))
    versions = _distinct(runs.get("database_version", pd.Series(dtype=object)))
    pragmas = [f"{name} {value}" for name in ("journal_mode", "synchronous")
               for value in _distinct(runs.get(name, pd.Series(dtype=object)))]
    poolers = [f"through a {mode} pooler" for mode in _distinct(runs.get("pooler", pd.Series(dtype=object)))]
    parts.append(" ".join([backend, *versions, *poolers]) + (f" ({', '.join(pragmas)})" if pragmas else ""))
    debug = _distinct(runs["debug"].map(lambda d: "on" if d else "off"))
    parts.append(f"DEBUG {' / '.join(debug)}")
    probes = runs.get("probes", pd.Series(dtype=str)).astype(str)
    if probes.str.contains("memray").any():  # memray slows a run and takes memory of its own
        parts.append("memray on")
    for column, label in (("python", "Python"), ("django", "Django")):
        found = _distinct(runs.get(column, pd.Series(dtype=object)))
        if found:
            parts.append(f"{label} {' / '.join(found)}")
    return " · ".join(parts)


def baseline_note(runs: pd.DataFrame) -> str:
    """Return the axis note that says how large the baseline is and the connection's share of it, or ''.

    What the baseline holds is said once, in ``labproject.engine.summary.BASELINE_HOLDS``; an axis
    has room for its two sizes only, so that baseline + the drawn value is what the OOM killer sees.
    """
    if "baseline_mib" not in runs or runs["baseline_mib"].isna().all():
        return ""
    note = f"baseline {runs['baseline_mib'].median():.0f} MiB"
    if "connection_mib" in runs and runs["connection_mib"].notna().any():
        note += f", {runs['connection_mib'].median():.1f} of it the connection + page cache"
    return f"<br><sup>{note}</sup>"


def titled(fig: go.Figure, title: str, runs: pd.DataFrame, *, height: int = 540) -> go.Figure:
    """Give ``fig`` the house style and a two-line title: what it shows, then the setting it was measured in.

    The height is fixed (the width follows the page) so that controls can be placed in pixels.
    """
    fig.update_layout(
        template=TEMPLATE, height=height,
        title={"text": f"{title}<br><sup>{setting(runs)}</sup>", "x": 0.01, "xanchor": "left", "y": 0.965,
               "yanchor": "top", "yref": "container"},
        margin={"t": 130, "l": 70, "r": 30, "b": 90},
        legend={"title": {"text": "strategy"}},
        hoverlabel={"namelength": -1},
    )
    return fig


def _distinct(values: pd.Series) -> list[str]:
    return [str(v) for v in dict.fromkeys(values.dropna())]


def _span(values: pd.Series, fmt: str) -> str:
    found = sorted(int(v) for v in values.dropna().unique())
    if not found:
        return fmt.format(0)
    if len(found) == 1:
        return fmt.format(found[0])
    return fmt.format(found[0]).replace(f"{found[0]:,}", f"{found[0]:,}–{found[-1]:,}", 1)
