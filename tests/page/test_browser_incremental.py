"""The page asks only for what it lacks, in real Chromium against a real server: after an
append, a deletion, an edit in the middle and a model switch, the requests carried `since` where they
could, the answers were smaller, and what the page shows equals the exact API: the unit chart's float32
values bit for bit, the heatmaps' uint8 values within their stated error. Every request carries the tab's
salt, under which alone the server caches what it computed (tests/serving/test_cache_oracle.py)."""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qs, urlparse

import httpx
import numpy as np
import pytest

from app.serving.app import create_app
from app.serving.config import Settings
from app.serving.trace_cache import TraceCache
from tests.heatmap_hooks import heatmap_row, row_units
from tests.page.pages import wait_idle, watched_page
from tests.servers import serve

pytest.importorskip("playwright.sync_api", reason="browser tests need playwright")

TEXT = "Today, due to my current job situation and family conditions, I need to take a loan."
SALT = re.compile(r"[0-9a-f]{32}")  # static/js/core/digest.js TAB_SALT


@pytest.fixture
def page(browser, server):
    with watched_page(browser, server) as page:
        page.answers = []
        page.on("response", lambda r: page.answers.append(r) if "/api/trace" in r.url else None)
        page.goto(f"{server}/?top=all")
        wait_idle(page)
        yield page


def params_of(response) -> dict:
    """A /api/trace request's parameters, whether sent in the URL or as a JSON body."""
    if response.request.method == "POST":
        return json.loads(response.request.post_data)
    return {k: v[0] for k, v in parse_qs(urlparse(response.url).query).items()}


def exact(server: str, model: str, text: str, **params) -> dict:
    r = httpx.post(f"{server}/api/trace", json={"model": model, "text": text, "encoding": "json", **params})
    assert r.status_code == 200
    return r.json()


def unit_chart(page, key: str) -> np.ndarray:
    """The unit chart's line for quantity `key` (its values as the page holds them)."""
    return np.array(page.evaluate("""k => document.querySelector('#unit-detail .unit-chart').data
        .find(d => d.name && d.name.startsWith(k + ' ')).y""", key), np.float64)


def edit_to(page, text: str) -> list:
    """Replace the text as typing would (one input event), wait for the redraw; the trace answers it caused."""
    before = len(page.answers)
    if page.input_value("#text") == text:
        return []  # no edit, no request
    # Every edit here asks for the heatmaps (u1): wait for that answer (after the 250 ms typing debounce).
    with page.expect_response(lambda r: "/api/trace" in r.url and params_of(r).get("encoding") == "u1"):
        page.fill("#text", text)
    page.wait_for_function("t => document.querySelector('#text').value === t", arg=text)
    wait_idle(page)
    return page.answers[before:]


def shown_tokens(page) -> list[str]:
    return page.locator("#tokens li").all_text_contents()


def test_edits_fetch_only_new_columns_and_show_the_exact_numbers(page, server):
    page.locator("#tokens li").nth(2).click()  # selects step 2 and the first unit: the unit chart opens
    page.locator(".unit-title", has_text="Unit 0").wait_for()
    first = [a for a in page.answers if params_of(a).get("encoding") == "u1"][0]
    assert "since" not in params_of(first) and first.json()["start"] == 0
    full_size = len(first.body())  # the whole default view of TEXT (17 tokens; the edits have 18 to 20)
    edits = [
        (TEXT + " Last year", True),  # an append
        (TEXT + " Last", True),  # a deletion at the end
        (TEXT.replace("family", "money") + " Last", True),  # an edit in the middle
        ("Yesterday" + TEXT[5:], False),  # an edit in the first word: nothing can be kept
    ]
    for text, incremental in edits:
        answers = edit_to(page, text)
        heatmap = [a for a in answers if params_of(a).get("encoding") == "u1"]
        assert heatmap, f"no heatmap request for {text!r}"
        sent = params_of(heatmap[-1])
        body = heatmap[-1].json()
        whole = exact(server, "lesson", text, quantities="kept,forgotten,written,c")
        assert body["num_tokens"] == len(whole["tokens"])
        if incremental:
            assert int(sent["since"]) > 0 and body["start"] == int(sent["since"])
            # Only the text after the kept tokens travels: the server takes those from its cache.
            assert int(sent["offset"]) == whole["tokens"][body["start"] - 1]["end"]
            assert sent["text"] == text[int(sent["offset"]):]
            assert body["tokens"] == whole["tokens"][body["start"]:]
            T, start = body["num_tokens"], body["start"]
            # Bytes in proportion to the steps sent (tokens, arrays and predictions alike).
            assert len(heatmap[-1].body()) < full_size * (T - start + 2) / T
        else:
            assert body["start"] == 0
        assert shown_tokens(page) == [t["text"] for t in whole["tokens"]]
        salts = {params_of(a).get("salt") for a in page.answers}
        assert len(salts) == 1 and SALT.fullmatch(salts.pop())  # one salt for every request of the tab
        # The unit chart holds exact float32 values, spliced from its own incremental fetches.
        page.wait_for_function("n => document.querySelector('#unit-detail .unit-chart').data[0].y.length === n",
                               arg=len(whole["tokens"]))
        c = np.array(whole["layers"][0]["c"], np.float32)[:, 0].astype(np.float64)
        assert unit_chart(page, "c").tobytes() == c.tobytes()


