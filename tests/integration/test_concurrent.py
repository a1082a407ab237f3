"""Strategies with helper processes: verified, counted as a whole tree, and never leaving orphans."""

import signal
import uuid

import psutil
import pytest

from labproject.strategies.partitioned import partition_plan
from tests.conftest import ROOT, assert_all_end, wait_for


@pytest.fixture
def lab(lab):
    lab.env["LAB_STRATEGY_MODULES"] = "tests.strategies_for_tests"
    lab.env["PYTHONPATH"] = str(ROOT)
    lab.env["LAB_TEST_MARKER"] = f"lab-helper-{uuid.uuid4().hex}"
    return lab


def helpers_alive(marker: str) -> list:
    found = []
    for proc in psutil.process_iter(["cmdline", "status"]):
        if marker in (proc.info["cmdline"] or []) and proc.info["status"] != psutil.STATUS_ZOMBIE:
            found.append(proc)
    return found


def test_pipelined_and_its_thread_twin_are_verified_and_the_reader_is_counted(lab):
    runs = lab.compare("--strategies", "pipelined,pipelined_thread", "--rows", "60000", "--batch-size", "500")
    for run in runs:
        assert (run["status"], run["rows_verified"], run["rows_wrong"]) == ("ok", 60000, 0), run["error"]
    by_name = {r["strategy"]: r for r in runs}
    assert by_name["pipelined"]["tree"]["processes"] == 2
    assert by_name["pipelined_thread"]["tree"]["processes"] == 1


def test_pipelined_refuses_a_database_without_wal(lab):
    lab.env["SQLITE_JOURNAL_MODE"] = "delete"
    done = lab.manage("compare", "--strategies", "pipelined", "--rows", "1000", "--json")
    assert done.returncode != 0
    assert "pipelined needs SQLite's WAL journal" in done.stdout and "journal_mode=delete" in done.stdout


def test_the_memory_cap_applies_to_the_whole_tree_and_leaves_no_orphan(lab):
    (run,) = lab.compare("--strategies", "test_helper_sleeper", "--rows", "1000", "--memory-cap-mb", "160")
    assert run["status"] == "killed"
    assert run["killed_at_rss_bytes"] > 160 * 2**20
    wait_for(lambda: not helpers_alive(lab.env["LAB_TEST_MARKER"]), what="the killed helper to end", timeout=30)


def test_ctrl_c_leaves_no_helper_behind(lab):
    lab.manage("seed_rows", "--rows", "1000", check=True)
    proc = lab.start("compare", "--strategies", "test_helper_sleeper", "--rows", "1000")
    helpers = wait_for(lambda: helpers_alive(lab.env["LAB_TEST_MARKER"]), what="the helper to start")
    proc.send_signal(signal.SIGINT)
    proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert_all_end(helpers)


@pytest.mark.parametrize(
    ("low", "high", "parts", "plan"),
    [
        (1, 10, 2, [(0, 5), (5, 10)]),
        (1, 10, 3, [(0, 4), (4, 8), (8, 10)]),
        (5, 5, 4, [(4, 5)]),
        (1, 3, 8, [(0, 1), (1, 2), (2, 3)]),
    ],
)
def test_partition_plan_covers_every_pk_once(low, high, parts, plan):
    assert partition_plan(low, high, parts) == plan
    covered = [pk for after, up_to in plan for pk in range(after + 1, up_to + 1)]
    assert covered == list(range(low, high + 1))
