"""``python -m labproject.report``: execute the notebooks and write the offline HTML report."""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import datetime
from pathlib import Path

from labproject.report.catalog import PAGES, SERVER_CHOICES
from labproject.report.progress import ReportProgress, load_durations, record_duration
from labproject.studies.reuse import REPORT_SINCE_ENV


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mode", choices=["quick", "full"], default="full", help="quick is what the tests run")
    parser.add_argument("--out", default="reports", help="folder for the HTML pages (default reports/)")
    parser.add_argument("--only", default="", help="comma-separated notebook stems to run (default all)")
    parser.add_argument("--servers", choices=SERVER_CHOICES, default="main",
                        help="main (default): the main report, on SQLite, with PostgreSQL beside it where a page's "
                             "answer needs it (the decision chart); auto: the pages also measure PostgreSQL, MariaDB "
                             "and PgBouncer wherever they can (about twice as long); off: SQLite only")
    parser.add_argument("--no-wait", action="store_true",
                        help="exit at once (naming the holder) when another command measures on this database")
    args = parser.parse_args(argv)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "labproject.settings")
    from labproject.errors import exit_code_of

    return exit_code_of(lambda: build(args))


def build(args: argparse.Namespace) -> int:
    """Build the report under the lab lock; its notebooks' kernels run beneath it, so they do not wait for it."""
    import django

    django.setup()
    from labproject.iteration.lock import lab_lock

    with lab_lock(wait=not args.no_wait):
        return _build(args)


def _build(args: argparse.Namespace) -> int:
    """Execute and export the pages ``args`` name, then write the index; return the exit code."""
    import django

    django.setup()
    from labproject.engine.environment import describe
    from labproject.errors import BadInput
    from labproject.iteration.readiness import ensure_ready
    from labproject.report.execute import execute
    from labproject.report.export import export_html
    from labproject.report.index import write_index

    ensure_ready()
    # The pages may quote runs an earlier page of this report made (studies.reuse), never older ones.
    os.environ[REPORT_SINCE_ENV] = datetime.now().strftime("%Y%m%d-%H%M%S")
    environment = describe().to_dict()
    wanted = {s for s in args.only.split(",") if s}
    unknown = wanted - {p.stem for p in PAGES}
    if unknown:
        raise BadInput(f"unknown notebook(s) {sorted(unknown)}; known: {[p.stem for p in PAGES]}")
    out = Path(args.out)
    chosen = [page for page in PAGES if not wanted or page.stem in wanted]
    # Durations are kept per way of running: with the servers a page takes about twice as long.
    run_as = args.mode if args.servers == "main" else f"{args.mode}, servers {args.servers}"
    progress = ReportProgress([p.stem for p in chosen], load_durations(out, run_as))
    started = time.perf_counter()
    done = []
    try:
        for page in chosen:
            progress.page_started(page.stem, args.mode)
            result = execute(page, args.mode, out / "executed", servers=args.servers)
            if result.notebook.exists():
                export_html(result.notebook, out / f"{page.stem}.html")
            if not result.error:
                record_duration(out, run_as, page.stem, result.seconds)
            status = f"FAILED: {result.error}" if result.error else "ok"
            progress.page_finished(page.stem, f"  {page.stem}: {status} in {result.seconds:.0f} s")
            done.append(result)
    finally:
        progress.close()
    index = write_index(out, done, environment, args.mode, time.perf_counter() - started, servers=args.servers)
    print(f"wrote {index}", file=sys.stderr)
    return 1 if any(r.error for r in done) else 0


if __name__ == "__main__":
    sys.exit(main())
