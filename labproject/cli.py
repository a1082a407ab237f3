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


def add_table_arguments(parser, rows_help: str) -> None:
    """Add the options that say which table to seed or measure on: size or preset, payload bytes, seed."""
    parser.add_argument("--rows", help=rows_help)
    parser.add_argument("--preset", help="tiny (1k), article (50k), large (500k) or huge (5M)")
    parser.add_argument("--payload-bytes", default="300", help="bytes of JSON per row (default 300)")
    parser.add_argument("--seed", default="1", help="random seed of the rows (default 1)")


def table_from_options(options: dict, default_rows: int | None = None) -> dict:
    """Return ``rows``, ``payload_bytes`` and ``seed`` from parsed options, as whole numbers."""
    from seed import resolve_size

    rows = whole_number("--rows", options["rows"]) if options["rows"] is not None else None
    if rows is None and options["preset"] is None:
        rows = default_rows
    return {
        "rows": resolve_size(rows, options["preset"]),
        "payload_bytes": whole_number("--payload-bytes", options["payload_bytes"]),
        "seed": whole_number("--seed", options["seed"]),
    }


def add_run_arguments(parser) -> None:
    """Add the options every measuring command shares (table, batch, probes, cap, DEBUG, output)."""
    add_table_arguments(parser, "table size (default 50000, the article's)")
    parser.add_argument("--batch-size", default="1000", help="chunk/page/batch size (default 1000)")
    parser.add_argument("--repeats", default="1", help="runs per strategy, each in a fresh process")
    parser.add_argument("--probes", default="rss", help="comma list of rss,tracemalloc,pympler,queries,memray")
    parser.add_argument("--memory-cap-mb", help="SIGKILL a worker whose process tree's RSS passes this")
    parser.add_argument("--debug", action="store_true", help="run the workers with DEBUG=True")
    parser.add_argument("--no-server-side-cursors", action="store_true",
                        help="set DISABLE_SERVER_SIDE_CURSORS (PostgreSQL), as behind a transaction pooler")
    parser.add_argument("--partitions", help="worker processes for partitioned strategies (default: cores)")
    parser.add_argument("--timeout", help="seconds after which a run is killed and recorded as an error")
    parser.add_argument("--label", default="", help="a word to put in the session folder's name")
    parser.add_argument("--force", action="store_true", help="allow tables above the 50M-row ceiling")
    parser.add_argument("--json", action="store_true", help="print the runs as a JSON list on stdout, nothing else")


def specs_from_options(names: list[str], options: dict) -> list:
    """Build one validated RunSpec per strategy name from parsed command options."""
    from django.db import connection

    from labproject.bench.spec import RunSpec

    common = {
        **table_from_options(options, default_rows=50_000),
        "backend": connection.vendor,
        "batch_size": whole_number("--batch-size", options["batch_size"]),
        "repeats": whole_number("--repeats", options["repeats"]),
        "probes": tuple(name_list(options["probes"])),
        "debug": options["debug"],
        "server_side_cursors": not options["no_server_side_cursors"],
        "force": options["force"],
    }
    if options["memory_cap_mb"] is not None:
        common["memory_cap_mb"] = whole_number("--memory-cap-mb", options["memory_cap_mb"])
    if options["partitions"] is not None:
        common["partitions"] = whole_number("--partitions", options["partitions"])
    if not names:
        raise BadInput("name at least one strategy")
    return [RunSpec(strategy=name, **common) for name in names]


def timeout_option(options: dict) -> float | None:
    """Return the --timeout option in seconds, or None."""
    return None if options["timeout"] is None else float(whole_number("--timeout", options["timeout"]))
