"""The page in real Chromium against a real server: it loads, draws the heatmaps, redraws them when
the text changes, shows typed HTML as text, and logs no errors or Content-Security-Policy violations."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from app.model_store import load_model
from app.resources import resource_dir
from tests.heatmap_hooks import DRAWN, tick_labels
from tests.page.pages import open_examples

PlaywrightError = pytest.importorskip("playwright.sync_api", reason="browser tests need playwright").Error

QUANTITIES = ("kept", "forgotten", "written")  # the default view
FIRST_EXAMPLE = "Today, due to my current job situation and family conditions, I need to take a loan."
TIMEOUT_MS = 15_000


@dataclass
class Watched:
    """A page plus everything it reported: console errors, uncaught exceptions, dialogs."""

    page: object
    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)


@pytest.fixture
def watched(browser, live_server) -> Iterator[Watched]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    seen = Watched(page)

    def on_console(message) -> None:
        if message.type == "error" or "Content Security Policy" in message.text:
            seen.errors.append(f"console {message.type}: {message.text}")

    def on_dialog(dialog) -> None:
        seen.dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("console", on_console)
    page.on("pageerror", lambda exc: seen.errors.append(f"page error: {exc}"))
    page.on("dialog", on_dialog)
    yield seen
    context.close()


def open_page(seen: Watched, base: str):
    """Load / and wait until the default view's heatmaps have drawn."""
    response = seen.page.goto(f"{base}/")
    wait_for_heatmaps(seen.page)
    return response


def wait_for_heatmaps(page) -> None:
    page.wait_for_function(f"n => {DRAWN} === n", arg=len(QUANTITIES))


def token_strip(page) -> list[str]:
    return page.locator("#tokens li").all_text_contents()


def wait_for_tokens(page, tokens: list[str]) -> None:
    """Wait until the token strip shows exactly these tokens and every heatmap's x axis labels them
    (every token, or every n-th one when there are too many to label all)."""
    page.wait_for_function(
        """want => {
            const texts = (nodes) => JSON.stringify(Array.from(nodes, (n) => n.textContent));
            const labelled = (ticks) => want.some((_, k) =>
                JSON.stringify(want.filter((_, t) => t % (k + 1) === 0)) === ticks);
            const plots = Array.from(document.querySelectorAll('#heatmaps .heatmap-plot'));
            return texts(document.querySelectorAll('#tokens li')) === JSON.stringify(want)
                && plots.every((plot) => labelled(JSON.stringify(plot.heatmap.ticks.map((tick) => tick.text))));
        }""",
        arg=tokens,
    )


