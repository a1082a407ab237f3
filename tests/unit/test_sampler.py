"""The tree sampler counts the processes of the run, not a child the worker's set-up starts and drops."""

import subprocess
import sys
import time

import psutil

from labproject.engine.sampler import TreeSampler
from tests.conftest import wait_for

PARENT = "import subprocess, sys, time; child = subprocess.Popen(['sleep', '30']); sys.stdout.write('up\\n'); " \
         "sys.stdout.flush(); time.sleep(30)"


def test_a_child_seen_only_while_setting_up_is_not_counted():
    parent = subprocess.Popen([sys.executable, "-c", PARENT], stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout.readline() == "up\n"
        sampler = TreeSampler(parent.pid)
        wait_for(lambda: sampler.take(time.monotonic() + 1, running=False).processes == 2, what="the child seen")
        assert sampler.processes_seen == set()
        sampler.take(time.monotonic() + 2, running=True)
        assert len(sampler.processes_seen) == 2
    finally:
        for child in psutil.Process(parent.pid).children():
            child.kill()
        parent.kill()
        parent.wait()
