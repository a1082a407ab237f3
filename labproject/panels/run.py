"""The Run panel: choose size, strategies, probes, batch size, DEBUG and a memory cap; run; watch it live."""

from __future__ import annotations

import html

import ipywidgets as widgets
from IPython.display import display

from labproject.charts import standard_charts
from labproject.engine import measure
from labproject.engine.measured import Measured
from labproject.engine.spec import PROBES
from labproject.errors import LabError
from labproject.panels.live import LiveChart

WIDE = {"description_width": "9rem"}


class RunPanel(widgets.VBox):
    """A form whose Run button compares the chosen strategies, each repeat in a fresh worker.

    While it runs: a progress bar, and a live RSS chart that grows. Afterwards: the standard charts
    of the batch. Results land in the store as each run ends; interrupting the kernel kills the
    running worker and keeps what finished. ``run()`` does the same from code (and headless).
    """

    def __init__(self, *, rows: int = 3000, strategies: list[str] | None = None, probes: list[str] = (),
                 batch_size: int = 1000, repeats: int = 1, debug: bool = False, memory_cap_mb: int | None = None,
                 payload_bytes: int = 300, label: str = "playground", database_url: str = "") -> None:
        self.label = label
        self.database = widgets.Dropdown(options=database_choices(database_url), value=database_url,
                                         description="database", style=WIDE, layout={"width": "34rem"})
        names = _strategies_for(self.database.value)
        self.rows = widgets.BoundedIntText(value=rows, min=1, max=50_000_000, description="rows", style=WIDE)
        self.payload = widgets.BoundedIntText(value=payload_bytes, min=1, max=1 << 20,
                                              description="payload bytes", style=WIDE)
        self.batch_size = widgets.BoundedIntText(value=batch_size, min=1, max=1_000_000, description="batch size",
                                                 style=WIDE)
        self.repeats = widgets.BoundedIntText(value=repeats, min=1, max=20, description="repeats", style=WIDE)
        self.cap = widgets.BoundedIntText(value=memory_cap_mb or 0, min=0, max=1 << 20, style=WIDE,
                                          description="memory cap MiB", tooltip="0: no cap")
        self.debug = widgets.Checkbox(value=debug, description="DEBUG (Django keeps every query's SQL)", indent=False,
                                      layout={"width": "auto"})
        self.strategies = widgets.SelectMultiple(options=names, value=tuple(strategies or measure.article_strategies()),
                                                 rows=min(12, len(names)), description="strategies", style=WIDE,
                                                 layout={"width": "24rem"})
        self.probes = widgets.SelectMultiple(options=[p for p in PROBES if p != "rss"], value=tuple(probes), rows=3,
                                             description="probes (+ rss)", style=WIDE, layout={"width": "24rem"})
        self.database.observe(self._database_changed, names="value")
        self.button = widgets.Button(description="Run", button_style="primary", icon="play")
        self.status = widgets.HTML("interrupt the kernel to stop a run")
        self.progress = widgets.Output()
        self.live = LiveChart()
        self.charts = widgets.Output()
        self.button.on_click(self._clicked)
        form = widgets.HBox([
            widgets.VBox([self.rows, self.payload, self.batch_size, self.repeats, self.cap, self.debug]),
            widgets.VBox([self.strategies, self.probes]),
        ])
        super().__init__([self.database, form, widgets.HBox([self.button, self.status]), self.progress,
                          self.live.figure, self.charts])

    def plan(self) -> list:
        """Return the specs the form describes (validated: a bad value raises ``BadInput``)."""
        return measure.specs(self.strategies.value, rows=self.rows.value, repeats=self.repeats.value,
                           probes=self.probes.value, payload_bytes=self.payload.value,
                           batch_size=self.batch_size.value, debug=self.debug.value,
                           memory_cap_mb=self.cap.value or None, database_url=self.database.value)

    def run(self, *, in_panel: bool = False) -> Measured:
        """Run what the form says, with the progress bar and the live chart; return the batch.

        From a cell the progress bar goes to the cell's output; from the button (``in_panel``) into
        the panel, since a widget callback has no cell to write to.
        """
        self.button.disabled = True
        self.status.value = "running..."
        try:
            measured = self._measure(in_panel)
        except KeyboardInterrupt:
            self.status.value = "interrupted before any run started"
            raise
        except LabError as exc:
            self.status.value = f"<b>{html.escape(str(exc))}</b>"
            raise
        finally:
            self.button.disabled = False
        session = measured.results[0].session if measured.results else "-"
        self.status.value = f"{len(measured.results)} run(s) stored in session {html.escape(session)}"
        return measured

    def _measure(self, in_panel: bool) -> Measured:
        where = {"label": self.label, "observers": [self.live], "database_url": self.database.value}
        if not in_panel:
            return measure.run(self.plan(), **where)
        self.progress.clear_output()
        caught: BaseException | None = None
        with self.progress:
            try:
                return measure.run(self.plan(), **where)
            except BaseException as exc:  # an Output widget would print it and swallow it: carry it out
                caught = exc
        raise caught

    def _database_changed(self, change) -> None:
        """Offer the strategies the chosen database supports, keeping the chosen ones that still apply."""
        names = _strategies_for(change["new"])
        kept = tuple(name for name in self.strategies.value if name in names)
        self.strategies.options = names
        self.strategies.value = kept

    def _clicked(self, _button) -> None:
        """Run, then draw the batch's charts under the form; errors stay one line in the status."""
        try:
            measured = self.run(in_panel=True)
        except (LabError, KeyboardInterrupt):
            return  # run() has put the one-line reason in the status
        self.charts.clear_output(wait=True)
        with self.charts:
            for figure in standard_charts(*measured.tables):
                display(figure)


def database_choices(extra_url: str = "") -> list[tuple[str, str]]:
    """Return (label, DATABASE_URL) pairs: the kernel's database, the lab's running PostgreSQL, ``extra_url``.

    An empty URL means this kernel's own database; labels never show a password.
    """
    from labproject.database import redact
    from labproject.iteration.readiness import describe_connection
    from labproject.servers.postgres import DEFAULT_ROOT, LabServer, find_binaries

    choices = [(f"this kernel's: {describe_connection()}", "")]
    try:
        server = LabServer(DEFAULT_ROOT, find_binaries())
        if server.running():
            choices.append((f"the lab's PostgreSQL server ({server.where})", server.url()))
    except LabError:
        pass  # no PostgreSQL binaries or no usable cluster: only the kernel's database is offered
    if extra_url and extra_url not in {url for _, url in choices}:
        choices.append((redact(extra_url), extra_url))
    return choices


def _strategies_for(database_url: str) -> list[str]:
    from labproject import strategies as registry

    backend = measure.backend_of(database_url)
    return [s.name for s in registry.applicable(backend, experiments=True, peers=True)]
