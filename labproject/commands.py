"""The lab's commands (and the walk library's) share one base: a lab error leaves ``handle()`` as ``CommandError``.

So ``call_command("compare", ...)`` from a notebook kernel raises ``CommandError`` (never
``SystemExit``), and ``manage.py`` or ``django-admin`` print it as one line with the error's exit code.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from labproject.errors import LabError


class LabCommand(BaseCommand):
    """A management command whose lab errors become ``CommandError`` carrying their exit code."""

    def execute(self, *args, **options):
        try:
            return super().execute(*args, **options)
        except LabError as exc:
            raise CommandError(str(exc), returncode=exc.exit_code) from exc
