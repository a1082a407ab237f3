"""What ``run_strategy`` and ``compare`` share: run the specs, then print a table or a JSON list."""

from __future__ import annotations

import json
import sys

from labproject.cli import add_table_arguments, name_list, table_from_options, whole_number
from labproject.engine.observers import ProgressBar
from labproject.engine.runner import compare
from labproject.engine.spec import RunSpec
from labproject.engine.summary import format_table, summarize
from labproject.engine.tidy import runs_table
from labproject.errors import BadInput, RunsFailed


def add_run_arguments(parser) -> None:
    """Add the options every measuring command shares (table, batch, probes, cap, DEBUG, output)."""
    add_table_arguments(parser, "table size (default 50000, the article's)")
    parser.add_argument("--target", default="lab",
                        help="what to walk: lab (default), invoices, or your own as package.module:attribute")
    parser.add_argument("--batch-size", default="1000", help="chunk/page/batch size (default 1000)")
    parser.add_argument("--repeats", default="1", help="runs per strategy, each in a fresh process")
    parser.add_argument("--probes", default="rss", help="comma list of rss,tracemalloc,pympler,queries,memray")
    parser.add_argument("--memory-cap-mb", help="SIGKILL a worker whose process tree's RSS passes this")
    parser.add_argument("--debug", action="store_true", help="run the workers with DEBUG=True")
    cursors = parser.add_mutually_exclusive_group()
    cursors.add_argument("--no-server-side-cursors", action="store_true",
                         help="set DISABLE_SERVER_SIDE_CURSORS (PostgreSQL), as behind a transaction pooler")
    cursors.add_argument("--server-side-cursors", action="store_true",
                         help="keep them on even behind a transaction pooler (to see what Django's rule prevents)")
    parser.add_argument("--partitions", help="worker processes for partitioned strategies (default: cores)")
    parser.add_argument("--timeout", help="seconds after which a run is killed and recorded as an error")
    parser.add_argument("--label", default="", help="a word to put in the session folder's name")
    parser.add_argument("--force", action="store_true", help="allow tables above the 50M-row ceiling")
    parser.add_argument("--json", action="store_true", help="print the runs as a JSON list on stdout, nothing else")
    add_wait_argument(parser)


def add_wait_argument(parser) -> None:
    """Add ``--no-wait``: refuse at once, naming the holder, when another command holds the lab lock."""
    parser.add_argument("--no-wait", action="store_true",
                        help="exit at once (naming the holder) when another command measures on this database")


def specs_from_options(names: list[str], options: dict) -> list:
    """Build one validated RunSpec per strategy name from parsed command options."""
    from django.db import connection

    from labproject.database import pooler_of

    common = {
        **table_from_options(options, default_rows=50_000),
        "backend": connection.vendor,
        "target": options["target"],
        "batch_size": whole_number("--batch-size", options["batch_size"]),
        "repeats": whole_number("--repeats", options["repeats"]),
        "probes": tuple(name_list(options["probes"])),
        "debug": options["debug"],
        # None: what Django does on this database (off behind a transaction pooler and on MySQL)
        "server_side_cursors": False if options["no_server_side_cursors"] else options["server_side_cursors"] or None,
        "pooler": pooler_of(connection.settings_dict),
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


def run_and_report(names: list[str], options: dict, stdout) -> None:
    """Run the named strategies as ``options`` say and write the outcome to ``stdout``.

    Raises :class:`RunsFailed` after writing it when a run crashed or came back wrong.
    """
    specs = specs_from_options(names, options)
    # The bar is for people at a terminal; piped stderr gets only the lines that matter.
    on_terminal = sys.stderr.isatty()
    results = compare(specs, label=options["label"], observers=[ProgressBar(file=sys.stderr, disable=not on_terminal)],
                      timeout=timeout_option(options), seed_progress=on_terminal, wait=not options["no_wait"])
    if options["json"]:
        stdout.write(json.dumps([r.to_dict() for r in results]))
    else:
        spec = specs[0]
        stdout.write(
            f"{spec.rows:,} rows x {spec.payload_bytes} B on {spec.backend}"
            f"{f' through a {spec.pooler} pooler' if spec.pooler else ''}, batch {spec.batch_size}, "
            f"DEBUG {'on' if spec.debug else 'off'}, probes {','.join(spec.probes)}; session {results[0].session}"
        )
        stdout.write(format_table(summarize(runs_table(results))))
    # A kill at the memory cap is a measurement (what a container would do); a crash or a wrong result is not.
    failed = [r for r in results if r.status in ("error", "wrong")]
    if failed:
        first = next((r for r in failed if r.error), None)
        raise RunsFailed(f"{len(failed)} of {len(results)} run(s) ended in error or wrong: "
                         + ", ".join(sorted({f"{r.strategy} {r.status}" for r in failed}))
                         + (f"; first: {first.strategy} #{first.repeat + 1}: {first.error}" if first else ""))
