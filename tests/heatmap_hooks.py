"""Reading and driving the page's canvas heatmaps from Playwright, through the read-only hooks each
`.heatmap-plot` exposes as `plot.heatmap` (static/js/views/heatmap_canvas.js): units (row order), tokens (T),
values(row), ticks, range, zrange (the colour bar's ends), cellCenter(t, row) in client coordinates, drawn (raster
draws so far), rowLabels ([{row, unit, text}] as drawn), marks ({selectedUnit, pinned}), scaleMode ("fixed",
"unit", "robust", "shared"), legend (the legend line's text), rowRange(row) ({zmin, zmax} of that row's
colours), rowBox(row) (client box {x, y, width, height}) and tooltipLines(t, row) (what hovering that cell says)."""

from __future__ import annotations

PLOT = 'document.querySelector(`#heatmaps .heatmap-plot[data-quantity="${q}"]`)'
# JS: the number of heatmaps on screen that have drawn, to wait for with `=== n` or `> 0`.
DRAWN = "document.querySelectorAll('#heatmaps .heatmap-plot[data-drawn]').length"


def hook(page, quantity: str, expression: str):
    """Evaluate `expression` over `h`, the hooks of the `quantity` heatmap."""
    return page.evaluate(f"q => {{ const h = {PLOT}.heatmap; return {expression}; }}", quantity)


def row_units(page, quantity: str = "kept") -> list[int]:
    """The units of a heatmap's rows, top first."""
    return hook(page, quantity, "h.units")


def heatmap_row(page, quantity: str, row: int) -> list[float]:
    """Row `row`'s values over every token, as the heatmap draws them."""
    return page.evaluate(f"([q, r]) => Array.from({PLOT}.heatmap.values(r))", [quantity, row])


def tick_labels(page, quantity: str = "kept") -> list[str]:
    """The token labels drawn under a heatmap, left to right."""
    return hook(page, quantity, "h.ticks.map((tick) => tick.text)")


def cell_point(page, quantity: str, t: int, unit: int) -> tuple[float, float]:
    """The viewport point at the centre of token t's cell in `unit`'s row, scrolled into view."""
    page.locator(f'#heatmaps .heatmap-plot[data-quantity="{quantity}"]').scroll_into_view_if_needed()
    point = page.evaluate(
        f"([q, t, u]) => {{ const h = {PLOT}.heatmap; return h.cellCenter(t, h.units.indexOf(u)); }}",
        [quantity, t, unit],
    )
    assert point is not None, f"cell ({t}, unit {unit}) of {quantity} is not on screen"
    return point["x"], point["y"]


def click_cell(page, quantity: str, t: int, unit: int) -> None:
    """A real mouse click on token t's cell in `unit`'s row."""
    page.mouse.click(*cell_point(page, quantity, t, unit))


def row_labels(page, quantity: str = "kept") -> list[dict]:
    """The row labels as drawn, top first: [{"row", "unit", "text"}]."""
    return hook(page, quantity, "h.rowLabels")


def row_label(page, quantity: str, unit: int) -> str | None:
    """The label drawn for `unit`'s row ("2 · tense", "▶ 2 · tense", "● 5"), or None when it has none."""
    return next((label["text"] for label in row_labels(page, quantity) if label["unit"] == unit), None)


def marks(page, quantity: str = "kept") -> dict:
    """The units a heatmap marks: {"selectedUnit": int | None, "pinned": [int, ...]}."""
    return hook(page, quantity, "h.marks")


def scale_mode(page, quantity: str = "kept") -> str:
    """How a heatmap's colours are scaled: "fixed" (gates, tanh), "unit", "robust" or "shared"."""
    return hook(page, quantity, "h.scaleMode")


def legend(page, quantity: str = "kept") -> str:
    """The legend line under a heatmap's caption: what its colours mean and its range, in words."""
    return hook(page, quantity, "h.legend")


def row_range(page, quantity: str, row: int) -> dict:
    """The colour range of row `row`: {"zmin", "zmax"}."""
    return page.evaluate(f"([q, r]) => {PLOT}.heatmap.rowRange(r)", [quantity, row])


def unit_range(page, quantity: str, unit: int) -> dict:
    """The colour range of `unit`'s row: {"zmin", "zmax"}."""
    return row_range(page, quantity, row_units(page, quantity).index(unit))


def row_box(page, quantity: str, row: int) -> dict | None:
    """Row `row`'s box in client coordinates: {"x", "y", "width", "height"}, or None when it is not drawn."""
    return page.evaluate(f"([q, r]) => {PLOT}.heatmap.rowBox(r)", [quantity, row])


def row_visible(page, quantity: str, unit: int, min_px: float = 1.0) -> bool:
    """Whether `unit` has a row at least `min_px` tall inside the viewport."""
    units = row_units(page, quantity)
    if unit not in units:
        return False
    box = row_box(page, quantity, units.index(unit))
    size = page.viewport_size
    return (box is not None and box["height"] >= min_px and box["y"] >= 0 and box["x"] >= 0
            and box["y"] + box["height"] <= size["height"] and box["x"] + box["width"] <= size["width"])


def tooltip_lines(page, quantity: str, t: int, unit: int) -> list[str]:
    """What hovering token t's cell in `unit`'s row says, line by line (without moving the mouse)."""
    return page.evaluate(
        f"([q, t, u]) => {{ const h = {PLOT}.heatmap; return h.tooltipLines(t, h.units.indexOf(u)); }}",
        [quantity, t, unit],
    )
