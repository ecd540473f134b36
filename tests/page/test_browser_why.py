"""Why this prediction? (real Chromium, bundled models): clicking a predicted word in the step detail tints the words
before it by /api/attribution's scores, with a bar that says what the colours mean; the method select asks again;
the link carries it and reproduces it; clear removes it; the tour's last step lights up "Last year" for "had"."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest

from app.corpora.lecture import TENSE_PAST
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
        scores = chip_scores(page)
        expected = api_scores(server, "grad_input")
        assert sorted(scores) == list(range(STEP_I + 1))  # the words up to "I", none after
        assert [scores[t] for t in range(STEP_I + 1)] == pytest.approx(expected, rel=1e-12)
        last = page.locator("#tokens li[data-step='0']")
        assert "pushed toward “had”" in last.get_attribute("title")
        assert last.evaluate("e => getComputedStyle(e).backgroundColor") != "rgba(0, 0, 0, 0)"
        wait_query(page, "why", "had")

        page.locator("#why select").select_option("occlusion")
        page.wait_for_function("() => document.querySelector('#why').dataset.method === 'occlusion'")
        page.wait_for_function(SETTLED)
        scores = chip_scores(page)
        assert [scores[t] for t in range(STEP_I + 1)] == pytest.approx(api_scores(server, "occlusion"), rel=1e-12)
        wait_query(page, "why_method", "occlusion")
        link = page.url

        page.locator("#why button", has_text="clear").click()
        page.locator("#why").wait_for(state="hidden")
        assert chip_scores(page) == {}
        wait_query(page, "why", None)

    with watched_page(browser, server) as again:  # the link, opened elsewhere: the same tint, no click
        again.goto(link)
        again.wait_for_function(f"() => {DRAWN} === 3")
        again.wait_for_function(SETTLED)
        assert again.evaluate("() => document.querySelector('#why select').value") == "occlusion"
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
