"""The visualizer in real Chromium: step detail numbers, unit detail and tinted text, unit ordering and
pins, span search, layers, keyboard, the model card, long text, and no request leaving the origin.
Expected numbers come from the JSON API (exact float32) and independent NumPy arithmetic."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import numpy as np
import pytest

from app.config import Settings
from app.main import create_app
from app.model_store import write_model
from app.tokenizer import Tokenizer
from tests.helpers import random_params
from tests.servers import serve

pytest.importorskip("playwright.sync_api", reason="browser tests need playwright")

TEXT = "Today, due to my current job situation and family conditions, I need to take a loan."
TIMEOUT_MS = 15_000


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[str]:
    """The bundled models plus `deep`, a random two-layer char model, on a live server."""
    folder = tmp_path_factory.mktemp("models")
    vocab = ("?", *sorted(set("abcdefghijklmnopqrstuvwxyz ,.")))
    card = {"id": "deep", "title": "Deep (random, 2 layers)", "description": "two layers", "cell": "lstm",
            "tokenizer": Tokenizer("char", vocab, "?").to_card(), "examples": ["a cab."]}
    write_model(folder, card, random_params(np.random.default_rng(1), V=len(vocab), E=6, H=12, L=2))
    with serve(create_app(Settings(models_dir=folder))) as base:
        yield base


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.errors, page.requests = [], []
    page.on("console", lambda m: page.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    page.on("request", lambda request: page.requests.append(request.url))
    page.goto(f"{server}/")
    wait_drawn(page)
    yield page
    assert page.errors == []
    assert all(url.startswith(server) for url in page.requests), [u for u in page.requests
                                                                 if not u.startswith(server)]
    context.close()


def wait_drawn(page, panels: int = 3) -> None:
    page.wait_for_function(
        "n => document.querySelectorAll('#heatmaps .hm image').length === n"
        " && document.querySelector('#results').getAttribute('aria-busy') === 'false'", arg=panels)


def api_trace(server: str, model: str, text: str, **params) -> dict:
    r = httpx.get(f"{server}/api/trace", params={"model": model, "text": text, **params})
    assert r.status_code == 200
    return r.json()


def row_units(page, quantity: str = "kept") -> list[int]:
    """The units of a heatmap's rows, top first, as Plotly holds them."""
    return page.evaluate(
        "q => document.querySelector(`.heatmap-plot[data-quantity=\"${q}\"]`).data[0].y.map(Number)", quantity)


KEPT_ROWS = "document.querySelector('.heatmap-plot[data-quantity=\"kept\"]').data[0].y"


def heatmap_row(page, quantity: str, row: int) -> list[float]:
    return page.evaluate(
        "([q, r]) => Array.from(document.querySelector(`.heatmap-plot[data-quantity=\"${q}\"]`).data[0].z[r])",
        [quantity, row])


def u1_error(exact: np.ndarray) -> float:
    """The largest error of the page's uint8 values: half a step of the array's range (app/service.py quantize)."""
    return float(exact.max() - exact.min()) / 510 + 1e-6


def test_default_view_is_kept_forgotten_written_with_the_ledgers_numbers(page, server):
    captions = page.locator("#heatmaps figcaption").all_text_contents()
    assert captions == ["kept memory f⊙cₜ₋₁ — what is remembered", "forgotten memory (1−f)⊙cₜ₋₁ — what is erased",
                        "written memory i⊙g — what is added"]
    body = api_trace(server, "lesson", TEXT, quantities="kept,forgotten,written")
    for q in ("kept", "forgotten", "written"):
        expected = np.array(body["layers"][0][q], np.float32)  # (T, H), the server's ledger
        units = row_units(page, q)
        assert units == list(range(64))
        # The heatmaps draw range-quantised uint8 values: within half a step of the exact ones.
        np.testing.assert_allclose(heatmap_row(page, q, 5), expected[:, 5], atol=u1_error(expected))


def test_other_views_are_one_click_away(page):
    page.locator("#views button", has_text="Gates").click()
    wait_drawn(page, 4)
    assert [p.get_attribute("data-quantity") for p in page.locator("#heatmaps .heatmap-plot").all()] == \
        ["f", "i", "g", "o"]
    page.locator("#views button", has_text="States").click()
    wait_drawn(page, 2)
    page.locator("#views button", has_text="Everything").click()
    wait_drawn(page, 9)


def test_clicking_a_token_shows_the_step_numbers_of_the_trace(page, server):
    t = 14  # "need"
    page.locator("#tokens li").nth(t).click()
    heading = page.locator(".step-heading")
    heading.filter(has_text=f"Step {t}").wait_for()
    unit = int(heading.text_content().split("unit ")[1].split(" ")[0])
    body = api_trace(server, "lesson", TEXT)
    layer = {q: np.array(v, np.float32) for q, v in body["layers"][0].items()}
    for q in "ifgoch":
        shown = page.locator(f'.step-eq[data-quantity="{q}"] .step-eq-result .num').last.get_attribute("title")
        assert float(shown) == pytest.approx(float(layer[q][t, unit]), abs=1e-6), q
    # the ledger rows agree with f, i, g and c_{t-1}
    kept = float(page.locator('.step-ledger-row[data-quantity="kept"] .step-ledger-value').get_attribute("title"))
    assert kept == pytest.approx(float(layer["f"][t, unit] * layer["c"][t - 1, unit]), abs=1e-3)
    assert page.locator("#tokens li").nth(t).get_attribute("class").find("token-selected") >= 0
    expected = [p["token"] for p in body["predictions"][t]]
    assert page.locator(".step-prediction-token").all_text_contents() == expected


