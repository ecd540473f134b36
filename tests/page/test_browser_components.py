"""The "Kinds of memory" panel in real Chromium: fetched only when open; its rows, their shares, top units and
peaks, and its reconstruction error equal to what /api/components answers over HTTP; k and the state (c or h)
re-ask; a top unit selects that unit in the page and a column that step; a link opens it drawn; the API's
refusal shown in words; no console errors."""

from __future__ import annotations

import math
from urllib.parse import quote

import httpx
import pytest

from tests.heatmap_hooks import DRAWN
from tests.page.pages import watched_page

pytest.importorskip("playwright.sync_api", reason="browser tests need playwright")

PANEL = "#components"
PLOT = "document.querySelector('#components .components-plot')"
LOAN = "Last year, due to my current job situation and family conditions, I had to take a loan."
ARROWS = {"+": "↑", "-": "↓"}


@pytest.fixture
def page(browser, server):
    with watched_page(browser, server) as page:
        yield page


def open_page(page, server: str, query: str = "") -> None:
    page.goto(f"{server}/{query}")
    page.wait_for_function(f"() => {DRAWN} > 0 && document.querySelector('#results').getAttribute('aria-busy') "
                           "=== 'false'")


def wait_drawn(page, k: int, quantity: str, model: str = "lesson") -> None:
    """Until the open panel has drawn k patterns of `quantity` for `model`."""
    page.wait_for_function(
        "([k, q, m]) => { const d = document.querySelector('#components'); return d.open && d.dataset.k === k "
        "&& d.dataset.quantity === q && d.dataset.models === m && d.getAttribute('aria-busy') !== 'true'; }",
        arg=[str(k), quantity, model])


def components_api(server: str, text: str, *, status: int = 200, **params) -> dict:
    r = httpx.post(f"{server}/api/components", json={"model": "lesson", "text": text, **params}, timeout=30)
    assert r.status_code == status, r.text
    return r.json()


def percent(x: float) -> str:
    """As the page rounds a share (JavaScript's Math.round: halves up)."""
    return f"{math.floor(x * 100 + 0.5)} %"


def requests_made(page) -> list[str]:
    return [url for url in page.requests if "/api/components" in url]


def shown(page) -> dict:
    """What the panel shows: the heatmap's row labels and rows, each pattern's label, peaks and unit buttons, the
    status line."""
    return page.evaluate(
        f"() => {{ const p = {PLOT}; const items = [...document.querySelectorAll('#components .components-item')];"
        " return {ticks: Array.from(p.layout.yaxis.ticktext), z: p.data[0].z.map((r) => Array.from(r)),"
        " labels: items.map((li) => li.querySelector('.components-label').textContent),"
        " peaks: items.map((li) => li.querySelector('.components-peaks').textContent),"
        " units: items.map((li) => [...li.querySelectorAll('button.components-unit')].map((b) => b.textContent)),"
        " titles: items.map((li) => [...li.querySelectorAll('button.components-unit')].map((b) => b.title)),"
        " status: document.querySelector('#components .components-status').textContent}; }")


def check_against(answer: dict, got: dict) -> None:
    comps = answer["components"]
    assert len(got["ticks"]) == len(got["labels"]) == len(got["z"]) == answer["k"] == len(comps)
    want = [f"{j + 1} · {percent(c['share'])}" for j, c in enumerate(comps)]
    assert got["ticks"] == got["labels"] == want
    assert got["units"] == [[f"unit {u['unit']} {ARROWS[u['sign']]}" for u in c["top_units"]] for c in comps]
    directions = [["down" if u["sign"] == "-" else "up" for u in c["top_units"]] for c in comps]
    assert [[f"pushes {d}" in t or f" {d} (" in t for t, d in zip(ts, ds, strict=True)]
            for ts, ds in zip(got["titles"], directions, strict=True)] == [[True] * len(d) for d in directions]
    assert got["peaks"] == ["strongest at " + ", ".join(f"“{p['text']}”" for p in c["peaks"]) for c in comps]
    for row, c in zip(got["z"], comps, strict=True):  # each row from 0 to its own strongest
        top = max(c["activation"])
        assert row == pytest.approx([a / top for a in c["activation"]], abs=1e-12)
    assert f"to within {percent(answer['reconstruction_error'])}" in got["status"]


