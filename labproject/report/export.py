"""Export an executed notebook to one HTML page with no script from the network."""

from __future__ import annotations

from pathlib import Path

import nbformat

TEMPLATES = Path(__file__).resolve().parent / "templates"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def export_html(notebook: Path, target: Path) -> Path:
    """Write ``notebook`` as a self-contained page at ``target`` using the offline template."""
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name="offline", extra_template_basedirs=[str(TEMPLATES)])
    nb = nbformat.read(notebook, as_version=4)
    # Widgets (progress bars, live charts, panels) need a kernel to mean anything: a page would show
    # their text stand-in (a progress bar frozen at 0%) and carry their state in its footer.
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        if "outputs" in cell:
            cell.outputs = [o for o in cell.outputs if WIDGET_VIEW not in o.get("data", {})]
    body, _resources = exporter.from_notebook_node(nb)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(body, encoding="utf-8")
    return target
