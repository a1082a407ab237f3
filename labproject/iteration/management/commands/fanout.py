"""``manage.py fanout TARGET --workers N --ranges M``: the walk fanned out over Celery workers, resumable."""

import json

from labproject.cli import whole_number
from labproject.commands import LabCommand


class Command(LabCommand):
    help = ("Walk a target over N Celery workers: key ranges of equal rows, one task each, checkpoints in the "
            "database; workers missing on the broker are started for the walk.")

    def add_arguments(self, parser):
        parser.add_argument("target", help="lab, invoices, or your own as package.module:attribute")
        parser.add_argument("--workers", default="2", help="worker processes (default 2)")
        parser.add_argument("--ranges", help="key ranges to cut the table into (default 4 per worker)")
        parser.add_argument("--resume", action="store_true", help="continue the target's last plan")
        parser.add_argument("--batch-size", default="1000", help="rows per batch and transaction (default 1000)")
        parser.add_argument("--method", default="auto", help="auto (default) or a keyset strategy name")
        parser.add_argument("--throttle", type=float, default=0.0, help="seconds to pause between batches")
        parser.add_argument("--broker-url", help="redis://... (default LAB_BROKER_URL, REDIS_URL or the lab's own)")
        parser.add_argument("--no-start", action="store_true", help="use only workers already running")
        parser.add_argument("--no-progress", action="store_true", help="log a line every few seconds instead of a bar")
        parser.add_argument("--json", action="store_true", help="print the summary as JSON on stdout")

    def handle(self, *args, **options):
        from labproject.fanout.coordinator import fan_out

        summary = fan_out(
            options["target"], workers=whole_number("--workers", options["workers"]),
            ranges=None if options["ranges"] is None else whole_number("--ranges", options["ranges"]),
            resume=options["resume"], batch_size=whole_number("--batch-size", options["batch_size"]),
            method=options["method"], throttle=options["throttle"], progress=not options["no_progress"],
            stream=self.stderr._out,
            broker_url=options["broker_url"], start_workers=not options["no_start"],
        )
        self.summary = summary
        self.stdout.write(json.dumps(summary.to_dict()) if options["json"] else summary.describe())
