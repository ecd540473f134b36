"""The "Gates at their limits" panel in real Chromium (Karpathy et al. 2015, fig. 3): fetched only when open,
one row per gate and one column per training snapshot of `lesson` (then the trained model), each plot's dots and
counts equal to what /api/saturation answers over HTTP, the forget gates learning to stay open, the selected
unit drawn in every plot and a click on a dot selecting its unit, a link that opens the panel, a vanilla RNN's
note, a phone's width, and no console errors."""

from __future__ import annotations

from urllib.parse import quote

import httpx
import pytest

from app.corpora.lecture import TENSE_PRESENT
from tests.heatmap_hooks import DRAWN
from tests.page.pages import watched_page

pytest.importorskip("playwright.sync_api", reason="browser tests need playwright")

PANEL = "#saturation"
SNAPSHOTS = ["lesson-step0", "lesson-step100", "lesson-step1000", "lesson"]
LABELS = ["step 0", "step 100", "step 1,000", "trained"]
LECTURE = f"?model=lesson&text={quote(TENSE_PRESENT)}"
PLOT = "document.querySelector(`.saturation-plot[data-model=\"${m}\"][data-gate=\"${g}\"]`)"


@pytest.fixture
def page(browser, server):
    with watched_page(browser, server) as page:
        yield page


def open_page(page, server: str, query: str = LECTURE) -> None:
    page.goto(f"{server}/{query}")
    page.wait_for_function(f"() => {DRAWN} > 0 && document.querySelector('#results').getAttribute('aria-busy') "
                           "=== 'false'")


def wait_panel(page, models: list[str], unit: int | None = None, steps: int | None = None) -> None:
    """Until the open panel has drawn the columns of `models` (and, when given, outlined `unit`, over `steps`)."""
    page.wait_for_function(
        "([m, u, s]) => { const d = document.querySelector('#saturation'); return d.open && d.dataset.models === m "
        "&& (u === null || d.dataset.unit === u) && (s === null || d.dataset.steps === s) "
        "&& d.getAttribute('aria-busy') !== 'true'; }",
        arg=[",".join(models), None if unit is None else str(unit), None if steps is None else str(steps)])


def saturation(server: str, model: str, text: str = TENSE_PRESENT, layer: int = 0) -> dict:
    r = httpx.get(f"{server}/api/saturation", params={"model": model, "text": text, "layer": layer}, timeout=30)
    assert r.status_code == 200, r.text
    return r.json()


def traces(page, model: str, gate: str) -> list[dict]:
    """A plot's traces as Plotly holds them."""
    return page.evaluate(
        f"([m, g]) => ({PLOT}.data || []).map((d) => ({{name: d.name, x: Array.from(d.x), y: Array.from(d.y), "
        "customdata: Array.from(d.customdata), hovertext: Array.from(d.hovertext || [])}))", [model, gate])


def requests(page) -> list[str]:
    return [url for url in page.requests if "/api/saturation" in url]


def test_closed_fetches_nothing_and_open_draws_a_column_per_snapshot_as_the_api_counts(page, server):
    open_page(page, server)
    assert requests(page) == []
    page.click(f"{PANEL} > summary")
    wait_panel(page, SNAPSHOTS, steps=19)
    assert len(requests(page)) == 4
    answers = {m: saturation(server, m) for m in SNAPSHOTS}
    gates = list(answers["lesson"]["gates"])
    assert gates == ["i", "f", "o"]
    rows = page.locator(f"{PANEL} .saturation-row")
    assert rows.count() == 3
    assert [rows.nth(k).get_attribute("data-gate") for k in range(3)] == gates
    assert page.locator(f"{PANEL} .saturation-cell").count() == 12
    for k, gate in enumerate(gates):
        title = rows.nth(k).locator(".saturation-row-title").text_content()
        assert title.startswith(f"{answers['lesson']['gates'][gate]['title']} {gate}")
        cells = rows.nth(k).locator(".saturation-cell")
        assert [cells.nth(n).get_attribute("data-model") for n in range(4)] == SNAPSHOTS
        for n, model in enumerate(SNAPSHOTS):
            cell = cells.nth(n)
            assert cell.locator("figcaption").text_content().startswith(LABELS[n])
            assert ("saturation-current" in cell.get_attribute("class")) == (model == "lesson")
            g = answers[model]["gates"][gate]
            counts = cell.locator(".saturation-count").all_text_contents()
            assert counts == [f"{g['mostly_right']} of 64 mostly open", f"{g['mostly_left']} mostly closed",
                              f"{g['neither']} neither"]
            (dots,) = traces(page, model, gate)
            assert dots["x"] == g["left"] and dots["y"] == g["right"]
            assert dots["customdata"] == list(range(64))
    # The forget gates learn to stay open: none mostly open before training, some in the trained model.
    f_open = [int(page.locator(f".saturation-cell[data-model='{m}'][data-gate='f'] .saturation-count-open")
                  .text_content().split()[0]) for m in SNAPSHOTS]
    assert f_open == [answers[m]["gates"]["f"]["mostly_right"] for m in SNAPSHOTS]
    assert f_open[0] == 0 and f_open[-1] > 0
    # Hover: counts of steps from the fractions, for a unit that is not on a crowded dot.
    g = answers["lesson"]["gates"]["f"]
    (dots,) = traces(page, "lesson", "f")
    u = max(range(64), key=lambda u: g["left"][u])
    closed, opened = round(g["left"][u] * 19), round(g["right"][u] * 19)
    words = dots["hovertext"][u].replace("<br>", " ")
    assert words.startswith(f"unit {u}: closed on {closed} of 19 steps, open on {opened}")
    command = page.locator(f"{PANEL} .saturation-command").text_content()
    assert command == "lstm-viz eval lesson --saturation --snapshots"
    assert "19 steps" in page.locator(f"{PANEL} .saturation-explain").text_content()


