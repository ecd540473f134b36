"""A GRU in the page, in real Chromium, drawn from the cell_spec the server sends (the page knows no cell by
name): its views z · r · n, h and the memory ledger; its step detail's equations and ledger with the numbers of
/api/step; its cell diagram; its unit chart; the compare presets that pair it with the LSTM and the vanilla RNN;
"Memory that lasts" with ∏ z; its model card. The models are random and untrained (tests/page/conftest.py)."""

from __future__ import annotations

import httpx
import numpy as np
import pytest

from tests.heatmap_hooks import DRAWN, heatmap_row, row_units
from tests.page.pages import watched_page

pytest.importorskip("playwright.sync_api", reason="browser tests need playwright")

TEXT = "a cab, a bad cab. a dab."  # 24 characters, every one in the char models' vocabulary
GRU = "lesson-gru"
BUSY = "document.querySelector('#results').getAttribute('aria-busy')"


@pytest.fixture
def page(browser, cell_server):
    with watched_page(browser, cell_server) as page:
        yield page


def open_page(page, server: str, query: str, panels: int) -> None:
    """Open a link and wait until `panels` heatmaps are drawn and nothing is in flight."""
    page.goto(f"{server}/?{query}")
    page.wait_for_function(f"n => {DRAWN} === n && {BUSY} === 'false'", arg=panels)
    assert page.locator("#error").text_content() == ""


def panels(page) -> list[str]:
    return [p.get_attribute("data-quantity") for p in page.locator("#heatmaps .heatmap-plot").all()]


def shown(x: float) -> str:
    """A number as the step detail shows it (core/step_numbers.js formatNumber): 3 decimals, a real minus."""
    text = f"{x:.3f}"
    return "0.000" if float(text) == 0 else text.replace("-", "\u2212")


def test_a_gru_has_its_own_views_panels_and_words(page, cell_server):
    open_page(page, cell_server, f"model={GRU}&text={TEXT}", 3)
    assert page.locator("#views button").all_text_contents() == [
        "Memory: kept · forgotten · written", "Gates: z · r · n", "State: h", "Everything"]
    assert panels(page) == ["kept", "forgotten", "written"]  # its first view
    captions = page.locator("#heatmaps figcaption").all_text_contents()
    assert captions[0] == "kept memory z⊙hₜ₋₁ — what is remembered"
    assert "pushes h up" in page.locator("#heatmaps .heatmap-legend").nth(2).text_content()
    page.click("#views button[data-view=gates]")
    page.wait_for_function(f"() => {DRAWN} === 3 && document.querySelector('#heatmaps .heatmap-plot')"
                           ".dataset.quantity === 'z'")
    assert panels(page) == ["z", "r", "n"]
    assert page.locator("#heatmaps figcaption").first.text_content() == "update gate z — what is kept"
    body = httpx.post(f"{cell_server}/api/trace", json={"model": GRU, "text": TEXT}).json()
    for q in ("z", "r", "n"):
        values = np.array(body["layers"][0][q], np.float32)  # (T, 8)
        assert row_units(page, q) == list(range(8))
        tolerance = float(values.max() - values.min()) / 510 + 1e-6  # the heatmaps draw u1 values
        np.testing.assert_allclose(heatmap_row(page, q, 3), values[:, 3], atol=tolerance)
    page.click("#views button[data-view=states]")
    page.wait_for_function(f"() => {DRAWN} === 1")
    assert panels(page) == ["h"]
    orders = page.locator("#order option").all_text_contents()
    assert "activity over the text (mean |h|)" in orders and "change at the selected step (|Δh|)" in orders


def test_a_link_with_a_view_the_gru_lacks_shows_its_first_view(page, cell_server):
    open_page(page, cell_server, f"model={GRU}&view=hidden&text={TEXT}", 3)  # a vanilla RNN's view
    assert panels(page) == ["kept", "forgotten", "written"]
    assert page.locator("#notice").is_hidden()
    page.select_option("#model", "lesson-rnn")  # the same choice on the RNN, which has that view
    page.wait_for_function(f"() => {DRAWN} === 2 && {BUSY} === 'false'")
    assert panels(page) == ["h", "a"]


