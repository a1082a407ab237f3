"""The walk library in a project that is not the lab: kill -9 and --resume, reruns, dry runs, failures, bad input."""

from __future__ import annotations

import signal
import time

import pytest

from tests.conftest import one_line_error
from tests.shop import Shop

ROWS = 6000


def wait_for(condition, deadline: float = 60.0, what: str = "condition"):
    """Poll ``condition()`` until it returns something truthy, failing after ``deadline`` seconds."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        found = condition()
        if found:
            return found
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def shop(tmp_path) -> Shop:
    shop = Shop(f"sqlite:///{tmp_path}/shop.sqlite3", tmp_path)
    shop.setup(ROWS)
    return shop


@pytest.fixture
def pg_shop(tmp_path, pg_url) -> Shop:
    shop = Shop(pg_url, tmp_path)
    shop.setup(ROWS)
    return shop


@pytest.fixture
def mariadb_shop(tmp_path, mariadb_url) -> Shop:
    shop = Shop(mariadb_url, tmp_path)
    shop.setup(ROWS)
    return shop


def kill_mid_walk_then_resume(shop: Shop, method: str) -> None:
    """SIGKILL the command after some batches committed, resume it, and check every row was written once."""
    walking = shop.start("recompute_totals", "--batch-size", "200", "--throttle", "0.02", "--rewrite",
                         "--no-progress", "--method", method)
    try:
        wait_for(lambda: (shop.checkpoint() or (None, 0))[1] >= 1000, what="1000 rows committed")
    finally:
        walking.send_signal(signal.SIGKILL)
        walking.communicate(timeout=30)
    last_key, read, written, state = shop.checkpoint()
    assert state == "running" and 1000 <= read < ROWS
    mid = shop.tally()
    assert mid["once"] == written and mid["twice_or_more"] == 0, "committed batches and checkpoint agree"
    resumed = shop.manage("recompute_totals", "--resume", "--rewrite", "--no-progress", "--method", method)
    assert resumed.returncode == 0, resumed.stderr
    assert f"resumed after key {last_key}" in resumed.stdout
    assert shop.tally() == {"rows": ROWS, "right": ROWS, "never": 0, "once": ROWS, "twice_or_more": 0}
    again = shop.manage("recompute_totals", "--no-progress")
    assert again.returncode == 0 and "wrote 0 (every row already held its value)" in again.stdout
    assert shop.tally()["once"] == ROWS


@pytest.mark.parametrize("method", ["auto", "keyset_executemany"])
def test_a_walk_killed_with_sigkill_resumes_with_no_row_missed_or_written_twice(shop, method):
    kill_mid_walk_then_resume(shop, method)


@pytest.mark.postgres
@pytest.mark.parametrize("method", ["auto", "keyset_update_from_values", "server_side_cursor"])
def test_on_postgresql_too(pg_shop, method):
    kill_mid_walk_then_resume(pg_shop, method)


@pytest.mark.mariadb
@pytest.mark.parametrize("method", ["auto", "unbuffered_stream", "keyset_update_from_values"])
def test_on_mariadb_too(mariadb_shop, method):
    kill_mid_walk_then_resume(mariadb_shop, method)


AUTO = """
from labproject.walk.update import choose
from labproject.walk import Walk, target_of
from shop.models import Order
print(choose(Walk(target_of(Order, len, field="total", reads=["lines"])), "auto").name)
"""


@pytest.mark.mariadb
def test_auto_takes_the_fastest_way_measured_on_mariadb(mariadb_shop):
    from labproject import strategies

    done = mariadb_shop.manage("shell", "-c", AUTO)
    assert done.returncode == 0, done.stderr
    fastest = min((s for s in strategies.applicable("mysql") if s.auto_rank is not None), key=lambda s: s.auto_rank)
    assert done.stdout.split()[-1] == fastest.name
    assert fastest.name in {"pipelined", "unbuffered_stream"}  # a streamed read: iterator() buffers the table there


def test_ctrl_c_and_sigterm_roll_back_the_open_batch_and_say_how_to_resume(shop):
    for number, code, resume in ((signal.SIGINT, 130, ()), (signal.SIGTERM, 128 + signal.SIGTERM, ("--resume",))):
        before = (shop.checkpoint() or (None, 0))[1]
        walking = shop.start("recompute_totals", "--batch-size", "100", "--throttle", "0.05", "--no-progress",
                             *resume)
        def committed(before=before):
            found = shop.checkpoint()
            return found is not None and found[1] >= before + 300 and found[3] == "running"

        wait_for(committed, what="300 more rows committed")
        walking.send_signal(number)
        _, err = walking.communicate(timeout=30)
        assert walking.returncode == code, err
        line = [x for x in err.splitlines() if x.strip()][-1]
        assert "interrupted by" in line and "--resume" in line and "rolled back" in line, line
        _, read, written, state = shop.checkpoint()
        assert state == "stopped" and shop.tally()["once"] == written
    finished = shop.manage("recompute_totals", "--resume", "--no-progress")
    assert finished.returncode == 0, finished.stderr
    assert shop.tally()["right"] == ROWS


def test_a_dry_run_writes_nothing_and_counts_what_would_change(shop):
    done = shop.manage("recompute_totals", "--dry-run", "--no-progress")
    assert done.returncode == 0, done.stderr
    assert f"would change {ROWS:,}" in done.stdout
    assert shop.tally()["never"] == ROWS and shop.checkpoint() is None


def test_a_calculation_that_raises_names_the_row_keeps_what_came_before_and_resumes_after_a_fix(shop):
    poison = 4321
    shop.sql("UPDATE shop_order SET lines = ? WHERE id = ?", ('[{"qty": 2, "price": null}]', poison))
    failed = shop.manage("recompute_totals", "--batch-size", "500", "--no-progress", "--method", "keyset_executemany")
    line = one_line_error(failed)
    assert f"key {poison}" in line and "TypeError" in line and "--resume" in line
    assert shop.tally()["once"] == 4000  # the eight batches before the one holding the row
    shop.sql("UPDATE shop_order SET lines = ? WHERE id = ?", ('[{"qty": 2, "price": 5}]', poison))
    resumed = shop.manage("recompute_totals", "--resume", "--no-progress")
    assert resumed.returncode == 0, resumed.stderr
    assert shop.tally() == {"rows": ROWS, "right": ROWS, "never": 0, "once": ROWS, "twice_or_more": 0}


def test_a_memory_limit_stops_cleanly_before_it_is_passed(shop):
    done = shop.manage("recompute_totals", "--memory-limit-mb", "1", "--no-progress")
    line = one_line_error(done)
    assert "memory limit 1 MiB is below this process's baseline" in line
    assert shop.tally()["never"] == ROWS


def test_bad_input_is_one_line_and_changes_nothing(shop):
    for args, expected in [
        (("--batch-size", "0"), "batch size must be a positive whole number, got 0"),
        (("--resume",), "no checkpoint for walk 'shop.order.total'"),
        (("--method", "nope"), "unknown strategy 'nope'"),
        (("--limit", "-3"), "limit must be a positive whole number, got -3"),
    ]:
        line = one_line_error(shop.manage("recompute_totals", *args))
        assert expected in line, line
    assert shop.tally()["never"] == ROWS


def test_a_limit_stops_after_that_many_rows_and_resume_goes_on(shop):
    first = shop.manage("recompute_totals", "--limit", "2500", "--batch-size", "1000", "--no-progress")
    assert first.returncode == 0 and "stopped at the row limit (2,500 rows)" in first.stdout
    assert shop.tally()["once"] == 2500
    rest = shop.manage("recompute_totals", "--resume", "--no-progress")
    assert rest.returncode == 0 and shop.tally()["once"] == ROWS


REFUSALS = """
from labproject.errors import LabError
from labproject.walk import update_rows
from shop.models import Order, Stock, Tag
cases = [
    (Order, "totl", ["lines"]), (Order, "total", ["lnes"]), (Order, "tags", ["lines"]), (Order, "id", ["lines"]),
    (Stock, "count", ["sku"]), ("not a model", "total", ["lines"]), (Order, "total", []),
]
for model, field, reads in cases:
    try:
        update_rows(model, len, field=field, reads=reads, progress=False)
        print("accepted")
    except LabError as exc:
        print(type(exc).__name__, exc)
