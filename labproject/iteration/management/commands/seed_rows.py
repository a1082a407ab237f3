"""``manage.py seed_rows``: load the lab table with deterministic JSON rows."""

import sys

from django.core.management.base import BaseCommand

from labproject.cli import whole_number
from seed import PayloadSpec, resolve_size, seed_table


class Command(BaseCommand):
    help = "Load SomeModel with N deterministic JSON rows (a no-op when the table already holds them)."

    def add_arguments(self, parser):
        parser.add_argument("--rows", help="number of rows (or use --preset)")
        parser.add_argument("--preset", help="tiny (1k), article (50k), large (500k) or huge (5M)")
        parser.add_argument("--payload-bytes", default="300", help="bytes of JSON per row (default 300)")
        parser.add_argument("--seed", default="1", help="random seed (default 1)")
        parser.add_argument("--force", action="store_true", help="allow more than 50M rows; reload even if seeded")
        parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")

    def handle(self, *args, **options):
        rows = whole_number("--rows", options["rows"]) if options["rows"] is not None else None
        spec = PayloadSpec(
            rows=resolve_size(rows, options["preset"]),
            payload_bytes=whole_number("--payload-bytes", options["payload_bytes"]),
            seed=whole_number("--seed", options["seed"]),
            force=options["force"],
        )
        outcome = seed_table(spec, progress=not options["no_progress"], out=sys.stderr, force=options["force"])
        self.stdout.write(outcome.message())