def test_open_panel_draws_the_apis_patterns_and_follows_k_the_state_and_clicks(page, server):
    open_page(page, server, f"?model=lesson&step=2&text={quote(LOAN)}")
    text = LOAN + " Today"
    page.fill("#text", text)  # a keystroke while the panel is closed asks it nothing
    page.wait_for_function("() => document.querySelectorAll('#tokens li').length === 21")
    assert requests_made(page) == []
    page.click(f"{PANEL} > summary")
    wait_drawn(page, 4, "c")
    assert len(requests_made(page)) == 1
    check_against(components_api(server, text, k=4), shown(page))
    got = shown(page)
    assert got["status"].startswith("These 4 patterns rebuild the memory c to within")
    # The selected step is outlined; a click on a column selects that step in the page.
    assert page.evaluate(f"() => {PLOT}.layout.shapes.map((s) => s.x0)") == [1.5]
    page.locator(f"{PANEL} .components-plot").scroll_into_view_if_needed()
    x, y = page.evaluate(f"() => {{ const p = {PLOT}; const xa = p._fullLayout.xaxis, ya = p._fullLayout.yaxis;"
                         " const r = p.getBoundingClientRect();"
                         " return [r.left + xa._offset + xa.l2p(7), r.top + ya._offset + ya.l2p(1)]; }")
    page.mouse.click(x, y)
    page.wait_for_function("() => document.querySelector('#tokens .token-selected')?.dataset.step === '7'"
                           " && document.querySelector('#components').dataset.step === '7'")
    assert page.evaluate(f"() => {PLOT}.layout.shapes.map((s) => s.x0)") == [6.5]

    page.select_option(f"{PANEL} select.components-k", "3")
    wait_drawn(page, 3, "c")
    check_against(components_api(server, text, k=3), shown(page))
    page.wait_for_function("() => location.search.includes('components_k=3')")

    page.click(f"{PANEL} button[data-quantity=h]")
    wait_drawn(page, 3, "h")
    check_against(components_api(server, text, k=3, quantity="h"), shown(page))
    assert shown(page)["status"].startswith("These 3 patterns rebuild the hidden state h to within")
    assert page.locator(f"{PANEL} button[data-quantity=h]").get_attribute("aria-pressed") == "true"

    # A top unit selects that unit: the unit detail shows it, the link carries it, its buttons are marked.
    button = page.locator(f"{PANEL} .components-item").nth(1).locator("button.components-unit").first
    unit = int(button.get_attribute("data-unit"))
    button.click()
    page.wait_for_function("(u) => document.querySelector('.unit-title')?.textContent.startsWith(`Unit ${u} ·`)",
                           arg=unit)
    page.wait_for_function("(u) => new URLSearchParams(location.search).get('unit') === String(u)", arg=unit)
    pressed = page.locator(f"{PANEL} button.components-unit[aria-pressed=true]").evaluate_all(
        "bs => bs.map((b) => Number(b.dataset.unit))")
    assert pressed and set(pressed) == {unit}
    # Back to c at k = 3: answered before, not asked again.
    n = len(requests_made(page))
    page.click(f"{PANEL} button[data-quantity=c]")
    wait_drawn(page, 3, "c")
    assert len(requests_made(page)) == n


def test_a_link_opens_the_panel_drawn_with_its_k(page, server):
    open_page(page, server, f"?model=lesson&text={quote(LOAN)}")
    assert "components" not in page.url
    page.click(f"{PANEL} > summary")
    wait_drawn(page, 4, "c")
    page.wait_for_function("() => location.search.includes('components=1')")
    page.goto(f"{server}/?model=lesson&components=1&components_k=5&text={quote(LOAN)}")
    wait_drawn(page, 5, "c")
    assert page.locator(PANEL).evaluate("d => d.open")
    assert page.locator(f"{PANEL} select.components-k").input_value() == "5"
    check_against(components_api(server, LOAN, k=5), shown(page))


def test_too_short_a_text_shows_the_apis_refusal_in_words(page, server):
    text = "Today, I"
    detail = components_api(server, text, status=422, k=4)["detail"]
    assert "fewer than k = 4" in detail
    open_page(page, server, f"?model=lesson&components=1&text={quote(text)}")
    page.wait_for_function("() => document.querySelector('#components').dataset.refused === '4'")
    status = page.locator(f"{PANEL} .components-status").text_content()
    assert status == f"{detail[0].upper()}{detail[1:]}."
    assert page.locator(f"{PANEL} .components-plot").is_hidden()
    assert page.locator(f"{PANEL} .components-item").count() == 0
    page.select_option(f"{PANEL} select.components-k", "3")  # what the refusal says to do
    wait_drawn(page, 3, "c")
    # the refusal's 422, as Chromium logs any 4xx answer: expected, and the only console error
    assert page.errors == ["Failed to load resource: the server responded with a status of 422 "
                           "(Unprocessable Entity)"]
    page.errors.clear()


def test_a_cell_with_one_state_offers_no_switch(page, server):
    open_page(page, server, f"?model=lesson-gru&components=1&components_k=2&text={quote(LOAN)}")
    wait_drawn(page, 2, "h", model="lesson-gru")
    assert page.locator(f"{PANEL} .components-quantity").is_hidden()
    r = httpx.post(f"{server}/api/components", json={"model": "lesson-gru", "text": LOAN, "k": 2}, timeout=30)
    check_against(r.json(), shown(page))
    assert shown(page)["status"].startswith("These 2 patterns rebuild the memory h to within")
