"""Who survives a memory cap: strategies against table sizes, each cell survived, killed or not run."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from labproject.charts.context import strategy_order, titled

# Cell states and their colours: survived (green), killed (vermillion), failed otherwise (grey), not run (pale).
STATES = {"survived": (0, "#009E73"), "killed": (1, "#D55E00"), "failed": (2, "#999999"), "not run": (3, "#eeeeee")}


def survival_grid(runs: pd.DataFrame, *, cap_mb: int, title: str | None = None) -> go.Figure:
    """Draw one row per strategy and one column per size: green survived, red killed by the cap, pale not run.

    A cell's text gives the peak above baseline of a survivor or the rows done when the cap killed it;
    with repeats, a cell is killed when any repeat was.
    """
    names = strategy_order(runs)
    sizes = sorted(runs["rows"].unique())
    z, text = [], []
    for name in names:
        row_z, row_text = [], []
        for size in sizes:
            cell = runs[(runs["strategy"] == name) & (runs["rows"] == size)]
            state, label = _cell(cell)
            row_z.append(STATES[state][0])
            row_text.append(label)
        z.append(row_z)
        text.append(row_text)
    fig = go.Figure(go.Heatmap(
        z=z, x=[f"{s:,}" for s in sizes], y=names, text=text, texttemplate="%{text}", textfont={"size": 12}, zmin=0,
        zmax=len(STATES) - 1, colorscale=_bands([color for _code, color in STATES.values()]), showscale=False,
        xgap=3, ygap=3,
        hovertemplate="%{y}<br>%{x} rows<br>%{text}<extra></extra>",
    ))
    titled(fig, title or f"Under a {cap_mb} MiB memory cap: survived (green) or killed (red)", runs,
           height=max(360, 160 + 44 * len(names)))
    fig.update_xaxes(title_text="rows in the table", type="category")
    fig.update_yaxes(autorange="reversed", automargin=True)
    return fig


def _cell(cell: pd.DataFrame) -> tuple[str, str]:
    if cell.empty:
        return "not run", "not run"
    killed = cell[cell["status"] == "killed"]
    if len(killed):
        done = int(killed["rows_done"].min())
        return "killed", f"killed after {done:,} rows" if done else "killed before row 1"
    ok = cell[cell["status"] == "ok"]
    if len(ok) == len(cell):
        return "survived", f"+{ok['peak_above_baseline_mib'].median():.0f} MiB"
    return "failed", ", ".join(sorted(set(cell["status"])))


def _bands(palette: list[str]) -> list[list]:
    """Return a colour scale of flat bands, one per state, so each state keeps its colour whatever is present."""
    steps = []
    for index, color in enumerate(palette):
        steps += [[index / len(palette), color], [(index + 1) / len(palette), color]]
    return steps
