"""Named table sizes, so notebooks and commands speak of ``article`` rather than 50000."""

from __future__ import annotations

from labproject.errors import BadInput

PRESETS: dict[str, int] = {
    "tiny": 1_000,
    "article": 50_000,
    "large": 500_000,
    "huge": 5_000_000,
}


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
