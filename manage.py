#!/usr/bin/env python
"""Django's command-line utility for the lab; a configuration error becomes one line, not a traceback."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "labproject.settings")
    from django.core.management import execute_from_command_line

    from labproject.errors import LabError

    try:
        execute_from_command_line(sys.argv)
    except LabError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(exc.exit_code)


if __name__ == "__main__":
    main()
