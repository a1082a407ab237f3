"""The buffering finding of notebook 02's setups, and the setup column, on hand-made runs."""

import pytest

from labproject.analysis import leak
from labproject.analysis.verdicts import CONFIRMED, NOT_MEASURED, REFUTED
from labproject.engine.measured import Measured
from labproject.engine.tidy import runs_table, setup_name
from tests.unit.fake_results import result

STREAMING = ["unbuffered_stream", "pipelined"]


def judged(held_mib: float, streamed_mib: float = 2.0):
    runs = Measured([result("iterator_save", peak_mib=held_mib, rows=10_000),
                     result("unbuffered_stream", peak_mib=streamed_mib, wall=1.0, rows=10_000),
                     result("pipelined", peak_mib=50.0, wall=3.0, rows=10_000)])
    return leak.buffering(runs, setup="mysql", buffered="iterator_save", streaming=STREAMING)


def test_the_finding_compares_with_the_fastest_streaming_strategy_and_changes_with_the_runs():
    held = judged(30.0)
    assert held.verdict == CONFIRMED and held.hypothesis == leak.buffering_hypothesis("mysql", "iterator_save")
    assert held.effect == ("peak above baseline: iterator_save 30.0, unbuffered_stream (the fastest streaming one, "
                           "1.00 s) 2.0 MiB; holding the result adds +280.0 MiB per 100k rows")
    flat = judged(2.1)
    assert flat.verdict == REFUTED and "+1.0 MiB per 100k rows" in flat.effect


@pytest.mark.parametrize("runs", [Measured([result("iterator_save")]), Measured([result("unbuffered_stream")])])
def test_a_side_without_a_verified_run_is_not_measured(runs):
    finding = leak.buffering(runs, setup="mysql", buffered="iterator_save", streaming=STREAMING)
    assert finding.verdict == NOT_MEASURED and finding.effect.startswith("not measured: ")


def test_a_missing_server_is_not_measured_with_its_reason():
    finding = leak.buffering(None, "the notebook was run with mariadb='off'", setup="mysql",
                             buffered="iterator_save", streaming=STREAMING)
    assert finding.verdict == NOT_MEASURED and "mariadb='off'" in finding.effect


def test_the_setup_keeps_pooled_runs_apart_from_direct_ones():
    assert setup_name("postgresql", None) == "postgresql"
    assert setup_name("postgresql", "transaction") == "postgresql+transaction"
    assert list(runs_table([result("iterator_save")])["setup"]) == ["sqlite"]