def test_the_gru_step_detail_explains_unit_3_with_the_apis_numbers(page, cell_server):
    step, unit = 9, 3
    open_page(page, cell_server, f"model={GRU}&text={TEXT}&step={step}&unit={unit}", 3)
    detail = page.locator(".step-detail[data-cell=gru]")
    page.locator(f'.step-heading[data-step="{step}"][data-unit="{unit}"]').wait_for()
    answer = httpx.post(f"{cell_server}/api/step", json={"model": GRU, "text": TEXT, "step": step}).json()
    gate = {g: {part: answer["gates"][g][part][unit] for part in answer["gates"][g]} for g in ("z", "r", "n")}
    h_prev, h = answer["h_prev"][unit], answer["h"][unit]
    values = {name: answer["values"][name][unit] for name in ("kept", "forgotten", "written")}
    # The numbers are the server's and they add up: h = (1 − z) n + z h_prev.
    assert abs((1 - gate["z"]["value"]) * gate["n"]["value"] + gate["z"]["value"] * h_prev - h) < 1e-5
    assert page.locator(".step-warning").is_hidden()

    equations = detail.locator(".step-eq")
    assert [e.get_attribute("data-quantity") for e in equations.all()] == ["z", "r", "n", "h"]  # reading order
    for g in ("z", "r", "n"):
        eq = detail.locator(f".step-eq[data-quantity={g}]")
        spans = [float(t) for t in eq.locator(".num").evaluate_all("ns => ns.map((n) => n.title)")]
        assert spans == [gate[g]["input"], gate[g]["recurrent"], gate[g]["bias"], gate[g]["preactivation"],
                         gate[g]["value"]]
        assert eq.locator(".step-eq-result").text_content() == f"=\u00a0{shown(gate[g]['value'])}"
    assert "σ(" in detail.locator(".step-eq[data-quantity=z]").text_content()
    assert "tanh(" in detail.locator(".step-eq[data-quantity=n]").text_content()
    eq_h = detail.locator(".step-eq[data-quantity=h]")
    assert eq_h.locator(".step-eq-label").text_content() == "hidden state h — memory and output"
    numbers = [float(t) for t in eq_h.locator(".num").evaluate_all("ns => ns.map((n) => n.title)")]
    z, n = gate["z"]["value"], gate["n"]["value"]
    assert numbers == [z, n, z, h_prev, values["written"], values["kept"], h]
    line = eq_h.locator(".step-eq-line").text_content().replace("\u00a0", " ")
    assert line.startswith("ht = (1 − zt) ⊙ nt + zt ⊙ ht−1 = (1 − ")

    rows = detail.locator(".step-ledger-row")
    assert [r.get_attribute("data-quantity") for r in rows.all()] == ["h_prev", "kept", "forgotten", "written", "h"]
    ledger = [float(t) for t in rows.locator(".step-ledger-value").evaluate_all("ns => ns.map((n) => n.title)")]
    assert ledger == [h_prev, values["kept"], values["forgotten"], values["written"], h]
    assert rows.nth(1).locator(".step-ledger-formula").text_content().startswith("zt ⊙ ht−1")

    # The GRU's own diagram, annotated with this step's numbers.
    svg = detail.locator(".step-cell svg[data-diagram=gru]")
    assert svg.is_visible()
    boxes = {g: svg.locator(f".cell-gate[data-gate={g}] .cell-gate-value").text_content() for g in ("r", "z", "n")}
    assert boxes == {g: shown(gate[g]["value"]) for g in ("r", "z", "n")}
    label = svg.get_attribute("aria-label")
    assert label == (f"GRU cell, unit {unit}: h(t−1) {shown(h_prev)}, r {shown(gate['r']['value'])}, "
                     f"z {shown(z)}, n {shown(n)}, h(t) {shown(h)}")
    notes = svg.locator("text.cell-note").all_text_contents()
    assert f"kept {shown(values['kept'])}" in notes and f"written {shown(values['written'])}" in notes
    assert shown(1 - z) in notes
    assert detail.locator(".step-cell-note").is_hidden()  # the picture says what the words would


