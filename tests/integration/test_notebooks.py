"""Every notebook of the report executes headless in quick mode, from a working directory of its own."""

import pytest

from labproject.report.catalog import PAGES
from labproject.report.execute import execute

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("page", PAGES, ids=[p.stem for p in PAGES])
def test_notebook_executes_headless_in_quick_mode(page, lab, monkeypatch):
    for key in ("DATABASE_URL", "LAB_RESULTS_DIR"):
        monkeypatch.setenv(key, lab.env[key])
    monkeypatch.chdir(lab.root)
    result = execute(page, "quick", lab.root / "executed")
    assert result.error is None, result.error
    assert result.notebook.exists()
    assert result.finding, "the notebook printed no finding"
