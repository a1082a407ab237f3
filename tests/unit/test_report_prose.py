"""What the pages say around their figures: glossary links, the loops' code, runs quoted from an earlier page,
OFFSET's scan, predictions for a pod, the counters behind "why the fast ones are fast", and a busy core."""

from dataclasses import replace

import nbformat
import pandas as pd
import psutil
import pytest

from labproject import charts
from labproject.analysis import counters, offset, pods, scaling
from labproject.engine import tidy
from labproject.engine.spec import RunSpec
from labproject.engine.store import ResultStore
from labproject.report.export import link_terms, linked
from labproject.report.glossary import TERMS
from labproject.report.listing import side_by_side, source
from labproject.studies import busy, reuse
from tests.unit.fake_results import five_methods, result


def test_a_term_is_linked_at_its_first_use_only_and_never_inside_code_or_headings():
    waiting = list(TERMS)
    text = linked("## RSS first\nRSS and RSS again; `keyset_executemany` is not keyset batches; `LIMIT 1 OFFSET 9`",
                  waiting)
    assert text.startswith("## RSS first\n[RSS](glossary.html#rss) and RSS again")
    assert "`keyset_executemany` is not [keyset](glossary.html#keyset) batches" in text
    assert "[`LIMIT 1 OFFSET 9`](glossary.html#offset)" in text
    assert not any(t.anchor in ("rss", "keyset", "offset") for t in waiting)
    assert linked("RSS again", waiting) == "RSS again", "the first use on a page is the only one linked"


def test_a_page_links_terms_in_its_markdown_outputs_too():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("About PSS."), nbformat.v4.new_code_cell(
        "x", outputs=[nbformat.v4.new_output("display_data", data={"text/markdown": "PSS and malloc_trim"})])])
    link_terms(nb)
    assert nb.cells[0].source == "About [PSS](glossary.html#pss)."
    assert nb.cells[1].outputs[0].data["text/markdown"] == "PSS and [malloc_trim](glossary.html#malloc-trim)"


def test_every_glossary_anchor_is_unique():
    anchors = [t.anchor for t in TERMS]
    assert len(anchors) == len(set(anchors))


def test_the_loops_are_shown_from_the_strategies_themselves():
    code = source("paginator_bulk_update")
    assert code.startswith("def paginator_bulk_update(walk: Walk)") and "@strategy" not in code
    assert "def _pages(walk: Walk)" in code and "Paginator(" in code, "the page loop it calls is shown with it"
    grid = side_by_side(["queryset_loop", "iterator_save"])
    assert grid.count("<figure>") == 2 and "method 1: " in grid and "obj.save(update_fields=" in grid


def test_runs_of_an_earlier_page_of_the_report_stand_in_for_the_same_specs(tmp_path, monkeypatch, settings):
    settings.RESULTS_DIR = tmp_path
    store = ResultStore(tmp_path)
    spec = RunSpec("keyset_executemany", rows=1000, backend="sqlite", repeats=2, memory_cap_mb=256, check=False)
    store.write(replace(result("keyset_executemany"), session="20000101-000000-older-report", spec=spec, run_id="old"))
    monkeypatch.setenv(reuse.REPORT_SINCE_ENV, "20000101-000001")  # this report began after that session
    assert reuse.split([replace(spec, memory_cap_mb=None)])[0].results == []
    session = store.new_session("scaling")
    for repeat in (0, 1):
        store.write(replace(result("keyset_executemany", repeat), session=session, spec=spec, run_id=f"r{repeat}"))
    wanted = replace(spec, memory_cap_mb=None)  # page 04 asks without a cap: a survived run is the same run
    found, left = reuse.split([wanted, replace(wanted, rows=2000)])
    assert sorted(r.run_id for r in found.results) == ["r0", "r1"] and [s.rows for s in left] == [2000]
    monkeypatch.delenv(reuse.REPORT_SINCE_ENV)
    assert reuse.split([wanted])[0].results == [], "outside a report nothing is reused"


