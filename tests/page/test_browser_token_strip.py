"""The token strip of a long text, in real Chromium: it scrolls inside itself instead of pushing
the heatmaps pages down, follows the newest token while typing at the end, brings a selected step's chip
into view by scrolling itself (never the page), stays put when scrolled away, and a short text's strip
looks as before: as tall as its chips, no scrollbar."""

from __future__ import annotations

import pytest

from tests.heatmap_hooks import cell_point, row_units
from tests.page.pages import wait_idle, watched_page

pytest.importorskip("playwright.sync_api", reason="browser tests need playwright")

HAMLET = ("HAMLET. To be, or not to be, that is the question:\nWhether 'tis nobler in the mind to suffer\n"
          "The slings and arrows of outrageous fortune,\nOr to take arms against a sea of troubles,\n")
LONG = (HAMLET * 12)[:1990]  # 1,990 characters: the shakespeare model's tokens (2,000 at most)

# JS: where chip t is, inside the strip's box (fully; false when the window shows no chip t), and what the
# strip and the page scroll.
GEOMETRY = """t => {
  const strip = document.querySelector('#tokens');
  const chip = strip.querySelector(`li[data-step="${t}"]`);
  if (!chip) return {inside: false, stripTop: strip.scrollTop, scrollY: window.scrollY};
  const s = strip.getBoundingClientRect();
  const c = chip.getBoundingClientRect();
  return {inside: c.top >= s.top && c.bottom <= s.bottom && c.left >= s.left && c.right <= s.right,
          stripTop: strip.scrollTop, scrollY: window.scrollY};
}"""
INSIDE = f"t => ({GEOMETRY})(t).inside"


@pytest.fixture
def page(browser, server):
    with watched_page(browser, server) as page:
        page.goto(f"{server}/")
        wait_idle(page)
        page.locator("#model").select_option("shakespeare")
        wait_idle(page)
        yield page


def type_to(page, text: str) -> None:
    """Replace the text as typing would (one input event) and wait until the page shows its tokens."""
    page.fill("#text", text)
    page.wait_for_function("n => document.querySelector('#summary').textContent.startsWith(`${n} token`)",
                           arg=len(text))
    wait_idle(page)


def selected(page) -> int:
    return int(page.locator("#tokens li.token-selected").get_attribute("data-step"))


def strip_box(page) -> dict:
    return page.evaluate("""() => { const s = document.querySelector('#tokens');
        const r = s.getBoundingClientRect();
        return {height: r.height, scrollHeight: s.scrollHeight, clientHeight: s.clientHeight,
                heatmapsTop: document.querySelector('#heatmaps').getBoundingClientRect().top + scrollY,
                innerHeight: innerHeight}; }""")


def test_a_long_texts_strip_scrolls_inside_itself_and_follows_the_typing(page):
    type_to(page, LONG)
    box = strip_box(page)
    # Bounded (unbounded, 1,990 chips stood about 2,900 px tall): a scroll box well under a screen high,
    # and the heatmaps start within the first screen and a half.
    assert box["scrollHeight"] > box["clientHeight"]  # it scrolls (its window of 390 chips is 1.5 boxes tall)
    assert box["height"] < 0.5 * box["innerHeight"]
    assert box["heatmapsTop"] < 1.5 * box["innerHeight"]
    strip = page.locator("#tokens")
    assert strip.get_attribute("tabindex") == "0" and strip.get_attribute("aria-label").startswith("Tokens")

    # A new long strip shows its end, and typing at the end keeps the newest chip in view.
    page.wait_for_function(INSIDE, arg=len(LONG) - 1)
    text = LONG
    for ch in "abc":
        text += ch
        type_to(page, text)
        page.wait_for_function(INSIDE, arg=len(text) - 1)
    assert page.evaluate(GEOMETRY, len(text) - 1)["stripTop"] > 0


