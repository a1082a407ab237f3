"""The studies' analysis on small hand-made tables: slopes and classes, plateaus, verdicts, recommendations."""

import math
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from labproject.analysis import floor, growth, leak, offset, pods, recommend, scaling, verdicts
from labproject.analysis.verdicts import CONFIRMED, DEPENDS, NOT_MEASURED, REFUTED, Finding
from labproject.engine.measured import Measured
from labproject.engine.result import RunResult
from labproject.engine.spec import RunSpec

MIB = 2**20


def runs_table(rows: list[tuple]) -> pd.DataFrame:
    """Build a runs table from (strategy, rows, peak MiB, seconds[, status]) tuples."""
    records = []
    for item in rows:
        strategy, size, peak, seconds, *rest = item
        records.append({"strategy": strategy, "rows": size, "peak_above_baseline_mib": peak, "wall_seconds": seconds,
                        "status": rest[0] if rest else "ok", "rows_done": size, "killed_at_rss_bytes": None})
    return pd.DataFrame(records)


def result(strategy="iterator_bulk_update", *, peak_mib=5.0, rows=10_000, repeat=0, debug=False, batch=1000,
           timeline=None, **extra) -> RunResult:
    base = 50 * MIB
    spec = RunSpec(strategy, rows=rows, backend="sqlite", batch_size=batch, debug=debug, check=False)
    return RunResult(
        strategy=strategy, repeat=repeat, status="ok", spec=spec, session="s",
        run_id=f"{strategy}-{debug}-{batch}-{rows}-{repeat}",
        started_at=f"2026-01-01T00:00:{repeat:02d}", wall_seconds=1.0, baseline_rss_bytes=base,
        peak_rss_bytes=base + int(peak_mib * MIB), end_rss_bytes=base + int(peak_mib * MIB),
        trimmed_rss_bytes=base, rows_done=rows, rows_verified=rows, rows_wrong=0,
        rss_timeline=timeline or [[0.1 * i, base + int(peak_mib * MIB * i / 10), rows * i // 10] for i in range(11)],
        **extra)


# --- slopes and classes ---

def test_power_slope_reads_the_exponent_of_a_power_law():
    sizes = np.array([1_000, 10_000, 100_000])
    assert scaling.power_slope(sizes, 3 * sizes**2) == pytest.approx(2.0)
    assert scaling.power_slope(sizes, np.full(3, 4.0)) == pytest.approx(0.0, abs=1e-9)
    assert math.isnan(scaling.power_slope([5, 5], [1, 2]))


def test_memory_is_linear_only_when_the_slope_and_the_growth_both_say_so():
    runs = runs_table([
        ("holds_rows", 1_000, 2.5, 1), ("holds_rows", 3_000, 7.5, 1), ("holds_rows", 10_000, 25.0, 1),
        ("flat", 1_000, 1.0, 1), ("flat", 3_000, 1.3, 1), ("flat", 10_000, 0.9, 1),
        ("steep_but_tiny", 1_000, 0.3, 1), ("steep_but_tiny", 10_000, 3.0, 1),
        ("zero", 1_000, 0.0, 1), ("zero", 10_000, 0.0, 1),
    ])
    fits = scaling.memory_fits(runs).set_index("strategy")
    assert fits.loc["holds_rows", "memory"] == "O(n)"
    assert fits.loc["holds_rows", "slope"] == pytest.approx(1.0)
    assert fits.loc["holds_rows", "MiB per 100k rows"] == pytest.approx(250.0)
    assert fits.loc["flat", "memory"] == "O(1)", "three sizes, and the fit carried to 5M rows stays flat"
    assert fits.loc["steep_but_tiny", "memory"] == scaling.UNKNOWN, "3 MiB is noise, but two sizes cannot tell"
    assert fits.loc["steep_but_tiny", "at target (MiB)"] == pytest.approx(3.0 + 30.0 * (5_000_000 - 10_000) / 100_000)
    assert fits.loc["zero", "slope"] == pytest.approx(0.0)


def test_a_flat_looking_strategy_measured_over_a_short_range_is_not_called_flat():
    runs = runs_table([("short", 1_000, 1.0, 1), ("short", 3_000, 1.4, 1), ("short", 10_000, 1.9, 1),
                       ("long", 1_000, 1.0, 1), ("long", 50_000, 1.4, 1), ("long", 500_000, 1.9, 1)])
    runs["baseline_mib"] = 45.0
    fits = scaling.memory_fits(runs, cap_mb=256).set_index("strategy")
    assert fits.loc["short", "memory"] == scaling.UNKNOWN, "+10 MiB per 100k rows would be 500 MiB at 5M"
    assert fits.loc["short", "rows at cap"] < 5_000_000
    assert fits.loc["long", "memory"] == "O(1)"
    line = scaling.memory_line(fits.reset_index().iloc[0], 256)
    assert "not enough range to tell" in line and "over the 256 MiB cap" in line


def test_sizes_too_short_for_a_pss_reading_are_not_fitted_for_a_strategy_with_helper_processes():
    """pipelined on SQLite: RSS only at 1k-30k rows (no PSS read yet), the tree's PSS from 100k on."""
    runs = runs_table([("forked", n, rss, 1) for n, rss in ((1_000, 0.2), (10_000, 0.4), (30_000, 0.3),
                                                           (100_000, 0.3), (500_000, 0.1), (2_000_000, 0.1))]
                      + [("single", n, 1.0, 1) for n in (1_000, 10_000, 500_000)])
    pss = {100_000: 11.6, 500_000: 11.5, 2_000_000: 11.7}
    runs["processes"] = [2] * 6 + [1] * 3
    runs["tree_peak_above_baseline_mib"] = [pss.get(n) if s == "forked" else None
                                            for s, n in zip(runs["strategy"], runs["rows"], strict=True)]
    runs["memory_above_baseline_mib"] = runs[["peak_above_baseline_mib", "tree_peak_above_baseline_mib"]].max(axis=1)
    fits = scaling.memory_fits(runs).set_index("strategy")
    assert fits.loc["forked", "smallest rows"] == 100_000 and fits.loc["forked", "sizes"] == 3
    assert fits.loc["forked", "memory"] == "O(1)", "11.6, 11.5, 11.7 MiB: flat once measured the same way"
    assert fits.loc["single", "sizes"] == 3, "a single process is measured alike at every size"
    everything = scaling.memory_fits(runs.assign(processes=1)).set_index("strategy")
    assert everything.loc["forked", "memory"] == "O(n)", "without the rule the RSS-to-PSS step reads as growth"


def test_time_is_quadratic_from_a_slope_of_one_and_a_half_fitted_above_the_small_sizes():
    sizes = [1_000, 10_000, 30_000, 100_000]
    linear = [("walk", n, 1, 0.5 + n / 50_000) for n in sizes]  # a fixed 0.5 s hides growth at 1k rows
    offset = [("offset", n, 1, (n / 10_000) ** 2) for n in sizes]
    fits = scaling.time_fits(runs_table(linear + offset), fit_from=10_000).set_index("strategy")
    assert fits.loc["walk", "time"] == "O(n)" and fits.loc["walk", "from rows"] == 10_000
    assert fits.loc["offset", "time"] == "O(n²)"
    assert fits.loc["offset", "slope"] == pytest.approx(2.0)
    assert fits.loc["walk", "rows/s at largest"] == pytest.approx(100_000 / 2.5)


def test_slowdown_compares_late_rows_with_early_ones_at_the_largest_size():
    def line(strategy, seconds_at):
        return pd.DataFrame({"run_id": strategy, "strategy": strategy, "rows": 1000,
                             "rows_done": range(0, 1001, 10), "seconds": [seconds_at(r) for r in range(0, 1001, 10)]})

    samples = pd.concat([line("steady", lambda r: r / 100), line("quadratic", lambda r: (r / 100) ** 2)])
    ratios = scaling.slowdown(samples)
    assert ratios["steady"] == pytest.approx(1.0, rel=0.1)
    assert ratios["quadratic"] > 3


def test_cap_outcomes_name_the_largest_survivor_and_the_first_kill():
    runs = runs_table([("greedy", 10_000, 20, 1), ("greedy", 30_000, 60, 2), ("greedy", 100_000, None, 1, "killed"),
                       ("lean", 10_000, 1, 1), ("lean", 500_000, 1, 5)])
    runs.loc[runs["status"] == "killed", ["rows_done", "killed_at_rss_bytes"]] = [84_000, 260 * MIB]
    outcomes = pods.cap_outcomes(runs).set_index("strategy")
    assert outcomes.loc["greedy", "largest survived"] == 30_000
    assert outcomes.loc["greedy", "first killed at"] == 100_000
    assert pd.isna(outcomes.loc["lean", "first killed at"])
    line = pods.cap_sentence(outcomes.reset_index().iloc[0], 256)
    assert "**killed** at 100,000 rows (after 84,000 rows, tree RSS 260 MiB > 256 MiB)" in line


# --- growth within a run ---

def timeline(points: list[tuple[int, float]]) -> pd.DataFrame:
    return pd.DataFrame({"rows_done": [p[0] for p in points], "rss_above_baseline_mib": [p[1] for p in points]})


def test_a_climb_that_stops_is_a_plateau_found_where_it_stops():
    rows = np.arange(1_000, 45_001, 1_000)
    shape = growth.plateau(timeline([(r, min(r, 30_000) / 30_000 * 5.0) for r in rows]))
    assert shape.levelled
    assert 26_000 <= shape.levels_off_at_rows <= 30_000
    assert shape.level_mib == pytest.approx(5.0)
    assert shape.early_mib_per_100k == pytest.approx(5.0 / 30_000 * 100_000)


def test_a_steady_climb_or_a_flat_line_is_no_plateau():
    rows = np.arange(1_000, 45_001, 1_000)
    assert not growth.plateau(timeline([(r, r / 10_000) for r in rows])).levelled
    assert not growth.plateau(timeline([(r, 0.3) for r in rows])).levelled


def test_growth_per_100k_fits_each_run_after_its_first_batch():
    samples = pd.DataFrame({"run_id": "a", "strategy": "s", "repeat": 0, "rows": 50_000,
                            "rows_done": [0, 0, 10_000, 20_000, 30_000],
                            "rss_above_baseline_mib": [9.0, 9.0, 1.0, 2.0, 3.0]})
    assert growth.growth_per_100k(samples)["mib_per_100k_rows"].iloc[0] == pytest.approx(10.0)


# --- verdicts ---

def test_a_difference_must_clear_the_noise_and_three_spreads():
    assert verdicts.margin() == verdicts.NOISE_MIB
    assert verdicts.margin(0.1, float("nan")) == verdicts.NOISE_MIB
    assert verdicts.margin(0.5, 2.0) == 6.0
    with pytest.raises(ValueError):
        Finding("h", "e", "x", "probably")


def test_a_variant_that_keeps_objects_is_confirmed_against_its_control():
    measured = Measured([result(peak_mib=5.0), result(peak_mib=5.4, repeat=1),
                         result("iterator_bulk_update_kept", peak_mib=40.0),
                         result("iterator_bulk_update_kept", peak_mib=41.0, repeat=1)])
    finding = leak.grows_with_table(measured, "iterator_bulk_update_kept", "kept list climbs", "never cleared")
    assert finding.verdict == CONFIRMED
    assert finding.effect.startswith("+353.0 MiB per 100k rows (40.5 vs 5.2 MiB")


def test_a_variant_within_the_spread_is_refuted():
    measured = Measured([result(peak_mib=5.0), result(peak_mib=9.0, repeat=1),
                         result("bulk_update_everything", peak_mib=10.0)])
    assert leak.grows_with_table(measured, "bulk_update_everything", "h", "c").verdict == REFUTED


def test_debug_log_is_confirmed_when_on_climbs_and_reset_brings_it_back():
    cost = leak.LogCost(10, 3, 600, 9000, ("BEGIN", "UPDATE", "COMMIT"))
    measured = Measured([result(peak_mib=0.3, batch=10), result(peak_mib=5.0, debug=True, batch=10),
                         result("iterator_bulk_update_reset", peak_mib=0.4, debug=True, batch=10)])
    finding = leak.debug_log(measured, cost)
    assert finding.verdict == CONFIRMED
    assert "the log is full only after 30,000" in finding.effect
    still = Measured([*measured.results[:2], result("iterator_bulk_update_reset", peak_mib=5.0, debug=True, batch=10)])
    assert leak.debug_log(still, cost).verdict == DEPENDS


def test_batch_size_that_only_raises_a_flat_level_depends():
    flat = [[0.1 * i, 50 * MIB + int(mib * MIB), 1_000 * i] for i, mib in enumerate([0] + [1] * 10)]
    measured = Measured([result(peak_mib=1.0, batch=100, timeline=flat),
                         result(peak_mib=9.0, batch=10_000, timeline=[[t, r + 8 * MIB, n] for t, r, n in flat])])
    finding = leak.batch_size(measured)
    assert finding.verdict == DEPENDS
    assert "the batch sets the level" in finding.effect


def test_what_the_trim_gives_back_and_what_tracemalloc_sees_decide_who_held_memory():
    assert leak.kept_by(0.5, 0.4, 0.0) == "nothing kept"
    assert leak.kept_by(6.0, 5.5, 4.0) == "live objects"
    assert leak.kept_by(6.0, 1.0, 0.2).startswith("the allocator (the trim returned 5.0 of 6.0 MiB)")


def test_the_cursor_is_not_measured_without_postgresql():
    finding = leak.cursor(Measured([result()]), None, "no binaries")
    assert finding.verdict == NOT_MEASURED and "no binaries" in finding.effect


def failed(strategy="iterator_bulk_update", repeat=0, error="OperationalError: database is locked") -> RunResult:
    return replace(result(strategy, repeat=repeat), status="error", error=error, rows_verified=None, wall_seconds=None)


def test_an_experiment_whose_runs_all_failed_is_not_measured_and_says_why():
    finding = leak.climbs(Measured([failed(), failed(repeat=1)]))
    assert finding.verdict == NOT_MEASURED
    assert finding.hypothesis == leak.CLIMBS and finding.experiment == "iterator_bulk_update, 10,000 rows"
    assert finding.effect == ("not measured: none of its 2 run(s) was verified (2 error): "
                              "OperationalError: database is locked")
    lists = Measured([result(), failed("iterator_bulk_update_kept", error="killed at 300 MiB (cap 256 MiB)")])
    kept = leak.grows_with_table(lists, "iterator_bulk_update_kept", "kept list climbs", "never cleared")
    assert (kept.hypothesis, kept.verdict) == ("kept list climbs", NOT_MEASURED) and "killed at 300 MiB" in kept.effect
    assert leak.allocator(Measured([failed()])).verdict == NOT_MEASURED
    assert leak.batch_size(Measured([result(batch=100), failed()])).verdict == NOT_MEASURED
    assert leak.cursor(Measured([]), None, "no binaries").effect == "not measured: no run of this experiment was made"
    table = verdicts.verdict_table([finding, kept])
    said = leak.summary(table)
    assert said.startswith("**Does method 3 climb by itself, DEBUG off?** Not measured")
    assert said.endswith("not measured: kept list climbs")


def test_the_verdict_table_has_one_row_per_finding():
    table = verdicts.verdict_table([Finding("h1", "e1", "x1", CONFIRMED), Finding("h2", "e2", "x2", REFUTED)])
    assert list(table.columns) == ["hypothesis", "experiment", "measured effect", "verdict"]
    assert leak.summary(table).endswith("confirmed: h1. refuted: h2")


# --- against the floor, and recommendations ---

def floor_runs(times: dict[str, tuple[int, float, float]], backend: str = "sqlite",
               setup: str = "") -> pd.DataFrame:
    """Build a runs table: strategy -> (rows, seconds, peak MiB), one verified run each."""
    return pd.DataFrame([{"backend": backend, "setup": setup or backend, "strategy": name, "rows": rows,
                          "wall_seconds": seconds,
                          "peak_above_baseline_mib": peak, "baseline_mib": 45.0, "status": "ok"}
                         for name, (rows, seconds, peak) in times.items()])


def test_time_per_row_is_compared_with_the_floor_even_at_a_smaller_size():
    table = floor.against_floor(floor_runs({"sql_update": (500_000, 1.0, 0.0),
                                             "iterator_save": (50_000, 5.0, 1.0)})).set_index("strategy")
    assert table.loc["iterator_save", "x floor"] == pytest.approx(50.0)
    assert table.loc["sql_update", "s per 100k rows"] == pytest.approx(0.2)


def test_every_strategy_is_also_set_against_the_cost_of_writing_alone():
    table = floor.against_floor(floor_runs({"sql_update": (500_000, 1.0, 0.0), "write_floor": (500_000, 0.5, 0.0),
                                             "pipelined": (500_000, 1.5, 9.0)})).set_index("strategy")
    assert table.loc["pipelined", ["x floor", "x write floor"]].tolist() == pytest.approx([1.5, 3.0])
    assert "1.5x the floor's time per row (3.0x `write_floor`'s)" in floor.floor_lines(table.reset_index())
    alone = floor.against_floor(floor_runs({"sql_update": (1000, 1.0, 0.0), "pipelined": (1000, 1.5, 9.0)}))
    assert alone["x write floor"].isna().all() and "write_floor`'s" not in floor.floor_lines(alone)


def test_runs_through_the_pooler_have_their_own_floor():
    direct = floor_runs({"sql_update": (1000, 1.0, 0.0), "pipelined": (1000, 2.0, 1.0)}, "postgresql")
    pooled = floor_runs({"sql_update": (1000, 2.0, 0.0), "pipelined": (1000, 3.0, 1.0)}, "postgresql",
                        "postgresql+transaction")
    table = floor.against_floor(pd.concat([direct, pooled], ignore_index=True)).set_index(["backend", "strategy"])
    assert table.loc[("postgresql", "pipelined"), "x floor"] == pytest.approx(2.0)
    assert table.loc[("postgresql+transaction", "pipelined"), "x floor"] == pytest.approx(1.5)
    assert list(recommend.recommend(table.reset_index(), cap_mb=256)["backend"].unique()) == [
        "postgresql", "postgresql+transaction"]


SITUATIONS = {
    "sql_update": (500_000, 1.0, 0.0), "sql_update_batched": (500_000, 1.2, 0.0),
    "keyset_executemany": (500_000, 2.0, 1.0), "keyset_update_from_values": (500_000, 1.8, 2.0),
    "queryset_loop": (50_000, 10.0, 120.0), "paginator_bulk_update": (50_000, 8.0, 5.0),
}


def advice(times: dict, **options) -> pd.DataFrame:
    return recommend.recommend(floor.against_floor(floor_runs(times)), **options).set_index("situation")


def test_the_python_pick_is_the_fastest_serial_strategy_and_sql_goes_to_the_floor():
    picks = advice({**SITUATIONS, "pipelined": (500_000, 1.7, 0.5)}, cap_mb=256)
    assert picks.loc["the calculation can be written in SQL, and one statement may lock the table", "use"] == \
        "sql_update"
    assert picks.loc["the calculation needs Python", "use"] == "keyset_update_from_values"
    fastest = picks.loc["the calculation needs Python and the walk must be as fast as possible"]
    assert fastest["use"] == "keyset_update_from_values", "pipelined saves only 6%: not worth it"
    assert "saves only 6%" in fastest["why"]


def test_pipelined_is_recommended_when_it_saves_enough():
    picks = advice({**SITUATIONS, "pipelined": (500_000, 1.2, 0.5)}, cap_mb=256, gain=0.2)
    assert picks.loc["the calculation needs Python and the walk must be as fast as possible", "use"] == "pipelined"


def test_a_memory_cap_is_judged_on_the_runs_at_the_full_size_only():
    picks = advice({**SITUATIONS, "keyset_bulk_update": (500_000, 1.5, 250.0)}, cap_mb=256)
    assert picks.loc["the calculation needs Python", "use"] == "keyset_update_from_values", "295 MiB > 256"
    capped = picks.loc["a memory limit of 256 MiB for the whole process"]
    assert capped["measured"] == "47 MiB with the baseline at 500,000 rows"
    assert "over the limit at this size: keyset_bulk_update 295 MiB" in capped["why"]
    assert "measured only at 50,000 rows, so not judged here" in capped["why"] and "queryset_loop" in capped["why"]
    tight = advice(SITUATIONS, cap_mb=46)
    assert tight.loc["the calculation needs Python", "use"] == "keyset_executemany", "2 MiB more than 46 allows"


def test_the_fastest_peer_is_named_for_a_reader_who_would_rather_install_a_library():
    situation = "you would rather install a library than keep a walk of your own"
    assert situation not in advice(SITUATIONS, cap_mb=256).index, "no peer measured: no such row"
    picks = advice({**SITUATIONS, "fast_update": (50_000, 1.0, 3.0), "chunkator_bulk_update": (50_000, 2.0, 9.0)},
                   cap_mb=256)
    row = picks.loc[situation]
    assert row["use"] == "fast_update"
    assert row["measured"].startswith("10.0x sql_update's time per row")
    # 10.0x the floor against keyset_update_from_values' 1.8x: the library takes 5.6x its time per row.
    assert "(then chunkator_bulk_update 20.0x)" in row["why"] and "5.6x keyset_update_from_values'" in row["why"]
    assert picks.loc["the calculation needs Python", "use"] == "keyset_update_from_values", "a peer is no pick there"


def test_offset_steps_over_every_earlier_page():
    assert offset.offset_rows_skipped(3000, 1000) == 0 + 1000 + 2000
    assert offset.offset_rows_skipped(2500, 1000) == 0 + 1000 + 2000
    assert offset.offset_rows_skipped(100_000, 1000) == 1000 * 100 * 99 // 2


def test_the_pipeline_is_said_to_need_a_free_core_only_when_a_busy_core_made_it_lose():
    idle = floor.against_floor(floor_runs({**SITUATIONS, "pipelined": (500_000, 1.2, 0.5)}))

    def fastest(pipelined_s: float, serial_s: float) -> str:
        busy = floor.against_floor(floor_runs({"sql_update": (500_000, 1.0, 0.0),
                                               "pipelined": (500_000, pipelined_s, 0.5),
                                               "keyset_update_from_values": (500_000, serial_s, 2.0)}))
        picks = recommend.recommend(idle, cap_mb=256, busy=busy).set_index("situation")
        return picks.loc["the calculation needs Python and the walk must be as fast as possible", "why"]

    lost = fastest(2.4, 2.0)
    assert "takes 20% longer than keyset_update_from_values, so it pays only with a free core" in lost
    kept = fastest(1.5, 2.0)
    assert "it still saves 25%" in kept and "only with a free core" not in kept
