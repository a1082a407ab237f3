"""``manage.py seed_rows``: load the lab table with deterministic JSON rows."""

import sys

from labproject.cli import add_table_arguments, table_from_options
from labproject.commands import LabCommand
from labproject.engine.command import add_wait_argument
from labproject.iteration.seeding import seed_table
from seed import PayloadSpec


class Command(LabCommand):
    help = "Load a lab table (SomeModel or Invoice) with N deterministic rows (a no-op when they are there)."

    def add_arguments(self, parser):
        add_table_arguments(parser, "number of rows (or use --preset)")
        parser.add_argument("--target", default="lab", help="which lab table: lab (SomeModel, default) or invoices")
        parser.add_argument("--force", action="store_true", help="allow more than 50M rows; reload even if seeded")
        parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
        add_wait_argument(parser)

    def handle(self, *args, **options):
        spec = PayloadSpec(**table_from_options(options), force=options["force"])
        outcome = seed_table(spec, target=options["target"], progress=not options["no_progress"], out=sys.stderr,
                             force=options["force"], wait=not options["no_wait"])
        self.stdout.write(outcome.message())
