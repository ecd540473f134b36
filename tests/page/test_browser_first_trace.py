"""The first trace is asked for by static/js/first_trace.js while main.js's modules still load, and main.js
draws its answer instead of asking again (real Chromium): one request, made from first_trace.js; where the
first screen needs another trace (compare mode), main.js asks for its own and draws the same as ever."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from tests.heatmap_hooks import DRAWN
from tests.page.pages import wait_idle, watched_page

pytest.importorskip("playwright.sync_api", reason="browser tests need playwright")

# Every /api/trace fetch with whether first_trace.js is on its call stack.
RECORD_FETCHES = """
window.__traces = [];
const realFetch = window.fetch;
window.fetch = function (resource, ...rest) {
  const url = String(resource instanceof Request ? resource.url : resource);
  if (url.includes('/api/trace')) window.__traces.push(/first_trace\\.js/.test(new Error().stack));
  return realFetch.call(this, resource, ...rest);
};
"""


def open_link(page, server: str, query: dict) -> None:
    page.add_init_script(RECORD_FETCHES)
    page.goto(f"{server}/?{urlencode(query)}")
    page.wait_for_function(f"() => {DRAWN} === 3")
    wait_idle(page)


def test_the_first_trace_is_asked_once_before_main_js_and_drawn(browser, server):
    text = "Last year , due to my current job situation , I had to take a loan ."
    with watched_page(browser, server) as page:
        open_link(page, server, {"model": "lesson", "text": text})
        assert page.evaluate("() => window.__traces") == [True]
        assert page.evaluate(f"() => {DRAWN}") == 3
        shown = page.locator("#tokens li").all_inner_texts()
        assert [t.strip() for t in shown][:3] == ["Last", "year", ","]
        # Typing afterwards asks main.js's own (incremental) request.
        page.locator("#text").press("End")
        page.locator("#text").type(" Today")
        page.wait_for_function("() => window.__traces.length === 2")
        page.wait_for_function(f"() => document.querySelectorAll('#tokens li').length === {len(text.split()) + 1}")
        assert page.evaluate("() => window.__traces") == [True, False]


def test_a_first_screen_that_needs_other_traces_asks_for_them_itself(browser, server):
    with watched_page(browser, server) as page:
        open_link(page, server, {"model": "lesson", "text": "Today , I need a loan .",
                                 "compare": "Last year , I had a loan ."})
        assert page.evaluate("() => window.__traces") == [False, False]  # A and B, from main.js
