"""``make lab``: JupyterLab on ``notebooks/``, with Django ready in every notebook, as root too.

Jupyter's server refuses to start as root ("Running as root is not recommended") unless it is
given ``--allow-root``; a Debian container and this lab's machines run everything as root, so the
flag is added there and one line says so. ``manage.py shell_plus --lab`` gets the same flag from
the settings' ``NOTEBOOK_ARGUMENTS`` and the same line from the lab's ``shell_plus`` command.

    python -m labproject.lab [any jupyter lab option...]
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
ROOT_NOTE = "running as root: passing --allow-root to JupyterLab, which refuses root without it"


def as_root() -> bool:
    """Tell whether this process runs with root's effective user id."""
    return os.geteuid() == 0


def root_arguments() -> list[str]:
    """Return ``["--allow-root"]`` under root, else nothing."""
    return ["--allow-root"] if as_root() else []


def command(extra: list[str]) -> list[str]:
    """Return the ``jupyter lab`` command line ``make lab`` runs, ``extra`` options last."""
    jupyter = Path(sys.executable).with_name("jupyter")
    return [str(jupyter), "lab", f"--notebook-dir={NOTEBOOKS}", *root_arguments(), *extra]


def main(argv: list[str] | None = None) -> None:
    """Replace this process with JupyterLab (so Ctrl-C and signals reach the server itself)."""
    extra = sys.argv[1:] if argv is None else argv
    if as_root():
        print(ROOT_NOTE, file=sys.stderr, flush=True)
    # ipykernel runs an event loop; Django's docs name Jupyter as the case for this flag.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    line = command(extra)
    os.execv(line[0], line)


if __name__ == "__main__":
    main()
