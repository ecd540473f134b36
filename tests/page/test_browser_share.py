"""Sharing and teaching in real Chromium: links that round-trip the view (unicode, HTML-looking and long
texts, version mismatch), copy link, compare mode, animation, the tour, checkpoints, presenter and embed
modes, controls hidden by link, and every export."""

from __future__ import annotations

import base64
import functools
import http.server
import json
import struct
import subprocess
import sys
import threading
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from app.resources import resource_dir
from tests.heatmap_hooks import DRAWN, hook

pytest.importorskip("playwright.sync_api", reason="browser tests need playwright")

TIMEOUT_MS = 20_000
NASTY = "<b>bold</b> \"quoted\" 'single' & more — 👨‍👩‍👧 עברית مرحبا e\u0301 Today, I need to take a loan."
LSTM_VIZ = Path(sys.executable).parent / "lstm-viz"


@pytest.fixture
def context(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    yield context
    context.close()


def open_page(context, url: str):
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.errors, page.dialogs = [], []
    page.on("console", lambda m: page.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))
    page.goto(url)
    wait_drawn(page)
    return page


def wait_drawn(page) -> None:
    page.wait_for_function(f"() => {DRAWN} > 0"
                           " && document.querySelector('#results').getAttribute('aria-busy') === 'false'")


def wait_url(page, needle: str) -> None:
    page.wait_for_function("s => location.href.includes(s)", arg=needle)


