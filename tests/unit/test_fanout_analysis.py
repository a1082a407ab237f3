"""The fan-out analysis on made-up summaries: rates, where the curve flattens, the fitted model, the projection."""

from labproject.analysis import fanout as analysis


def summary(workers: int, seconds: float, *, backend: str = "postgresql", chaos: bool = False, fleet_cpu: float = 4.0,
            db_cpu: float = 2.0, redelivered=()) -> dict:
    return {"backend": backend, "label": f"{workers}", "workers": workers, "chaos": chaos, "rows_read": 100_000,
            "rows_written": 100_000, "seconds": seconds, "planning_seconds": 0.1,
            "fleet_pss_peak_bytes": workers * 2**26, "fleet_pss_idle_bytes": workers * 2**25,
            "worker_pss_peak_bytes": {f"lab{i}@h": 2**26 for i in range(workers)},
            "fleet_cpu_seconds": fleet_cpu, "database_cpu_seconds": db_cpu, "redelivered": list(redelivered),
            "deliveries": 4 * workers + len(redelivered), "verified_total": 100_000, "verified_right": 100_000,
            "cores": 2, "load_before": 1.0, "load_after": 1.0}


RUNS = [summary(1, 10.0), summary(2, 5.5), summary(4, 5.0), summary(2, 6.5, chaos=True, redelivered=[1])]


def test_the_table_and_the_scaling_come_from_the_summaries():
    table = analysis.runs_table(RUNS)
    assert list(table["rows_per_second"].round()) == [10_000, 18_182, 20_000, 15_385]
    assert table.loc[0, "cpu_busy"] == 6.0 / (2 * 10.0) and table.loc[0, "database_share"] == 2.0 / 6.0
    scaled = analysis.scaling_table(table)
    assert list(scaled["workers"]) == [1, 2, 4] and round(scaled.loc[2, "speedup"], 2) == 2.0
    assert analysis.flattens_at(scaled, "postgresql") == 2


def test_the_model_is_fitted_to_one_worker_and_capped_by_the_cores():
    table = analysis.runs_table(RUNS)
    model = analysis.fitted_model(table, cores=2)
    assert model["rate_one"] == 10_000 and model["worker_cpu"] == 4.0 / 100_000
    assert analysis.predicted_here(model, 1) == 10_000
    assert round(analysis.predicted_here(model, 4)) == round(2 / (6.0 / 100_000))  # the cores' ceiling


def test_the_projection_bends_under_the_database_write_rate_and_says_it_is_one():
    model = {"rate_one": 10_000.0}
    projected = analysis.projection(model, [50_000.0], workers=(1, 5, 100))
    reach = list(projected["projected_rows_per_s"].round())
    assert reach[0] == round(1 / (1 / 10_000 + 1 / 50_000)) and reach[1] == 25_000 and reach[2] < 50_000
    assert analysis.projection_line(projected, workers=5).startswith("PROJECTION, not measured: 5 workers")


def test_the_chaos_line_names_the_extra_time_and_the_redelivered_range():
    line = analysis.chaos_line(analysis.runs_table(RUNS))
    assert "6.50 s against 5.50 s without the kill (+1.00 s), 1 range(s) redelivered" in line
    assert "every row right" in line


def test_page_07s_answer_follows_the_runs():
    from labproject.analysis import answers

    table = analysis.runs_table(RUNS)
    box = answers.fan_out(analysis.scaling_table(table), table, {})
    assert "4 workers walked 20,000 rows/s (2.00x 1), flattening after 2" in box["answer"]
    assert "fleet's PSS peak was postgresql 64 MiB with 1, 256 MiB with 4" in box["article"]
    assert "killed mid-range cost +1.00 s and left every row right" in box["answer"]
    faster = analysis.runs_table([summary(1, 10.0), summary(2, 4.0), summary(4, 2.0)])
    assert "4 workers walked 50,000 rows/s (5.00x 1)." in answers.fan_out(
        analysis.scaling_table(faster), faster, {})["answer"]
    slower = analysis.runs_table([summary(1, 10.0), summary(2, 12.0)])
    assert "more workers did not help: 1 walked 10,000 rows/s, 2 8,333" in answers.fan_out(
        analysis.scaling_table(slower), slower, {})["answer"]
    assert "sqlite: no redis" in answers.fan_out(None, None, {"sqlite": "no redis"})["answer"]


def test_page_07s_try_this_follows_the_best_worker_count():
    from labproject.analysis import answers, tryit

    table = analysis.runs_table(RUNS)
    facts = answers.fan_out(analysis.scaling_table(table), table, {})["facts"]
    prompt = tryit.more_workers(facts, rows=1_000_000)
    assert "--workers 4 --ranges 16" in prompt and "about 20,000 rows/s" in prompt and "about 50 s here" in prompt
    assert "not measured here" in tryit.more_workers({"missing": {"sqlite": "no redis"}})
