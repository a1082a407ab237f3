"""``manage.py compare``: run several strategies, each repeat in its own process, and tabulate them."""

import sys

from django.core.management.base import BaseCommand

from labproject.bench.command import run_and_report
from labproject.cli import add_run_arguments, name_list


class Command(BaseCommand):
    help = "Run strategies in fresh processes, measure memory and time, verify every row, and tabulate."

    def add_arguments(self, parser):
        parser.add_argument("--strategies", required=True, help="comma-separated strategy names")
        add_run_arguments(parser)

    def handle(self, *args, **options):
        code = run_and_report(name_list(options["strategies"]), options, self.stdout)
        if code:
            sys.exit(code)
