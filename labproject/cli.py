"""Argument parsing shared by the management commands: values become typed, or one-line errors."""

from __future__ import annotations

from labproject.errors import BadInput
from labproject.shape import check_shape, resolve_size


def whole_number(option: str, text: str | int) -> int:
    """Parse ``text`` as an integer, naming ``option`` when it is not one."""
    try:
        return int(str(text).replace("_", "").replace(",", ""))
    except ValueError:
        raise BadInput(f"{option} must be a whole number, got {text!r}") from None


def name_list(text: str) -> list[str]:
    """Split a comma-separated option into its non-empty names."""
    return [part.strip() for part in str(text).split(",") if part.strip()]


def add_table_arguments(parser, rows_help: str) -> None:
    """Add the options that say which table to seed or measure on: size or preset, payload bytes, seed."""
    parser.add_argument("--rows", help=rows_help)
    parser.add_argument("--preset", help="tiny (1k), article (50k), large (500k) or huge (5M)")
    parser.add_argument("--payload-bytes", default="300", help="bytes of JSON per row (default 300)")
    parser.add_argument("--seed", default="1", help="random seed of the rows (default 1)")


def table_from_options(options: dict, default_rows: int | None = None) -> dict:
    """Return ``rows``, ``payload_bytes`` and ``seed`` from parsed options, as whole numbers."""
    rows = whole_number("--rows", options["rows"]) if options["rows"] is not None else None
    if rows is None and options["preset"] is None:
        rows = default_rows
    shape = {
        "rows": resolve_size(rows, options["preset"]),
        "payload_bytes": whole_number("--payload-bytes", options["payload_bytes"]),
        "seed": whole_number("--seed", options["seed"]),
    }
    check_shape(**shape, force=options.get("force", False))
    return shape
