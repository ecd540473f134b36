"""Why this prediction? (real Chromium, bundled models): clicking a predicted word in the step detail tints the words
before it by /api/attribution's scores, with a bar that says what the colours mean; the method select asks again;
the link carries it and reproduces it; clear removes it; the tour's last step lights up "Last year" for "had"."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest

from app.corpora.lecture import TENSE_PAST, TENSE_PRESENT
from tests.heatmap_hooks import DRAWN
from tests.page.pages import wait_idle, watched_page

pytest.importorskip("playwright.sync_api", reason="browser tests need playwright")

STEP_I = 13  # "I", just before "had" (lesson's word tokens)
SETTLED = "() => document.querySelector('#why').getAttribute('aria-busy') === 'false'"


def open_link(page, server: str, **query) -> None:
    page.goto(f"{server}/?{urlencode({'model': 'lesson', 'text': TENSE_PAST, **query})}")
    page.wait_for_function(f"() => {DRAWN} === 3")
    wait_idle(page)


def chip_scores(page) -> dict[int, float]:
    return {int(k): float(v) for k, v in page.evaluate(
        "() => [...document.querySelectorAll('#tokens li.token-tinted')]"
        ".map(li => [li.dataset.step, li.dataset.score])")}


def api_scores(server: str, method: str) -> list[float]:
    answer = httpx.get(f"{server}/api/attribution", params={"model": "lesson", "text": TENSE_PAST, "step": STEP_I,
                                                            "target": "had", "method": method}, timeout=60)
    return answer.json()["scores"]


def wait_query(page, key: str, value: str | None) -> None:
    page.wait_for_function("([k, v]) => new URLSearchParams(location.search).get(k) === v", arg=[key, value])


def test_clicking_a_prediction_tints_the_words_and_the_link_keeps_it(browser, server):
    with watched_page(browser, server) as page:
        open_link(page, server, step=STEP_I, unit=0)
        page.locator("#why").wait_for(state="hidden")
        page.locator("#step-detail .step-prediction-token", has_text="had").first.click()
        page.wait_for_function(SETTLED)
        bar = page.locator("#why").inner_text()
        assert "Why “had” after “I”?" in bar and "Red: toward “had”" in bar
        assert "By occlusion (auto)" in bar  # the default method: the best that fits, occlusion on a sentence
        scores = chip_scores(page)
        expected = api_scores(server, "occlusion")
        assert sorted(scores) == list(range(STEP_I + 1))  # the words up to "I", none after
        assert [scores[t] for t in range(STEP_I + 1)] == pytest.approx(expected, rel=1e-12)
        last = page.locator("#tokens li[data-step='0']")
        assert "pushed toward “had”" in last.get_attribute("title")
        assert last.evaluate("e => getComputedStyle(e).backgroundColor") != "rgba(0, 0, 0, 0)"
        wait_query(page, "why", "had")

        page.locator("#why select").select_option("grad_input")
        page.wait_for_function("() => document.querySelector('#why').dataset.method === 'grad_input'")
        page.wait_for_function(SETTLED)
        scores = chip_scores(page)
        assert [scores[t] for t in range(STEP_I + 1)] == pytest.approx(api_scores(server, "grad_input"), rel=1e-12)
        assert "(auto)" not in page.locator("#why").inner_text()
        wait_query(page, "why_method", "grad_input")
        link = page.url

        page.locator("#why button", has_text="clear").click()
        page.locator("#why").wait_for(state="hidden")
        assert chip_scores(page) == {}
        wait_query(page, "why", None)

    with watched_page(browser, server) as again:  # the link, opened elsewhere: the same tint, no click
        again.goto(link)
        again.wait_for_function(f"() => {DRAWN} === 3")
        again.wait_for_function(SETTLED)
        assert again.evaluate("() => document.querySelector('#why select').value") == "grad_input"
        assert len(chip_scores(again)) == STEP_I + 1
        assert parse_qs(urlsplit(link).query)["why"] == ["had"]


def test_the_tours_last_step_lights_up_last_year_for_had(browser, server):
    with watched_page(browser, server) as page:
        page.goto(f"{server}/?mode=tour&tour=11")
        page.locator("#tour").get_by_text("Why “had”?").wait_for()
        page.wait_for_function(f"() => {DRAWN} === 3")
        page.wait_for_function(SETTLED)
        scores = chip_scores(page)
        strongest = sorted(scores, key=scores.get, reverse=True)[:4]
        assert {0, 1} & set(strongest), scores  # "Last" or "year" among the four strongest
        assert page.locator("#why").is_visible()


def compare_scores(page, side: str) -> list[float]:
    return page.evaluate("(side) => [...document.querySelectorAll(`.compare-why-row[data-side='${side}'] li.token`)]"
                         ".map(li => Number(li.dataset.score))", side)


def test_in_compare_mode_both_texts_are_tinted_side_by_side(browser, server):
    """The minimal pair: "had" clicked among B's predictions after "I" tints both texts' words, each by its own
    /api/attribution answer (A's step 12, B's step 13: the aligned column where they part ways); the link keeps it."""
    with watched_page(browser, server) as page:
        page.goto(f"{server}/?{urlencode({'model': 'lesson', 'text': TENSE_PRESENT, 'compare': TENSE_PAST})}")
        page.locator(".compare-prediction-b button[data-token='had']").click()
        page.wait_for_function("() => document.querySelector('.compare-why')?.getAttribute('aria-busy') === 'false'")
        box = page.locator(".compare-why").inner_text()
        assert "Why “had”?" in box and "Red: toward “had”" in box
        for side, text, step in (("A", TENSE_PRESENT, STEP_I - 1), ("B", TENSE_PAST, STEP_I)):
            expected = httpx.get(f"{server}/api/attribution", params={
                "model": "lesson", "text": text, "step": step, "target": "had", "method": "auto"}, timeout=60).json()
            assert compare_scores(page, side) == pytest.approx(expected["scores"], rel=1e-12)
        b = compare_scores(page, "B")
        assert max(b[:2]) > 0 and {0, 1} & set(sorted(range(len(b)), key=b.__getitem__, reverse=True)[:4])
        page.wait_for_function(SETTLED)  # A's step is selected: the page's own strip and bar show A's
        assert len(chip_scores(page)) == STEP_I
        wait_query(page, "why", "had")
        link = page.url

        page.locator("#why button", has_text="clear").click()
        page.locator(".compare-why").wait_for(state="hidden")

    with watched_page(browser, server) as again:
        again.goto(link)
        again.wait_for_function("() => document.querySelector('.compare-why')?.getAttribute('aria-busy') === 'false'")
        assert len(compare_scores(again, "A")) == STEP_I and len(compare_scores(again, "B")) == STEP_I + 1


@pytest.mark.parametrize(("model", "text", "step", "target", "cue"), [
    ("lesson-gru", TENSE_PAST, STEP_I, "had", {0, 1}),  # "Last" or "year"
    ("lesson-rnn", TENSE_PAST, STEP_I, "had", {0, 1}),
    ("python", "def f(a, b):\n    return g(a", 26, ")", {25}),  # the "(" it closes
])
def test_every_cell_and_tokenizer_lights_up_its_cue(browser, server, model, text, step, target, cue):
    with watched_page(browser, server) as page:
        page.goto(f"{server}/?{urlencode({'model': model, 'text': text, 'step': step, 'unit': 0})}")
        page.wait_for_function(f"() => {DRAWN} > 0")
        page.locator("#step-detail .step-prediction-token", has_text=target).first.click()
        page.wait_for_function(SETTLED)
        scores = chip_scores(page)
        assert sorted(scores) == list(range(step + 1))
        strongest = sorted(scores, key=scores.get, reverse=True)[:4]
        assert cue & set(strongest), scores
        piece = "character" if model == "python" else "word"
        assert f"Each {piece} before it" in page.locator("#why").inner_text()