def test_selecting_a_step_scrolls_its_chip_into_view_inside_the_strip_not_the_page(page):
    type_to(page, LONG)
    page.wait_for_function(INSIDE, arg=len(LONG) - 1)
    unit = row_units(page, "kept")[0]
    # The page scrolled down to the heatmaps, the strip above the window: element.scrollIntoView would
    # scroll the page back up to the chip.
    page.evaluate("() => window.scrollTo(0, document.querySelector('#heatmaps').getBoundingClientRect().top"
                  " + scrollY - 8)")
    assert page.evaluate("() => document.querySelector('#tokens').getBoundingClientRect().bottom") < 0
    for t in (1200, 5):  # a late step, not in view at the strip's end, then an early one
        point = cell_point(page, "kept", t, unit)  # (the heatmap is in view: the page does not scroll)
        scroll_y = page.evaluate("() => window.scrollY")
        page.mouse.click(*point)
        page.wait_for_function("() => document.querySelector('#tokens li.token-selected') !== null")
        step = selected(page)
        assert abs(step - t) <= 3, (step, t)  # a cell is a fraction of a pixel wide at 1,990 tokens
        page.wait_for_function(INSIDE, arg=step)
        assert page.evaluate(GEOMETRY, step)["scrollY"] == scroll_y  # the page did not move
        assert not page.evaluate(INSIDE, len(LONG) - 1)  # the strip moved, away from its end

    # Scrolled away from its end, the strip stays where it is while the text grows.
    before = page.evaluate(GEOMETRY, step)
    type_to(page, LONG + "x")
    page.wait_for_timeout(100)  # two frames and more: a scroll would have happened
    after = page.evaluate(GEOMETRY, step)
    assert after["inside"] and after["stripTop"] == before["stripTop"]

    # Chips in the scrolled strip still select their step, and the keys move it, keeping it in view.
    chip = page.locator(f'#tokens li[data-step="{step + 2}"]')
    chip.click()
    page.wait_for_function("t => document.querySelector('#tokens li.token-selected')?.dataset.step === String(t)",
                           arg=step + 2)
    page.locator("#tokens").focus()
    for _ in range(4):
        page.keyboard.press("ArrowLeft")
    page.wait_for_function("t => document.querySelector('#tokens li.token-selected')?.dataset.step === String(t)",
                           arg=step - 2)
    page.wait_for_function(INSIDE, arg=step - 2)


def test_a_short_texts_strip_is_as_tall_as_its_chips(page):
    type_to(page, HAMLET)
    box = strip_box(page)
    assert box["scrollHeight"] == box["clientHeight"]  # nothing to scroll: no scrollbar
    rows = page.evaluate("() => new Set([...document.querySelectorAll('#tokens li')].map((li) => li.offsetTop)).size")
    # As tall as its rows of chips (2.2em each, the last without its 0.35em gap) and its 6 px padding above and
    # below.
    em = page.evaluate("() => parseFloat(getComputedStyle(document.querySelector('#tokens')).fontSize)")
    assert rows > 1
    assert abs(box["height"] - (rows * 2.2 * em - 0.35 * em + 12)) <= 2, (box, rows, em)


def test_a_long_text_shows_a_window_of_its_tokens_that_moves_where_it_is_needed(page):
    """At most 400 chips (each chip costs layout and paint on every change): the window follows the end
    while typing, moves to a step selected outside it, and its buttons show the tokens around it."""
    type_to(page, LONG)
    nav = page.locator(".token-window")
    chips = page.locator("#tokens li")

    def window() -> tuple[int, int]:
        steps = page.evaluate("() => [...document.querySelectorAll('#tokens li')].map((li) => Number(li.dataset.step))")
        assert steps == list(range(steps[0], steps[0] + len(steps)))  # consecutive tokens
        return steps[0], steps[-1]

    assert window() == (1600, 1989) and nav.is_visible()
    assert nav.text_content().startswith("showing tokens 1601–1990 of 1990")
    assert page.locator("#tokens").get_attribute("start") == "1601"  # numbered as in the whole text
    type_to(page, LONG[:1395])  # shorter, and then longer past a window boundary: it moves on by 100
    assert window() == (1000, 1394)
    type_to(page, LONG[:1405])
    assert window() == (1100, 1404)
    unit = row_units(page, "kept")[0]
    page.mouse.click(*cell_point(page, "kept", 700, unit))  # a step far before the window
    page.wait_for_function("() => document.querySelector('#tokens li.token-selected') !== null")
    step = selected(page)
    first, last = window()
    assert first <= step <= last and first % 100 == 0 and last - first == 399
    page.wait_for_function(INSIDE, arg=step)
    nav.get_by_role("button", name="earlier").click()
    assert window()[0] == first - 200
    page.wait_for_function(INSIDE, arg=first)  # the tokens next to those shown before stay in view
    nav.get_by_role("button", name="later").click()
    nav.get_by_role("button", name="later").click()
    assert window()[0] == first + 200
    # Hover and clicks work on the window's chips, whose steps are the whole text's.
    chips.nth(3).click()
    page.wait_for_function("t => document.querySelector('#tokens li.token-selected')?.dataset.step === String(t)",
                           arg=first + 203)
    type_to(page, HAMLET)  # a short text: every chip, no window
    assert window() == (0, len(HAMLET) - 1) and not nav.is_visible()
