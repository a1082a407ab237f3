"""``manage.py compare``: run several strategies, each repeat in its own process, and tabulate them."""


from labproject.cli import name_list
from labproject.commands import LabCommand
from labproject.engine.command import add_run_arguments, run_and_report


class Command(LabCommand):
    help = "Run strategies in fresh processes, measure memory and time, verify every row, and tabulate."

    def add_arguments(self, parser):
        parser.add_argument("--strategies", required=True, help="comma-separated strategy names")
        add_run_arguments(parser)

    def handle(self, *args, **options):
        run_and_report(name_list(options["strategies"]), options, self.stdout)
