"""A vanilla RNN in the page, in real Chromium: its one view (h and a), its step (one
equation, no gates), its unit chart, and the lecture's sentence through the LSTM and the RNN side by
side in compare mode. Numbers are checked against the exact JSON API."""

from __future__ import annotations

import math

import httpx
import numpy as np
import pytest

from app.corpora.lecture import CUISINE_ONE
from tests.heatmap_hooks import DRAWN, heatmap_row, row_units
from tests.page.pages import watched_page

pytest.importorskip("playwright.sync_api", reason="browser tests need playwright")

TEXT = "Today, due to my current job situation and family conditions, I need to take a loan."


@pytest.fixture
def page(browser, server):
    with watched_page(browser, server) as page:
        page.goto(f"{server}/")
        wait_idle(page)
        yield page


def wait_idle(page, panels: int | None = None) -> None:
    page.wait_for_function("() => document.querySelector('#results').getAttribute('aria-busy') === 'false'")
    if panels is not None:
        page.wait_for_function(f"n => {DRAWN} === n", arg=panels)
    assert page.locator("#error").text_content() == ""


def exact(server: str, text: str) -> dict:
    r = httpx.post(f"{server}/api/trace", json={"model": "lesson-rnn", "text": text})
    assert r.status_code == 200
    return r.json()


def test_an_rnn_model_has_one_view_of_h_and_a_with_the_apis_numbers(page, server):
    page.locator("#model").select_option("lesson-rnn")
    wait_idle(page)
    page.wait_for_function("() => document.querySelectorAll('#heatmaps .heatmap-plot').length === 2"
                           f" && {DRAWN} === 2")
    assert [p.get_attribute("data-quantity") for p in page.locator("#heatmaps .heatmap-plot").all()] == ["h", "a"]
    assert page.locator("#views button").all_text_contents() == [
        "Hidden state: h · a (a vanilla RNN has no gates and no cell)"]
    assert 8 <= len(row_units(page, "h")) < 100  # as many of its 100 units as can be read at 1280×900
    page.select_option("#top-n", "all")
    page.wait_for_function("() => document.querySelector('#heatmaps .heatmap-plot').heatmap.units.length === 100")
    body = exact(server, TEXT)
    for q in ("h", "a"):
        values = np.array(body["layers"][0][q], np.float32)  # (T, 100)
        assert row_units(page, q) == list(range(100))
        tolerance = float(values.max() - values.min()) / 510 + 1e-6  # the heatmaps draw u1 values
        np.testing.assert_allclose(heatmap_row(page, q, 7), values[:, 7], atol=tolerance)


def test_an_rnn_step_is_one_equation_and_its_unit_chart_has_h_and_a(page, server):
    page.locator("#model").select_option("lesson-rnn")
    wait_idle(page, 2)
    page.locator("#tokens li").nth(13).click()  # "need", and the first unit
    page.locator('.step-heading[data-step="13"]', has_text="Token 14 of").wait_for()
    rnn = page.locator(".step-detail[data-cell=rnn] .step-maths")  # the cell_spec's name, as the server sends it
    rnn.wait_for()
    assert page.locator(".step-cell").is_hidden()  # no cell diagram (its cell_spec names none): there is no cell
    assert page.locator(".step-ledger").is_hidden()  # and no ledger: h is all it carries
    assert rnn.locator(".step-eq").count() == 1
    assert "no gates, h is its only memory" in rnn.locator(".step-cell-note").text_content()
    step = httpx.post(f"{server}/api/step", json={"model": "lesson-rnn", "text": TEXT, "step": 13}).json()
    h = step["gates"]["h"]["value"][0]
    assert math.isclose(h, math.tanh(step["gates"]["h"]["preactivation"][0]), abs_tol=1e-5)
    assert f"{h:.3f}" in rnn.locator(".step-eq-result").text_content()
    assert page.locator(".step-warning").is_hidden()
    chart = page.locator("#unit-detail .unit-chart")
    chart.wait_for()
    names = chart.evaluate("p => p.data.map((d) => d.name).filter(Boolean)")
    assert names == ["h hidden", "a pre-activation"]
    ys = chart.evaluate("p => p.data.find((d) => d.name === 'h hidden').y")
    page.wait_for_function("() => new URLSearchParams(location.search).has('unit')")  # the link follows (debounced)
    unit = int(page.evaluate("() => new URLSearchParams(location.search).get('unit')"))
    body = exact(server, TEXT)
    assert np.array(ys, np.float64).tobytes() == np.array(body["layers"][0]["h"], np.float32)[:, unit].astype(
        np.float64).tobytes()  # the unit chart's numbers are exact float32


def test_the_lstm_knows_dhavals_cuisine_and_the_rnn_guesses_in_compare_mode(page, server):
    """The lecture's claim on its own sentence: at "his favorite cuisine is" the LSTM predicts "indian" from
    the samosa 14 words back; the RNN trained the same way does not. The page's predictions are the API's."""
    page.locator("#mode-buttons button[data-mode=compare]").click()
    page.locator("button[data-preset=rnn]").click()
    wait_idle(page)
    page.wait_for_function("() => document.querySelectorAll('#compare .js-plotly-plot').length >= 2")
    text = CUISINE_ONE[: CUISINE_ONE.rindex(" ")]
    assert page.locator("#compare-model").input_value() == "lesson-rnn"
    assert page.locator("#compare-text").input_value() == text and page.locator("#text").input_value() == text
    offered = page.locator("#compare select.compare-quantity option:not([disabled])").all_text_contents()
    assert offered == ["hidden state h — output"]  # the one quantity both cells have
    captions = " ".join(page.locator("#compare figcaption").all_text_contents())
    assert "Lesson: tense and cuisine" in captions and "vanilla RNN" in captions
    shown = {side: page.locator(f"#compare .compare-prediction-{side} .compare-prediction-token").all_text_contents()
             for side in ("a", "b")}
    heads = [page.locator(f"#compare .compare-prediction-{side} .compare-prediction-head").text_content()
             for side in ("a", "b")]
    assert all("after “is”" in h for h in heads), heads
    for side, model in (("a", "lesson"), ("b", "lesson-rnn")):
        r = httpx.post(f"{server}/api/trace", json={"model": model, "text": text, "top_k": len(shown[side])})
        assert r.status_code == 200
        assert shown[side] == [p["token"] for p in r.json()["predictions"][-1]], side
    assert shown["a"][0] == "indian" and shown["b"][0] != "indian", shown
    rows = page.evaluate("""() => ['a', 'b'].map((s) =>
        document.querySelector(`#compare .compare-${s} .js-plotly-plot`).data[0].y.length)""")
    assert rows == [64, 100]
