"""Imported models in real Chromium: a PyTorch LSTM without decoder draws its heatmaps and hides the
predictions; a Keras hard-σ model's step detail explains its gates with the hard σ, without warnings."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from app.cli import main
from app.serving.app import create_app
from app.serving.config import Settings
from tests.heatmap_hooks import DRAWN, row_units
from tests.import_helpers import FIXTURES
from tests.page.pages import watched_page
from tests.servers import serve

pytest.importorskip("playwright.sync_api", reason="browser tests need playwright")



@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[str]:
    """A models folder holding what `lstm-viz import` wrote, served beside the bundled models."""
    folder = tmp_path_factory.mktemp("imported")
    assert main(["import", "pytorch", str(FIXTURES / "torch_onehot_l2.safetensors"), "--vocab",
                 str(FIXTURES / "chars.json"), "--tokenizer", "char", "--id", "encoder", "--out", str(folder),
                 "--example", "abc de."]) == 0
    if FIXTURES.joinpath("keras_hard.keras").exists() and _has_h5py():
        assert main(["import", "keras", str(FIXTURES / "keras_hard.keras"), "--vocab",
                     str(FIXTURES / "keras_chars.json"), "--tokenizer", "char", "--id", "hard", "--out",
                     str(folder)]) == 0
    with serve(create_app(Settings(models_dir=folder))) as base:
        yield base


def _has_h5py() -> bool:
    try:
        import h5py  # noqa: F401
    except ImportError:
        return False
    return True


@pytest.fixture
def page(browser, server):
    with watched_page(browser, server) as page:
        yield page


def open_step(page, server: str, model: str, text: str, step: int, unit: int) -> None:
    """Open a link to a model, a text and a selected step and unit; wait for heatmaps and the step detail."""
    page.goto(f"{server}/?model={model}&text={text}&step={step}&unit={unit}")
    page.wait_for_function(
        f"() => {DRAWN} === 3 && document.querySelector('#results').getAttribute('aria-busy') === 'false'")
    page.locator(f'.step-heading[data-step="{step}"]', has_text=f"Token {step + 1} of").wait_for()


def test_a_model_without_decoder_draws_heatmaps_and_hides_predictions(page, server):
    open_step(page, server, "encoder", "abc de.", 2, 1)
    assert page.locator("#model").input_value() == "encoder"
    assert page.locator("#tokens li").count() == 7
    assert row_units(page, "kept") == list(range(6))
    assert page.locator(".step-body .step-eq").count() == 6 and page.locator(".step-warning").is_hidden()
    assert page.locator(".step-predictions").is_hidden()
    assert page.locator(".step-subheading", has_text="Next token").is_hidden()
    assert "decoder" not in page.locator(".step-detail").inner_text()  # nothing said about a missing panel
    assert "no decoder" in page.locator("#model-description").text_content()  # the card says why


def test_a_model_with_a_decoder_still_shows_predictions(page, server):
    page.goto(f"{server}/?model=lesson&text=I need to&step=1&unit=0")
    page.locator('.step-heading[data-step="1"]', has_text="Token 2 of").wait_for()
    page.locator(".step-prediction").first.wait_for()
    assert page.locator(".step-predictions").is_visible()


def test_a_keras_hard_sigmoid_model_explains_its_gates_with_the_hard_sigma(page, server):
    if not _has_h5py():
        pytest.skip("the Keras fixture needs h5py to import")
    open_step(page, server, "hard", "abc hg", 3, 2)
    assert page.locator(".step-warning").is_hidden()
    equation = page.locator('.step-eq[data-quantity="f"]').text_content()
    assert "hard σ(" in equation
    assert page.locator(".step-predictions").is_visible()


def test_the_imported_models_card_names_its_source_tensors_as_written(page, server):
    open_step(page, server, "encoder", "abc de.", 2, 1)
    page.locator("#card-button").click()
    dialog = page.locator("#model-card")
    dialog.locator(".card-title").wait_for()
    text = dialog.text_content()
    assert "lstm.bias_ih_l0" in text and "lstm.bias ih l0" not in text  # tensor names are not prettified
    assert "source sha256" in text and "source_sha256" not in text  # ordinary keys still read as words
