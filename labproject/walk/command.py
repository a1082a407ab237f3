"""``UpdateRowsCommand``: a management command that recomputes one column, in about ten lines of yours.

    from labproject.walk import UpdateRowsCommand
    from shop.models import Invoice

    class Command(UpdateRowsCommand):
        help = "Recompute every invoice's total from its lines."
        model = Invoice
        field = "total_cents"
        reads = ["lines"]

        def compute(self, lines):
            return sum(line["qty"] * line["unit_cents"] for line in lines)

Flags: ``--batch-size``, ``--method``, ``--resume``, ``--dry-run``, ``--limit``, ``--memory-limit-mb``,
``--no-progress``, ``--throttle``, ``--rewrite``. A lab error (bad input, a failed calculation, an interruption)
becomes one line and its exit code.
"""

from __future__ import annotations

from typing import Any

from labproject.commands import LabCommand
from labproject.errors import BadInput


class UpdateRowsCommand(LabCommand):
    """Set ``field`` to ``compute(*reads)`` for every row of ``get_queryset()``, resumable and observable."""

    help = "Recompute one column for every row, in key order, one short transaction per batch."
    model: Any = None
    field: str = ""
    reads: tuple[str, ...] | list[str] = ()
    batch_size: int = 1000
    method: str = "auto"
    sql: dict[str, str] | None = None  # the calculation's SQL twin per vendor, if you have one
    walk_name: str = ""  # the checkpoint's name; default app_label.model.field

    def compute(self, *values: Any) -> Any:
        """Return the new value of ``field`` from the values of ``reads`` for one row."""
        raise NotImplementedError("an UpdateRowsCommand defines compute()")

    def get_queryset(self):
        """Return the rows to walk (default: every row of ``model``)."""
        if self.model is None:
            raise BadInput(f"{type(self).__module__} sets no model to walk")
        return self.model._default_manager.all()

    def add_arguments(self, parser) -> None:
        parser.add_argument("--batch-size", type=int, default=self.batch_size, help="rows per batch and transaction")
        parser.add_argument("--method", default=self.method, help="auto (default) or a strategy name")
        parser.add_argument("--resume", action="store_true", help="continue after the last committed batch")
        parser.add_argument("--dry-run", action="store_true", help="compute and count what would change; write nothing")
        parser.add_argument("--limit", type=int, help="stop after this many rows")
        parser.add_argument("--memory-limit-mb", type=int, help="stop cleanly before this process passes it")
        parser.add_argument("--no-progress", action="store_true", help="log a line every few seconds instead of a bar")
        parser.add_argument("--throttle", type=float, default=0.0, help="seconds to pause between batches")
        parser.add_argument("--rewrite", action="store_true", help="write every row, even those already right")

    def handle(self, *args: Any, **options: Any) -> None:
        from labproject.walk.update import update_rows

        summary = update_rows(
            self.get_queryset(), self.compute, field=self.field, reads=self.reads, batch_size=options["batch_size"],
            method=options["method"], progress=not options["no_progress"], resume=options["resume"],
            dry_run=options["dry_run"], limit=options["limit"], memory_limit_mb=options["memory_limit_mb"],
            throttle=options["throttle"], only_changed=not options["rewrite"], sql=self.sql, name=self.walk_name,
            stream=self.stderr._out,
        )
        self.summary = summary  # for a caller of call_command() that wants the figures, not the sentence
        self.stdout.write(summary.describe())
