"""The exported report in a real browser: Debian's Chromium, driven by Playwright, with the network cut.

Every page of a quick report opens from ``file://``; every chart output is drawn by plotly.js;
nothing is fetched from the network; no JavaScript error is logged; plotly's own dropdowns change
which traces are visible; and no chart's label is clipped or drawn over another. The reader's
version: the code is hidden until the toggle shows it
(and hides it again), every entry of the table of contents leads to its section, the bar links back
to the index and to the executed notebook. The memray flame graphs the leak page links open offline
and draw. A screenshot of each page lands in the test's temp folder.
"""

import json
import re

import pytest

from labproject.report.catalog import PAGES
from tests.browser import LABEL_PROBLEMS, decision_chart_reads

pytestmark = pytest.mark.slow

# Pages whose charts must carry a dropdown that shows one strategy at a time.
WITH_MENUS = {"01_the_five_methods", "05_playground"}
CHART_OUTPUT = 'class="plotly-graph-div"'
NETWORK_SCRIPT = re.compile(r"<script[^>]+src=[\"']?(?:https?:)?//", re.IGNORECASE)
# Pages that draw the decision chart (every strategy against the floor, one row each).
WITH_DECISION_CHART = {"04_faster_than_the_five", "06_your_own_table"}
# The first chart (of any page) whose menu switches trace visibility, and that menu's index.
FIND_VISIBILITY_MENU = """() => {
  const charts = [...document.querySelectorAll('.js-plotly-plot')];
  for (const [chart, gd] of charts.entries()) {
    for (const [menu, spec] of (gd.layout.updatemenus || []).entries()) {
      if (spec.buttons.some(b => b.args && b.args[0] && 'visible' in b.args[0])) return [chart, menu];
    }
  }
  return null;
}"""


@pytest.mark.parametrize("page", PAGES, ids=[p.stem for p in PAGES])
def test_page_opens_offline_with_every_chart_drawn(page, quick_report, browser, tmp_path):
    executed = quick_report.page(page)
    assert executed.error is None, executed.error
    path = quick_report.html(page)
    html = path.read_text(encoding="utf-8")
    charts = html.count(CHART_OUTPUT)
    assert not NETWORK_SCRIPT.search(html), "a <script> loads from the network"

    tab = browser.new_page(viewport={"width": 1200, "height": 900})
    asked, errors = [], []
    tab.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:")
              else (asked.append(route.request.url), route.abort()))
    tab.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    tab.on("pageerror", lambda error: errors.append(str(error)))
    tab.goto(path.as_uri(), wait_until="load")
    tab.wait_for_function(f"document.querySelectorAll('div.plot-container.plotly').length >= {charts}",
                          timeout=30_000)
    tab.screenshot(path=tmp_path / f"{page.stem}.png", full_page=True)

    assert tab.locator("div.plot-container.plotly").count() == charts
    assert asked == [], f"the page asked the network for {asked}"
    if page.stem in WITH_MENUS:
        _menu_changes_visible_traces(tab)
    if page.stem in WITH_DECISION_CHART:
        decision_chart_reads(tab)
    _labels_read(tab)
    _glossary_links(tab, quick_report.root)
    _reader_version(tab, path)
    assert errors == [], errors
    tab.close()


def test_the_memray_flame_graphs_open_offline(quick_report, browser, tmp_path):
    page = next(p for p in PAGES if p.stem == "02_leak_investigation")
    assert quick_report.page(page).error is None
    path = quick_report.html(page)
    tab = browser.new_page(viewport={"width": 1200, "height": 900})
    tab.goto(path.as_uri(), wait_until="load")
    links = tab.eval_on_selector_all("a.lab-flamegraph", "links => links.map(a => a.href)")
    tab.close()
    assert links, "the leak page links no memray flame graph"
    asked, errors = [], []
    for link in links:
        graph = browser.new_page(viewport={"width": 1200, "height": 900})
        graph.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:")
                    else (asked.append(route.request.url), route.abort()))
        graph.on("pageerror", lambda error: errors.append(str(error)))
        graph.goto(link, wait_until="load")
        graph.wait_for_function("document.querySelectorAll('#chart svg rect, #chart svg g').length > 3",
                                timeout=30_000)
        graph.screenshot(path=tmp_path / "flamegraph.png")
        assert asked == [], f"the flame graph asked the network for {asked}"
        assert errors == [], errors
        graph.close()


