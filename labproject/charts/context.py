"""What every chart shares: one colour per strategy, repeat dashes, and a title that states the setting."""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd
import plotly.graph_objects as go

from labproject.engine.environment import backend_label

# Colour-blind-safe (Okabe-Ito, then Tol's muted), assigned in the order strategies first appear.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9", "#332288", "#117733",
           "#882255", "#999933", "#AA4499", "#44AA99"]
DASHES = ["solid", "dash", "dot", "dashdot", "longdash", "longdashdot"]
TEMPLATE = "plotly_white"
# A chart panel shows at most this many colours; more strategies are split into panels (``panels``).
MOST_COLOURS = 7
# The one colour a backend has wherever backends are compared.
BACKEND_COLOURS = {"sqlite": "#0072B2", "postgresql": "#E69F00", "mysql": "#009E73",
                   "postgresql+transaction": "#CC79A7"}
SUBTITLE_CHARS = 110  # a subtitle line longer than this would be clipped at the report's width
TITLE_PAD_PX = 30  # plotly anchors a multi-line title by its first baseline: a line height and some air
TICK_STANDOFF_PX = 6


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


def backend_name(backend: str, runs: pd.DataFrame | None = None) -> str:
    """Return a backend as a reader writes it, with the version its runs recorded (``SQLite 3.40.1``)."""
    versions = [] if runs is None or "database_version" not in runs else \
        _distinct(runs.loc[runs["backend"] == backend, "database_version"])
    return backend_label(backend, versions)


def _backends(runs: pd.DataFrame) -> str:
    """Name each backend with its version and, for SQLite, the pragmas its figures depend on."""
    named = []
    for backend in _distinct(runs["backend"]):
        mine = runs[runs["backend"] == backend]
        pragmas = [f"{name} {value}" for name in ("journal_mode", "synchronous")
                   for value in _distinct(mine.get(name, pd.Series(dtype=object)))]
        poolers = [f" through a {mode} pooler" for mode in _distinct(mine.get("pooler", pd.Series(dtype=object)))]
        named.append(backend_name(backend, runs) + "".join(poolers) + (f" ({', '.join(pragmas)})" if pragmas else ""))
    return " and ".join(named)


def setting(runs: pd.DataFrame) -> str:
    """Describe where and how ``runs`` ran: rows, payload, each backend with its version and settings, DEBUG,
    Python, Django; in lines short enough to fit the report's width."""
    parts = [_span(runs["rows"], "{:,} rows"), _span(runs["payload_bytes"], "{:,} B payload"), _backends(runs)]
    debug = _distinct(runs["debug"].map(lambda d: "on" if d else "off"))
    parts.append(f"DEBUG {' / '.join(debug)}")
    probes = runs.get("probes", pd.Series(dtype=str)).astype(str)
    if probes.str.contains("memray").any():  # memray slows a run and takes memory of its own
        parts.append("memray on")
    for column, label in (("python", "Python"), ("django", "Django")):
        found = _distinct(runs.get(column, pd.Series(dtype=object)))
        if found:
            parts.append(f"{label} {' / '.join(found)}")
    return "<br>".join(wrapped(parts))


def wrapped(parts: Sequence[str], width: int = SUBTITLE_CHARS) -> list[str]:
    """Join ``parts`` with " · " into lines of at most ``width`` characters (a part longer than that stands alone)."""
    lines: list[str] = []
    for part in parts:
        if lines and len(lines[-1]) + 3 + len(part) <= width:
            lines[-1] += " · " + part
        else:
            lines.append(part)
    return lines


def panels(names: Sequence[str], families: dict[str, str], most: int = MOST_COLOURS) -> list[list[str]]:
    """Split strategies into panels of at most ``most``: the article's five apart, the others in order.

    One panel when they fit, so a small comparison stays one chart.
    """
    names = list(names)
    if len(names) <= most:
        return [names]
    article = [n for n in names if families.get(n) == "article"]
    others = [n for n in names if families.get(n) != "article"]
    groups = [article] if article else []
    count = max(1, math.ceil(len(others) / most))
    size = math.ceil(len(others) / count) if others else 0
    groups += [others[i:i + size] for i in range(0, len(others), size)] if others else []
    return [g for g in groups if g]


def log_ticks(low: float, high: float, steps: Sequence[int] = (1, 2, 5)) -> list[float]:
    """Return tick values covering ``low``..``high`` (1-2-5 per decade), so a log axis never labels 20 as "2".

    A narrow panel takes ``steps=(1, 3)``: 1-2-5 labels of "100k" and "200k" would touch there.
    """
    ticks = []
    exponent = math.floor(math.log10(max(low, 1e-12)))
    while True:
        for step in steps:
            value = step * 10.0 ** exponent
            if value > high * 1.0001 and ticks:
                return ticks
            if value >= low / 1.0001:
                ticks.append(value)
        exponent += 1


def tick_text(value: float) -> str:
    """Write a tick value as a reader would: 0.25, 2, 20, 1k, 10k, 1M."""
    if value >= 1_000_000:
        return f"{value / 1_000_000:g}M"
    if value >= 1_000:
        return f"{value / 1_000:g}k"
    return f"{value:g}"


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
    subtitle = setting(runs)
    extra = 18 * subtitle.count("<br>")
    fig.update_layout(
        template=TEMPLATE, height=height + extra,
        # Anchored at the container's top with a pixel pad, so a short chart does not push it out the top.
        title={"text": f"{title}<br><sup>{subtitle}</sup>", "x": 0.01, "xanchor": "left", "y": 1,
               "yanchor": "top", "yref": "container", "pad": {"t": TITLE_PAD_PX}},
        margin={"t": 130 + extra, "l": 70, "r": 30, "b": 90},
        legend={"title": {"text": "strategy"}},
        hoverlabel={"namelength": -1},
    )
    return spaced_ticks(fig)


def spaced_ticks(fig: go.Figure) -> go.Figure:
    """Stand tick labels off their axes, so the two "0" labels where the axes meet do not overlap."""
    fig.update_xaxes(ticklabelstandoff=TICK_STANDOFF_PX)
    fig.update_yaxes(ticklabelstandoff=TICK_STANDOFF_PX)
    return fig


def legend_below(fig: go.Figure, title: str = "", **more) -> go.Figure:
    """Put the legend in one horizontal band at the bottom of the figure, under the x axis's title.

    Placed in the container's coordinates, it cannot ride up into the axis title as a paper-relative
    offset does when the plot's height changes; the bottom margin must leave it room.
    """
    fig.update_layout(legend={"title": {"text": title}, "orientation": "h", "yref": "container", "y": 0.01,
                              "yanchor": "bottom", "x": 0, "xanchor": "left", **more})
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
