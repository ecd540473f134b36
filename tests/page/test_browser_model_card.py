"""The model card dialog (static/js/views/model_card.js) in real Chromium, read as a person reads it: the notable
units first, one sentence each; words, not card keys; short lists, not array dumps; "Show unit N" closes the
dialog and selects the unit; and on a phone the dialog is no wider than the screen."""

from __future__ import annotations

import json
import re

import pytest

from app.resources import resource_dir
from tests.heatmap_hooks import DRAWN
from tests.page.pages import wait_idle, watched_page

pytest.importorskip("playwright.sync_api", reason="browser tests need playwright")

DIALOG = "#model-card"
CARDS = {m: json.loads((resource_dir("models") / f"{m}.json").read_text(encoding="utf-8"))
         for m in ("lesson", "python")}
# Card keys a person should never have to read, and the old list dump ("true, true … (41 in all)").
RAW_KEYS = ["inside_string", "bracket_depth", "line_position", "sign_consistency", "mean_delta_c", "mean_delta_h",
            "carries", "notable_units", "in_training_range", "token_distance", "probes_per_point", "wall_time_s",
            "lecture_all_correct", "cuisine_two_person", "valid_loss", "lr_final"]
DUMP = re.compile(r"\(\d+ in all\)|(?:true, ){5}|(?:1, ){8}")


def open_card(page, server: str, model: str):
    page.goto(f"{server}/?model={model}")
    page.wait_for_function(f"() => {DRAWN} > 0")
    wait_idle(page)
    page.locator("#card-button").click()
    dialog = page.locator(DIALOG)
    dialog.locator(".card-title").wait_for()
    return dialog


@pytest.mark.parametrize("model", ["lesson", "python"])
def test_the_card_reads_as_sentences_with_the_notable_units_first(browser, server, model):
    with watched_page(browser, server) as page:
        dialog = open_card(page, server, model)
        text = dialog.inner_text()
        for key in RAW_KEYS:
            assert key not in text, f"{model}: the raw key {key!r} is on the card"
        assert not DUMP.search(text), DUMP.search(text)
        # Right after the title, the description and the one-line summary: the notable units.
        headings = dialog.locator(".card-section > h3").all_text_contents()
        assert headings[0] == "Notable units", headings
        assert headings.index("Training") < headings.index("Evaluation")
        lines = dialog.locator(".card-unit-line").all_text_contents()
        buttons = dialog.locator(".card-show-unit").all_text_contents()
        assert len(lines) == len(buttons) > 0
        for line, button in zip(lines, buttons, strict=True):
            unit = re.match(r"Unit (\d+) — ", line)
            assert unit, line
            assert button == f"Show unit {unit.group(1)}"
        units = CARDS[model]["notable_units"]
        assert [int(re.match(r"Unit (\d+)", line).group(1)) for line in lines] == [u["unit"] for u in units]
        for line, unit in zip(lines, units, strict=True):
            assert ("weak" in line) == unit["weak"], line
            assert re.search(f"partial\u00a0r\u00a0=\u00a0−?{abs(unit['partial_correlation']):.2f}", line), line
        if model == "lesson":
            assert lines[0].startswith(f"Unit {units[0]['unit']} — tense: its memory c is "), lines[0]
            assert "frames the model never saw" in lines[0]
            assert "The lecture's examples: 5 of 5 right" in text
            assert "On sentence frames it never saw: tense 99.5%" in text
            assert "Students' own sentences: 25 of 29 right" in text
        else:
            assert lines[0].startswith(f"Unit {units[0]['unit']} — inside a string weak: its memory c is lower "
                                       "inside a string"), lines[0]
            assert any(line.startswith("Unit 205 — bracket depth") for line in lines)
            assert "15,000 steps, each on 32 sequences of 100 tokens" in text
        assert "lstm-viz train" in text  # the command, as written


def test_show_unit_closes_the_card_and_selects_the_unit(browser, server):
    with watched_page(browser, server) as page:
        dialog = open_card(page, server, "lesson")
        first, other = 47, 27  # the card's tense unit, and its weak cuisine unit
        dialog.locator(".card-show-unit", has_text=f"Show unit {first}").first.click()
        assert not dialog.evaluate("d => d.open")
        page.locator("#unit-detail .unit-title", has_text=f"Unit {first}").wait_for()
        page.wait_for_function(f"() => new URLSearchParams(location.search).get('unit') === '{first}'")
        # Another unit: the dialog again, and the selection follows.
        page.locator("#card-button").click()
        dialog.locator(".card-show-unit", has_text=f"Show unit {other}").click()
        page.locator("#unit-detail .unit-title", has_text=f"Unit {other}").wait_for()
        page.wait_for_function(f"() => new URLSearchParams(location.search).get('unit') === '{other}'")


@pytest.mark.parametrize("model", ["lesson", "python", "lesson-rnn", "untrained"])
def test_on_a_phone_the_open_card_is_no_wider_than_the_screen(browser, server, model):
    with watched_page(browser, server) as page:
        page.set_viewport_size({"width": 390, "height": 844})
        dialog = open_card(page, server, model)
        for details in dialog.locator("details").all():  # the longest contents too: tables, vocabulary
            details.evaluate("d => { d.open = true; }")
        sizes = dialog.evaluate("d => [d, d.querySelector('.card-body')].map((n) => [n.scrollWidth, n.clientWidth])")
        for scroll_width, client_width in sizes:
            assert scroll_width <= client_width, sizes
        box = dialog.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390
