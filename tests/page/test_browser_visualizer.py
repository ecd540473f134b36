"""The visualizer in real Chromium: step detail numbers, unit detail and tinted text, unit ordering and
pins, span search, layers, keyboard, the model card, long text, and no request leaving the origin.
Expected numbers come from the JSON API (exact float32) and independent NumPy arithmetic."""

from __future__ import annotations

import math
from collections.abc import Iterator

import httpx
import numpy as np
import pytest

from app.engine.tokenizer import Tokenizer
from app.model_store import write_model
from app.serving.app import create_app
from app.serving.config import Settings
from tests.heatmap_hooks import DRAWN, cell_point, click_cell, heatmap_row, hook, row_range, row_units, tick_labels
from tests.helpers import random_params
from tests.page.pages import watched_page
from tests.servers import serve

pytest.importorskip("playwright.sync_api", reason="browser tests need playwright")

TEXT = "Today, due to my current job situation and family conditions, I need to take a loan."


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
    with watched_page(browser, server) as page:
        page.goto(f"{server}/?top=all")  # every unit, in order (the default shows as many as fit: first_screen)
        wait_drawn(page)
        yield page


def wait_drawn(page, panels: int = 3) -> None:
    page.wait_for_function(
        f"n => {DRAWN} === n && document.querySelector('#results').getAttribute('aria-busy') === 'false'", arg=panels)


def api_trace(server: str, model: str, text: str, **params) -> dict:
    r = httpx.get(f"{server}/api/trace", params={"model": model, "text": text, **params})
    assert r.status_code == 200
    return r.json()


KEPT = "document.querySelector('.heatmap-plot[data-quantity=\"kept\"]').heatmap"
KEPT_ROWS = f"{KEPT}.units"


def u1_error(exact: np.ndarray) -> float:
    """The largest error of the page's uint8 values: half a step of the array's range
    (app/serving/service.py quantize)."""
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
    heading.and_(page.locator(f'[data-step="{t}"]')).wait_for()
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
    click_cell(page, "kept", 3, 2)
    page.locator(".unit-title", has_text="Unit 2").wait_for()
    page.locator('.step-heading[data-step="3"]').wait_for()
    tinted = page.locator(".unit-token")
    tokens = api_trace(server, "lesson", TEXT)["tokens"]
    assert tinted.count() == len(tokens)
    assert tinted.all_text_contents() == [t["text"] for t in tokens]
    colours = {tinted.nth(k).evaluate("e => getComputedStyle(e).backgroundColor") for k in range(len(tokens))}
    assert len(colours) > 3  # tinted by the unit's value, not one flat colour
    chart = page.locator("#unit-detail .unit-chart")
    chart.wait_for()  # drawn on a canvas: no plotly.js
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
    click_cell(page, "kept", 2, 40)
    page.locator(".unit-title", has_text="Unit 40").wait_for()
    page.locator(".unit-pin").click()
    page.wait_for_function(f"() => {KEPT_ROWS}[0] === 40")
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
    page.wait_for_function(f"() => {KEPT_ROWS}[0] === {best}")
    assert page.locator("#tokens li.token-span").count() == end - start + 1


def test_arrow_keys_move_the_selected_step(page):
    page.locator("#tokens li").nth(4).click()
    page.locator('.step-heading[data-step="4"]').wait_for()
    page.keyboard.press("ArrowRight")
    page.locator('.step-heading[data-step="5"]').wait_for()
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")
    page.locator('.step-heading[data-step="3"]').wait_for()
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
    page.locator(".unit-title", has_text="Unit 47").wait_for()  # the card's first notable unit (tense)
    assert not dialog.evaluate("d => d.open")