def query(page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


def test_a_link_reproduces_text_view_step_and_pins(context, live_server):
    page = open_page(context, f"{live_server}/")
    page.locator("#text").fill(NASTY)
    page.wait_for_function("() => document.querySelector('#tokens li')?.textContent === '<'")
    wait_drawn(page)
    page.locator("#views button", has_text="Gates").click()
    page.locator("#tokens li").nth(3).click()
    page.locator(".unit-pin").click()
    wait_url(page, "units=")
    link = page.url
    q = query(page)
    assert q["text"] == [NASTY] and q["view"] == ["gates"] and q["step"] == ["3"] and q["model"] == ["lesson"]

    again = open_page(context, link)
    assert again.locator("#text").input_value() == NASTY  # exactly, not interpreted
    assert again.locator("#views button[aria-pressed=true]").text_content().startswith("Gates")
    again.locator("#tokens li.token-selected").wait_for()
    assert again.locator("#tokens li.token-selected").get_attribute("data-step") == "3"
    assert "unit" in again.locator("#pins").text_content()
    assert again.locator("b").count() == 0 and again.dialogs == [] and again.errors == []
    meta = again.locator('meta[property="og:description"]').get_attribute("content")
    assert meta == " ".join(NASTY.split())


def test_a_long_text_travels_compressed_in_the_fragment(context, live_server):
    text = "Today, I need to take a loan. " * 100  # 3,000 characters, 900 tokens
    page = open_page(context, f"{live_server}/")
    page.locator("#text").fill(text)
    wait_url(page, "#z=")
    assert "text" not in query(page)
    link = page.url
    assert len(link) < 2000
    requests = []
    again_page = context.new_page()
    again_page.on("request", lambda r: requests.append(r.url))
    again_page.goto(link)
    wait_drawn(again_page)
    assert again_page.locator("#text").input_value() == text
    assert again_page.locator("#summary").text_content().startswith("900 tokens")
    assert again_page.locator("#tokens li").last.get_attribute("data-step") == "899"  # the strip's window ends there
    assert all("Today" not in r for r in requests if r.split("?")[0].endswith("/"))  # the server never saw it


def test_a_version_mismatch_and_rejected_values_are_reported(context, live_server):
    page = open_page(context, f"{live_server}/?model=lesson&version=000000000000&view=%3Cscript%3E&layer=-1")
    notice = page.locator("#notice")
    notice.wait_for(state="visible")
    text = notice.text_content()
    assert "version 000000000000" in text and "view" in text and "layer" in text
    assert page.dialogs == [] and page.errors == []


def test_copy_link_uses_the_clipboard_or_selects_a_link_box(context, live_server):
    page = context.new_page()
    page.add_init_script("Object.defineProperty(window, 'isSecureContext', {value: false})")  # a laptop's http
    page.goto(f"{live_server}/?view=states")
    wait_drawn(page)
    wait_url(page, "model=lesson")  # the page has written its whole state into the address
    page.locator("#copy-link").click()
    box = page.locator("#link-box")
    box.wait_for(state="visible")
    assert box.input_value() == page.url and "view=states" in box.input_value()
    assert page.evaluate("() => document.activeElement.id") == "link-box"
    assert "Ctrl+C" in page.locator("#share-status").text_content()


def test_compare_mode_shows_the_lecture_pair_and_ranks_the_tense_unit_first(context, live_server):
    page = open_page(context, f"{live_server}/")
    page.locator("#mode-buttons button", has_text="Compare").click()
    page.locator("#presets button", has_text="Tense").click()
    page.locator("#compare .js-plotly-plot").first.wait_for()
    page.wait_for_function("() => document.querySelectorAll('#compare .hm image').length === 3")
    card = json.loads((resource_dir("models") / "lesson.json").read_text(encoding="utf-8"))
    tense = {f"unit {u['unit']}" for u in card["notable_units"] if u["carries"] == "tense"}
    assert page.locator("#compare button.compare-unit").first.text_content() in tense  # a tense unit of the card
    # By default the predictions are read where the pair parts ways: after "I", need against had.
    predictions = page.locator("#compare .compare-predictions")
    page.wait_for_function("() => /need/.test(document.querySelector('#compare .compare-predictions').textContent)")
    assert "had" in predictions.text_content() and "after “I”" in predictions.text_content()
    wait_url(page, "compare=")
    assert query(page)["compare"][0].startswith("Last year")
    again = open_page(context, page.url)
    again.wait_for_function("() => document.querySelectorAll('#compare .hm image').length === 3")
    assert again.locator("#compare-text").input_value().startswith("Last year")


def test_play_reveals_the_text_token_by_token(context, live_server):
    page = open_page(context, f"{live_server}/?speed=10")
    T = page.locator("#tokens li").count()
    columns = "() => document.querySelector('.heatmap-plot[data-quantity=\"kept\"]').heatmap.tokens"
    page.locator("#player button[aria-label]").nth(2).click()  # play from the end restarts at the first token
    page.wait_for_function(f"() => ({columns})() < {T}")
    page.wait_for_function(f"() => ({columns})() === {T}", timeout=30_000)
    # The cell diagram followed.
    page.locator(f'.step-heading[data-step="{T - 1}"]', has_text=f"Token {T} of {T}").wait_for()
    assert page.errors == []


def test_the_tour_steps_through_the_lessons_and_is_reachable_by_link(context, live_server):
    page = open_page(context, f"{live_server}/")
    page.locator("#mode-buttons button", has_text="Guided tour").click()
    tour = page.locator("#tour")
    tour.get_by_text("Step 1 of").wait_for()
    tour.get_by_role("button", name="Next").click()
    tour.get_by_text("Step 2 of").wait_for()
    wait_url(page, "tour=1")
    again = open_page(context, page.url)
    again.locator("#tour").get_by_text("Step 2 of").wait_for()
    assert again.errors == []


def test_watch_it_learn_switches_checkpoints_on_the_same_text(context, live_server):
    page = open_page(context, f"{live_server}/")
    page.locator("#mode-buttons button", has_text="Watch it learn").click()
    slider = page.locator("#learn input[type=range]")
    slider.wait_for()
    slider.evaluate("s => { s.value = '0'; s.dispatchEvent(new Event('input', {bubbles: true}));"
                    " s.dispatchEvent(new Event('change', {bubbles: true})); }")
    page.wait_for_function("() => document.querySelector('#model').value === 'lesson-step0'")
    wait_drawn(page)
    assert page.locator("#text").input_value().startswith("Today")


def test_presenter_mode_enlarges_the_heatmap_labels(context, live_server):
    page = open_page(context, f"{live_server}/")
    normal = hook(page, "kept", "h.fontPx")
    assert normal >= 15
    page.locator("#mode-buttons button", has_text="Presenter").click()
    page.wait_for_function("n => document.querySelector('.heatmap-plot[data-quantity=\"kept\"]').heatmap.fontPx > n",
                           arg=normal)
    wait_drawn(page)
    assert hook(page, "kept", "h.fontPx") >= normal * 1.25
    assert hook(page, "kept", "h.ticks.length") > 0
    assert page.errors == []


def test_presenter_mode_and_controls_hidden_by_link(context, live_server):
    page = open_page(context, f"{live_server}/?mode=presenter&hide=examples,export,units")
    assert "presenter" in page.evaluate("() => document.body.className")
    for name in ("examples", "export", "units"):
        assert page.locator(f'[data-hide="{name}"]').first.is_hidden(), name
    assert page.locator('[data-hide="views"]').is_visible()


def test_embed_mode_alone_allows_framing(context, live_server, tmp_path):
    assert "frame-ancestors 'none'" in httpx.get(f"{live_server}/").headers["content-security-policy"]
    embedded = httpx.get(f"{live_server}/?embed=1")
    assert "frame-ancestors *" in embedded.headers["content-security-policy"]
    assert "x-frame-options" not in embedded.headers
    # A course page on another origin frames the app.
    (tmp_path / "course.html").write_text(f'<iframe id="a" src="{live_server}/?embed=1" width="1200" height="800">'
                                          f'</iframe><iframe id="b" src="{live_server}/" width="600" height="400">'
                                          "</iframe>")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    course = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=course.serve_forever, daemon=True).start()
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(f"http://localhost:{course.server_address[1]}/course.html")
    frame = page.frame_locator("#a")
    frame.locator("#heatmaps .heatmap-plot[data-drawn]").first.wait_for(state="attached")
    assert "embed" in frame.locator("body").get_attribute("class")
    assert page.frame_locator("#b").locator("#heatmaps").count() == 0  # refused by the browser
    course.shutdown()


