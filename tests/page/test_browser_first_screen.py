"""What a class sees on the first screen, in real Chromium at a laptop's 1280×900, a projector's 1024×768 and a
phone's 390×844: the heatmap without scrolling, presenter mode as the figure, each tour step's unit row on
screen and marked, rows a person can read, one numbering, no horizontal overflow, and an over-long text that
greys the old heatmaps and sends nothing more until it is shortened."""

from __future__ import annotations

import pytest

from app.corpora.lecture import TENSE_PRESENT
from tests.heatmap_hooks import DRAWN
from tests.page.pages import watched_page

pytest.importorskip("playwright.sync_api", reason="browser tests need playwright")

LAPTOP, PROJECTOR, PHONE = (1280, 900), (1024, 768), (390, 844)
FIRST = "document.querySelector('#heatmaps .heatmap-plot')"
SETTLED = (f"() => {DRAWN} > 0 && document.querySelector('#results').getAttribute('aria-busy') === 'false'"
           " && document.querySelector('#heatmaps').style.getPropertyValue('--plot-height') !== ''")


def open_at(browser, server, size, query="", **options):
    """A watched page at viewport `size` showing `query`, settled (drawn, the figure fitted)."""
    width, height = size
    cm = watched_page(browser, server, viewport={"width": width, "height": height}, **options)
    page = cm.__enter__()
    page.goto(f"{server}/{query}")
    page.wait_for_function(SETTLED)
    return cm, page


def box(page, selector: str) -> dict:
    return page.evaluate("s => { const r = document.querySelector(s).getBoundingClientRect();"
                         " return {top: r.top, bottom: r.bottom, left: r.left, right: r.right}; }", selector)


@pytest.mark.parametrize("size", [LAPTOP, PROJECTOR], ids=["1280x900", "1024x768"])
def test_the_main_heatmap_is_on_the_first_screen_with_the_text_in_it(browser, server, size):
    cm, page = open_at(browser, server, size)
    try:
        page.wait_for_function(f"h => {{ const r = {FIRST}.getBoundingClientRect();"
                               " return r.top >= 0 && r.bottom <= h; }",
                               arg=size[1])
        assert page.evaluate("() => window.scrollY") == 0
        assert page.evaluate(f"() => {FIRST}.heatmap.tokens") == 19  # the lecture's sentence, drawn
        assert page.locator("#text").input_value() == TENSE_PRESENT
    finally:
        cm.__exit__(None, None, None)


def test_presenter_mode_is_the_figure_at_1024x768(browser, server):
    cm, page = open_at(browser, server, PROJECTOR, "?mode=presenter")
    try:
        page.wait_for_function(f"() => {FIRST}.getBoundingClientRect().bottom <= innerHeight")
        # The token strip and the heatmaps together cover most of the screen's height, from the top third.
        strip, heatmaps = box(page, "#tokens"), box(page, "#heatmaps")
        assert strip["top"] < PROJECTOR[1] / 3
        covered = min(heatmaps["bottom"], PROJECTOR[1]) - strip["top"]
        assert covered >= 0.6 * PROJECTOR[1], (strip, heatmaps)
        assert page.evaluate(f"() => {FIRST}.heatmap.fontPx") >= 19  # large type
        assert page.locator("#mode-buttons [data-mode=presenter]").get_attribute("aria-pressed") == "true"
    finally:
        cm.__exit__(None, None, None)


def test_every_tour_step_in_presenter_mode_shows_its_unit_row_marked_beside_its_narration(browser, server):
    cm, page = open_at(browser, server, PROJECTOR, "?mode=presenter&tour=1")
    try:
        cards = json_of(page, "lesson")
        for index in range(1, 7):  # the steps that select a unit (step 1 of 11 selects none)
            page.wait_for_function("k => document.querySelector('.tour-counter').textContent.startsWith(`Step ${k} `)",
                                   arg=index + 1)
            page.wait_for_function(SETTLED)
            page.wait_for_function(f"() => {FIRST}.heatmap.marks.selectedUnit !== null")
            unit = page.evaluate(f"() => {FIRST}.heatmap.marks.selectedUnit")
            assert unit in cards, f"step {index + 1}: unit {unit} is not one the card names"
            row = page.evaluate(f"u => {FIRST}.heatmap.units.indexOf(u)", unit)
            assert row >= 0, f"step {index + 1}: unit {unit} is not drawn"
            # Its row on screen below the narration, which is on screen too (sticky above the figure).
            page.wait_for_function(f"row => {{ const r = {FIRST}.heatmap.rowBox(row);"
                                   " const n = document.querySelector('#tour .tour').getBoundingClientRect();"
                                   " return r && n.top >= 0 && r.y >= n.bottom && r.y + r.height <= innerHeight; }",
                                   arg=row)
            label = next(x["text"] for x in page.evaluate(f"() => {FIRST}.heatmap.rowLabels") if x["unit"] == unit)
            assert label.startswith(f"▶ {unit} · "), label  # then what it carries (a long label ends in "…")
            page.locator("#tour .tour-next").click()
    finally:
        cm.__exit__(None, None, None)


def json_of(page, model: str) -> dict[int, str]:
    """The units a model's card names, unit → what it carries (from the page's /api/models data)."""
    models = page.evaluate("() => JSON.parse(document.querySelector('#models-data').textContent)")
    return {u["unit"]: u["carries"] for m in models if m["id"] == model for u in m["notable_units"]}