def test_two_thousand_tokens_draw_and_say_how_to_zoom(page):
    page.locator("#text").fill(" ".join(["a", "loan"] * 1000))  # 2,000 tokens, the limit
    page.wait_for_function("() => document.querySelector('#tokens').lastElementChild?.dataset.step === '1999'")
    assert page.locator("#tokens li").count() == 400  # the strip's window (tokens.js STRIP_WINDOW)
    wait_drawn(page)
    assert "zoom" in page.locator("#heatmap-note").text_content()
    assert len(heatmap_row(page, "written", 0)) == 2000
    # What the note says works: a drag across a stretch zooms into it, a double-click shows all again.
    drag(page, "written", 1000, 1100, unit=5)
    zoomed = hook(page, "kept", "h.range")
    assert 990 <= zoomed["t0"] <= 1010 and 1090 <= zoomed["t1"] <= 1110, zoomed
    assert all(zoomed["t0"] <= t <= zoomed["t1"] for t in hook(page, "kept", "h.ticks.map((tick) => tick.t)"))
    page.mouse.dblclick(*cell_point(page, "written", 1050, 5))
    page.wait_for_function(f"() => {KEPT}.range.t0 === 0")
    assert hook(page, "kept", "h.range") == {"t0": 0, "t1": 1999}


def test_an_arrow_key_in_the_tinted_text_moves_one_step(page):
    click_cell(page, "kept", 5, 2)
    page.locator('.step-heading[data-step="5"]').wait_for()
    page.locator(".unit-token").nth(5).click()
    page.keyboard.press("ArrowRight")
    page.locator('.step-heading[data-step="6"]').wait_for()
    page.wait_for_timeout(300)
    assert page.locator("#tokens li.token-selected").get_attribute("data-step") == "6"


QUANTITIES = ("kept", "forgotten", "written")
# static/js/core/plot_axes.js DIVERGING (ColorBrewer RdBu), the signed panels' scale.
RDBU = [(0, "#053061"), (0.1, "#2166ac"), (0.2, "#4393c3"), (0.3, "#92c5de"), (0.4, "#d1e5f0"), (0.5, "#f7f7f7"),
        (0.6, "#fddbc7"), (0.7, "#f4a582"), (0.8, "#d6604d"), (0.9, "#b2182b"), (1, "#67001f")]


def scale_rgb(x: float) -> list[float]:
    """The colour at x in 0..1 along RDBU, interpolated in RGB (as Plotly's heatmaps were)."""
    x = min(max(x, 0.0), 1.0)
    for (p0, c0), (p1, c1) in zip(RDBU, RDBU[1:], strict=False):
        if x <= p1:
            a = [int(c0[k : k + 2], 16) for k in (1, 3, 5)]
            b = [int(c1[k : k + 2], 16) for k in (1, 3, 5)]
            w = (x - p0) / (p1 - p0)
            return [u + (v - u) * w for u, v in zip(a, b, strict=True)]
    raise AssertionError(x)


def pixel(page, quantity: str, layer: str, x: float, y: float) -> list[int]:
    """RGBA of the device pixel at viewport point (x, y) on a heatmap's base or overlay canvas."""
    return page.evaluate(
        """([q, layer, x, y]) => {
            const canvas = document.querySelector(`.heatmap-plot[data-quantity="${q}"] canvas.heatmap-${layer}`);
            const rect = canvas.getBoundingClientRect();
            const scale = canvas.width / rect.width;
            const px = Math.floor((x - rect.left) * scale);
            const py = Math.floor((y - rect.top) * scale);
            return Array.from(canvas.getContext("2d").getImageData(px, py, 1, 1).data);
        }""",
        [quantity, layer, x, y],
    )


def drag(page, quantity: str, t_from: int, t_to: int, unit: int) -> None:
    """Press on token t_from's cell, move across to t_to's and release: real mouse events."""
    x0, y = cell_point(page, quantity, t_from, unit)
    x1, _ = cell_point(page, quantity, t_to, unit)
    page.mouse.move(x0, y)
    page.mouse.down()
    page.mouse.move(x1, y, steps=8)
    page.mouse.up()