def test_a_model_switch_and_back_starts_over_and_stays_right(page, server):
    page.locator("#model").select_option("untrained")
    wait_idle(page)
    page.locator("#model").select_option("lesson")
    wait_idle(page)
    last = [a for a in page.answers if params_of(a).get("model") == "lesson"][-1]
    assert "since" not in params_of(last)  # the columns held were another model's: nothing is kept
    answers = edit_to(page, TEXT + " Now")
    sent = params_of([a for a in answers if params_of(a).get("encoding") == "u1"][-1])
    assert int(sent["since"]) > 0
    whole = exact(server, "lesson", TEXT + " Now")
    assert shown_tokens(page) == [t["text"] for t in whole["tokens"]]


def test_after_an_edit_in_the_middle_every_cell_has_its_new_colour(page):
    """The heatmaps recolour only the steps an edit changed (trace_store.js tells them which were kept):
    on the candidate g (a fixed -1..1 scale, so an edit cannot change the range) every sampled cell,
    before and after the edit, has the colour of the value the page now holds."""
    from tests.heatmap_hooks import DRAWN, cell_point
    from tests.page.test_browser_visualizer import pixel, scale_rgb

    page.locator("#views button", has_text="Gates").click()
    page.wait_for_function(f"() => {DRAWN} === 4")
    before = heatmap_row(page, "g", 5)
    edit_to(page, TEXT.replace("family", "money"))  # token 9 changes; tokens 0-8 are kept
    page.wait_for_function(f"() => {DRAWN} === 4")
    after = heatmap_row(page, "g", 5)
    assert after[:8] == before[:8] and after[9:] != before[9:]  # the edit changed the later steps
    units = row_units(page, "g")  # the rows shown (as many units as can be read: not always all 64)
    for t in (0, 4, 8, 9, 12, 16):
        for row in (5, min(33, len(units) - 1)):
            unit = units[row]
            value = heatmap_row(page, "g", row)[t]
            x, y = cell_point(page, "g", t, unit)
            rgba = pixel(page, "g", "canvas", x, y)
            expected = scale_rgb((value + 1) / 2)
            assert rgba[3] == 255 and np.abs(np.array(rgba[:3]) - expected).max() <= 3, (t, unit, rgba, expected)


def test_when_the_server_no_longer_holds_the_kept_tokens_the_page_sends_the_whole_text(browser):
    """Another worker, or an eviction: the server answers the part with 409 and the page asks again with
    the whole text (same since and prefix), then shows exactly the whole text's trace."""
    app = create_app(Settings())
    with serve(app) as base, watched_page(browser, base) as page:
        page.answers = []
        page.on("response", lambda r: page.answers.append(r) if "/api/trace" in r.url else None)
        page.goto(f"{base}/")
        wait_idle(page)
        edit_to(page, TEXT)
        app.state.trace_cache = TraceCache(64 * 2**20)  # as if another worker had answered until now
        answers = [a for a in edit_to(page, TEXT + " Now") if params_of(a).get("encoding") == "u1"]
        assert [a.status for a in answers] == [409, 200]
        part, whole_text = (params_of(a) for a in answers)
        assert "offset" in part and "offset" not in whole_text and whole_text["text"] == TEXT + " Now"
        assert whole_text["since"] == part["since"] and answers[1].json()["start"] == int(part["since"])
        assert whole_text["salt"] == part["salt"] and SALT.fullmatch(part["salt"])
        whole = exact(base, "lesson", TEXT + " Now", quantities="kept")
        assert shown_tokens(page) == [t["text"] for t in whole["tokens"]]
        kept = np.array(whole["layers"][0]["kept"], np.float64)  # (T, H), the exact values
        drawn = np.array(heatmap_row(page, "kept", 0))  # the page's u1 values of the top row's unit
        unit = row_units(page, "kept")[0]
        spec = answers[1].json()["layers"][0]["kept"]
        assert drawn.shape == (len(whole["tokens"]),)
        assert np.abs(drawn - kept[:, unit]).max() <= (spec["hi"] - spec["lo"]) / 510 + 1e-6
        page.errors = [e for e in page.errors if "409" not in e]  # the expected 409, logged by Chromium


def test_each_tab_has_its_own_salt_and_its_step_requests_carry_it(page, browser, server):
    """Two tabs (two visitors) send different salts, so neither is ever answered from the other's cache;
    a tab's /api/step requests carry its salt too (their steps come from its cache), as /api/retention's do."""
    first = params_of(page.answers[0])["salt"]
    with page.expect_request(lambda r: "/api/step" in r.url) as step:
        page.locator("#tokens li").nth(3).click()
    assert parse_qs(urlparse(step.value.url).query)["salt"] == [first]
    with watched_page(browser, server) as other:
        with other.expect_response(lambda r: "/api/trace" in r.url) as answer:
            other.goto(f"{server}/")
        second = params_of(answer.value)["salt"]
        assert SALT.fullmatch(second) and second != first
        wait_idle(other)
