"""A plotly renderer for notebooks that become offline pages: plotly.js inline once, no MathJax from a CDN.

plotly's own ``notebook`` renderer asks for MathJax from a CDN in every chart's HTML, which a page
opened with the network cut waits for. This one writes each chart with
``to_html(include_plotlyjs=False, include_mathjax=False)`` and embeds plotly.js once, when activated.
"""

from __future__ import annotations

import plotly.io as pio
from plotly.io.base_renderers import NotebookRenderer

NAME = "offline_notebook"


class OfflineNotebookRenderer(NotebookRenderer):
    """``notebook`` without the MathJax CDN script, embedding plotly.js at most once per kernel."""

    embedded = False

    def activate(self) -> None:
        if not OfflineNotebookRenderer.embedded:
            super().activate()
            OfflineNotebookRenderer.embedded = True

    def to_mimebundle(self, fig_dict: dict) -> dict:
        html = pio.to_html(fig_dict, config=self.config, include_plotlyjs=False, include_mathjax=False,
                           full_html=False, default_width="100%", default_height=525, validate=False)
        return {"text/html": html}


def install() -> None:
    """Register the renderer under ``offline_notebook`` and embed plotly.js in the current cell's output now.

    Embedding at once (in the bootstrap cell) keeps plotly.js out of any widget's output area,
    where an exported page would lose it.
    """
    renderer = pio.renderers[NAME] if NAME in pio.renderers else OfflineNotebookRenderer()
    pio.renderers[NAME] = renderer
    OfflineNotebookRenderer.embedded = False
    renderer.activate()
