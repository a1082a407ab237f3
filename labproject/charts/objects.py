"""Where memory went by allocation site (tracemalloc) and by object type (pympler), per strategy."""

from __future__ import annotations

import re

import pandas as pd
import plotly.graph_objects as go

from labproject.charts.context import colors, strategy_order, titled
from labproject.charts.controls import attach, choice_masks, visibility_menu
from labproject.units import MIB

TOP = 10
# Paths inside the interpreter, the venv or the project are shortened to the part a reader recognises.
_PREFIX = re.compile(r"^.*/site-packages/|^.*/lib/python\d+\.\d+/|^.*?/(?=labproject/|seed/|tests/)")


def short_site(site: str) -> str:
    """Return ``django/db/models/base.py:123`` for a full tracemalloc site path."""
    return _PREFIX.sub("", site)


def allocation_sites(sites: pd.DataFrame, runs: pd.DataFrame, *, top: int = TOP, strategy: str | None = None,
                     title: str = "Top allocation sites (tracemalloc), growth over the strategy",
                     controls: bool = True) -> go.Figure:
    """Draw the sites whose traced memory grew most during a strategy's first repeat, one strategy at a time."""
    table = sites.assign(label=sites["site"].map(short_site))
    return _ranked_bars(table, "label", runs, top=top, strategy=strategy, title=title, controls=controls,
                        what="site", extra="count_diff", extra_label="blocks")


def retained_types(retained: pd.DataFrame, runs: pd.DataFrame, *, top: int = TOP, strategy: str | None = None,
                   title: str = "Object types retained after the strategy (pympler)",
                   controls: bool = True) -> go.Figure:
    """Draw the object types whose reachable size changed most over a strategy's first repeat."""
    return _ranked_bars(retained.assign(label=retained["type"]), "label", runs, top=top, strategy=strategy,
                        title=title, controls=controls, what="type", extra="count_diff", extra_label="objects")


def _ranked_bars(table: pd.DataFrame, label: str, runs: pd.DataFrame, *, top: int, strategy: str | None,
                 title: str, controls: bool, what: str, extra: str, extra_label: str) -> go.Figure:
    """Draw one horizontal bar chart per strategy (its first repeat), the largest change on top."""
    palette = colors(runs)
    names = [s for s in strategy_order(runs) if s in set(table["strategy"]) and strategy in (None, s)]
    largest = table["size_diff_bytes"].abs().max() if len(table) else 0
    divisor, unit = (MIB, "MiB") if largest >= MIB else (2**10, "KiB")
    fig = go.Figure()
    for index, name in enumerate(names):
        rows = table[table["strategy"] == name]
        rows = rows[rows["repeat"] == rows["repeat"].min()]
        rows = rows.reindex(rows["size_diff_bytes"].abs().sort_values(ascending=False).index).head(top)
        fig.add_trace(go.Bar(
            x=rows["size_diff_bytes"] / divisor, y=rows[label], orientation="h", name=name,
            marker_color=palette[name], visible=index == 0 or not controls,
            customdata=rows[extra],
            hovertemplate=f"{name}<br>%{{y}}<br>%{{x:,.1f}} {unit}, %{{customdata:+,}} {extra_label}<extra></extra>",
        ))
    titled(fig, title, runs, height=max(460, 230 + 30 * top))
    fig.update_xaxes(title_text=f"size change over the strategy ({unit})", zeroline=True)
    fig.update_yaxes(title_text=what, autorange="reversed", automargin=True)
    fig.update_layout(showlegend=not controls)
    if controls and len(names) > 1:
        attach(fig, [visibility_menu(*choice_masks(names, names, with_all=False))])
    return fig
