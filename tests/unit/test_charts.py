"""Charts on hand-made results: the traces, axes, units, titles and plotly controls a reader relies on."""

import pytest

from labproject import charts
from labproject.charts.objects import short_site
from labproject.charts.timeline import thin
from labproject.engine import tidy
from tests.unit.fake_results import five_methods, result

SETTING = ("1,000 rows", "300 B payload", "SQLite 3.40.1", "journal_mode wal", "synchronous normal", "DEBUG off",
           "Python 3.11.7", "Django 5.2.1")


@pytest.fixture
def plain():
    results = [r for r in five_methods() if r.probes == ["rss"]]
    return tidy.runs_table(results), tidy.samples_table(results)


def test_timeline_draws_one_line_per_run_coloured_by_strategy_and_dashed_by_repeat(plain):
    runs, samples = plain
    fig = charts.memory_timeline(samples, runs)
    assert [(t.name, t.line.dash) for t in fig.data] == [
        ("steep", "solid"), ("steep", "dash"), ("flat", "solid"), ("flat", "dash")]
    assert fig.data[0].line.color == fig.data[1].line.color != fig.data[2].line.color
    assert [t.showlegend for t in fig.data] == [True, False, True, False]
    assert max(fig.data[1].y) == pytest.approx(110)  # MiB above baseline, not absolute RSS
    assert fig.layout.xaxis.title.text == "time since the strategy started (s)"
    note = "<br><sup>baseline 40 MiB, 2.0 of it the connection + page cache</sup>"  # the baseline says what it holds
    assert fig.layout.yaxis.title.text == "RSS above baseline (MiB)" + note
    for fact in SETTING:
        assert fact in fig.layout.title.text


def test_timeline_controls_switch_x_axis_strategy_and_repeat(plain):
    runs, samples = plain
    fig = charts.memory_timeline(samples, runs)
    axis, strategy = fig.layout.updatemenus
    by_rows = axis.buttons[1]
    assert by_rows.args[1] == {"xaxis.title.text": charts.X_AXES["rows_done"]}
    assert by_rows.args[0]["x"][0] == [0, 100, 200, 300, 400, 500, 600, 700, 800, 900, 1000]
    assert [b.label for b in strategy.buttons] == ["all", "steep", "flat"]
    assert strategy.buttons[2].args[0]["visible"] == [False, False, True, True]
    (slider,) = fig.layout.sliders
    assert [s.label for s in slider.steps] == ["all", "1", "2"]
    assert slider.steps[2].args[0]["opacity"][1] == 1.0 > slider.steps[2].args[0]["opacity"][0]


def test_live_use_draws_the_choice_without_controls(plain):
    runs, samples = plain
    fig = charts.memory_timeline(samples, runs, x="rows_done", repeat=1, controls=False)
    assert not fig.layout.updatemenus and not fig.layout.sliders
    assert [t.name for t in fig.data] == ["steep", "flat"]
    assert list(fig.data[0].x) == [0, 100, 200, 300, 400, 500, 600, 700, 800, 900, 1000]
    assert fig.layout.xaxis.title.text.startswith("rows done (rows")


def test_zoom_on_a_subset_keeps_each_strategys_colour(plain):
    runs, samples = plain
    full = charts.memory_timeline(samples, runs)
    zoom = charts.memory_timeline(samples, runs, strategies=["flat"])
    assert {t.name for t in zoom.data} == {"flat"}
    assert zoom.data[0].line.color == full.data[2].line.color


def test_thinning_a_long_run_keeps_its_highest_point(plain):
    _runs, samples = plain
    line = samples[samples["run_id"] == samples["run_id"].iloc[0]].reset_index(drop=True)
    line.loc[7, "rss_above_baseline_mib"] = 999.0
    kept = thin(line, "rss_above_baseline_mib", most=3)
    assert 999.0 in kept["rss_above_baseline_mib"].tolist()
    assert kept.index[0] == 0 and kept.index[-1] == len(line) - 1 and len(kept) < len(line)


def test_peak_and_time_shows_runs_median_and_spread_with_a_metric_menu(plain):
    runs, _samples = plain
    fig = charts.peak_and_time(runs)
    peak_dots, peak_median = fig.data[0], fig.data[1]
    assert list(peak_dots.x) == pytest.approx([100, 2, 110, 3])
    assert list(peak_median.y) == ["steep", "flat"], "one row per strategy: names on the axis, never rotated"
    assert list(peak_median.x) == pytest.approx([105, 2.5])
    assert list(peak_median.error_x.array) == pytest.approx([5, 0.5])
    assert list(peak_median.error_x.arrayminus) == pytest.approx([5, 0.5])
    wall_median = fig.data[-1]
    assert list(wall_median.x) == pytest.approx([3.5, 5.5])
    assert fig.layout.xaxis.title.text == (f"MiB above baseline, {charts.PEAK_METRICS['memory_above_baseline_mib']}"
                                           "<br><sup>baseline 40 MiB, 2.0 of it the connection + page cache</sup>")
    assert fig.layout.xaxis2.title.text == "wall time (s)"
    assert fig.layout.xaxis.tickangle is None
    (menu,) = fig.layout.updatemenus
    trimmed = next(b for b in menu.buttons if b.label == "after gc + malloc_trim")
    visible = trimmed.args[0]["visible"]
    assert visible[:2] == [False, False] and visible[-2:] == [True, True] and sum(visible) == 4


