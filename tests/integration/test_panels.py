"""The Run panel in a real kernel: the live chart grows, and a kernel interrupt stops a run, keeping what finished."""

import time

import pytest
from jupyter_client.manager import KernelManager

from tests.conftest import ROOT, assert_all_end, wait_for, walking

pytestmark = pytest.mark.slow

SETUP = """
from labproject.notebook import start
start()
from labproject.panels import RunPanel
panel = RunPanel(rows=300, strategies=["iterator_save", "test_slow"], repeats=1)
"""


@pytest.fixture
def kernel(lab):
    env = {**lab.env, "LAB_STRATEGY_MODULES": "tests.strategies_for_tests", "PYTHONPATH": str(ROOT)}
    manager = KernelManager(kernel_name="python3")
    manager.start_kernel(env=env, cwd=str(lab.root))
    client = manager.client()
    client.start_channels()
    client.wait_for_ready(timeout=60)
    yield manager, client
    client.stop_channels()
    manager.shutdown_kernel(now=True)


def run(client, code: str, timeout: float = 120) -> list[dict]:
    """Execute ``code`` and return its iopub messages up to the idle status."""
    msg_id = client.execute(code)
    messages = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        msg = client.get_iopub_msg(timeout=timeout)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        messages.append(msg)
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            return messages
    raise AssertionError(f"no reply to {code!r} in {timeout} s")


def printed(messages: list[dict]) -> str:
    errors = [m["content"] for m in messages if m["msg_type"] == "error"]
    assert not errors, errors
    return "".join(m["content"]["text"] for m in messages if m["msg_type"] == "stream")


def test_interrupt_kills_the_running_worker_and_keeps_finished_runs(kernel, lab):
    manager, client = kernel
    printed(run(client, SETUP))
    msg_id = client.execute("panel._clicked(None)")  # what the Run button does
    results = lab.root / "results"
    wait_for(lambda: list(results.glob("*/*iterator_save*.json")), what="the first run to finish")
    # test_slow reports a row every 50 ms: 20 rows give the live chart a second of samples to draw.
    workers = wait_for(lambda: walking(manager.provisioner.process.pid, "test_slow", rows=20), what="test_slow to walk")
    manager.interrupt_kernel()
    while True:
        msg = client.get_iopub_msg(timeout=60)
        if msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "status" \
                and msg["content"]["execution_state"] == "idle":
            break
    status = printed(run(client, "print(panel.status.value)"))
    assert "interrupted" in status and "1 finished run(s) kept" in status, status
    assert len(list(results.glob("*/*.json"))) == 1
    lines = printed(run(client, "print([len(t.x) for t in panel.live.figure.data])"))
    first, second = eval(lines)  # noqa: S307 - a list of two ints printed by the kernel
    assert first > 3 and second > 3, "the live chart did not grow while the workers ran"
    assert "False" in printed(run(client, "print(panel.button.disabled)"))
    assert_all_end(workers)
