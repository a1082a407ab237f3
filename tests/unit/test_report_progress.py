"""make report's progress: recorded durations round-trip per mode, and the lines say what to expect."""

import io
import logging

from labproject.report.kernel_log import MESSAGE, PlainTcpWarning
from labproject.report.progress import ReportProgress, load_durations, record_duration


def test_durations_are_kept_per_mode_and_page(tmp_path):
    assert load_durations(tmp_path, "full") == {}
    record_duration(tmp_path, "full", "01", 243.04)
    record_duration(tmp_path, "quick", "01", 20)
    record_duration(tmp_path, "full", "02", 133)
    assert load_durations(tmp_path, "full") == {"01": 243.0, "02": 133.0}
    assert load_durations(tmp_path, "quick") == {"01": 20.0}


def test_a_piped_report_gets_a_line_per_page_with_what_is_left():
    out = io.StringIO()
    progress = ReportProgress(["01", "02"], {"01": 100.0, "02": 300.0}, stream=out)
    progress.page_started("01", "full")
    progress.page_finished("01", "  01: ok in 90 s")
    progress.page_started("02", "full")
    progress.close()
    lines = out.getvalue().splitlines()
    assert lines[0] == "executing 01 (full), 100 s last time; about 400 s left"
    assert lines[1] == "  01: ok in 90 s"
    assert lines[2].startswith("executing 02 (full), 300 s last time; ETA ") and lines[2].endswith(" s")


def test_without_a_record_for_every_page_the_report_says_so():
    out = io.StringIO()
    ReportProgress(["01", "02"], {"01": 100.0}, stream=out).close()
    assert "no recorded durations" in out.getvalue()


def test_only_the_plain_tcp_warning_is_dropped():
    keep = PlainTcpWarning()
    assert not keep.filter(logging.makeLogRecord({"msg": MESSAGE + ". All communication ...", "levelno": 30}))
    assert keep.filter(logging.makeLogRecord({"msg": "Kernel restarted", "levelno": 30}))