def test_the_index_links_every_page_and_executed_notebook(quick_report, browser):
    from labproject.report.index import write_index

    done = [quick_report.page(page) for page in PAGES]
    index = write_index(quick_report.root, done, {"database": {}}, "quick", 0)
    tab = browser.new_page()
    tab.goto(index.as_uri(), wait_until="load")
    hrefs = tab.eval_on_selector_all("a", "links => links.map(a => a.getAttribute('href'))")
    tab.close()
    for page in PAGES:
        assert f"{page.stem}.html" in hrefs and f"executed/{page.stem}.ipynb" in hrefs
    for href in hrefs:
        assert (quick_report.root / href).is_file(), href


def _labels_read(tab) -> None:
    """Every chart on the page: no label clipped at the report's width or drawn over another."""
    charts = tab.locator(".js-plotly-plot")
    problems = {}
    for i in range(charts.count()):
        found = charts.nth(i).evaluate(LABEL_PROBLEMS)
        if found:
            title = charts.nth(i).evaluate("gd => String((gd.layout.title || {}).text || '').split('<br>')[0]")
            problems[f"chart {i + 1} ({title})"] = found
    assert problems == {}, problems


def _glossary_links(tab, root) -> None:
    """The page links terms to the glossary, and every link lands on an entry there."""
    from labproject.report.index import write_glossary

    glossary = write_glossary(root).read_text(encoding="utf-8")
    links = tab.eval_on_selector_all('a[href^="glossary.html#"]', "links => links.map(a => a.getAttribute('href'))")
    assert links, "the page links no term to the glossary"
    for href in links:
        assert f'id="{href.split("#", 1)[1]}"' in glossary, href


def _reader_version(tab, path) -> None:
    """Code hidden, shown and hidden again by the toggle; table of contents, index and download links work."""
    code = tab.locator(".jp-CodeCell .jp-Cell-inputWrapper").first
    assert not code.is_visible(), "the reader's version shows the code"
    tab.locator("label.lab-toggle").click()
    code.wait_for(state="visible", timeout=5_000)
    tab.locator("label.lab-toggle").click()
    code.wait_for(state="hidden", timeout=5_000)
    entries = tab.eval_on_selector_all(".lab-toc a", "links => links.map(a => a.getAttribute('href'))")
    assert entries, "the page has no table of contents"
    for anchor in entries:
        assert tab.evaluate("id => document.getElementById(id) !== null", anchor[1:]), anchor
    tab.locator(".lab-toc summary").click()
    tab.locator(".lab-toc a").last.click()
    tab.wait_for_function("([hash]) => location.hash === hash", arg=[entries[-1]], timeout=5_000)
    assert tab.evaluate("id => { const r = document.getElementById(id).getBoundingClientRect();"
                        " return r.top >= 0 && r.top < window.innerHeight; }", entries[-1][1:])
    bar = tab.eval_on_selector_all(".lab-bar a", "links => links.map(a => a.getAttribute('href'))")
    assert "index.html" in bar
    assert any((path.parent / href).is_file() and href.endswith(".ipynb") for href in bar)


def _menu_changes_visible_traces(tab) -> None:
    """Open the first visibility dropdown and pick its second entry; the visible traces must change."""
    found = tab.evaluate(FIND_VISIBILITY_MENU)
    assert found is not None, "no chart on the page has a dropdown that changes which traces are visible"
    chart, menu = found
    figure = tab.locator(".js-plotly-plot").nth(chart)
    before = figure.evaluate("gd => gd._fullData.map(t => t.visible)")
    figure.locator(".updatemenu-header-group").nth(menu).click()
    figure.locator(".updatemenu-dropdown-button").nth(1).click()
    tab.wait_for_function("([chart, before]) => JSON.stringify(document.querySelectorAll('.js-plotly-plot')[chart]"
                          "._fullData.map(t => t.visible)) !== before",
                          arg=[chart, json.dumps(before, separators=(",", ":"))], timeout=5_000)
    after = figure.evaluate("gd => gd._fullData.map(t => t.visible)")
    assert after != before and any(after) and not all(after)
