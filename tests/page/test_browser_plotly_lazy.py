"""plotly.js (4.8 MB) loads only when a Plotly chart is drawn (static/js/views/plotly_loader.js), in real Chromium:
the canvas heatmaps, the token strip, the step detail and the unit chart (a canvas too) never wait for it;
compare mode's charts ask for it; and when it cannot load, those charts say so in words while the rest of the
page keeps working."""

from __future__ import annotations

import re

import pytest

from tests.heatmap_hooks import DRAWN, click_cell
from tests.page.pages import wait_idle, watched_page

pytest.importorskip("playwright.sync_api", reason="browser tests need playwright")

PLOTLY = re.compile(r"/vendor/plotly-[0-9a-f]+\.min\.js$")
# What Chromium logs for a script request the test aborts: the only console error a blocked plotly.js may cause.
BLOCKED = "Failed to load resource: net::ERR_FAILED"
# Records, when plotly.js's <script> joins the page, how many canvas heatmaps had drawn by then.
RECORD_INSERT = """
new MutationObserver((records) => {
  for (const record of records) for (const node of record.addedNodes) {
    if (node.nodeName === 'SCRIPT' && /\\/vendor\\/plotly-/.test(node.src)) {
      window.__plotlyAddedWhenDrawn = document.querySelectorAll('#heatmaps .heatmap-plot[data-drawn]').length;
    }
  }
}).observe(document, { childList: true, subtree: true });
"""
UNIT_CHART = "#unit-detail .unit-chart"


def plotly_requests(page) -> list[str]:
    return [url for url in page.requests if PLOTLY.search(url)]


def open_page(page, server: str, query: str = "") -> None:
    page.goto(f"{server}/{query}")
    try:
        page.wait_for_function(f"() => {DRAWN} === 3")
    except Exception as timeout:  # say what the page showed instead
        state = page.evaluate("() => [document.querySelector('#results').getAttribute('aria-busy'),"
                              f" {DRAWN}, document.querySelector('#error').textContent, location.href]")
        shown = f"busy, drawn, error, url = {state}; errors {page.errors}"
        raise AssertionError(f"heatmaps not drawn: {shown}") from timeout
    wait_idle(page)


def test_the_heatmaps_and_the_unit_chart_draw_without_plotly_and_compare_brings_it(browser, server):
    with watched_page(browser, server) as page:
        page.add_init_script(RECORD_INSERT)
        open_page(page, server)
        # Drawn and idle, nothing on screen needs Plotly: the 4.8 MB bundle was not asked for.
        assert plotly_requests(page) == []
        assert page.evaluate("() => typeof window.Plotly") == "undefined"
        assert page.evaluate("() => performance.getEntriesByType('resource')"
                             ".filter((e) => /\\/vendor\\/plotly-/.test(e.name)).length") == 0
        page.locator("#tokens li").nth(3).click()  # the step detail needs no Plotly either
        page.locator("#step-detail .step-eq").first.wait_for()
        click_cell(page, "kept", 3, 2)  # a unit over the text: its chart is a canvas
        page.wait_for_function(f"() => document.querySelector('{UNIT_CHART}')?.data?.length > 0")
        assert page.locator(f"{UNIT_CHART} canvas[role=img]").count() == 1
        wait_idle(page)
        assert plotly_requests(page) == []
        assert page.evaluate("() => typeof window.Plotly") == "undefined"
        # Tokens are numbered for people on the chart: x is 1..19, the hover title "token n of 19".
        chart = page.locator(UNIT_CHART)
        assert chart.evaluate("p => Array.from(p.data[1].x)") == list(range(1, 20))
        assert chart.evaluate("p => p.layout.xaxis.unifiedhovertitle.text") == "token %{x} of 19"
        chart.hover()  # the middle of the chart: a unified hover box, as Plotly's
        tooltip = page.locator("#unit-detail .unit-chart-tooltip")
        tooltip.wait_for()
        assert tooltip.text_content().startswith("token ") and " of 19" in tooltip.text_content()
        # Compare mode's charts are Plotly's: one <script>, after the heatmaps had drawn.
        page.locator("#mode-buttons button[data-mode=compare]").click()
        page.wait_for_function("() => document.querySelectorAll('#compare .js-plotly-plot').length >= 2")
        assert len(plotly_requests(page)) == 1
        assert page.evaluate("() => document.querySelectorAll('script[src*=\"/vendor/plotly-\"]').length") == 1
        assert page.evaluate("() => window.__plotlyAddedWhenDrawn") == 3
        assert page.locator("#compare .modebar").count() == 0  # no toolbar over the charts


def test_a_blocked_plotly_leaves_the_page_working_and_the_chart_says_what_is_missing(browser, server):
    with watched_page(browser, server) as page:
        page.route("**/vendor/plotly-*", lambda route: route.abort())
        open_page(page, server)
        assert page.locator("#heatmaps .heatmap-plot canvas[role=img]").count() == 3
        page.locator("#tokens li").nth(3).click()  # selects step 3 and the first unit
        page.locator("#step-detail .step-eq").first.wait_for()  # the step detail: "Why this number?"
        assert "“to”" in page.locator("#step-detail .step-heading").text_content()
        page.wait_for_function(f"() => document.querySelector('{UNIT_CHART}')?.data?.length > 0")
        assert page.locator("#unit-detail .unit-token").count() == 19  # the tinted text needs no Plotly
        assert plotly_requests(page) == []  # nor the unit chart
        # Compare mode's charts need it: they say so, once, however often the page redraws.
        page.locator("#mode-buttons button[data-mode=compare]").click()
        missing = page.locator("#compare .plotly-missing")
        missing.wait_for()
        text = missing.text_content()
        assert text.startswith("These charts need plotly.js, which did not load: the request for /vendor/plotly-")
        attempts = len(plotly_requests(page))
        assert attempts == 1
        page.keyboard.press("ArrowRight")
        page.locator("#step-detail .step-heading", has_text="“my”").wait_for()
        wait_idle(page)
        assert len(plotly_requests(page)) == attempts
        # The network comes back: "Try again" loads plotly.js and draws the charts.
        page.unroute("**/vendor/plotly-*")
        missing.locator("button", has_text="Try again").click()
        page.wait_for_function("() => document.querySelectorAll('#compare .js-plotly-plot').length >= 2")
        assert missing.is_hidden()
        # The only console errors are the aborted request's own; no uncaught rejection, nothing of ours.
        assert page.errors and set(page.errors) == {BLOCKED}, page.errors
        page.errors.clear()


def test_compare_and_the_memory_panel_say_so_too_without_plotly(browser, server):
    with watched_page(browser, server) as page:
        page.route("**/vendor/plotly-*", lambda route: route.abort())
        open_page(page, server, "?step=2")
        page.locator("#mode-buttons button[data-mode=compare]").click()
        missing = page.locator("#compare .plotly-missing")
        missing.wait_for()
        assert missing.text_content().startswith("These charts need plotly.js, which did not load:")
        wait_idle(page)
        assert page.locator("#error").text_content() == ""  # not a page error: only these charts are missing
        assert page.locator("#compare button.compare-unit").count() > 0  # the ranking needs no Plotly
        page.locator("#retention > summary").click()
        panel = page.locator("#retention .plotly-missing")
        panel.wait_for()
        assert "need plotly.js, which did not load" in panel.text_content()
        assert page.locator("#retention .retention-status").text_content().startswith("From s = token 3 of 19")
        assert set(page.errors) <= {BLOCKED}, page.errors
        page.errors.clear()
