"""The explorer: pick a stored session, size, probes, strategies, repeat, x axis and metric; charts redraw."""

from __future__ import annotations

import ipywidgets as widgets
import plotly.graph_objects as go

from labproject.charts import PEAK_METRICS, memory_timeline, peak_and_time
from labproject.engine.measured import Measured
from labproject.engine.store import ResultStore

WIDE = {"description_width": "6rem"}


class Explorer(widgets.VBox):
    """Redraw the memory timeline and the peak/time chart from stored results as the choices change.

    The charts are the same functions the report uses, with ``controls=False``: here the widgets
    choose, and only what is chosen is drawn. They are drawn into FigureWidgets, updated in place,
    rather than displayed into an Output widget, which headless executors handle poorly.
    """

    def __init__(self, session: str | None = None, *, store: ResultStore | None = None) -> None:
        self.store = store or ResultStore()
        sessions = self.store.sessions()[::-1]
        self.session = widgets.Dropdown(options=sessions, value=session or (sessions[0] if sessions else None),
                                        description="session", style=WIDE, layout={"width": "32rem"})
        self.size = widgets.Dropdown(description="rows", style=WIDE)
        self.probes = widgets.Dropdown(description="probes", style=WIDE)
        self.strategies = widgets.SelectMultiple(description="strategies", rows=6, style=WIDE)
        self.repeat = widgets.Dropdown(description="repeat", style=WIDE)
        self.x = widgets.ToggleButtons(options=[("time (s)", "seconds"), ("rows done", "rows_done")],
                                       description="x axis", style=WIDE)
        self.metric = widgets.Dropdown(options=[(label, key) for key, label in PEAK_METRICS.items()],
                                       description="metric", style=WIDE)
        self.note = widgets.HTML()
        self.timeline = go.FigureWidget()
        self.spread = go.FigureWidget()
        self.measured = Measured([])
        self._refilling = False  # options being replaced: one redraw at the end, not one per widget
        self.session.observe(self._load, "value")
        for choice in (self.size, self.probes):
            choice.observe(self._narrow, "value")
        for choice in (self.strategies, self.repeat, self.x, self.metric):
            choice.observe(self.redraw, "value")
        super().__init__([
            self.session,
            widgets.HBox([widgets.VBox([self.size, self.probes, self.repeat, self.metric]), self.strategies]),
            self.x, self.note, self.timeline, self.spread,
        ])
        self._load()

    def chosen(self) -> Measured:
        """Return the stored runs of the chosen size and probe set."""
        return self.measured.where(rows=self.size.value, probes=list(self.probes.value or ()))

    def redraw(self, _change=None) -> None:
        """Draw the timeline and the peak/time chart for what is chosen."""
        if self._refilling:
            return
        chosen = self.chosen()
        picked = list(self.strategies.value)
        if not chosen.results or not picked:
            self.note.value = "nothing stored matches these choices"
            return
        self.note.value = ""
        _replace(self.timeline, memory_timeline(chosen.samples, chosen.runs, x=self.x.value, strategies=picked,
                                                repeat=self.repeat.value, controls=False))
        _replace(self.spread, peak_and_time(chosen.runs, metric=self.metric.value, strategies=picked,
                                            controls=False))

    def _load(self, _change=None) -> None:
        self.measured = Measured.load(self.session.value, store=self.store) if self.session.value else Measured([])
        results = self.measured.results
        self._refilling = True
        try:
            sizes = sorted({r.rows for r in results})
            self.size.options = sizes
            self.size.value = sizes[-1] if sizes else None
            probe_sets = list(dict.fromkeys(tuple(r.probes) for r in results))
            self.probes.options = [("+".join(p), p) for p in probe_sets]
            self.probes.value = probe_sets[0] if probe_sets else None
        finally:
            self._refilling = False
        self._narrow()

    def _narrow(self, _change=None) -> None:
        if self._refilling:
            return
        results = self.chosen().results
        names = list(dict.fromkeys(r.strategy for r in results))
        self._refilling = True
        try:
            self.strategies.options = names
            self.strategies.value = tuple(names)
            self.repeat.options = [("all", None)] + [(str(n + 1), n) for n in sorted({r.repeat for r in results})]
            self.repeat.value = None
        finally:
            self._refilling = False
        self.redraw()


def _replace(widget: go.FigureWidget, figure: go.Figure) -> None:
    """Show ``figure`` in ``widget``: its traces and its layout, in one update."""
    with widget.batch_update():
        widget.data = []
        widget.add_traces(list(figure.data))
        widget.layout = figure.layout
