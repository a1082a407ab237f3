"""The lab table's shape (rows, payload bytes, seed): checked and named once for every entry point.

The generator in ``seed`` says what is wrong with a shape; this module turns that into the lab's
one-line :class:`~labproject.errors.BadInput`, and resolves preset names such as ``article``.
"""

from __future__ import annotations

from labproject.errors import BadInput
from seed import PRESETS, problem


def check_shape(rows: object, payload_bytes: object, seed: object, *, force: bool = False) -> None:
    """Refuse a table the generator cannot or should not make, with one line saying why."""
    wrong = problem(rows, payload_bytes, seed, force=force)
    if wrong:
        raise BadInput(wrong)


def resolve_size(rows: int | None, preset: str | None) -> int:
    """Return the row count asked for by ``rows`` or by a preset name, refusing both or neither."""
    if preset is not None:
        if rows is not None:
            raise BadInput("give --rows or --preset, not both")
        try:
            return PRESETS[preset]
        except KeyError:
            known = ", ".join(f"{k} ({v:,})" for k, v in PRESETS.items())
            raise BadInput(f"unknown preset {preset!r}; known presets: {known}") from None
    if rows is None:
        raise BadInput("give --rows N or --preset NAME")
    return rows
