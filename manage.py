#!/usr/bin/env python
"""Django's command-line utility for the lab; a configuration error becomes one line, not a traceback."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "labproject.settings")
    from django.core.management import execute_from_command_line

    from labproject.errors import exit_code_of

    sys.exit(exit_code_of(lambda: execute_from_command_line(sys.argv)))


if __name__ == "__main__":
    main()