def test_the_gru_unit_chart_draws_z_r_h_and_n(page, cell_server):
    open_page(page, cell_server, f"model={GRU}&text={TEXT}&step=4&unit=2", 3)
    chart = page.locator("#unit-detail .unit-chart")
    chart.wait_for()
    assert chart.evaluate("p => p.data.map((d) => d.name).filter(Boolean)") == [
        "z update", "r reset", "h hidden", "n candidate"]
    assert page.locator("#unit-detail select.unit-tint option:not([disabled])").all_text_contents() == [
        "h hidden state", "z update gate", "r reset gate", "n candidate"]


def test_the_presets_pair_the_gru_with_the_lstm_and_the_rnn(page, cell_server):
    open_page(page, cell_server, f"text={TEXT}", 3)
    page.click("#mode-buttons button[data-mode=compare]")
    presets = page.locator("#presets button").all_text_contents()
    assert presets[2:] == ["LSTM / vanilla RNN: Dhaval's cuisine", "LSTM / GRU: Dhaval's cuisine",
                           "GRU / vanilla RNN: Dhaval's cuisine"]
    for preset, a, b, offered in (("gru", "lesson", GRU, "hidden state h — output"),
                                  ("gru-rnn", GRU, "lesson-rnn", "hidden state h — memory and output")):
        page.click(f"button[data-preset={preset}]")
        page.wait_for_function("([a, b]) => document.querySelector('#model').value === a && "
                               "document.querySelector('#compare-model').value === b", arg=[a, b])
        page.wait_for_function(f"() => {BUSY} === 'false' && document.querySelectorAll('#compare "
                               ".js-plotly-plot').length >= 2")
        options = page.locator("#compare select.compare-quantity option")
        page.wait_for_function("t => [...document.querySelectorAll('#compare select.compare-quantity option')]"
                               ".map((o) => o.textContent).join() === t", arg=offered)
        assert options.all_text_contents() == [offered]  # the one quantity both cells have


def test_memory_that_lasts_shows_what_the_update_gate_keeps(page, cell_server):
    open_page(page, cell_server, f"model={GRU}&text={TEXT}&step=2", 3)
    page.click("#retention > summary")
    page.wait_for_function("() => { const d = document.querySelector('#retention'); return d.open && "
                           "d.dataset.step === '2' && d.dataset.models === 'lesson-gru'; }")
    answer = httpx.get(f"{cell_server}/api/retention", params={"model": GRU, "text": TEXT, "step": 2}).json()
    heat = page.evaluate("() => { const d = document.querySelector('.retention-plot[data-part=kept]').data[0];"
                         " return {z: d.z.map((r) => Array.from(r)), title: d.colorbar.title.text}; }")
    assert heat["title"] == "∏ z"
    np.testing.assert_array_equal(np.array(heat["z"], np.float32).T, np.array(answer["kept"], np.float32))
    caption = page.locator(".retention-figure[data-part=kept] figcaption").text_content()
    assert caption.startswith("what is still there from step s — ∏ z · lesson-gru (GRU)")
    assert page.locator("#retention button[data-show=written]").text_content() == "written at s · (1−z)⊙n·∏ z"
    curve = page.evaluate("() => document.querySelector('.retention-plot[data-part=curve]').data.map((d) => d.name)")
    assert curve == ["lesson-gru (GRU): ‖∂h_t/∂h_s‖"]  # h is its memory: no dotted second curve
    assert page.locator(".retention-figure[data-part=curve] figcaption").text_content() == (
        "how strongly the memory h_t still depends on h_s — ‖∂h_t/∂h_s‖")


def test_the_gru_model_card_says_what_it_is(page, cell_server):
    open_page(page, cell_server, f"model={GRU}&text={TEXT}", 3)
    page.click("#card-button")
    summary = page.locator("#model-card .card-summary")
    summary.wait_for()
    assert summary.text_content() == "A character-level GRU with sigmoid gates: 30 tokens in its vocabulary."
