"""Every notebook of the report executes headless in quick mode, from a working directory of its own."""

import pytest

from labproject.report.catalog import PAGES

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("page", PAGES, ids=[p.stem for p in PAGES])
def test_notebook_executes_headless_in_quick_mode(page, quick_report):
    result = quick_report.page(page)
    assert result.error is None, result.error
    assert result.notebook.exists()
    assert result.finding, "the notebook printed no finding"
