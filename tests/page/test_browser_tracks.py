"""Annotation tracks under the heatmaps, in real Chromium (static/js/views/tracks.js, static/js/core/tracks.js): the
top-1 prediction right or wrong per token, as /api/trace's predictions say (compared by vocabulary id, as the
tokenizer does); bracket depth and strings of a character model's Python; every cell on its heatmap's token
column (a laptop, presenter mode, a phone, a long text, a zoom); a click selects the step; hovering says what
the track says; the link's `tracks` property round-trips. Each track exposes read-only hooks on its
`.heatmap-tracks` element (ids, values(id), cellBox(id, t), describe(id, t), drawn)."""

from __future__ import annotations

import json
from urllib.parse import quote
from urllib.request import urlopen

import pytest

from tests.heatmap_hooks import PLOT
from tests.page.pages import wait_idle, watched_page

pytest.importorskip("playwright.sync_api", reason="browser tests need playwright")

LESSON_TEXT = "Last year, due to my current job situation and family conditions, I had to take a loan."
PYTHON_TEXT = "def f(a, b):\n    return g(a, [b, 'x)'])\n"
TOP_K = 5  # what the page asks /api/trace for (static/js/main.js TOP_K)
SLOT = "document.querySelectorAll('#heatmaps .heatmap-tracks')"
# The tracks drawn since the page asked: at least one paint after `correct` has its verdicts.
READY = ("() => { const s = document.querySelector('#heatmaps .heatmap-tracks'); return s && s.tracks"
         " && s.tracks.drawn > 0 && s.tracks.ids.length > 0 && (!s.tracks.ids.includes('correct')"
         " || s.tracks.values('correct').slice(1).every((v) => v !== null)); }")


def get_json(url: str):
    with urlopen(url) as answer:  # noqa: S310 (the test's own loopback server)
        return json.load(answer)


def open_tracks(browser, server, model: str, text: str, extra: str = "", **options):
    cm = watched_page(browser, server, **options)
    page = cm.__enter__()
    page.goto(f"{server}/?model={model}&tracks=1{extra}&text={quote(text)}")
    page.wait_for_function(READY)
    wait_idle(page)
    page.wait_for_timeout(100)  # one more frame: the tracks repaint on the heatmaps' last layout
    return cm, page


def tracks_hook(page, expression: str, panel: int = 0):
    return page.evaluate(f"n => {{ const h = {SLOT}[n].tracks; return {expression}; }}", panel)


def expected_correct(server: str, model: str, text: str) -> list[bool | None]:
    """Right or wrong per token from /api/trace's predictions over HTTP, the prediction's vocabulary id (from the
    model's card) against the token's id: what the tokenizer makes of both."""
    trace = get_json(f"{server}/api/trace?model={model}&text={quote(text)}&top_k={TOP_K}&encoding=json&quantities=h")
    vocab = {token: n for n, token in enumerate(get_json(f"{server}/api/models/{model}")["tokenizer"]["vocab"])}
    tokens, predictions = trace["tokens"], trace["predictions"]
    return [None] + [vocab.get(predictions[t - 1][0]["token"]) == tokens[t]["id"] for t in range(1, len(tokens))]


def python_depth_and_strings(text: str) -> tuple[list[int], list[bool]]:
    """Bracket depth (an opener at the depth it opens, a closer at the depth it closes) and one-quote strings, for
    the test's snippet (no comments, triple quotes or escapes in it)."""
    depth, strings, open_, quote_ = [], [], 0, None
    for ch in text:
        if quote_ is not None:
            depth.append(open_)
            strings.append(True)
            if ch == quote_:
                quote_ = None
        elif ch in "'\"":
            quote_ = ch
            depth.append(open_)
            strings.append(True)
        elif ch in "([{":
            open_ += 1
            depth.append(open_)
            strings.append(False)
        elif ch in ")]}":
            depth.append(open_)
            strings.append(False)
            open_ = max(0, open_ - 1)
        else:
            depth.append(open_)
            strings.append(False)
    return depth, strings


