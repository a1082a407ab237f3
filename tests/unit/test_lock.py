"""The lab lock on an SQLite file, between real processes: refuse, wait with one message, nest under its holder."""

import io
import json
import os
import subprocess
import sys

import pytest

from labproject.iteration.lock import HELD_ENV, LabBusy, lab_lock
from tests.conftest import ROOT

HOLD = """
import sys, time
sys.path.insert(0, {root!r})
from labproject.iteration.lock import lab_lock
with lab_lock({url!r}, command="the test's holder"):
    print("held", flush=True)
    sys.stdin.readline()
"""


@pytest.fixture
def held(tmp_path):
    """A process that holds the lab lock of an SQLite file until its stdin closes; yields (url, its pid)."""
    url = f"sqlite:///{tmp_path / 'lab.sqlite3'}"
    holder = subprocess.Popen([sys.executable, "-c", HOLD.format(root=str(ROOT), url=url)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    yield url, holder.pid
    holder.stdin.close()
    holder.wait(timeout=30)


def test_without_waiting_the_holder_is_named_at_once(held):
    url, pid = held
    with pytest.raises(LabBusy, match=rf"is in use by the test's holder \(pid {pid}, since .*; try again"), \
            lab_lock(url, wait=False):
        pass


def test_a_bounded_wait_says_once_whom_it_waits_for(held):
    url, pid = held
    said = io.StringIO()
    with pytest.raises(LabBusy, match=r"still in use by the test's holder .* after 1 s of waiting"), \
            lab_lock(url, timeout=1, out=said):
        pass
    lines = said.getvalue().splitlines()
    assert len(lines) == 1 and lines[0].startswith("waiting for the lab lock on the sqlite file ")
    assert f"it is held by the test's holder (pid {pid}, since " in lines[0]


def test_a_process_started_under_the_lock_does_not_wait_for_its_ancestor(tmp_path):
    url = f"sqlite:///{tmp_path / 'lab.sqlite3'}"
    child = f"import sys; sys.path.insert(0, {str(ROOT)!r})\nfrom labproject.iteration.lock import lab_lock\n" \
            f"with lab_lock({url!r}, wait=False) as lock:\n    print(lock.nested)"
    with lab_lock(url):
        held = json.loads(os.environ[HELD_ENV])
        assert list(held.values()) == [os.getpid()]
        nested = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True, timeout=60)
        assert nested.stdout.strip() == "True", nested.stderr
        sibling = subprocess.Popen(["sleep", "60"])  # alive, but no ancestor of the next process
        try:
            stranger = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True, timeout=60,
                                      env={**os.environ, HELD_ENV: json.dumps({k: sibling.pid for k in held})})
        finally:
            sibling.kill()
            sibling.wait()
        assert "is in use by" in stranger.stderr, "an environment naming a pid that is not an ancestor grants nothing"
    assert HELD_ENV not in os.environ
    with lab_lock(url, wait=False) as again:  # released
        assert not again.nested
