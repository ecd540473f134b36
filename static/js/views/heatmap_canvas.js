// One heatmap panel on canvases. A raster holds one pixel per cell (units × tokens) and is rebuilt
// only when the data changes; the base canvas paints heatmap_layout.js's scene from it (a zoom or a
// resize repaints without rebuilding); an overlay canvas on top holds the hovered column, the selected
// step, the selected unit's row frame and a zoom drag, so those move without touching the heatmap. A
// legend line under the caption says in words what the colours mean. Pointer input becomes callbacks.
import { column } from "../core/arrays.js";
import { colourWords, rangeNumber, rowRangeOf, scaleWords } from "../core/color_ranges.js";
import {
  SELECTED_STROKE, cellAt, cellCentre, columnAt, columnBox, layoutPanel, rowBox, rowFrame, tickFontPx,
} from "../core/heatmap_layout.js";
import { colorTable, fillRaster, scaleOf, sharedSteps } from "../core/raster.js";
import { panelOf, panelTitle } from "../core/views.js";
import { el } from "./dom.js";
import { paintScene, pngBlob, svgBlob } from "./heatmap_paint.js";

const HOVER_FILL = "rgba(255,200,0,0.35)"; // the token strip's hover colour family
const DRAG_FILL = "rgba(11,92,173,0.15)";
const DRAG_MIN_PX = 4; // a press that moves less than this is a click
const EXPORT_MIN_SCALE = 2; // exported PNGs are drawn at twice the CSS size at least
const TOOLTIP_OFFSET_PX = 14;
const RASTER_SLACK = 512; // the raster has room for this many more tokens, so typing reuses it
const tables = new Map(); // scale stops -> colour table, built once per scale

function tableOf(stops) {
  if (!tables.has(stops)) tables.set(stops, colorTable(stops));
  return tables.get(stops);
}

const element = (tag, className) => el(tag, className);

/**
 * A panel for quantity `key` of a cell (its spec, /api/models cell_spec: the panel's title, scale and
 * words). callbacks: onHover(t | null), onSelect({t, unit}), onZoom(t0, t1), onReset(). The owner calls
 * setData (rebuilds the raster), paint(window), paintOverlay(marks) and mark({selectedUnit, ...marks}).
 */
