"""Find more like this, in real Chromium (static/js/views/search.js, docs/search.md "In the page"): on `lesson`
with its test split indexed, select "Last year" of the lecture sentence, find more like it, and read the same list
/api/search gives, the words the matches share counted from it, and past-time openers throughout the corpus;
open a match in the main view through its link; list where unit 47 fires; and, for a model without an index, the
sentence that says how to build one instead of a button."""

from __future__ import annotations

from collections import Counter
from urllib.parse import quote

import httpx
import pytest

from app.corpora.lesson_banks import HELDOUT_OPENERS, PAST_OPENERS
from tests.page.pages import wait_idle, watched_page

pytest.importorskip("playwright.sync_api", reason="browser tests need playwright")

LECTURE = "Last year, due to my current job situation and family conditions, I had to take a loan."
OPENERS = [o.lower() for o in (*PAST_OPENERS, *HELDOUT_OPENERS["past"])]
TOP_WORDS = 8
# What the page shows of each result: its place and its window's tokens, the marked ones apart.
RESULTS = """() => [...document.querySelectorAll('#search .search-result')].map((li) => ({
  document: Number(li.dataset.document), start: Number(li.dataset.start), end: Number(li.dataset.end),
  tokens: [...li.querySelectorAll('.search-word')].map((w) => w.textContent),
  marked: [...li.querySelectorAll('mark .search-word')].map((w) => w.textContent),
  href: li.querySelector('a.search-open').getAttribute('href')}))"""
SHARED = """(column) => [...document.querySelectorAll(`#search .search-words[data-column=${column}] li`)]
  .map((li) => [li.querySelector('.search-word-text').dataset.token, Number(li.querySelector('.search-count')
  .textContent)])"""


def api(server: str, path: str, **params) -> dict:
    r = httpx.get(f"{server}{path}", params=params, timeout=60)
    assert r.status_code == 200, r.text
    return r.json()


def shared_counts(results: list[dict], column: str) -> list[list]:
    """The test's own count of what the matches share: per match its tokens once ("at"), or the token just before
    or after it (the page's words for a match at its text's edge); most frequent first, ties in the order seen."""
    counts: Counter = Counter()
    seen: dict[str, int] = {}
    for x in results:
        w = x["window"]
        a, b = x["start"] - w["start"], x["end"] - w["start"]
        if column == "at":
            tokens = list(dict.fromkeys(w["tokens"][a:b]))
        elif column == "before":
            tokens = [w["tokens"][a - 1] if a > 0 else "(start of its text)"]
        else:
            tokens = [w["tokens"][b] if b < len(w["tokens"]) else "(end of its text)"]
        for token in tokens:
            counts[token] += 1
            seen.setdefault(token, len(seen))
    ranked = sorted(counts, key=lambda t: (-counts[t], seen[t]))[:TOP_WORDS]
    return [[t, counts[t]] for t in ranked]


@pytest.fixture
def lesson(browser, search_server):
    """The lecture's past sentence on `lesson`, served with lesson's index."""
    with watched_page(browser, search_server) as page:
        page.goto(f"{search_server}/?model=lesson&text={quote(LECTURE)}")
        wait_idle(page)
        yield page


def select_last_year(page) -> None:
    page.locator("#tokens li").nth(0).click()
    page.locator("#tokens li").nth(1).click(modifiers=["Shift"])
    page.wait_for_function("() => document.querySelector('#span').textContent.includes('“Last year”')")


def wait_ready(page, mode: str) -> None:
    page.wait_for_function(f"() => document.querySelector('#search').dataset.state === 'ready'"
                           f" && document.querySelector('#search').dataset.mode === '{mode}'")


