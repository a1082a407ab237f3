"""One call at the top of every notebook: Django, shell_plus's imports, and charts that survive export.

    from labproject.notebook import start
    start()
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import sys

# Keeps the mimetype for JupyterLab and adds HTML for exported pages, with plotly.js embedded once
# (in the bootstrap cell's output) and no MathJax from a CDN: nbconvert cannot draw the mimetype
# alone, "notebook_connected" needs a CDN, and plain "notebook" asks a CDN for MathJax in every chart.
REPORT_RENDERER = "plotly_mimetype+offline_notebook"


def start(*, settings: str = "labproject.settings", quiet: bool = True) -> dict:
    """Set Django up for this kernel and push shell_plus's imports into the notebook namespace.

    Works in JupyterLab and headless (papermill, nbclient) with the standard ``python3``
    kernel, whatever the working directory, because the project is installed into the venv.
    Returns a few facts about the lab (database, DEBUG) for the notebook to print.
    """
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", settings)
    # ipykernel runs an asyncio event loop in the kernel's thread, and Django 5.2 then raises
    # SynchronousOnlyOperation on the first query. Django's docs name Jupyter as the case for this flag.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    import django

    django.setup()
    _log_to_stdout()
    _load_shell_plus(quiet)
    import plotly.io as pio

    from labproject.report import renderer

    chosen = os.environ.get("PLOTLY_RENDERER", REPORT_RENDERER)
    if renderer.NAME in chosen.split("+"):
        renderer.install()
    pio.renderers.default = chosen
    from django.conf import settings as django_settings

    from labproject.iteration.readiness import describe_connection

    return {"database": describe_connection(), "debug": django_settings.DEBUG}


def _log_to_stdout() -> None:
    """Show the lab's informational lines (seeded, migrated) as ordinary output: a notebook draws stderr red."""
    for handler in logging.getLogger("labproject").handlers:
        if isinstance(handler, logging.StreamHandler) and handler.stream is not sys.stdout:
            handler.setStream(sys.stdout)


def _load_shell_plus(quiet: bool) -> None:
    """Load django-extensions' notebook extension (models, Q, F, transaction...) when in IPython."""
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is None:
        return
    sink = io.StringIO() if quiet else None
    with contextlib.redirect_stdout(sink) if sink else contextlib.nullcontext():
        shell.run_line_magic("load_ext", "django_extensions.management.notebook_extension")