export function createPanel(cell, key, { onHover, onSelect, onZoom, onReset, onLayout = () => {} }) {
  const title = panelTitle(cell, key);
  const stops = scaleOf(panelOf(cell, key));
  const figure = element("figure", "heatmap");
  const caption = element("figcaption");
  caption.textContent = title;
  const plot = element("div", "heatmap-plot");
  plot.dataset.quantity = key;
  const base = element("canvas", "heatmap-canvas");
  base.setAttribute("role", "img");
  const overlay = element("canvas", "heatmap-overlay");
  overlay.setAttribute("aria-hidden", "true");
  const tooltip = element("div", "heatmap-tooltip hidden"); // follows the mouse: not a live region
  tooltip.setAttribute("aria-hidden", "true");
  plot.append(base, overlay, tooltip);
  const legend = element("p", "heatmap-legend"); // what the colours mean, in words (textContent only)
  const legendColours = element("span", "heatmap-legend-colours");
  const legendScale = element("span", "heatmap-legend-scale");
  legendColours.textContent = colourWords(cell, key);
  legend.append(legendColours, " ", legendScale);
  // Room under the plot for views drawn on the same token columns (tracks.js); empty unless one fills it.
  const below = element("div", "heatmap-tracks");
  figure.append(caption, legend, plot, below);

  const raster = element("canvas"); // U rows × (T + slack) columns, never attached
  const rasterCtx = raster.getContext("2d");
  const measureCtx = element("canvas").getContext("2d");
  let image = null; // ImageData of the raster's size and its Uint32 view, reused while it fits
  let pixels = null;
  let seen = new Float32Array(0); // a copy of the values the raster shows (T·H), to find what changed
  let data = null; // {matrix, units, labels, range, approximate, names, selectedUnit, pinned, ...}
  let rowLo = new Float64Array(0); // (U,) the colour range each raster row was coloured with
  let rowHi = new Float64Array(0);
  let layout = null;
  let win = null; // {t0, t1} shown
  let scale = 1;
  let fontPx = 0;
  let marks = { hover: null, step: null };
  let drag = null; // {x0, x, t0} while a press moves across the plot
  let hoverT = null;
  let drawn = 0;
  let painted = ""; // the size (and pixel ratio) last painted at

  function measure(text, fontSpec) {
    if (measureCtx.font !== fontSpec) measureCtx.font = fontSpec;
    return measureCtx.measureText(text).width;
  }

  function sameUnits(a, b) {
    return a.matrix.H === b.matrix.H && a.units.length === b.units.length && a.units.every((u, r) => u === b.units[r]);
  }

  const sameList = (a, b) => a === b || (a.length === b.length && a.every((x, k) => x === b[k]));
  const sameNames = (a, b) => a === b || (Boolean(a) && Boolean(b) && a.size === b.size
    && [...a].every(([unit, name]) => b.get(unit) === name));

  /** Whether `next` (with row ranges lo, hi) draws exactly what is drawn: the same numbers of the same
   *  source, rows, ranges, labels and marks. */
  function unchanged(next, lo, hi) {
    return Boolean(data && image && next.source) && next.source === data.source && next.matrix === data.matrix
      && sameUnits(data, next) && next.range.mode === data.range.mode && next.range.zmin === data.range.zmin
      && next.range.zmax === data.range.zmax && sameList(lo, rowLo) && sameList(hi, rowHi)
      && next.approximate === data.approximate && next.selectedUnit === data.selectedUnit
      && sameList(next.pinned, data.pinned) && sameList(next.labels, data.labels) && sameNames(next.names, data.names);
  }

  /**
   * New numbers, rows or ranges: update the raster (one pixel per cell). When the rows are unchanged,
   * only the tokens after the longest unchanged prefix are coloured again (an append), except in rows
   * whose colour range changed, which are coloured again whole.
   * @param {object} next {matrix: (T, H), units: (U,), labels: (T,), range: a color_ranges.js
   *   PanelRange, approximate, source, lineage, names: Map unit → name | null, selectedUnit, pinned}
   */
  function setData(next) {
    const { T, H, data: values } = next.matrix;
    const U = next.units.length;
    const lo = new Float64Array(U);
    const hi = new Float64Array(U);
    for (let r = 0; r < U; r++) {
      const { zmin, zmax } = rowRangeOf(next.range, next.units, r);
      lo[r] = zmin;
      hi[r] = zmax;
    }
    if (unchanged(next, lo, hi)) { // the same drawing asked for again (a new window size, say)
      data = next;
      return;
    }
    let from = 0;
    let recolour = null; // rows whose range changed: coloured from token 0 (null: none)
    if (!image || image.height !== U || image.width < T) {
      raster.width = Math.ceil((T + 1) / RASTER_SLACK) * RASTER_SLACK;
      raster.height = U;
      image = U > 0 ? rasterCtx.createImageData(raster.width, U) : null;
      pixels = image ? new Uint32Array(image.data.buffer) : null;
    } else if (data && sameUnits(data, next)) {
      // What is known needs no reading: the same holding drawn again (a click, the animation), or the
      // holding that followed it, which kept its first `steps` (trace_store.js). Else compare the values.
      const prevT = data.matrix.T;
      if (next.source && next.source === data.source) from = Math.min(prevT, T);
      else if (data.source && next.lineage?.from === data.source) from = Math.min(next.lineage.steps, prevT, T);
      else from = sharedSteps({ T: prevT, H, data: seen.subarray(0, prevT * H) }, next.matrix);
      recolour = [];
      for (let r = 0; r < U; r++) if (lo[r] !== rowLo[r] || hi[r] !== rowHi[r]) recolour.push(r);
      if (recolour.length === U) {
        from = 0;
        recolour = null;
      }
    }
    data = next;
    rowLo = lo;
    rowHi = hi;
    if (image) {
      const table = tableOf(stops);
      const options = { width: image.width, halfRanges: next.range.perUnit };
      const zrange = { zmin: next.range.zmin, zmax: next.range.zmax };
      const whole = recolour?.length ? new Set(recolour) : null;
      if (T > from) {
        const rows = whole ? Array.from({ length: U }, (_, r) => r).filter((r) => !whole.has(r)) : null;
        fillRaster(pixels, next.matrix, next.units, zrange, table, { ...options, from, rows });
      }
      if (whole) fillRaster(pixels, next.matrix, next.units, zrange, table, { ...options, from: 0, rows: recolour });
      if (whole) rasterCtx.putImageData(image, 0, 0, 0, 0, T, U);
      else if (T > from) rasterCtx.putImageData(image, 0, 0, from, 0, T - from, U);
    }
    if (seen.length < T * H) {
      seen = new Float32Array((T + RASTER_SLACK) * H);
      seen.set(values);
    } else {
      seen.set(values.subarray(from * H), from * H);
    }
    setLegend(next.range);
    drawn += 1;
    plot.dataset.drawn = String(drawn);
  }

  /** The legend's words for a colour range (color_ranges.js PanelRange). */
  function setLegend(range) {
    const words = scaleWords(range);
    if (legendScale.textContent !== words) legendScale.textContent = words;
  }

  function layoutFor(width, height, s, { title, legend: words, step, frameUnit = false } = {}) {
    const style = getComputedStyle(plot);
    fontPx = tickFontPx(parseFloat(style.fontSize));
    return layoutPanel({
      width, height, scale: s, fontPx, color: style.color, labels: data.labels, units: data.units,
      t0: win.t0, t1: win.t1, zrange: { zmin: data.range.zmin, zmax: data.range.zmax }, stops,
      scaleMode: data.range.mode, names: data.names, selectedUnit: data.selectedUnit, pinned: data.pinned,
      frameUnit, title, legend: words, step, measure,
    });
  }

  /** Paint the scene for token columns shown.t0..shown.t1 at the plot's current size. */
  function paint(shown = win) {
    win = shown;
    if (!data || !win) return;
    const width = plot.clientWidth;
    const height = plot.clientHeight;
    scale = globalThis.devicePixelRatio || 1;
    painted = `${width}x${height}@${scale}`;
    const w = Math.round(width * scale);
    const h = Math.round(height * scale);
    for (const canvas of [base, overlay]) {
      if (canvas.width !== w || canvas.height !== h) {
        canvas.width = w;
        canvas.height = h;
      }
    }
    layout = layoutFor(width, height, scale);
    const ctx = base.getContext("2d");
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, w, h);
    if (layout) paintScene(ctx, layout, scale, raster);
    onLayout();
    const { T } = data.matrix;
    // Tokens counted from 1, as everywhere a person reads them.
    const zoomed = win.t0 > 0 || win.t1 < T - 1 ? `, tokens ${win.t0 + 1}–${win.t1 + 1} of ${T} shown` : "";
    base.setAttribute("aria-label",
      `${title}: heatmap of ${data.units.length} units × ${T} tokens${zoomed}`);
    paintOverlay();
  }

  /** The hovered column (a yellow wash), the selected step and unit (dark frames) and a zoom drag. */
  function paintOverlay(next = marks) {
    marks = next;
    const ctx = overlay.getContext("2d");
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, overlay.width, overlay.height);
    if (!layout) return;
    ctx.setTransform(scale, 0, 0, scale, 0, 0);
    const { plot: area } = layout;
    const hover = columnBox(layout, marks.hover);
    if (hover) {
      ctx.fillStyle = HOVER_FILL;
      ctx.fillRect(hover.x, area.y, hover.w, area.h);
    }
    const step = columnBox(layout, marks.step);
    ctx.strokeStyle = SELECTED_STROKE;
    ctx.lineWidth = 2;
    if (step) ctx.strokeRect(step.x, area.y, step.w, area.h);
    const frame = data.selectedUnit === null ? null : rowFrame(layout, data.units.indexOf(data.selectedUnit));
    if (frame) ctx.strokeRect(frame.x, frame.y, frame.w, frame.h);
    if (drag && Math.abs(drag.x - drag.x0) >= DRAG_MIN_PX) {
      const x0 = Math.max(Math.min(drag.x0, drag.x), area.x);
      const x1 = Math.min(Math.max(drag.x0, drag.x), area.x + area.w);
      ctx.fillStyle = DRAG_FILL;
      ctx.fillRect(x0, area.y, x1 - x0, area.h);
    }
  }

  /** A new selection: the selected unit's label (bold, "▶") is in the scene, so a new unit lays the panel
   *  out and paints it again from the raster; a new step only repaints the overlay. */
  function mark({ selectedUnit = null, ...next }) {
    marks = next;
    if (data && data.selectedUnit !== selectedUnit) {
      data = { ...data, selectedUnit };
      paint();
    } else {
      paintOverlay();
    }
  }

  function local(event) {
    const rect = base.getBoundingClientRect();
    return { x: event.clientX - rect.left, y: event.clientY - rect.top };
  }

  /** The tooltip's lines for cell (t, row): tokens counted from 1 as people count, units by the
   *  model's own index; the row's range in "unit" mode, a note on cells past the colour range. */
  function tooltipLines({ t, row }) {
    const unit = data.units[row];
    const { T, H, data: values } = data.matrix;
    const value = values[t * H + unit];
    const name = data.names?.get(unit);
    const lines = [
      `token ${t + 1} of ${T}: ${data.labels[t]}`,
      `unit ${unit}${name ? ` · ${name}` : ""}`,
      `${key} ${data.approximate ? "≈" : "="} ${value.toFixed(5)}`,
    ];
    const { zmin, zmax } = rowRangeOf(data.range, data.units, row);
    if (data.range.mode === "unit") lines.push(`row range ±${rangeNumber(zmax)}`);
    if (data.range.mode !== "fixed" && (value > zmax || value < zmin)) {
      lines.push(`beyond the colour range (±${rangeNumber(zmax)}): drawn in the end colour`);
    }
    return lines;
  }

  function showTooltip(cell, x, y) {
    tooltip.textContent = tooltipLines(cell).join("\n");
    tooltip.classList.remove("hidden");
    const width = plot.clientWidth;
    const left = x + TOOLTIP_OFFSET_PX + tooltip.offsetWidth <= width ? x + TOOLTIP_OFFSET_PX
      : Math.max(0, x - TOOLTIP_OFFSET_PX - tooltip.offsetWidth);
    const top = Math.min(y + TOOLTIP_OFFSET_PX, Math.max(0, plot.clientHeight - tooltip.offsetHeight));
    tooltip.style.left = `${left}px`;
    tooltip.style.top = `${top}px`;
  }

  function hover(t) {
    if (t === hoverT) return;
    hoverT = t;
    onHover(t);
  }

  function leave() {
    tooltip.classList.add("hidden");
    hover(null);
  }

  base.addEventListener("pointermove", (event) => {
    if (!layout) return;
    const { x, y } = local(event);
    if (drag) {
      drag.x = x;
      if (Math.abs(drag.x - drag.x0) >= DRAG_MIN_PX) tooltip.classList.add("hidden");
      paintOverlay();
      return;
    }
    const cell = cellAt(layout, x, y);
    if (!cell) {
      leave();
      return;
    }
    showTooltip(cell, x, y);
    hover(cell.t);
  });
  base.addEventListener("pointerleave", () => {
    if (!drag) leave();
  });
  base.addEventListener("pointerdown", (event) => {
    if (event.button !== 0 || !layout) return;
    const { x, y } = local(event);
    const cell = cellAt(layout, x, y);
    if (!cell) return;
    drag = { x0: x, x, t0: cell.t };
    base.setPointerCapture(event.pointerId);
  });
  base.addEventListener("pointerup", (event) => {
    if (!drag) return;
    const { x, y } = local(event);
    const { x0, t0 } = drag;
    drag = null;
    paintOverlay();
    if (Math.abs(x - x0) >= DRAG_MIN_PX) {
      const t1 = columnAt(layout, x);
      if (t1 !== t0) onZoom(Math.min(t0, t1), Math.max(t0, t1));
      return;
    }
    const cell = cellAt(layout, x, y);
    if (cell) onSelect({ t: cell.t, unit: data.units[cell.row] });
  });
  base.addEventListener("pointercancel", () => {
    drag = null;
    paintOverlay();
  });
  base.addEventListener("dblclick", () => onReset());

  // A new size (window, layout, presenter mode) repaints from the raster; the numbers are unchanged.
  new ResizeObserver(() => {
    const size = `${plot.clientWidth}x${plot.clientHeight}@${globalThis.devicePixelRatio || 1}`;
    if (size !== painted && plot.isConnected) paint();
  }).observe(plot);

  /** The drawing with its title, its legend and the selected step's and unit's frames, as a "png" or
   *  "svg" Blob. */
  function toBlob(format) {
    if (!layout) return Promise.reject(new Error(`the ${key} heatmap is not on screen`));
    const s = format === "svg" ? 1 : Math.max(EXPORT_MIN_SCALE, scale);
    const scene = layoutFor(plot.clientWidth, plot.clientHeight, s,
      { title, legend: legend.textContent, step: marks.step, frameUnit: true });
    return format === "svg" ? svgBlob(scene, raster) : pngBlob(scene, s, raster);
  }

  // What tests read (and what a screen reader's label says): read-only.
  Object.defineProperty(plot, "heatmap", {
    value: Object.freeze({
      key,
      get units() {
        return data ? Array.from(data.units) : [];
      },
      get tokens() {
        return data ? data.matrix.T : 0;
      },
      get range() {
        return win ? { t0: win.t0, t1: win.t1 } : null;
      },
      /** The colour bar's ends, {zmin, zmax} (color_ranges.js; in "unit" mode ± the largest row range). */
      get zrange() {
        return data ? { zmin: data.range.zmin, zmax: data.range.zmax } : null;
      },
      /** "fixed" (gates, tanh), "shared", "robust" or "unit" (color_ranges.js). */
      get scaleMode() {
        return data ? data.range.mode : null;
      },
      /** The legend line's text: what the colours mean and the scale, in words. */
      get legend() {
        return legend.textContent;
      },
      /** The row labels as drawn: [{row, unit, text}], top first. */
      get rowLabels() {
        return layout ? layout.rowLabels.map(({ row, unit, text }) => ({ row, unit, text })) : [];
      },
      /** The units marked: {selectedUnit, pinned: [...]} (as given, shown or not). */
      get marks() {
        return data ? { selectedUnit: data.selectedUnit, pinned: Array.from(data.pinned) }
          : { selectedUnit: null, pinned: [] };
      },
      /** The colour range row `row` is drawn with: {zmin, zmax}. */
      rowRange(row) {
        return data && row >= 0 && row < data.units.length ? rowRangeOf(data.range, data.units, row) : null;
      },
      /** Row `row`'s box in client coordinates {x, y, width, height}, or null when it is not drawn. */
      rowBox(row) {
        const box = layout && rowBox(layout, row);
        if (!box) return null;
        const rect = base.getBoundingClientRect();
        return { x: rect.left + box.x, y: rect.top + box.y, width: box.w, height: box.h };
      },
      /** The tooltip's lines for cell (t, row), as hovering it shows them. */
      tooltipLines(t, row) {
        return data ? tooltipLines({ t, row }) : [];
      },
      get ticks() {
        return layout ? layout.ticks.map(({ t, text }) => ({ t, text })) : [];
      },
      get fontPx() {
        return fontPx;
      },
      get drawn() {
        return drawn;
      },
      values(row) {
        return column(data.matrix, data.units[row]);
      },
      cellCenter(t, row) {
        const centre = layout && cellCentre(layout, t, row);
        if (!centre) return null;
        const rect = base.getBoundingClientRect();
        return { x: rect.left + centre.x, y: rect.top + centre.y };
      },
    }),
  });

  /** The token columns as painted, in CSS px of the plot (and of `below`, as wide): {x, w, t0, t1}: column t
   *  spans x + (t − t0)·w/(t1 − t0 + 1) onwards; null before a paint. */
  function columns() {
    return layout ? { x: layout.plot.x, w: layout.plot.w, t0: layout.t0, t1: layout.t1 } : null;
  }

  return { figure, below, columns, setData, setLegend, paint, paintOverlay, mark, toBlob };
}