def test_a_heatmap_click_selects_step_and_unit_and_shows_the_unit_over_the_text(page, server):
    page.evaluate("""() => {
        const plot = document.querySelector('.heatmap-plot[data-quantity="kept"]');
        plot.emit('plotly_click', {points: [{x: 3, y: '2'}]});
    }""")
    page.locator(".unit-title", has_text="Unit 2").wait_for()
    page.locator(".step-heading", has_text="Step 3").wait_for()
    tinted = page.locator(".unit-token")
    tokens = api_trace(server, "lesson", TEXT)["tokens"]
    assert tinted.count() == len(tokens)
    assert tinted.all_text_contents() == [t["text"] for t in tokens]
    colours = {tinted.nth(k).evaluate("e => getComputedStyle(e).backgroundColor") for k in range(len(tokens))}
    assert len(colours) > 3  # tinted by the unit's value, not one flat colour
    chart = page.locator("#unit-detail .js-plotly-plot")
    assert chart.count() == 1
    names = chart.evaluate("p => p.data.map(d => d.name).filter(Boolean).join(' ')")
    for symbol in ("f", "i", "o", "g", "c", "h"):
        assert symbol in names.split() or f"{symbol} " in names


def test_pin_keeps_a_unit_on_top_and_activity_ordering_follows_the_numbers(page, server):
    page.locator("#order").select_option("activity")
    wait_drawn(page)
    c = np.array(api_trace(server, "lesson", TEXT)["layers"][0]["c"], np.float64)
    expected = sorted(range(64), key=lambda u: (-np.abs(c[:, u]).mean(), u))
    assert row_units(page)[:5] == expected[:5]
    page.evaluate("""() => document.querySelector('.heatmap-plot[data-quantity="kept"]')
        .emit('plotly_click', {points: [{x: 2, y: '40'}]})""")
    page.locator(".unit-title", has_text="Unit 40").wait_for()
    page.locator(".unit-pin").click()
    page.wait_for_function(f"() => {KEPT_ROWS}[0] === '40'")
    assert row_units(page)[1:5] == [u for u in expected if u != 40][:4]
    page.locator("#top-n").select_option("8")
    page.wait_for_function(f"() => {KEPT_ROWS}.length === 8")
    assert "unit 40" in page.locator("#pins").text_content()


def test_span_search_ranks_the_unit_most_active_inside_the_span_first(page, server):
    start, end = 9, 12  # "family conditions , I"
    page.locator("#tokens li").nth(start).click()
    page.locator("#tokens li").nth(end).click(modifiers=["Shift"])
    page.locator("#span button", has_text="Find units").click()
    page.locator("#span-results li").first.wait_for()
    h = np.array(api_trace(server, "lesson", TEXT)["layers"][0]["h"], np.float64)
    inside = np.zeros(len(h), bool)
    inside[start : end + 1] = True
    score = h[inside].mean(axis=0) - h[~inside].mean(axis=0)
    best = int(np.argmax(score))
    assert page.locator("#span-results li button").first.text_content() == f"unit {best}"
    page.wait_for_function(f"() => {KEPT_ROWS}[0] === '{best}'")
    assert page.locator("#tokens li.token-span").count() == end - start + 1


def test_arrow_keys_move_the_selected_step(page):
    page.locator("#tokens li").nth(4).click()
    page.locator(".step-heading", has_text="Step 4").wait_for()
    page.keyboard.press("ArrowRight")
    page.locator(".step-heading", has_text="Step 5").wait_for()
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")
    page.locator(".step-heading", has_text="Step 3").wait_for()
    assert page.locator("#tokens li.token-selected").text_content() == "to"


def test_layer_switch_draws_the_upper_layers_numbers(page, server):
    page.locator("#model").select_option("deep")
    wait_drawn(page)
    assert page.locator("#layer").is_visible()
    page.locator("#layer").select_option("1")
    text = page.locator("#text").input_value()
    body = api_trace(server, "deep", text, quantities="written")
    expected = np.array(body["layers"][1]["written"], np.float32)
    page.wait_for_function("() => document.querySelector('#summary').textContent.includes('layer 2 of 2')")
    np.testing.assert_allclose(heatmap_row(page, "written", 0), expected[:, 0], atol=u1_error(expected))


def test_the_model_card_opens_and_points_at_a_notable_unit(page):
    page.locator("#card-button").click()
    dialog = page.locator("#model-card")
    dialog.locator(".card-title").wait_for()
    assert "Lesson" in dialog.locator(".card-title").text_content()
    assert "lstm-viz train" in dialog.text_content()
    dialog.locator(".card-show-unit").first.click()
    page.locator(".unit-title", has_text="Unit 2").wait_for()
    assert not dialog.evaluate("d => d.open")


def test_two_thousand_tokens_draw_and_say_how_to_zoom(page):
    page.locator("#text").fill(" ".join(["a", "loan"] * 1000))  # 2,000 tokens, the limit
    page.wait_for_function("() => document.querySelectorAll('#tokens li').length === 2000")
    wait_drawn(page)
    assert "zoom" in page.locator("#heatmap-note").text_content()
    assert len(heatmap_row(page, "written", 0)) == 2000


def test_an_arrow_key_in_the_tinted_text_moves_one_step(page):
    page.evaluate("""() => document.querySelector('.heatmap-plot[data-quantity="kept"]')
        .emit('plotly_click', {points: [{x: 5, y: '2'}]})""")
    page.locator(".step-heading", has_text="Step 5").wait_for()
    page.locator(".unit-token").nth(5).click()
    page.keyboard.press("ArrowRight")
    page.locator(".step-heading", has_text="Step 6").wait_for()
    page.wait_for_timeout(300)
    assert page.locator("#tokens li.token-selected").get_attribute("data-step") == "6"
