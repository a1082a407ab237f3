"""Who survives a memory cap: strategies against table sizes, each cell measured or predicted, with a legend.

Measured cells (survived, killed by the cap, failed otherwise, not run) come from runs; the sizes a pod
owner asks about beyond what was run come from each strategy's memory fit (``analysis.pods.predicted``),
drawn pale, and pale grey where the sizes run could not tell the growth. Every state has one colour, and
the legend shows exactly those colours.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from labproject.charts.context import strategy_order, tick_text, titled

# Each state: its code, its colour and what the legend says.
STATES = {
    "survived": (0, "#009E73", "survived (measured)"),
    "killed": (1, "#D55E00", "killed by the cap (measured)"),
    "failed": (2, "#666666", "failed otherwise"),
    "fits": (3, "#A8DCC9", "predicted to fit (from its fit)"),
    "over": (4, "#F2B38F", "predicted over the cap"),
    "unsure": (5, "#DDDDDD", "the sizes run cannot tell (extrapolated)"),
    "not run": (6, "#F7F7F7", "not run"),
}
CELL_PX = 44


def survival_grid(runs: pd.DataFrame, *, cap_mb: int, predicted: pd.DataFrame | None = None,
                  title: str | None = None) -> go.Figure:
    """Draw one row per strategy and one column per size, each cell's state coloured as its legend says.

    A cell's text gives a survivor's memory above baseline, the rows done when the cap killed it, or a
    prediction's memory (``≈``, and ``?`` when the sizes could not tell); with repeats, a cell is killed
    when any repeat was.
    """
    names = strategy_order(runs)
    guessed = predicted if predicted is not None else pd.DataFrame(columns=["strategy", "rows", "memory MiB", "state"])
    sizes = sorted(set(runs["rows"].unique()) | set(guessed["rows"].unique()))
    z, text = [], []
    for name in names:
        row_z, row_text = [], []
        for size in sizes:
            cell = runs[(runs["strategy"] == name) & (runs["rows"] == size)]
            guess = guessed[(guessed["strategy"] == name) & (guessed["rows"] == size)]
            state, label = _cell(cell) if len(cell) or guess.empty else _guess(guess.iloc[0])
            row_z.append(STATES[state][0])
            row_text.append(label)
        z.append(row_z)
        text.append(row_text)
    fig = go.Figure(go.Heatmap(
        z=z, x=[tick_text(s) for s in sizes], y=names, text=text, texttemplate="%{text}", textfont={"size": 11},
        zmin=0, zmax=len(STATES) - 1, colorscale=_bands([color for _code, color, _said in STATES.values()]),
        showscale=False, xgap=3, ygap=3, hovertemplate="%{y}<br>%{x} rows<br>%{text}<extra></extra>",
    ))
    present = {code for row in z for code in row}
    for code, color, said in STATES.values():  # the legend: one square per state drawn
        if code in present:
            fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", name=said, showlegend=True,
                                     marker={"symbol": "square", "size": 14, "color": color,
                                             "line": {"width": 1, "color": "#999"}}))
    titled(fig, title or f"Under a {cap_mb} MiB memory cap: measured and predicted, per table size", runs,
           height=max(380, 200 + CELL_PX * len(names)))
    fig.update_xaxes(title_text="rows in the table", type="category", categoryorder="array",
                     categoryarray=[tick_text(s) for s in sizes])
    fig.update_yaxes(autorange="reversed", automargin=True, type="category")
    fig.update_layout(legend={"title": {"text": "cell"}, "orientation": "h", "y": -0.12, "yanchor": "top", "x": 0},
                      plot_bgcolor="#ffffff", margin={"l": 20, "b": 120})
    return fig


def _cell(cell: pd.DataFrame) -> tuple[str, str]:
    if cell.empty:
        return "not run", "–"
    killed = cell[cell["status"] == "killed"]
    if len(killed):
        done = int(killed["rows_done"].min())
        return "killed", f"killed at {tick_text(done)}" if done else "killed at start"
    ok = cell[cell["status"] == "ok"]
    if len(ok) == len(cell):
        memory = "memory_above_baseline_mib" if "memory_above_baseline_mib" in ok else "peak_above_baseline_mib"
        return "survived", f"+{ok[memory].median():.0f} MiB"
    return "failed", ", ".join(sorted(set(cell["status"])))


def _guess(row: pd.Series) -> tuple[str, str]:
    return row["state"], f"≈ +{row['memory MiB']:.0f} MiB" + ("?" if row["state"] == "unsure" else "")


def _bands(palette: list[str]) -> list[list]:
    """Return a colour scale of flat bands, one per state, so each state keeps its colour whatever is present."""
    steps = []
    for index, color in enumerate(palette):
        steps += [[index / len(palette), color], [(index + 1) / len(palette), color]]
    return steps
