"""Token numbers for people and spans by touch, in real Chromium. Tokens are counted from 1 everywhere a
person reads them ("Token 13 of 19", "tokens 3–8"), as the player counts them, while the page's steps and
the API's stay 0-based (data-step). On a phone (390×844, touch) a span is selected by two taps after
"Select a span", with no shift key; the chips are big enough to tap, and nothing is wider than the screen."""

from __future__ import annotations

import pytest

from tests.page.pages import wait_idle, watched_page

pytest.importorskip("playwright.sync_api", reason="browser tests need playwright")

PHONE = {"width": 390, "height": 844}
T = 19  # the lecture's tense sentence, the lesson model's default text: "Today , due to my ... loan ."
# JS: the span bar's text, and whether it offers "Find units".
SPAN_TEXT = "() => document.querySelector('#span').textContent"
FIND_UNITS = "() => [...document.querySelectorAll('#span button')].some((b) => b.textContent === 'Find units')"


@pytest.fixture
def phone(browser, server):
    """The lesson model's page on a 390×844 touch screen."""
    with watched_page(browser, server, has_touch=True) as page:
        page.set_viewport_size(PHONE)
        page.goto(f"{server}/?model=lesson")
        wait_idle(page)
        assert page.locator("#tokens li").count() == T
        yield page


@pytest.fixture
def desktop(browser, server):
    with watched_page(browser, server) as page:
        page.goto(f"{server}/?model=lesson")
        wait_idle(page)
        assert page.locator("#tokens li").count() == T
        yield page


def chip(page, n: int):
    """The n-th token chip, counted from 1 as the page counts them for people."""
    return page.locator("#tokens li").nth(n - 1)


def toggle(page):
    return page.locator("#span button", has_text="Select a span")


def test_two_taps_select_a_span_on_a_phone(phone):
    assert toggle(phone).get_attribute("aria-pressed") == "false"
    toggle(phone).tap()
    phone.wait_for_function("() => document.querySelector('#tokens').classList.contains('token-strip-picking')")
    assert toggle(phone).get_attribute("aria-pressed") == "true"
    phone.wait_for_function(f"() => ({SPAN_TEXT})().includes('tap the first token')")
    chip(phone, 3).tap()
    phone.wait_for_function(f"() => ({SPAN_TEXT})().includes('tap the last token')")
    assert "token 3" in phone.evaluate(SPAN_TEXT)  # where the span begins, 1-based
    chip(phone, 8).tap()
    phone.wait_for_function(f"() => ({SPAN_TEXT})().includes('tokens 3–8') && ({FIND_UNITS})()")
    assert "“due to my current job situation”" in phone.evaluate(SPAN_TEXT)
    # The chips of the span are marked (steps 2..7, 0-based, as the API counts), and the mode is over.
    marked = phone.evaluate("() => [...document.querySelectorAll('#tokens li.token-span')]"
                            ".map((li) => li.dataset.step)")
    assert marked == [str(t) for t in range(2, 8)]
    assert toggle(phone).get_attribute("aria-pressed") == "false"
    assert not phone.evaluate("() => document.querySelector('#tokens').classList.contains('token-strip-picking')")
    # Find units works from the span tapped.
    phone.locator("#span button", has_text="Find units").tap()
    phone.locator("#span-results li").first.wait_for()
    assert phone.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]