def test_offsets_cost_is_fitted_and_projected():
    costs = pd.DataFrame({"offset": [0, 250_000, 500_000], "seconds": [0.001, 0.026, 0.051]})
    scan = offset.ScanCost.fit(costs, table_rows=501_000, batch_size=1000)
    assert scan.per_row_seconds == pytest.approx(1e-7) and scan.resolved
    assert scan.walk_seconds(1_000_000) == pytest.approx(1e-7 * offset.offset_rows_skipped(1_000_000, 1000))
    assert scan.catches_up_at(2e-4) == 4_000_000
    timing = pd.DataFrame([{"strategy": "paginator_bulk_update", "largest rows": 30_000, "seconds at largest": 6.0}])
    table = offset.offset_table(timing, scan)
    assert table.loc[0, "catches up at rows"] == 4_000_000
    assert "**4,000,000 rows**" in offset.offset_lines(table, scan)
    flat = offset.ScanCost.fit(costs.assign(seconds=[0.002, 0.001, 0.002]), table_rows=4000, batch_size=1000)
    assert not flat.resolved and "too small" in offset.offset_lines(table, flat)


def test_a_pod_size_beyond_the_runs_is_predicted_and_marked_when_the_sizes_cannot_tell():
    fits = pd.DataFrame([
        {"strategy": "flat", "memory": "O(1)", "largest rows": 500_000, "peak at largest (MiB)": 1.0,
         "MiB per 100k rows": 0.01, "baseline MiB": 45.0},
        {"strategy": "short", "memory": scaling.UNKNOWN, "largest rows": 10_000, "peak at largest (MiB)": 1.0,
         "MiB per 100k rows": 5.0, "baseline MiB": 45.0},
        {"strategy": "greedy", "memory": "O(n)", "largest rows": 100_000, "peak at largest (MiB)": 100.0,
         "MiB per 100k rows": 100.0, "baseline MiB": 45.0}])
    table = pods.predicted(fits, cap_mb=256).set_index(["strategy", "rows"])
    assert table.loc[("flat", 5_000_000), "state"] == "fits"
    assert table.loc[("short", 5_000_000), "state"] == "unsure"
    assert table.loc[("short", 5_000_000), "memory MiB"] == pytest.approx(1.0 + 5.0 * 49.9)
    assert table.loc[("greedy", 1_000_000), "state"] == "over"


def test_the_counters_say_what_each_strategy_builds_and_sends_per_1000_rows():
    from labproject.engine.sections import Queries

    rows = 10_000
    made = [result("paginator_bulk_update", rows=rows, queries=Queries(40, 2.0, 0, "", instances=rows,
                                                                       offset_rows=45_000_000, sql_chars=500_000)),
            result("keyset_bulk_update", rows=rows, queries=Queries(30, 2.0, 0, "", instances=rows, sql_chars=500_000)),
            result("keyset_executemany", rows=rows, wall=0.2,
                   queries=Queries(20, 0.1, 10, "", instances=0, sql_chars=1_000))]
    table = counters.counters_table(tidy.runs_table(made), payload_text_bytes=300).set_index("strategy")
    assert table.loc["paginator_bulk_update", "model instances"] == 1000
    assert table.loc["paginator_bulk_update", "rows stepped over (OFFSET)"] == 4_500_000
    assert table.loc["keyset_executemany", "of them executemany"] == 1.0
    assert table.loc["keyset_executemany", "JSON decoded (KiB)"] == pytest.approx(300_000 / 1024)
    said = counters.why_fast(table.reset_index(), fast="keyset_executemany")
    assert "`keyset_executemany` also drops the model instances" in said and "10.0x faster again" in said


def test_a_busy_core_runs_for_the_block_and_is_gone_after_it():
    with busy.one_busy_core() as proc:
        assert proc.is_running() and sum(proc.cpu_times()[:2]) >= busy.BUSY_CPU_SECONDS
    assert not proc.is_running() or proc.status() == psutil.STATUS_ZOMBIE


def test_no_chart_of_the_standard_set_shows_more_colours_than_a_panel_may():
    results = five_methods()
    figures = charts.standard_charts(*(tidy.runs_table(results), tidy.samples_table(results),
                                       tidy.tracemalloc_table(results), tidy.sites_table(results),
                                       tidy.retained_types_table(results)))
    for figure in figures:
        colours = {t.line.color for t in figure.data if getattr(t, "line", None) and t.line.color} | {
            c for t in figure.data if getattr(t, "marker", None) for c in
            (t.marker.color if isinstance(t.marker.color, tuple | list) else [t.marker.color]) if c}
        assert len(colours) <= charts.context.MOST_COLOURS + 1, figure.layout.title.text  # + the median's black
