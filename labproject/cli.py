"""Argument parsing shared by the management commands: values become typed, or one-line errors."""

from __future__ import annotations

from labproject.errors import BadInput


def whole_number(option: str, text: str | int) -> int:
    """Parse ``text`` as an integer, naming ``option`` when it is not one."""
    try:
        return int(str(text).replace("_", "").replace(",", ""))
    except ValueError:
        raise BadInput(f"{option} must be a whole number, got {text!r}") from None


def name_list(text: str) -> list[str]:
    """Split a comma-separated option into its non-empty names."""
    return [part.strip() for part in str(text).split(",") if part.strip()]
