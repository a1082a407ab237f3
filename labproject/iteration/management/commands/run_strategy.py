"""``manage.py run_strategy``: run one strategy in a fresh process, or list the registry."""

import textwrap

from labproject import strategies
from labproject.commands import LabCommand
from labproject.engine.command import add_run_arguments, run_and_report
from labproject.errors import BadInput


class Command(LabCommand):
    help = "Run one strategy in a fresh process and verify it (or --list the registry)."

    def add_arguments(self, parser):
        parser.add_argument("name", nargs="?", help="strategy name (see --list)")
        parser.add_argument("--list", action="store_true", help="list every strategy with its description")
        add_run_arguments(parser)

    def handle(self, *args, **options):
        if options["list"]:
            listed = strategies.all_strategies()
            width = max(len(s.name) for s in listed)
            for s in listed:
                method = f"method {s.method}" if s.method else s.family
                self.stdout.write(f"{s.name:<{width}} {method:<12} {s.title}  [{', '.join(sorted(s.backends))}]")
                self.stdout.write(textwrap.fill(s.why, 100, initial_indent="    ", subsequent_indent="    "))
            return
        if not options["name"]:
            raise BadInput(f"name a strategy to run; known: {', '.join(strategies.names())}")
        run_and_report([options["name"]], options, self.stdout)
