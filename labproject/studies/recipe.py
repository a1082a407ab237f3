"""Run a management command written in a notebook, as ``manage.py`` would, and check its work in SQL.

The notebook writes the command a reader should copy to a file; :func:`run_command_file` runs its
``Command`` in a fresh interpreter (``python -m labproject.studies.recipe FILE``) against the lab
table, after resetting the column as every measured run does, and returns its time, its memory
(kernel high-water mark above the interpreter's baseline) and the SQL verification.
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from labproject.errors import WorkerFailed
from labproject.processes import last_line
from labproject.units import MIB


def run_command_file(path: Path | str, *, database_url: str | None = None, target: str = "lab", **options) -> dict:
    """Run ``path``'s ``Command`` with ``options`` in a fresh process; return what it did and what SQL found.

    ``database_url`` runs it on another database than this kernel's (seeded as the engine's runs left it);
    ``target`` names the lab table it walks, reset before and verified after.
    """
    command = [sys.executable, "-m", "labproject.studies.recipe", str(path), "--target", target,
               "--options", json.dumps(options)]
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "labproject.settings")}
    if database_url:
        env["DATABASE_URL"] = database_url
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    done = subprocess.run(command, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    try:
        return json.loads(done.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        raise WorkerFailed(f"the command in {path} failed: {last_line(done.stderr, f'exit code {done.returncode}')}") \
            from None


def describe(outcome: dict) -> str:
    """Say what the command did and whether SQL agrees, in one line."""
    verdict = "every row right" if outcome["rows_wrong"] == 0 and outcome["rows_verified"] == outcome["rows"] else \
        f"{outcome['rows_wrong']:,} rows wrong or missing"
    reader = (f" (its helper process: {outcome['helpers_peak_mib']:.0f} MiB RSS at most, most of it shared "
              "with the command's)") if outcome.get("helpers_peak_mib") else ""
    return (f"on {outcome['backend']} the command updated {outcome['rows']:,} rows in {outcome['seconds']:.2f} s with "
            f"method {outcome.get('method') or '?'}, peak {outcome['peak_above_baseline_mib']:.1f} MiB above its "
            f"baseline{reader}; checked in SQL: {verdict} "
            f"({outcome['rows_verified']:,} verified). It said: {outcome['said']}")


def _load(path: Path):
    spec = importlib.util.spec_from_file_location(f"lab_recipe_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run a command file's Command against the lab table and verify it.")
    parser.add_argument("path", type=Path)
    parser.add_argument("--options", default="{}", help="the command's options as a JSON object")
    parser.add_argument("--target", default="lab", help="the lab target the command walks (reset, then verified)")
    args = parser.parse_args(argv)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from labproject.database import pooler_of
    from labproject.engine import memory
    from labproject.engine.tidy import setup_name
    from labproject.engine.worker import prepare_table
    from labproject.iteration.lock import lab_lock
    from labproject.iteration.targets import get_target
    from labproject.walk.verification import verify

    target = get_target(args.target)
    with lab_lock():  # it resets and walks a lab table like any measured run
        prepare_table(target, connection.vendor)
        command = _load(args.path).Command()
        baseline = memory.rss_bytes()
        memory.reset_peak()
        said = io.StringIO()
        started = time.perf_counter()
        call_command(command, stdout=said, **json.loads(args.options))
        seconds = time.perf_counter() - started
        peak = memory.peak_rss_bytes()
        checked = verify(target)
    summary = getattr(command, "summary", None)
    where = setup_name(connection.vendor, pooler_of(connection.settings_dict))  # the floor table's setup
    print(json.dumps({"backend": where, "rows": checked.total, "rows_verified": checked.right,
                      "rows_wrong": checked.wrong, "seconds": seconds,
                      "peak_above_baseline_mib": (peak - baseline) / MIB,
                      "method": summary.method if summary else None,
                      "helpers_peak_mib": summary.helpers_peak_rss_bytes / MIB if summary else 0.0,
                      "said": said.getvalue().strip()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