@pytest.mark.parametrize("query", ["", "?mode=presenter", "?mode=compare", "?model=python", "?mode=tour&tour=2"])
def test_nothing_overflows_a_phone(browser, server, query):
    cm, page = open_at(browser, server, PHONE, query, has_touch=True, is_mobile=True)
    try:
        page.locator("#tokens .token").nth(3).tap()  # a selected step opens the step detail too
        page.wait_for_function("() => document.querySelector('#step-detail .step-heading')")
        # Elements past the right edge, but for those a scrolling or clipping box of their own holds in.
        wide = page.evaluate("""() => [...document.querySelectorAll('body *')].filter((e) => {
            const r = e.getBoundingClientRect();
            if (!(r.width > 0 && r.right > innerWidth + 1)) return false;
            for (let a = e.parentElement; a && a !== document.body; a = a.parentElement) {
              if (getComputedStyle(a).overflowX !== 'visible') return false;
            }
            return true;
          }).map((e) => `${e.tagName}#${e.id}.${e.className}`).slice(0, 5)""")
        assert wide == []
        assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE[0]
    finally:
        cm.__exit__(None, None, None)


def test_player_and_step_detail_agree_on_the_token_number(browser, server):
    cm, page = open_at(browser, server, LAPTOP)
    try:
        page.locator("#tokens .token").nth(12).click()  # the 13th token, "I"
        page.wait_for_function("() => document.querySelector('.player-position').textContent === 'token 13 of 19'")
        heading = page.locator("#step-detail .step-heading")
        # The heading is there before the step's numbers arrive (/api/step): wait for the step's own heading.
        page.wait_for_function("() => /13/.test(document.querySelector('#step-detail .step-heading')?.textContent)")
        assert "13" in heading.text_content() and "I" in heading.text_content()
        page.locator(".player-button[data-action=back]").click()  # ◀ moves the selection, keeps the text whole
        page.wait_for_function("() => document.querySelector('.player-position').textContent === 'token 12 of 19'")
        assert page.evaluate(f"() => {FIRST}.heatmap.tokens") == 19
    finally:
        cm.__exit__(None, None, None)


def test_python_shows_the_rows_that_fit_named_units_first_and_all_on_request(browser, server):
    cm, page = open_at(browser, server, LAPTOP, "?model=python")
    try:
        models = page.evaluate("() => JSON.parse(document.querySelector('#models-data').textContent)")
        named = {u["unit"] for m in models if m["id"] == "python" for u in m["notable_units"]}
        units = page.evaluate(f"() => {FIRST}.heatmap.units")
        assert named <= set(units) and 8 <= len(units) < 256
        plot_height = box(page, "#heatmaps .heatmap-plot")
        assert (plot_height["bottom"] - plot_height["top"]) / len(units) >= 6
        assert f"Showing {len(units)} of 256 units" in page.locator("#heatmap-note").text_content()
        labels = page.evaluate(f"() => {FIRST}.heatmap.rowLabels")
        assert any(label["text"].startswith("205 · ") for label in labels)
        page.select_option("#top-n", "all")
        page.wait_for_function(f"() => {FIRST}.heatmap.units.length === 256")
        assert "Showing" not in page.locator("#heatmap-note").text_content()
    finally:
        cm.__exit__(None, None, None)


def test_an_over_long_text_greys_the_heatmaps_and_sends_nothing_until_shortened(browser, server):
    cm, page = open_at(browser, server, LAPTOP)
    try:
        traces = []
        page.on("request", lambda r: traces.append(r.url) if "/api/trace" in r.url else None)
        refusals = "() => Number(document.querySelector('#results').dataset.overLimit ?? 0)"
        # One run of characters with no space: the page cannot tell it is over 2,000 tokens; the server can.
        page.locator("#text").fill("a," * 1100)
        page.wait_for_function(f"() => ({refusals})() === 1")
        assert "2200 tokens" in page.locator("#error").text_content()
        assert page.evaluate("() => document.querySelector('#results').classList.contains('over-limit')")
        sent = len(traces)
        page.locator("#text").press("End")
        page.keyboard.type("b")  # still over: refused again without asking the server
        page.wait_for_function(f"() => ({refusals})() === 2")
        assert len(traces) == sent
        # Over max_tokens by the page's own count (runs of non-space characters): never sent at all.
        page.locator("#text").fill("a " * 2100)
        page.wait_for_function(f"() => ({refusals})() === 3")
        assert len(traces) == sent and "at least 2100 tokens" in page.locator("#error").text_content()
        page.locator("#text").fill("Last year, I had")
        page.wait_for_function("() => !document.querySelector('#results').classList.contains('over-limit')"
                               " && document.querySelector('#error').textContent === ''")
        page.wait_for_function(f"() => {FIRST}.heatmap.tokens === 5")
        assert len(traces) > sent
    finally:
        page.errors[:] = [e for e in page.errors if "413" not in e]
        cm.__exit__(None, None, None)


def test_show_unit_in_the_model_card_brings_its_row_on_screen_marked(browser, server):
    cm, page = open_at(browser, server, PROJECTOR, "?model=python")
    try:
        page.evaluate("() => window.scrollTo(0, document.body.scrollHeight)")  # the heatmaps off screen
        page.locator("#card-button").scroll_into_view_if_needed()
        page.locator("#card-button").click()
        page.locator("#model-card .card-show-unit", has_text="Show unit 201").click()
        page.wait_for_function(f"() => {FIRST}.heatmap.marks.selectedUnit === 201")
        page.wait_for_function(f"() => {{ const h = {FIRST}.heatmap; const r = h.rowBox(h.units.indexOf(201));"
                               " return r && r.y >= 0 && r.y + r.height <= innerHeight; }")
        label = next(x["text"] for x in page.evaluate(f"() => {FIRST}.heatmap.rowLabels") if x["unit"] == 201)
        assert label.startswith("▶ 201 · in")  # "indentation", cut to the panel's label width
    finally:
        cm.__exit__(None, None, None)
