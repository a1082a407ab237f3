"""Debian's Chromium driven by Playwright, for the tests that open the report, and what they check on a chart."""

import os
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("LAB_CHROMIUM", "/usr/bin/chromium"))  # Debian's; never a downloaded one
# Every text a plotly chart draws (ticks, titles, legend, annotations) with its box; pairs that overlap, and boxes
# that stick out of the chart, are clipped or colliding labels.
LABEL_PROBLEMS = """gd => {
  const root = gd.getBoundingClientRect();
  const texts = [...gd.querySelectorAll('.xtick text, .ytick text, .g-xtitle text, .g-ytitle text, .gtitle, '
                                        + '.legendtext, .legendtitletext, .annotation-text, .updatemenu-item-text')]
    .filter(t => t.textContent.trim() && t.getBoundingClientRect().width > 0);
  const boxes = texts.map(t => [t.textContent.trim(), t.getBoundingClientRect()]);
  const problems = [];
  for (const [label, r] of boxes) {
    if (r.left < root.left - 1 || r.right > root.right + 1 || r.top < root.top - 1 || r.bottom > root.bottom + 1)
      problems.push('clipped: ' + label);
  }
  for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
    const [a, ra] = boxes[i], [b, rb] = boxes[j];
    const x = Math.min(ra.right, rb.right) - Math.max(ra.left, rb.left);
    const y = Math.min(ra.bottom, rb.bottom) - Math.max(ra.top, rb.top);
    if (x > 1 && y > 1) problems.push('overlap: ' + a + ' / ' + b);
  }
  return problems;
}"""


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(f"no Chromium at {CHROMIUM}: apt-get install chromium (this test never downloads a browser)",
                    pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"])
        yield launched
        launched.close()


def decision_chart_reads(tab, backends: int = 1) -> None:
    """The decision chart: at least ``backends`` backends' traces, all shown (no dropdown), every label readable."""
    charts = tab.locator(".js-plotly-plot")
    found = [i for i in range(charts.count())
             if charts.nth(i).evaluate("gd => gd.layout.scattermode === 'group'")]
    assert found, "no decision chart on the page"
    chart = charts.nth(found[0])
    assert chart.evaluate("gd => (gd.layout.updatemenus || []).length") == 0
    assert chart.evaluate("gd => gd._fullData.every(t => t.visible === true)")
    assert chart.evaluate("gd => new Set(gd._fullData.map(t => t.legendgroup)).size") >= backends
    assert chart.evaluate(LABEL_PROBLEMS) == []