NICE_STEPS = (1, 1.2, 1.5, 1.8, 2, 2.5, 3, 3.5, 4, 5, 6, 7, 8)


def nice_ceil(x: float) -> float:
    """A signed panel's colour range from its largest |value| (static/js/core/views.js niceCeil): the smallest
    s × 10^k ≥ x, s one of NICE_STEPS."""
    k = math.floor(math.log10(x))
    candidates = (s / 10**-e if e < 0 else s * 10**e for e in (k - 1, k, k + 1) for s in NICE_STEPS)
    return min(c for c in candidates if c >= x)


def test_cells_are_coloured_by_their_value_on_their_rows_own_diverging_scale(page):
    # The values the heatmaps hold (range-quantised; test_default_view... compares them with the API's),
    # (T, units) per quantity. By default (scale "unit") each row has its own range, centred on 0: its unit's
    # largest |value| over kept, forgotten and written (one scale for the ledger: c = kept + written), at least
    # 1 % of the ledger's largest (so a silent unit's quantisation noise stays pale), rounded up to a nice number
    # so that a keystroke seldom changes it (and every column's colour). static/js/core/color_ranges.js.
    units = row_units(page, "kept")
    m = {q: np.array([heatmap_row(page, q, row) for row in range(len(units))], np.float64).T for q in QUANTITIES}
    largest = np.max([np.abs(m[q]).max(axis=0) for q in QUANTITIES], axis=0)  # (rows,) per unit over the ledger
    floor = largest.max() * 0.01
    half = [nice_ceil(max(v, floor)) for v in largest]
    for q in QUANTITIES:
        assert hook(page, q, "h.scaleMode") == "unit", q
        for row in range(len(units)):
            assert largest[row] <= half[row] <= 1.25 * max(largest[row], floor), (q, row)
            assert row_range(page, q, row) == {"zmin": -half[row], "zmax": half[row]}, (q, row)
        for t, unit in ((0, 0), (7, 13), (14, 25), (18, 27)):
            row = units.index(unit)
            x, y = cell_point(page, q, t, unit)
            expected = scale_rgb((m[q][t, row] / half[row] + 1) / 2)
            rgba = pixel(page, q, "canvas", x, y)
            assert rgba[3] == 255 and np.abs(np.array(rgba[:3]) - expected).max() <= 3, (q, t, unit, rgba, expected)
    # A row on a small range (the smallest above a twentieth of the largest) lives far below the ledger's
    # largest |value|, yet is clearly coloured: its strongest cell is near the scale's end, not the near-white
    # one a shared range gave it.
    row = int(np.argmin(np.where(largest > largest.max() / 20, largest, np.inf)))
    t = int(np.abs(m["kept"][:, row]).argmax())
    assert largest[row] < largest.max() / 3
    r, g, b, _ = pixel(page, "kept", "canvas", *cell_point(page, "kept", t, units[row]))
    assert max(r, g, b) - min(r, g, b) > 100, (r, g, b)  # a strong colour (a shared range left it near white)


