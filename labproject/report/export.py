"""Export an executed notebook to one HTML page with no script from the network."""

from __future__ import annotations

from pathlib import Path

import nbformat

TEMPLATES = Path(__file__).resolve().parent / "templates"


def export_html(notebook: Path, target: Path) -> Path:
    """Write ``notebook`` as a self-contained page at ``target`` using the offline template."""
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name="offline", extra_template_basedirs=[str(TEMPLATES)])
    body, _resources = exporter.from_notebook_node(nbformat.read(notebook, as_version=4))
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(body, encoding="utf-8")
    return target