def assert_aligned(page, track: str = "correct") -> int:
    """Every drawn cell of `track` under each heatmap lies on that heatmap's token column (its plot's left edge
    plus (t − t0) column widths, as wide); returns how many cells were compared."""
    compared = 0
    quantities = page.evaluate("() => [...document.querySelectorAll('#heatmaps .heatmap-plot')]"
                               ".map((p) => p.dataset.quantity)")
    for n, q in enumerate(quantities):
        geometry = page.evaluate(f"q => {{ const h = {PLOT}.heatmap; return {{box: h.rowBox(0), range: h.range,"
                                 " T: h.tokens}; }", q)
        t0, t1 = geometry["range"]["t0"], geometry["range"]["t1"]
        col = geometry["box"]["width"] / (t1 - t0 + 1)
        boxes = page.evaluate(f"([n, id, T]) => Array.from({{length: T}}, (_, t) => {SLOT}[n].tracks.cellBox(id, t))",
                              [n, track, geometry["T"]])
        for t, box in enumerate(boxes):
            if t < t0 or t > t1:
                assert box is None, (q, t, box)
                continue
            assert box is not None, (q, t)
            assert box["x"] == pytest.approx(geometry["box"]["x"] + (t - t0) * col, abs=0.51), (q, t)
            assert box["width"] == pytest.approx(col, abs=0.01), (q, t)
            compared += 1
        # And against the heatmap's own cell centres (heatmap_canvas.js cellCenter), at both ends and the middle.
        for t in {t0, (t0 + t1) // 2, t1}:
            centre = page.evaluate(f"([q, t]) => {PLOT}.heatmap.cellCenter(t, 0)", [q, t])
            assert boxes[t]["x"] + boxes[t]["width"] / 2 == pytest.approx(centre["x"], abs=0.51), (q, t)
    return compared


def test_correct_track_on_lesson_matches_the_predictions_and_the_columns(browser, server):
    cm, page = open_tracks(browser, server, "lesson", LESSON_TEXT)
    try:
        want = expected_correct(server, "lesson", LESSON_TEXT)
        assert tracks_hook(page, "h.ids") == ["correct"]  # a word model: no character tracks
        for n in range(3):  # the same values under each of the three heatmaps
            assert tracks_hook(page, "h.values('correct')", n) == want
        assert len(want) == page.evaluate(f"() => {PLOT.replace('${q}', 'kept')}.heatmap.tokens")
        assert True in want and False in want
        assert assert_aligned(page) == 3 * len(want)
        # Hovering a cell says what the track says there.
        t = LESSON_TEXT.split().index("had") + 2  # "," and "," are tokens of their own: token 15, "had"
        box = tracks_hook(page, f"h.cellBox('correct', {t})")
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        tooltip = page.locator("#heatmaps .heatmap-tracks .tracks-tooltip:not(.hidden)")
        verdict = "✓" if want[t] else "✗"
        assert tooltip.text_content().startswith(f"token {t + 1} “had”: top-1 prediction was “")
        assert tooltip.text_content().endswith(verdict)
        assert page.locator("#tracks").is_visible()
        assert "right" in page.locator("#tracks").text_content()
    finally:
        cm.__exit__(None, None, None)


def test_python_depth_and_string_tracks_and_a_click_selects_the_step(browser, server):
    cm, page = open_tracks(browser, server, "python", PYTHON_TEXT, "&units=184")
    try:
        assert tracks_hook(page, "h.ids") == ["correct", "depth", "string", "indent", "column"]
        depth, strings = python_depth_and_strings(PYTHON_TEXT)
        assert tracks_hook(page, "h.values('depth')") == depth
        assert tracks_hook(page, "h.values('string')") == strings
        start = PYTHON_TEXT.index("'x)'")
        assert [t for t, s in enumerate(strings) if s] == list(range(start, start + 4))  # 'x)' and its quotes
        assert max(depth) == 2 and depth[start + 2] == 2  # the ")" inside the string closes nothing
        assert tracks_hook(page, "h.values('column')")[:5] == [0, 1, 2, 3, 4]
        assert tracks_hook(page, "h.values('indent')")[PYTHON_TEXT.index("return")] == 4
        assert tracks_hook(page, "h.values('correct')") == expected_correct(server, "python", PYTHON_TEXT)
        assert assert_aligned(page, "depth") == 3 * len(PYTHON_TEXT)
        assert 184 in page.evaluate(f"() => {PLOT.replace('${q}', 'kept')}.heatmap.units")
        # A click on a track's cell selects its token: the player, the heatmaps' marks and the link say so.
        t = PYTHON_TEXT.index("[")
        box = tracks_hook(page, f"h.cellBox('depth', {t})", 1)
        page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.wait_for_function("s => document.querySelector('.player-position').textContent === s",
                               arg=f"token {t + 1} of {len(PYTHON_TEXT)}")
        page.wait_for_function("t => new URL(location.href).searchParams.get('step') === String(t)", arg=t)
        assert tracks_hook(page, f"h.describe('depth', {t})") == f"token {t + 1} “[”: bracket depth 2"
    finally:
        cm.__exit__(None, None, None)


def test_the_link_carries_tracks_and_the_toggle_hides_them(browser, server):
    cm, page = open_tracks(browser, server, "lesson", LESSON_TEXT)
    try:
        page.wait_for_function("() => new URL(location.href).searchParams.get('tracks') === '1'")
        assert page.locator("#tracks-toggle").is_checked()
        slot_height = "() => document.querySelector('#heatmaps .heatmap-tracks').getBoundingClientRect().height"
        assert page.evaluate(slot_height) > 8
        page.locator("#tracks-toggle").uncheck()
        page.wait_for_function("() => !new URL(location.href).searchParams.has('tracks')")
        page.wait_for_function(f"() => ({slot_height})() === 0")
        assert not page.locator("#tracks").is_visible()
        page.locator("#tracks-toggle").check()
        page.wait_for_function("() => new URL(location.href).searchParams.get('tracks') === '1'")
        link = page.evaluate("() => location.href")
        page.goto(link)
        page.wait_for_function(READY)
        assert page.locator("#tracks-toggle").is_checked()
        # Without the property: no tracks and no room for them.
        page.goto(link.replace("tracks=1&", "").replace("&tracks=1", ""))
        wait_idle(page)
        assert not page.locator("#tracks-toggle").is_checked()
        assert page.evaluate(slot_height) == 0
    finally:
        cm.__exit__(None, None, None)


@pytest.mark.parametrize(("size", "extra", "mobile"), [
    ((1024, 768), "&presenter=1", False),
    ((390, 844), "", True),
], ids=["presenter-1024x768", "phone-390x844"])
def test_cells_stay_on_the_columns_in_presenter_mode_and_on_a_phone(browser, server, size, extra, mobile):
    width, height = size
    cm, page = open_tracks(browser, server, "python", PYTHON_TEXT, extra,
                           viewport={"width": width, "height": height}, is_mobile=mobile, has_touch=mobile)
    try:
        assert assert_aligned(page, "depth") > 0
        assert page.evaluate("() => document.documentElement.scrollWidth") <= width
    finally:
        cm.__exit__(None, None, None)


def test_a_long_text_and_a_zoom_keep_the_cells_on_the_columns(browser, server):
    text = " ".join([LESSON_TEXT] * 12)  # 240 tokens: columns under 2 px wide
    cm, page = open_tracks(browser, server, "lesson", text)
    try:
        compared = assert_aligned(page)
        assert compared == 3 * len(expected_correct(server, "lesson", text))
        # Drag across the first heatmap from token 10 to token 30: every heatmap zooms, and the tracks follow.
        kept = PLOT.replace("${q}", "kept")
        page.locator("#heatmaps .heatmap-plot").first.scroll_into_view_if_needed()
        a = page.evaluate(f"() => {kept}.heatmap.cellCenter(10, 0)")
        b = page.evaluate(f"() => {kept}.heatmap.cellCenter(30, 0)")
        page.mouse.move(a["x"], a["y"])
        page.mouse.down()
        page.mouse.move(b["x"], b["y"], steps=5)
        page.mouse.up()
        page.wait_for_function(f"() => {kept}.heatmap.range.t0 === 10 && {kept}.heatmap.range.t1 === 30")
        page.wait_for_function(f"() => {SLOT}[0].tracks.cellBox('correct', 9) === null")
        assert assert_aligned(page) == 3 * 21
    finally:
        cm.__exit__(None, None, None)
