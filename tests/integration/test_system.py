"""``make system``: names the apt-get command when it cannot install, and costs nothing when all is there."""

import os
import shutil
import subprocess
import time

import pytest

from tests.conftest import ROOT

NOT_ROOT = ["runuser", "-u", "nobody", "--"] if os.geteuid() == 0 else []


@pytest.mark.skipif(os.geteuid() == 0 and not shutil.which("runuser"), reason="runuser is needed to drop root")
def test_a_missing_package_not_as_root_stops_at_once_with_the_command():
    started = time.monotonic()
    done = subprocess.run([*NOT_ROOT, "make", "-s", "-C", str(ROOT), "system",
                           "SYSTEM_PACKAGES=make lab-no-such-package"], capture_output=True, text=True, timeout=60)
    lines = [line for line in done.stderr.splitlines() if line.strip() and "directory" not in line]
    assert done.returncode != 0
    assert len(lines) == 1, done.stderr
    assert lines[0].endswith("apt-get update && apt-get install -y --no-install-recommends lab-no-such-package.  Stop.")
    assert "missing Debian packages: lab-no-such-package;" in lines[0]
    assert time.monotonic() - started < 10


def test_with_every_package_there_it_is_a_quiet_check():
    # The suite runs after `make test` installed them, so the real list is there.
    started = time.monotonic()
    done = subprocess.run(["make", "-s", "-C", str(ROOT), "--no-print-directory", "system"], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "" and done.stderr == ""
    assert time.monotonic() - started < 5
