"""Probe overhead and the sentences notebooks print: computed from runs, checked on hand-made ones."""

import pytest

from labproject.analysis import five_methods
from labproject.analysis.overhead import overhead_by_probe, probe_overhead
from labproject.engine import tidy
from tests.unit.fake_results import five_methods as fake_five_methods


@pytest.fixture
def runs():
    return tidy.runs_table(fake_five_methods())


def test_probe_overhead_compares_each_probe_with_rss_only_runs_of_the_same_strategy(runs):
    table = probe_overhead(runs).set_index(["strategy", "probe"])
    traced = table.loc[("steep", "tracemalloc")]
    assert traced["time_ratio"] == pytest.approx(12 / 3.5)
    assert traced["baseline_diff_mib"] == pytest.approx(1)
    assert traced["peak_diff_mib"] == pytest.approx(130 - 105)
    assert (traced["runs"], traced["reference_runs"]) == (1, 2)
    assert table.loc[("steep", "pympler"), "baseline_diff_mib"] == pytest.approx(18)
    assert sorted(table.index) == [("flat", "queries"), ("flat", "tracemalloc"), ("steep", "pympler"),
                                   ("steep", "queries"), ("steep", "tracemalloc")]


def test_overhead_by_probe_gives_the_range_over_strategies(runs):
    by_probe = overhead_by_probe(probe_overhead(runs)).set_index("probe")
    assert by_probe.loc["tracemalloc", "time_ratio_min"] == pytest.approx(12 / 3.5)
    assert by_probe.loc["tracemalloc", "time_ratio_max"] == pytest.approx(20 / 5.5)
    line = five_methods.overhead_lines(by_probe.reset_index())
    assert line.splitlines()[0].startswith("- **tracemalloc** (1,000 rows): 3.")
    assert "over 2 strategies" in line


def test_flat_strategies_and_the_verdict_come_from_the_peaks(runs):
    plain = runs[runs["probes"] == "rss"]
    assert five_methods.flat_strategies(plain) == ["flat"]
    assert five_methods.memory_verdict(plain) == (
        "Flat (a median memory at most 25% of the highest, 105.0 MiB): `flat` (+2.5 MiB). Grows: `steep` (+105.0 MiB).")


def test_what_the_oom_killer_sees_adds_the_baseline_to_the_heaviest_peak(runs):
    assert five_methods.resident_at_peak(runs[runs["probes"] == "rss"]) == (
        "`steep` at its peak: baseline 40.0 MiB, 2.0 MiB of it the connection and the page cache the reset warmed, "
        "+ 105.0 MiB above it = **145.0 MiB** resident, what the OOM killer sees (medians).")


def test_three_views_put_rss_tracemalloc_and_pympler_side_by_side(runs):
    table = five_methods.three_views_table(runs[runs["probes"] == "rss"], runs[runs["probes"] == "rss,tracemalloc"],
                                runs[runs["probes"] == "rss,pympler"])
    assert table.loc["steep"].tolist() == [105.0, 90.0, 2.5]
    assert table.loc["flat", "tracemalloc peak (MiB)"] == 1.0