def test_peak_and_time_names_runs_that_are_not_drawn():
    results = [result("a"), result("a", 1, status="killed", error="killed at 200 MiB")]
    fig = charts.peak_and_time(tidy.runs_table(results))
    assert "not drawn: a: 1 killed" in fig.layout.title.text
    assert len(fig.data[0].x) == 1
    failed = charts.peak_and_time(tidy.runs_table([result("a", status="error", error="boom")]))
    assert not failed.data and "not drawn: a: 1 error" in failed.layout.title.text


def test_tracemalloc_beside_rss_draws_rss_current_and_peak_per_run():
    results = [r for r in five_methods() if "tracemalloc" in r.probes]
    runs, samples, traced = tidy.runs_table(results), tidy.samples_table(results), tidy.tracemalloc_table(results)
    fig = charts.tracemalloc_beside_rss(samples, traced, runs)
    assert len(fig.data) == 6
    rss, current, peak = fig.data[:3]
    assert (rss.xaxis, current.xaxis, peak.xaxis) == ("x", "x2", "x2")
    assert max(rss.y) == pytest.approx(130) and max(peak.y) == pytest.approx(90)
    assert peak.line.dash == "dot"
    assert fig.layout.yaxis.title.text == "MiB"
    assert fig.layout.updatemenus[0].buttons[1].args[0]["visible"] == [True] * 3 + [False] * 3


def test_allocation_sites_and_retained_types_show_one_strategy_at_a_time_with_units():
    results = five_methods()
    runs = tidy.runs_table(results)
    sites = charts.allocation_sites(tidy.sites_table(results), runs)
    assert [t.name for t in sites.data] == ["steep", "flat"]
    assert [t.visible for t in sites.data] == [True, False]
    assert list(sites.data[0].y) == ["django/db/models/base.py:10", "labproject/strategies/article.py:20"]
    assert list(sites.data[0].x) == pytest.approx([3, 1])
    assert sites.layout.xaxis.title.text == "size change over the strategy (MiB)"
    kept = charts.retained_types(tidy.retained_types_table(results), runs)
    assert list(kept.data[0].y) == ["dict", "str"]
    assert kept.layout.xaxis.title.text == "size change over the strategy (MiB)"


def test_short_site_keeps_the_part_a_reader_recognises():
    assert short_site("/v/lib/python3.11/site-packages/django/db/utils.py:98") == "django/db/utils.py:98"
    assert short_site("/usr/lib/python3.11/functools.py:52") == "functools.py:52"
    assert short_site("/work/main/labproject/engine/probes.py:46") == "labproject/engine/probes.py:46"


def test_query_chart_shows_median_count_and_time_in_queries():
    results = five_methods()
    fig = charts.query_count_and_time(tidy.runs_table(results))
    count, wall, inside = fig.data
    assert list(count.y) == ["steep", "flat"] and list(count.x) == [1001, 11]
    assert list(inside.x) == pytest.approx([1.5, 0.5]) and list(wall.x) == pytest.approx([3.5, 5.5])
    assert fig.layout.xaxis.type == "log" and fig.layout.xaxis.title.text == "queries (count, log scale)"
    assert fig.layout.xaxis2.title.text == "seconds (s)"
    assert [b.args[0]["xaxis.type"] for b in fig.layout.updatemenus[0].buttons] == ["log", "linear"]


def test_standard_charts_follow_the_probes_the_runs_carried():
    results = five_methods()
    tables = (tidy.runs_table(results), tidy.samples_table(results), tidy.tracemalloc_table(results),
              tidy.sites_table(results), tidy.retained_types_table(results))
    assert len(charts.standard_charts(*tables)) == 6
    plain = [r for r in results if r.probes == ["rss"]]
    tables = (tidy.runs_table(plain), tidy.samples_table(plain), tidy.tracemalloc_table(plain),
              tidy.sites_table(plain), tidy.retained_types_table(plain))
    assert len(charts.standard_charts(*tables)) == 2


def test_histogram_states_rows_backend_and_median():
    fig = charts.histogram([290, 300, 310], what="payload (bytes of JSON)", backend="sqlite", title="Payloads")
    assert list(fig.data[0].x) == [290, 300, 310]
    assert fig.layout.title.text == "Payloads<br><sup>3 rows · sqlite · median 300</sup>"
    assert fig.layout.xaxis.title.text == "payload (bytes of JSON)"
    assert fig.layout.yaxis.title.text == "rows (count)"