def test_hovering_a_cell_shows_its_numbers_and_highlights_its_column_in_every_panel(page, server):
    t, unit = 13, 25  # "need", and a tense unit of the card
    exact = np.array(api_trace(server, "lesson", TEXT, quantities="kept")["layers"][0]["kept"], np.float32)
    held = heatmap_row(page, "kept", unit)[t]  # the page's range-quantised value of the cell
    elsewhere = {q: cell_point(page, q, 3, 30) for q in QUANTITIES}
    column = {q: cell_point(page, q, t, 30) for q in QUANTITIES}
    assert all(pixel(page, q, "overlay", *column[q])[3] == 0 for q in QUANTITIES)

    page.mouse.move(*cell_point(page, "kept", t, unit))

    tooltip = page.locator('.heatmap-plot[data-quantity="kept"] .heatmap-tooltip')
    tooltip.wait_for(state="visible")
    lines = tooltip.text_content().split("\n")
    # Tokens counted from 1 as people count; units by the model's own index, with the card's name.
    assert lines[:2] == [f"token {t + 1} of 19: need", f"unit {unit} · tense"]
    assert lines[3].startswith("row range ±")  # each row on its own range: the tooltip says which
    assert lines[2].startswith("kept ≈ ") and len(lines[2].split(".")[-1]) == 5  # approximate, 5 decimals
    shown = float(lines[2].removeprefix("kept ≈ "))
    assert shown == pytest.approx(held, abs=5.1e-6)
    assert shown == pytest.approx(float(exact[t, unit]), abs=u1_error(exact) + 5e-6)
    assert page.locator("#tokens li.token-hover").get_attribute("data-step") == str(t)
    for q in QUANTITIES:  # a yellow wash over the hovered column, nothing over the others
        r, g, b, a = pixel(page, q, "overlay", *column[q])
        assert a > 0 and r > 200 and g > 150 and b < 60, (q, r, g, b, a)
        assert pixel(page, q, "overlay", *elsewhere[q])[3] == 0, q

    page.mouse.move(1, 1)

    tooltip.wait_for(state="hidden")
    assert page.locator("#tokens li.token-hover").count() == 0
    assert all(pixel(page, q, "overlay", *column[q])[3] == 0 for q in QUANTITIES)


def test_the_selected_step_is_outlined_in_every_panel(page):
    t = 6
    page.locator("#tokens li").nth(t).click()
    page.locator(f'.step-heading[data-step="{t}"]').wait_for()
    page.mouse.move(1, 1)
    for q in QUANTITIES:
        x, y = cell_point(page, q, t, 30)
        left = hook(page, q, f"h.cellCenter({t - 1}, 30).x")
        edge = (x + left) / 2  # the boundary between columns t - 1 and t carries the outline
        assert pixel(page, q, "overlay", edge, y)[:4] == [17, 17, 17, 255], q
        assert pixel(page, q, "overlay", *cell_point(page, q, 2, 30))[3] == 0, q


def test_drag_zooms_every_heatmap_and_double_click_shows_all_again(page):
    drawn = hook(page, "kept", "h.drawn")

    drag(page, "forgotten", 3, 8, unit=10)

    for q in QUANTITIES:
        assert hook(page, q, "h.range") == {"t0": 3, "t1": 8}, q
    tokens = page.locator("#tokens li").all_text_contents()
    assert tick_labels(page, "kept") == tokens[3:9]  # the stretch's own labels, every one
    assert hook(page, "kept", "h.drawn") == drawn  # a zoom repaints from the raster
    assert page.locator("#tokens li.token-selected").count() == 0  # a drag is not a click
    label = page.locator('.heatmap-plot[data-quantity="kept"] canvas').first.get_attribute("aria-label")
    assert f"tokens 4–9 of {len(tokens)} shown" in label  # counted from 1, as the page does everywhere

    page.locator("#text").press("End")
    page.locator("#text").press_sequentially(" Today")  # a keystroke redraws; the zoom stays
    page.wait_for_function("() => document.querySelectorAll('#tokens li').length === 20")
    wait_drawn(page)
    assert hook(page, "kept", "h.drawn") > drawn
    assert hook(page, "written", "h.range") == {"t0": 3, "t1": 8}

    page.mouse.dblclick(*cell_point(page, "kept", 5, 10))

    page.wait_for_function(f"() => {KEPT}.range.t0 === 0")
    for q in QUANTITIES:
        assert hook(page, q, "h.range") == {"t0": 0, "t1": 19}, q

    drag(page, "kept", 10, 15, unit=10)
    assert hook(page, "kept", "h.range") == {"t0": 10, "t1": 15}
    page.locator("#text").fill("I had to take a loan")  # shorter than the zoomed stretch: all again
    page.wait_for_function("() => document.querySelectorAll('#tokens li').length === 6")
    wait_drawn(page)
    assert hook(page, "kept", "h.range") == {"t0": 0, "t1": 5}