def test_a_new_text_asks_again_and_a_closed_panel_does_not(page, server):
    open_page(page, server)
    page.click(f"{PANEL} > summary")
    wait_panel(page, SNAPSHOTS, steps=19)
    text = "Last year I had"
    page.fill("#text", text)
    wait_panel(page, SNAPSHOTS, steps=4)
    assert len(requests(page)) == 8
    answer = saturation(server, "lesson-step100", text)
    (dots,) = traces(page, "lesson-step100", "f")
    assert dots["y"] == answer["gates"]["f"]["right"]
    page.click(f"{PANEL} > summary")  # closed: a new text asks nothing
    page.fill("#text", "Today I need")
    page.wait_for_function("() => document.querySelectorAll('#tokens li').length === 3")
    page.wait_for_function("() => document.querySelector('#results').getAttribute('aria-busy') === 'false'")
    assert len(requests(page)) == 8


def test_the_selected_unit_is_drawn_in_every_plot_and_a_click_on_a_dot_selects_a_unit(page, server):
    open_page(page, server, f"{LECTURE}&unit=5")
    page.click(f"{PANEL} > summary")
    wait_panel(page, SNAPSHOTS, unit=5)
    for model in SNAPSHOTS:
        for gate in "ifo":
            _, selected = traces(page, model, gate)
            assert selected["name"] == "selected unit" and selected["customdata"] == [5]
    # A dot of the trained forget gates that no other unit shares.
    g = saturation(server, "lesson")["gates"]["f"]
    places = [(g["left"][u], g["right"][u]) for u in range(64)]
    u = next(u for u in range(64) if places.count(places[u]) == 1 and u != 5 and places[u][1] > 0.5)
    plot = page.locator(".saturation-plot[data-model='lesson'][data-gate='f']")
    plot.scroll_into_view_if_needed()
    box = plot.locator(".scatterlayer .trace").first.locator(".point").nth(u).bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.click(x, y)
    wait_panel(page, SNAPSHOTS, unit=u)
    assert page.locator("#unit-detail .unit-title").text_content() == f"Unit {u} · layer 1"
    page.wait_for_function("u => new URLSearchParams(location.search).get('unit') === u", arg=str(u))
    _, selected = traces(page, "lesson-step0", "o")
    assert selected["customdata"] == [u]


def test_a_link_carries_the_open_panel(page, server):
    open_page(page, server)
    assert "saturation=" not in page.url
    page.click(f"{PANEL} > summary")
    wait_panel(page, SNAPSHOTS)
    page.wait_for_function("() => location.search.includes('saturation=1')")
    link = page.url
    page.goto("about:blank")
    page.goto(link)
    wait_panel(page, SNAPSHOTS, steps=19)
    assert page.locator(PANEL).evaluate("d => d.open")


def test_a_model_without_snapshots_is_one_column(page, server):
    open_page(page, server, f"?model=lesson-gru&text={quote(TENSE_PRESENT)}&saturation=1")
    wait_panel(page, ["lesson-gru"])
    answer = saturation(server, "lesson-gru")
    rows = page.locator(f"{PANEL} .saturation-row").all()
    assert [r.get_attribute("data-gate") for r in rows] == list(answer["gates"])
    assert page.locator(f"{PANEL} .saturation-cell").count() == len(answer["gates"])
    assert page.locator(f"{PANEL} .saturation-command").text_content() == "lstm-viz eval lesson-gru --saturation"


def test_an_rnn_model_shows_the_note_and_no_charts(page, server):
    open_page(page, server, f"?model=lesson-rnn&text={quote(TENSE_PRESENT)}")
    page.click(f"{PANEL} > summary")
    wait_panel(page, ["lesson-rnn"])
    answer = saturation(server, "lesson-rnn")
    assert answer["gates"] == {}
    assert page.locator(f"{PANEL} .saturation-note").text_content() == answer["note"]
    assert page.locator(f"{PANEL} .saturation-plot").count() == 0
    assert page.locator(f"{PANEL} .saturation-explain").is_hidden()


def test_a_phone_stacks_the_columns_without_scrolling_sideways(browser, server):
    with watched_page(browser, server, viewport={"width": 390, "height": 844}) as page:
        open_page(page, server, f"{LECTURE}&saturation=1")
        wait_panel(page, SNAPSHOTS, steps=19)
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
        boxes = [page.locator(f".saturation-cell[data-gate='f'][data-model='{m}']").bounding_box() for m in SNAPSHOTS]
        assert boxes[0]["y"] == boxes[1]["y"] < boxes[2]["y"] == boxes[3]["y"]  # two a line
        assert all(b["x"] >= 0 and b["x"] + b["width"] <= 390 for b in boxes)