def test_exports_png_svg_csv_json_and_shell_lines(context, live_server, tmp_path):
    page = open_page(context, f"{live_server}/?model=lesson&text=I+had+to+take+a+loan")
    files = {}
    for label in ("PNG", "SVG", "CSV of the trace", "JSON of the trace"):
        with page.expect_download() as info:
            page.locator("#export-buttons button", has_text=label).click()
        path = tmp_path / info.value.suggested_filename
        info.value.save_as(path)
        files[label] = path.read_bytes()
    assert files["PNG"].startswith(b"\x89PNG") and b"<svg" in files["SVG"][:400]
    cli_csv = subprocess.run([str(LSTM_VIZ), "trace", "--model", "lesson", "--format", "csv", "--",
                              "I had to take a loan"], capture_output=True, check=True).stdout
    assert files["CSV of the trace"] == cli_csv
    body = json.loads(files["JSON of the trace"])
    api = httpx.get(f"{live_server}/api/trace", params={"model": "lesson", "text": "I had to take a loan",
                                                        "top_k": 5}).json()
    assert body["tokens"] == api["tokens"] and body["layers"] == api["layers"]
    cli = page.locator("#cli-line").input_value()
    assert cli == "lstm-viz trace --model lesson --format json --top-k 5 -- 'I had to take a loan'"
    assert page.locator("#curl-line").input_value().startswith(f"curl -sS --get '{live_server}/api/trace'")


SVG = "{http://www.w3.org/2000/svg}"


def test_a_heatmap_exports_as_png_and_as_svg_with_its_title_and_the_tokens_as_typed(context, live_server, tmp_path):
    page = open_page(context, f"{live_server}/?model=lesson&text=I+%3C+%26+had+to+take+a+loan&step=4&top=all")
    page.locator("#export-chart").select_option("forgotten")
    saved = {}
    for fmt in ("PNG", "SVG"):
        with page.expect_download() as info:
            page.locator("#export-buttons button", has_text=fmt).click()
        assert info.value.suggested_filename == f"lstm-lesson-forgotten.{fmt.lower()}"
        path = tmp_path / info.value.suggested_filename
        info.value.save_as(path)
        saved[fmt] = path.read_bytes()

    png = saved["PNG"]
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and png[12:16] == b"IHDR"
    width, height = struct.unpack(">II", png[16:24])
    plot = page.locator('.heatmap-plot[data-quantity="forgotten"]').bounding_box()
    assert width >= 2 * int(plot["width"]) and height > 2 * int(plot["height"])  # 2x, plus a title band

    root = ET.fromstring(saved["SVG"])  # well-formed XML, whatever the text holds
    assert root.tag == f"{SVG}svg"
    texts = [node.text for node in root.iter(f"{SVG}text")]
    assert "forgotten memory (1−f)⊙cₜ₋₁ — what is erased" in " ".join(texts[:3])  # the title, wrapped
    tokens = page.locator("#tokens li").all_text_contents()
    assert tokens[:3] == ["I", "<", "&"] and all(token in texts for token in tokens[::2])
    assert "unit" in texts
    assert [r.get("stroke") for r in root.iter(f"{SVG}rect") if r.get("stroke")] == ["#111"]  # step 4's frame
    (image,) = root.iter(f"{SVG}image")
    href = image.get("href")
    assert href.startswith("data:image/png;base64,")
    raster = base64.b64decode(href.split(",", 1)[1])
    assert raster[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", raster[16:24]) == (len(tokens), 64)  # one pixel per cell: tokens × units
    assert page.errors == []
