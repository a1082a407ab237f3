"""Strategies' code as a page shows it: each function's source, side by side, exactly as registered.

The article's five loops are shown from the strategies themselves (``inspect.getsource``), so the page
can never show code other than what was measured.
"""

from __future__ import annotations

import html
import inspect
from collections.abc import Sequence


def source(name: str) -> str:
    """Return the source of strategy ``name``'s function, without its registration decorator.

    A private helper of the same module it calls (the Paginator's page loop) is shown after it.
    """
    from labproject import strategies

    run = strategies.get(name).run
    helpers = [found for called in run.__code__.co_names if called.startswith("_")
               and inspect.isfunction(found := run.__globals__.get(called)) and found.__module__ == run.__module__]
    return "\n\n".join(_undecorated(f) for f in (run, *helpers))


def _undecorated(func) -> str:
    lines = inspect.getsource(func).splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("def "))
    return "\n".join(lines[start:])


def side_by_side(names: Sequence[str]) -> str:
    """Return an HTML grid with one captioned code block per strategy (method number, name, title)."""
    from labproject import strategies

    blocks = []
    for name in names:
        found = strategies.get(name)
        label = f"method {found.method}: " if found.method else ""
        blocks.append(f"<figure><figcaption><strong>{html.escape(label)}<code>{html.escape(name)}</code></strong> "
                      f"{html.escape(found.title)}</figcaption><pre><code>{html.escape(source(name))}</code></pre>"
                      "</figure>")
    return f'<div class="lab-code-grid">{"".join(blocks)}</div>'
