"""What ``run_strategy`` and ``compare`` share: run the specs, then print a table or a JSON list."""

from __future__ import annotations

import json
import sys

from labproject.bench.observers import ProgressBar
from labproject.bench.runner import compare
from labproject.bench.summary import format_table, summarize
from labproject.bench.tidy import runs_table
from labproject.cli import specs_from_options, timeout_option


def run_and_report(names: list[str], options: dict, stdout) -> int:
    """Run the named strategies as ``options`` say and write the outcome to ``stdout``; return an exit code."""
    specs = specs_from_options(names, options)
    # The bar is for people at a terminal; piped stderr gets only the lines that matter.
    on_terminal = sys.stderr.isatty()
    results = compare(specs, label=options["label"], observers=[ProgressBar(file=sys.stderr, disable=not on_terminal)],
                      timeout=timeout_option(options), seed_progress=on_terminal)
    if options["json"]:
        stdout.write(json.dumps([r.to_dict() for r in results]))
    else:
        spec = specs[0]
        stdout.write(
            f"{spec.rows:,} rows x {spec.payload_bytes} B on {spec.backend}, batch {spec.batch_size}, "
            f"DEBUG {'on' if spec.debug else 'off'}, probes {','.join(spec.probes)}; session {results[0].session}"
        )
        stdout.write(format_table(summarize(runs_table(results))))
    # A kill at the memory cap is a measurement (what a container would do); a crash or a wrong result is not.
    return 1 if any(r.status in ("error", "wrong") for r in results) else 0
