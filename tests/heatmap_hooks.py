"""Reading and driving the page's canvas heatmaps from Playwright, through the read-only hooks each
`.heatmap-plot` exposes as `plot.heatmap` (static/js/heatmap_canvas.js): units (row order), tokens (T),
values(row), ticks, range, zrange (the colour scale's ends), cellCenter(t, row) in client coordinates, drawn (raster
draws so far)."""

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
