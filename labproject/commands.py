"""The lab's commands (and the walk library's) share one base: a lab error leaves ``handle()`` as ``CommandError``.

So ``call_command("compare", ...)`` from a notebook kernel raises ``CommandError`` (never
``SystemExit``), and ``manage.py`` or ``django-admin`` print it as one line with the error's exit code.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from labproject.errors import LabError
from labproject.processes import signals_interrupt


class LabCommand(BaseCommand):
    """A management command whose lab errors become ``CommandError`` carrying their exit code.

    SIGTERM and SIGHUP interrupt it as Ctrl-C does, so a container stop or a closed terminal cleans up.
    """

    def execute(self, *args, **options):
        try:
            with signals_interrupt():
                return super().execute(*args, **options)
        except LabError as exc:
            raise CommandError(str(exc), returncode=exc.exit_code) from exc
