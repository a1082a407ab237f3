"""Plotly's own controls (buttons, dropdowns, sliders) over precomputed traces: interactivity with no kernel."""

from __future__ import annotations

from collections.abc import Sequence

import plotly.graph_objects as go

ALL = "all"
MENU_GAP_PX = 28  # menus sit this far above the plot area, below the two-line title
SLIDER_ROOM_PX = 95  # extra bottom margin a slider needs under the x axis title


def visibility_menu(labels: Sequence[str], masks: Sequence[Sequence[bool]], *, active: int = 0) -> dict:
    """Return a dropdown (top right) whose entries show only the traces their mask marks visible."""
    return {
        "type": "dropdown", "direction": "down", "active": active, "x": 1.0, "xanchor": "right",
        "showactive": True,
        "buttons": [{"label": label, "method": "restyle", "args": [{"visible": list(mask)}]}
                    for label, mask in zip(labels, masks, strict=True)],
    }


def choice_masks(keys: Sequence[str], choices: Sequence[str], *, with_all: bool = True) -> tuple[list, list]:
    """Return (labels, masks) choosing traces by key: optionally "all", then each choice alone."""
    labels = ([ALL] if with_all else []) + list(choices)
    masks = [[True] * len(keys)] if with_all else []
    masks += [[key == choice for key in keys] for choice in choices]
    return labels, masks


def button_row(buttons: Sequence[dict], *, active: int = 0) -> dict:
    """Return a row of buttons (top left), each a ready ``{"label", "method", "args"}`` dict."""
    return {"type": "buttons", "direction": "right", "active": active, "x": 0.0, "xanchor": "left",
            "showactive": True, "buttons": list(buttons)}


def highlight_slider(keys: Sequence[int], *, prefix: str, faded: float = 0.12) -> dict:
    """Return a slider that brings one key's traces forward and fades the rest (or shows all).

    It changes opacity, not visibility, so it composes with a visibility dropdown.
    """
    values = list(dict.fromkeys(keys))
    steps = [{"label": ALL, "method": "restyle", "args": [{"opacity": [1.0] * len(keys)}]}]
    steps += [{"label": str(value + 1), "method": "restyle",
               "args": [{"opacity": [1.0 if key == value else faded for key in keys]}]} for value in values]
    return {"active": 0, "currentvalue": {"prefix": prefix}, "len": 0.4, "x": 0.0, "yanchor": "top",
            "steps": steps}


def attach(fig: go.Figure, menus: Sequence[dict] = (), sliders: Sequence[dict] = ()) -> go.Figure:
    """Add menus in one row above the plot area and sliders under the x axis.

    Paper coordinates scale with the plot area, so pixel offsets are converted with the figure's
    fixed height and margins (set by ``context.titled``).
    """
    margin = fig.layout.margin
    bottom = margin.b + (SLIDER_ROOM_PX if sliders else 0)
    area = fig.layout.height - margin.t - bottom
    row = 1 + MENU_GAP_PX / area
    fig.update_layout(
        updatemenus=[{**menu, "y": row, "yanchor": "bottom"} for menu in menus],
        sliders=[{**slider, "y": -(margin.b - 10) / area} for slider in sliders],
        margin={"b": bottom},
    )
    return fig
