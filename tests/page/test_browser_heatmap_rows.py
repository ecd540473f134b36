"""The heatmaps' rows a person can read, in real Chromium: named units labelled, the selected and pinned units
marked, each row on its own colour range by default (or a robust / shared one), legends in words, tooltips
counting tokens from 1, and ranges that keep their meaning while the animation reveals the text."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from tests.heatmap_hooks import (
    DRAWN,
    cell_point,
    hook,
    legend,
    marks,
    row_box,
    row_label,
    row_labels,
    row_range,
    row_units,
    row_visible,
    scale_mode,
    tooltip_lines,
    unit_range,
)
from tests.page.pages import wait_idle, watched_page

pytest.importorskip("playwright.sync_api", reason="browser tests need playwright")


def open_page(browser, server, query: str = "", **options):
    page_context = watched_page(browser, server, **options)
    page = page_context.__enter__()
    page.goto(f"{server}/{query}")
    page.wait_for_function(f"() => {DRAWN} > 0")
    wait_idle(page)
    return page_context, page


@pytest.fixture
def opened(browser, server):
    contexts = []

    def go(query: str = "", **options):
        context, page = open_page(browser, server, query, **options)
        contexts.append(context)
        return page

    yield go
    for context in contexts:
        context.__exit__(None, None, None)


def overlay_pixel(page, quantity: str, x: float, y: float) -> list[int]:
    return page.evaluate(
        """([q, x, y]) => {
            const canvas = document.querySelector(`.heatmap-plot[data-quantity="${q}"] canvas.heatmap-overlay`);
            const rect = canvas.getBoundingClientRect();
            const s = canvas.width / rect.width;
            return Array.from(canvas.getContext("2d").getImageData(Math.floor((x - rect.left) * s),
                Math.floor((y - rect.top) * s), 1, 1).data);
        }""", [quantity, x, y])


def test_named_units_are_labelled_and_each_row_has_its_own_range_by_default(opened):
    page = opened()
    for q in ("kept", "forgotten", "written"):
        assert scale_mode(page, q) == "unit"
        assert row_label(page, q, 25) == "25 · tense" and row_label(page, q, 27) == "27 · cuisine?"  # 27 is weak
        assert row_label(page, q, 47).startswith("47 · tense / c")  # both, cut to the label's width
        assert "Each row on its own range" in legend(page, q)
        texts = [label["text"] for label in row_labels(page, q)]
        assert len(texts) == len(set(texts))
    assert "red: positive memory kept · blue: negative memory kept · pale: little kept" in legend(page, "kept")
    assert "blue is not “less forgotten”" in legend(page, "forgotten")
    assert "pushes c up" in legend(page, "written")
    # One scale for the ledger, row by row; some rows live on ranges far narrower than the largest row's.
    assert unit_range(page, "kept", 25) == unit_range(page, "written", 25)
    narrowest = min(unit_range(page, "kept", u)["zmax"] for u in row_units(page, "kept"))
    assert narrowest < hook(page, "kept", "h.zrange.zmax") / 3
    lines = tooltip_lines(page, "kept", 13, 25)
    assert lines[0] == "token 14 of 19: need" and lines[1] == "unit 25 · tense"
    assert lines[3] == f"row range ±{unit_range(page, 'kept', 25)['zmax']:g}"


def test_the_selected_unit_is_framed_and_pinned_units_marked(opened):
    page = opened("?unit=25&units=25,33&step=13")
    assert marks(page) == {"selectedUnit": 25, "pinned": [25, 33]}
    assert row_label(page, "kept", 25) == "▶ ● 25 · tense"
    assert row_label(page, "kept", 33) == "● 33"
    assert row_visible(page, "kept", 25)
    box = row_box(page, "kept", row_units(page, "kept").index(25))
    x = box["x"] + box["width"] * 0.3
    assert overlay_pixel(page, "kept", x, box["y"] - 1.5) == [17, 17, 17, 255]  # the frame, outside the row
    assert overlay_pixel(page, "kept", x, box["y"] + box["height"] / 2)[3] == 0  # the row's colours stay
    assert overlay_pixel(page, "kept", x, box["y"] + box["height"] + 1.5) == [17, 17, 17, 255]


def test_robust_and_shared_scales(opened):
    page = opened("?model=python&scale=robust")
    q = "kept"
    assert scale_mode(page, q) == "robust"
    half = hook(page, q, "h.zrange.zmax")
    assert "99th percentile" in legend(page, q) and f"±{half:g}" in legend(page, q)
    assert all(row_range(page, q, r) == {"zmin": -half, "zmax": half} for r in (0, 5))
    values = page.evaluate(
        """q => { const h = document.querySelector(`.heatmap-plot[data-quantity="${q}"]`).heatmap;
                  for (let r = 0; r < h.units.length; r++) { const v = h.values(r);
                    for (let t = 0; t < v.length; t++) if (Math.abs(v[t]) > h.zrange.zmax) return [t, h.units[r]]; }
                  return null; }""", q)
    assert values is not None, "python's runaway unit has cells beyond the 99th percentile"
    assert any("beyond the colour range" in line for line in tooltip_lines(page, q, *values))
    bar = [label for label in hook(page, q, "h.rowLabels")]
    assert bar
    page2 = opened("?scale=shared")
    assert scale_mode(page2, "kept") == "shared"
    assert row_range(page2, "kept", 0) == row_range(page2, "written", 5) == hook(page2, "written", "h.zrange")
    assert "for every row, one scale for kept · forgotten · written." in legend(page2, "kept")


def test_colours_keep_one_meaning_while_the_animation_reveals_the_text(opened):
    page = opened("?speed=10")
    ranges = "[h.zrange, Object.fromEntries(h.units.map((u, r) => [u, h.rowRange(r).zmax]))]"
    final = hook(page, "kept", ranges)
    T = page.locator("#tokens li").count()
    page.locator("#player button[aria-label]").nth(2).click()
    page.wait_for_function("() => { const h = document.querySelector('.heatmap-plot[data-quantity=\"kept\"]')"
                           ".heatmap;"
                           f" return h.tokens > 1 && h.tokens < {T}; }}")
    during = hook(page, "kept", f"[h.tokens, ...{ranges}]")
    assert 1 < during[0] < T
    assert during[1] == final[0]
    common = set(during[2]) & set(final[1])
    assert len(common) > 10 and all(during[2][u] == final[1][u] for u in common)


def test_an_svg_export_carries_the_row_labels_the_frame_and_the_legend(opened, tmp_path):
    page = opened("?unit=25&units=25&step=4")
    page.locator("#export-chart").select_option("kept")
    with page.expect_download() as info:
        page.locator("#export-buttons button", has_text="SVG").click()
    path = tmp_path / "kept.svg"
    info.value.save_as(path)
    root = ET.fromstring(path.read_bytes())
    svg = "{http://www.w3.org/2000/svg}"
    texts = [node.text for node in root.iter(f"{svg}text")]
    assert "▶ ● 25 · tense" in texts and "27 · cuisine?" in texts
    assert any(text and text.startswith("red: positive") for text in texts)
    assert [r.get("stroke") for r in root.iter(f"{svg}rect") if r.get("stroke")] == ["#111", "#111"]


def test_a_phone_shows_the_figure_without_sideways_scrolling(opened):
    page = opened("?unit=2", viewport={"width": 390, "height": 844})
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    for figure in page.locator("#heatmaps .heatmap").all():
        box = figure.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390


def test_after_typing_every_cell_has_the_colour_of_its_rows_range(opened):
    """Appends recolour only new columns, and whole rows whose range changed: every sampled cell, old
    and new, has the colour of its value on its row's range."""
    import numpy as np

    from tests.page.test_browser_visualizer import pixel, scale_rgb

    page = opened()
    text = page.locator("#text")
    text.press("End")
    for extra in (" Bhavin", " eats pasta and cheese", " every single day of the year!!"):
        drawn = hook(page, "kept", "h.drawn")
        text.press_sequentially(extra)
        page.wait_for_function(f"d => document.querySelector('.heatmap-plot[data-quantity=\"kept\"]').heatmap.drawn > d"
                               f" && document.querySelector('#text').value.endsWith({extra!r})", arg=drawn)
        wait_idle(page)
        units = row_units(page, "kept")
        T = hook(page, "kept", "h.tokens")
        for q in ("kept", "written"):
            for row in range(0, len(units), max(1, len(units) // 8)):
                values = hook(page, q, f"Array.from(h.values({row}))")
                half = row_range(page, q, row)["zmax"]
                for t in (0, T // 2, T - 1):
                    x, y = cell_point(page, q, t, units[row])
                    rgba = pixel(page, q, "canvas", x, y)
                    expected = scale_rgb((values[t] / half + 1) / 2)
                    assert rgba[3] == 255 and np.abs(np.array(rgba[:3]) - expected).max() <= 3, (q, t, row, rgba)
