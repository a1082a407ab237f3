"""The pages' answers and the report's front page are computed: change a run's numbers and the sentence changes."""

from dataclasses import replace

import pandas as pd
import pytest

from labproject.analysis import answers, claims, floor, front, querylog, recommend
from labproject.analysis.quotes import quote, quotes_by_strategy
from labproject.engine.measured import Measured
from tests.unit.fake_results import result

FIVE = ["queryset_loop", "iterator_save", "iterator_bulk_update", "paginator_save", "paginator_bulk_update"]
PEAKS = {"queryset_loop": 101.0, "iterator_save": 1.3, "iterator_bulk_update": 5.1, "paginator_save": 2.7,
         "paginator_bulk_update": 4.3}


def five(peaks: dict[str, float] = PEAKS, *, rows: int = 50_000) -> Measured:
    """Two repeats of each of the article's five, flat timelines (a step to the peak at the first batch)."""
    runs = []
    for name, peak in peaks.items():
        for repeat in (0, 1):
            made = result(name, repeat, peak_mib=peak, wall=6.0 + repeat, rows=rows)
            base = made.baseline_rss_bytes
            flat = [[t / 10, base + int(peak * 2**20), rows * t // 10] for t in range(1, 11)]
            runs.append(replace(made, rss_timeline=flat))
    return Measured(runs)


def test_the_five_methods_box_is_computed_from_the_runs():
    measured = five()
    checked = claims.check(measured.runs, measured.samples)
    box = answers.five_methods(measured.runs, checked)
    assert "only method 1 (`queryset_loop`) grows: +101.0 MiB" in box["answer"]
    assert "the leanest `iterator_save` (method 2, +1.3 MiB)" in box["answer"]
    heavier = five({**PEAKS, "queryset_loop": 180.0})
    assert "+180.0 MiB" in answers.five_methods(heavier.runs, claims.check(heavier.runs, heavier.samples))["answer"]


def test_the_claims_are_checked_one_by_one_with_a_reason_where_the_lab_disagrees():
    measured = five()
    checked = claims.check(measured.runs, measured.samples)
    assert list(checked.index) == claims.SHORT
    assert checked.loc["method 1 loads everything", "verdict"] == "confirmed"
    assert checked.loc["method 3 leaks", "verdict"] == "refuted"
    assert "DEBUG" in checked.loc["method 3 leaks", "likely reason where the lab disagrees"]
    assert checked.loc["methods 4 and 5 win", "verdict"] == "refuted", "iterator_save is leaner than both"
    assert checked.loc["method 2 was still killed", "verdict"] == "not reproduced here"
    assert "PgBouncer" in checked.loc["method 2 was still killed", "likely reason where the lab disagrees"]
    paged = five({**PEAKS, "paginator_save": 0.2, "iterator_save": 3.5})
    again = claims.check(paged.runs, paged.samples)
    assert again.loc["methods 4 and 5 win", "verdict"] == "confirmed"
    assert claims.held(again) == (2, 4)


def test_a_quote_states_a_run_sets_memory_and_speed_one_way():
    measured = five()
    runs = measured.runs[measured.runs["strategy"] == "iterator_save"]
    said = quote(runs)
    assert said["memory_mib"] == pytest.approx(1.3, abs=0.01) and said["runs"] == 2
    assert said["rows_per_second"] == pytest.approx(50_000 / 6.5, abs=1)
    assert said["run_ids"] == sorted(runs["run_id"])
    assert len(quotes_by_strategy(measured.runs)) == 5


def floor_runs(seconds: dict[str, float], backend: str = "sqlite", rows: int = 500_000) -> pd.DataFrame:
    return pd.DataFrame([{"backend": backend, "strategy": name, "rows": rows if name not in FIVE else 30_000,
                          "wall_seconds": s, "peak_above_baseline_mib": 1.0, "baseline_mib": 45.0, "status": "ok",
                          "run_id": f"{backend}-{name}", "debug": False, "batch_size": 1000}
                         for name, s in seconds.items()])


FAST = {"sql_update": 1.0, "keyset_executemany": 1.8, "keyset_update_from_values": 2.0, "pipelined": 1.2,
        "keyset_bulk_update": 40.0, "paginator_bulk_update": 3.0, "queryset_loop": 3.2}


def test_the_front_page_says_what_to_use_with_the_numbers_of_page_04():
    runs = floor_runs(FAST)
    table = floor.against_floor(runs)
    advice = recommend.recommend(table, cap_mb=256)
    box = answers.faster(table, advice, runs=runs, outcomes=[])
    page = front.front_page({"04_faster_than_the_five": box})
    assert "`keyset_executemany`" in page and "[1.8x the floor's time per row, +1.0 MiB]" in page
    assert "(04_faster_than_the_five.html)" in page
    fastest = next(line for line in page.splitlines() if line.startswith("| it must be as fast as possible"))
    assert "`pipelined`: [1.2x the floor's time per row" in fastest, fastest
    slower = floor_runs({**FAST, "keyset_executemany": 2.6})
    table = floor.against_floor(slower)
    box = answers.faster(table, recommend.recommend(table, cap_mb=256), runs=slower, outcomes=[])
    assert "`keyset_update_from_values`" in front.front_page({"04_faster_than_the_five": box}), "the pick follows"


def test_the_front_page_warns_about_debug_and_the_pooler_from_page_02():
    cost = querylog.LogCost(1000, 5, 50_000, 9000, ("BEGIN", "UPDATE", "COMMIT"), bytes_per_batch=60_000)
    plateau = querylog.Plateau(cost, 1.2)
    facts = {"debug_1000": {"batch_size": 1000, "backend": "sqlite", "kib_per_batch": 58.6,
                            "rows_to_fill": cost.rows_to_fill, "level_mib": plateau.level_mib},
             "cursor": {"client_per_100k": 71.0, "rows_to_cap": 280_000, "cap_mb": 256}}
    said = front.warnings({"02_leak_investigation": {"facts": facts}})
    assert f"{cost.rows_to_fill:,} rows" in said and f"about {plateau.level_mib:,.0f} MiB" in said
    assert "+71 MiB per 100k rows" in said and "280,000 rows" in said
    assert "not measured" in front.warnings({})


def test_the_debug_log_plateau_follows_from_the_bytes_a_batch_logs():
    cost = querylog.LogCost(1000, 3, 60_000, 9000, ("BEGIN", "UPDATE", "COMMIT"), bytes_per_batch=64 * 1024)
    assert cost.rows_to_fill == 3_000_000
    assert cost.full_log_mib == pytest.approx(3000 * 64 / 1024)
    plateau = querylog.Plateau(cost, querylog.calibrate(cost, 2 * cost.full_log_mib))
    assert plateau.level_mib == pytest.approx(375.0)
    assert plateau.rows_to_reach(200) == pytest.approx(200 / plateau.climb_mib_per_100k * 100_000, rel=1e-6)
    line = querylog.debug_at_batch(plateau, cap_mb=256, baseline_mib=56)
    assert "**3,000,000 rows**" in line and "killed by the log alone" in line
    assert "measured" not in line.split("filled)")[1].split(".")[0], "no measured climb without a run"


def test_the_index_headings_carry_no_pilcrow_links():
    from labproject.report.index import _markdown

    rendered = _markdown("## What to use\n\nthe floor")
    assert '<h2 id="What-to-use">What to use</h2>' in rendered and "anchor-link" not in rendered
