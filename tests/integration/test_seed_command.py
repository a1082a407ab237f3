"""``manage.py seed_rows`` as a user runs it: real processes, real files, every bad input."""

import signal
import time

import pytest

from tests.conftest import one_line_error


def test_seed_command_loads_rows_and_then_says_nothing_to_do(lab):
    first = lab.manage("seed_rows", "--rows", "2000", check=True)
    assert "seeded 2,000 rows" in first.stdout
    assert lab.count() == 2000
    again = lab.manage("seed_rows", "--preset", "tiny", check=True)
    assert lab.count() == 1000 and "seeded 1,000" in again.stdout
    noop = lab.manage("seed_rows", "--preset", "tiny", check=True)
    assert "already seeded" in noop.stdout


def test_unmigrated_database_is_migrated_and_says_so(lab):
    done = lab.manage("seed_rows", "--rows", "10", check=True)
    assert "not migrated; migrating it now" in done.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--rows", "-5"], "positive"),
        (["--rows", "0"], "positive"),
        (["--rows", "ten"], "whole number"),
        (["--rows", "60000000"], "ceiling"),
        (["--rows", "10", "--payload-bytes", "50"], "JSON shape needs"),
        (["--rows", "10", "--payload-bytes", "100000000"], "limit"),
        (["--preset", "enormous"], "unknown preset"),
        ([], "--rows"),
    ],
)
def test_bad_input_gets_one_line_and_leaves_data_alone(lab, args, message):
    lab.manage("seed_rows", "--rows", "1234", check=True)
    before = lab.query("SELECT rows, seed FROM iteration_seedrecord")
    line = one_line_error(lab.manage("seed_rows", *args))
    assert message in line
    assert lab.count() == 1234
    assert lab.query("SELECT rows, seed FROM iteration_seedrecord") == before


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("oracle://root:hunter2@localhost/lab", "unsupported engine"),
        ("what even is this", "does not parse"),
        ("postgres://lab:hunter2@127.0.0.1:9/lab", "127.0.0.1:9"),
    ],
)
def test_bad_database_urls_get_one_line_without_the_password(lab, url, message):
    lab.env["DATABASE_URL"] = url
    done = lab.manage("seed_rows", "--rows", "10", timeout=60)
    line = one_line_error(done)
    assert message in line
    assert "hunter2" not in done.stderr + done.stdout


def test_ctrl_c_during_a_seed_leaves_the_table_as_it_was(lab):
    lab.manage("seed_rows", "--rows", "1000", check=True)
    proc = lab.start("seed_rows", "--rows", "4000000")
    deadline = time.monotonic() + 60
    progress = ""
    while "seeding" not in progress and time.monotonic() < deadline:
        progress += proc.stderr.read(1)
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert "interrupted" in err and "Traceback" not in err
    assert lab.count() == 1000
    assert lab.query("SELECT rows FROM iteration_seedrecord") == [(1000,)]