def test_find_more_like_last_year_lists_the_api_answer_and_past_openers(lesson, search_server):
    select_last_year(lesson)
    lesson.locator("#search button", has_text="Find more like this").click()
    wait_ready(lesson, "match")
    answer = api(search_server, "/api/search", model="lesson", layer=0, limit=50, context=10, mode="match",
                 text=LECTURE, start=0, end=2)
    assert answer["derived"]["text"] == "Last year" and 47 in answer["units"]
    shown = lesson.evaluate(RESULTS)
    assert len(shown) == len(answer["results"]) > 10
    assert lesson.locator("#search").get_attribute("data-count") == str(len(shown))
    for row, x in zip(shown, answer["results"], strict=True):
        assert (row["document"], row["start"], row["end"]) == (x["document"], x["start"], x["end"])
        assert row["tokens"] == x["window"]["tokens"]
        a, b = x["start"] - x["window"]["start"], x["end"] - x["window"]["start"]
        assert row["marked"] == x["window"]["tokens"][a:b]
        assert row["href"]
    # The summary names the span, the corpus and the card's tense unit.
    summary = lesson.locator("#search .search-summary").text_content()
    assert "“Last year”" in summary and f"{answer['index']['tokens']:,} tokens" in summary
    assert "47 (tense" in summary
    assert lesson.locator("#search .search-headline").text_content() == f"{len(shown)} matches for “Last year”"
    # What they share: the page's counts are the test's own, from the API's answer.
    for column in ("at", "before", "after"):
        assert lesson.evaluate(SHARED, column) == shared_counts(answer["results"], column), column
    # Most matches are past-time openers from the lesson's word banks: the words up to the match's end hold one.
    past = [any(o in " ".join(x["window"]["tokens"][: x["end"] - x["window"]["start"]]).lower() for o in OPENERS)
            for x in answer["results"]]
    assert sum(past) >= 0.8 * len(past), [x["text"] for x, p in zip(answer["results"], past, strict=True) if not p]


def test_a_match_opens_in_the_main_view_with_its_text_and_the_span_selected(lesson, search_server):
    select_last_year(lesson)
    lesson.locator("#search button", has_text="Find more like this").click()
    wait_ready(lesson, "match")
    first = lesson.evaluate(RESULTS)[1]  # the second: not the page's own sentence
    doc = api(search_server, "/api/search/documents", model="lesson", documents=str(first["document"]))["documents"][0]
    link = lesson.locator("#search .search-result").nth(1).locator("a.search-open")
    with lesson.expect_navigation():
        link.click()
    wait_idle(lesson)
    assert lesson.locator("#text").input_value() == doc["text"]
    lesson.wait_for_function("() => document.querySelectorAll('#tokens li.token-span').length > 0")
    assert lesson.locator("#tokens li.token-span").all_text_contents() == first["marked"]
    start = first["start"] - doc["start"]
    assert lesson.locator("#tokens li").nth(start).get_attribute("class").count("token-span") == 1
    assert "“" + " ".join(first["marked"]) in lesson.locator("#span").text_content()


def test_where_else_does_unit_47_fire_lists_its_top_values(browser, search_server):
    with watched_page(browser, search_server) as page:
        page.goto(f"{search_server}/?model=lesson&unit=47&text={quote(LECTURE)}")
        wait_idle(page)
        button = page.locator("#search button", has_text="Where else does unit 47 (tense")
        button.click()
        wait_ready(page, "top")
        answer = api(search_server, "/api/search", model="lesson", layer=0, limit=50, context=10, mode="top",
                     unit=47)
        shown = page.evaluate(RESULTS)
        assert [(r["document"], r["start"], r["end"], r["tokens"]) for r in shown] == [
            (x["document"], x["start"], x["end"], x["window"]["tokens"]) for x in answer["results"]]
        assert all(len(r["marked"]) == 1 for r in shown)
        assert page.locator("#search .search-headline").text_content().startswith("Where unit 47 (tense")


def test_a_model_without_an_index_says_how_to_build_one_and_offers_no_button(browser, search_server):
    with watched_page(browser, search_server) as page:
        page.goto(f"{search_server}/?model=lesson-gru&unit=3&text={quote(LECTURE)}")
        wait_idle(page)
        select_last_year(page)
        hint = page.locator("#search .search-hint")
        hint.wait_for()
        words = hint.text_content()
        assert "lstm-viz index lesson-gru" in words and "--data-dir" in words
        assert page.locator("#search button:visible").count() == 0
        assert page.locator("#search .search-body").is_hidden()