def test_a_span_tapped_backwards_runs_forwards_and_the_mode_can_be_cancelled(phone):
    toggle(phone).tap()
    chip(phone, 8).tap()
    phone.wait_for_function(f"() => ({SPAN_TEXT})().includes('tap the last token')")
    chip(phone, 3).tap()
    phone.wait_for_function(f"() => ({SPAN_TEXT})().includes('tokens 3–8')")
    # The toggle again cancels, leaving the span as it was; so does Escape.
    toggle(phone).tap()
    phone.wait_for_function(f"() => ({SPAN_TEXT})().includes('tap the first token')")
    toggle(phone).tap()
    phone.wait_for_function(f"() => ({SPAN_TEXT})().includes('tokens 3–8') && ({FIND_UNITS})()")
    toggle(phone).tap()
    chip(phone, 5).tap()
    phone.wait_for_function(f"() => ({SPAN_TEXT})().includes('tap the last token')")
    phone.keyboard.press("Escape")
    phone.wait_for_function(f"() => ({SPAN_TEXT})().includes('tokens 3–8')")
    assert toggle(phone).get_attribute("aria-pressed") == "false"
    chip(phone, 10).tap()  # out of the mode, a tap selects a step as a click does
    phone.locator(".step-heading", has_text=f"Token 10 of {T}").wait_for()
    assert phone.evaluate(f"() => ({SPAN_TEXT})().includes('tokens 3–8')")


def test_chips_are_big_enough_to_tap_on_a_phone(phone):
    heights = phone.evaluate("() => [...document.querySelectorAll('#tokens li')]"
                             ".map((li) => li.getBoundingClientRect().height)")
    assert min(heights) >= 32, heights
    assert toggle(phone).bounding_box()["height"] >= 32


def test_the_step_detail_fits_a_phone_and_its_ledger_does_not_overlap(phone):
    chip(phone, 13).tap()
    heading = phone.locator(".step-heading", has_text=f"Token 13 of {T}")
    heading.wait_for()
    phone.locator(".step-ledger-row").first.wait_for()
    assert "“I”" in heading.text_content()
    assert phone.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    # No element of the step detail or the token strip and its bars reaches past the screen's edge.
    wide = phone.evaluate("""() => [...document.querySelectorAll(
        '#step-detail *, #tokens, #tokens *, #span, #span *, #span-results')]
      .filter((e) => { const r = e.getBoundingClientRect();
                       return r.width > 0 && (r.left < 0 || r.right > innerWidth); })
      .map((e) => e.className.baseVal ?? e.className)""")
    assert wide == []
    # Each ledger row's words (name and formula) and its number do not overlap.
    overlaps = phone.evaluate("""() => [...document.querySelectorAll('.step-ledger-row')].filter((row) => {
        const a = row.querySelector('.step-ledger-words').getBoundingClientRect();
        const b = row.querySelector('.step-ledger-value').getBoundingClientRect();
        return a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
      }).map((row) => row.dataset.quantity)""")
    assert overlaps == []
    # The equations stay inside their column.
    assert phone.evaluate("""() => [...document.querySelectorAll('.step-eq-line')].every(
        (line) => line.scrollWidth <= line.clientWidth + 1)""")


def test_the_step_detail_counts_tokens_from_one_like_the_player(desktop):
    chip(desktop, 13).click()
    heading = desktop.locator(".step-heading", has_text=f"Token 13 of {T}")
    heading.wait_for()
    text = heading.text_content()
    assert "“I”" in text and "unit " in text and "layer 1" in text, text
    assert heading.get_attribute("data-step") == "12"  # the page's and the API's step stays 0-based
    assert chip(desktop, 13).get_attribute("title").startswith("token 13: id ")
    # The ◀ ▶ buttons say where they go; the player names the same token the same way.
    nav = desktop.locator(".step-nav button")
    assert nav.nth(0).get_attribute("title") == f"token 12 of {T}"
    assert nav.nth(1).get_attribute("title") == f"token 14 of {T}"
    nav.nth(1).click()
    desktop.locator(".step-heading", has_text=f"Token 14 of {T} · “need”").wait_for()


def test_shift_click_still_selects_a_span_and_names_it_from_one(desktop):
    chip(desktop, 3).click()
    desktop.locator(".step-heading", has_text=f"Token 3 of {T}").wait_for()
    chip(desktop, 8).click(modifiers=["Shift"])
    desktop.wait_for_function(f"() => ({SPAN_TEXT})().includes('Span: tokens 3–8 “due to my current job situation”')"
                              f" && ({FIND_UNITS})()")
    assert desktop.locator("#tokens li.token-span").count() == 6