"""


def test_what_a_walk_cannot_use_is_refused_with_one_line_each(shop):
    done = shop.manage("shell", "-c", REFUSALS)
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stdout.splitlines() if line.startswith(("BadInput", "accepted", "LabError"))]
    assert len(lines) == 7, done.stdout
    assert lines[0].startswith("BadInput shop.Order has no field 'totl' to write; its columns: id, customer")
    assert lines[1].startswith("BadInput shop.Order has no field 'lnes' to read")
    assert lines[2] == "BadInput shop.Order.tags is not a concrete column, so a walk cannot write it"
    assert lines[3] == "BadInput shop.Order.id is the primary key; a walk never rewrites keys"
    assert lines[4].startswith("BadInput shop.Stock has a composite primary key (warehouse, sku)")
    assert lines[5] == "BadInput a walk needs a model or a queryset, got 'not a model'"
    assert lines[6] == "BadInput a walk must read at least one field (reads=...)"
    assert shop.tally()["never"] == ROWS


def auto_candidates(backend: str) -> list[str]:
    from labproject import strategies

    return [s.name for s in strategies.applicable(backend) if s.auto_rank is not None] + ["update_rows"]


def second_model_verified(lab, backend: str) -> None:
    names = auto_candidates(backend)
    runs = lab.compare("--target", "invoices", "--strategies", ",".join(names), "--rows", "2500")
    assert [(r["strategy"], r["status"], r["rows_verified"], r["rows_wrong"]) for r in runs] == [
        (name, "ok", 2500, 0) for name in names]


def test_the_second_model_is_walked_by_every_method_auto_can_choose_on_sqlite(lab):
    second_model_verified(lab, "sqlite")


@pytest.mark.postgres
def test_the_second_model_is_walked_by_every_method_auto_can_choose_on_postgresql(pg_lab):
    second_model_verified(pg_lab, "postgresql")


@pytest.mark.mariadb
def test_the_second_model_is_walked_by_every_method_auto_can_choose_on_mariadb(mariadb_lab):
    second_model_verified(mariadb_lab, "mysql")