def test_page_draws_the_default_heatmaps_without_plotly(watched, live_server):
    page = watched.page
    plotly = []
    vendor = re.compile(r"/vendor/plotly-[0-9a-f]+\.min\.js$")
    page.on("request", lambda r: plotly.append(r.url) if vendor.search(r.url) else None)
    response = open_page(watched, live_server)

    assert response.status == 200
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert plotly == []  # loaded only for a Plotly chart (tests/page/test_browser_plotly_lazy.py)
    assert page.title() == "LSTM Gate Visualizer"
    assert page.locator("#text").input_value() == FIRST_EXAMPLE
    canvases = page.locator("#heatmaps .heatmap-plot canvas[role=img]")
    assert canvases.count() == len(QUANTITIES)
    assert page.locator("#heatmaps .heatmap-plot[data-drawn]").count() == len(QUANTITIES)
    # As many of the 64 units as can be read at 1280×900 (tests/page/test_browser_first_screen.py).
    shown = re.search(r"heatmap of (\d+) units × 19 tokens$", canvases.first.get_attribute("aria-label"))
    assert shown and 8 <= int(shown[1]) <= 64
    captions = page.locator("#heatmaps figcaption").all_text_contents()
    assert captions[0] == "kept memory f⊙cₜ₋₁ — what is remembered"
    assert "written memory i⊙g — what is added" in captions
    tokens = token_strip(page)
    assert tokens[:3] == ["Today", ",", "due"] and tokens[-2:] == ["loan", "."]
    for q in QUANTITIES:  # every token labelled, or every n-th one when the plot is narrow
        labels = tick_labels(page, q)
        every = -(-len(tokens) // len(labels))
        assert labels == tokens[::every], q
    assert page.locator("link[rel=icon]").get_attribute("href") == "/static/favicon.svg"
    assert watched.errors == []


def test_typing_redraws_tokens_and_heatmaps(watched, live_server):
    page = watched.page
    open_page(watched, live_server)

    page.locator("#text").fill("I had to take a loan")

    wait_for_tokens(page, ["I", "had", "to", "take", "a", "loan"])
    assert page.locator("#heatmaps .heatmap-plot[data-drawn]").count() == len(QUANTITIES)
    assert page.locator("#error").is_hidden()
    assert watched.errors == []


def test_example_button_fills_the_text_and_redraws(watched, live_server):
    page = watched.page
    open_page(watched, live_server)
    open_examples(page)
    button = page.locator("#examples button", has_text="Last year").first  # the lecture's, then a longer one

    button.click()

    text = page.locator("#text").input_value()
    assert text.startswith("Last year, due to my current job") and text.endswith("I had to take a loan.")
    page.wait_for_function("() => document.querySelector('#tokens li')?.textContent === 'Last'")
    wait_for_tokens(page, token_strip(page))
    assert tick_labels(page)[0] == "Last"
    assert watched.errors == []


def test_no_console_errors_or_csp_violations_across_a_session(watched, live_server):
    page = watched.page
    open_page(watched, live_server)
    page.locator("#text").fill("Last year")
    wait_for_tokens(page, ["Last", "year"])
    open_examples(page)
    page.locator("#examples button").nth(2).click()
    page.wait_for_function("() => document.querySelector('#tokens li')?.textContent === 'Dhaval'")
    page.locator("#model").select_option("untrained")
    page.locator("#text").fill("")
    page.wait_for_function("() => document.querySelectorAll('#tokens li').length === 0")
    page.locator("#text").press_sequentially("Today")
    wait_for_tokens(page, ["Today"])

    assert watched.errors == []
    assert watched.dialogs == []


def test_html_in_the_text_is_shown_as_text(watched, live_server):
    page = watched.page
    open_page(watched, live_server)

    page.locator("#text").fill("<img src=x onerror=alert(1)> loan")

    wait_for_tokens(page, ["<", "img", "src", "=", "x", "onerror", "=", "alert", "(", "1", ")", ">", "loan"])
    assert page.locator("img").count() == 0
    lesson = load_model(resource_dir("models") / "lesson.safetensors")
    unknown = [t.text for t in lesson.tokenizer.tokenize("<img src=x onerror=alert(1)> loan") if t.id == 0]
    assert page.locator("#tokens li.token-unk").all_text_contents() == unknown and "onerror" in unknown
    page.wait_for_timeout(300)  # give an injected handler time to fire
    assert watched.dialogs == []
    assert watched.errors == []


def test_a_refused_text_shows_the_servers_message_and_keeps_the_last_view(watched, live_server):
    page = watched.page
    open_page(watched, live_server)
    requests = []
    page.on("request", lambda request: requests.append(request.method) if "/api/trace" in request.url else None)

    page.locator("#text").fill("a," * 1001)  # past max_tokens (the page cannot tell); too long for a GET URL

    error = page.locator("#error")
    error.wait_for(state="visible")
    assert "2002 tokens" in error.text_content() and "max_tokens" in error.text_content()
    assert requests == ["POST"]
    assert page.evaluate("() => document.querySelector('#results').classList.contains('over-limit')")
    assert token_strip(page)[:3] == ["Today", ",", "due"]
    assert page.locator("#heatmaps .heatmap-plot[data-drawn]").count() == len(QUANTITIES)
    # The browser itself logs the refused request; nothing else may appear.
    assert all("status of 413" in e for e in watched.errors), watched.errors

    page.locator("#text").fill("a loan")
    wait_for_tokens(page, ["a", "loan"])
    assert error.is_hidden()


def test_a_newer_request_cancels_the_one_in_flight(watched, live_server):
    page = watched.page
    open_page(watched, live_server)
    held = []  # the first trace request is held back, so the second one starts while it is in flight
    page.route("**/api/trace?*", lambda route: route.continue_() if held else held.append(route))
    failed = []
    page.on("requestfailed", lambda request: failed.append(request.failure))
    buttons = page.locator("#examples button")

    open_examples(page)
    buttons.nth(2).click()
    page.wait_for_function("() => document.querySelector('#results').getAttribute('aria-busy') === 'true'")
    open_examples(page)
    buttons.nth(3).click()

    page.wait_for_function("() => document.querySelector('#tokens li:last-child')?.textContent === 'Italian'")
    wait_for_tokens(page, token_strip(page))
    assert len(held) == 1 and failed == ["net::ERR_ABORTED"]
    assert page.locator("#error").is_hidden()
    assert watched.errors == []
    with contextlib.suppress(PlaywrightError):
        held[0].continue_()  # the browser has given up on it; this only releases the route


def test_heatmaps_are_drawn_at_the_screens_pixel_density(browser, live_server):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, device_scale_factor=2)
    try:
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(f"{live_server}/")
        wait_for_heatmaps(page)
        sizes = page.evaluate("""() => Array.from(document.querySelectorAll('#heatmaps .heatmap-plot'), (plot) => {
            const [base, overlay] = plot.querySelectorAll('canvas');
            return [plot.clientWidth, plot.clientHeight, base.width, base.height, overlay.width, overlay.height];
        })""")
        for w, h, *canvases in sizes:
            assert canvases == [2 * w, 2 * h, 2 * w, 2 * h]
    finally:
        context.close()


def test_heatmaps_redraw_to_a_new_window_size_without_new_numbers(watched, live_server):
    page = watched.page
    open_page(watched, live_server)
    fits = """() => Array.from(document.querySelectorAll('#heatmaps .heatmap-plot'), (plot) =>
        plot.querySelector('canvas').width === plot.clientWidth && plot.clientWidth > 0).every(Boolean)"""
    before = page.evaluate("() => document.querySelector('#heatmaps .heatmap-plot').clientWidth")
    # Each unit's values as drawn: a new size may show fewer rows (as many as can be read), never new numbers.
    values = """() => { const h = document.querySelector('#heatmaps .heatmap-plot').heatmap;
        return Object.fromEntries(h.units.map((u, r) => [u, Array.from(h.values(r))])); }"""
    drawn = page.evaluate(values)
    traces = []
    page.on("request", lambda request: traces.append(request.url) if "/api/trace" in request.url else None)

    page.set_viewport_size({"width": 700, "height": 900})

    page.wait_for_function(f"() => document.querySelector('#heatmaps .heatmap-plot').clientWidth !== {before}")
    page.wait_for_function(fits)
    page.wait_for_timeout(400)  # the page's own redraw for the new size (debounced) has run
    page.wait_for_function(fits)
    now = page.evaluate(values)
    assert any(unit in drawn for unit in now)
    assert all(drawn.get(unit) == row for unit, row in now.items() if unit in drawn)
    assert traces == []  # nothing fetched again
    assert tick_labels(page)[0] == "Today"
    assert watched.errors == []
