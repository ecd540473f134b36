// One heatmap panel on canvases. A raster holds one pixel per cell (units × tokens) and is rebuilt
// only when the data changes; the base canvas paints heatmap_layout.js's scene from it (a zoom or a
// resize repaints without rebuilding); an overlay canvas on top holds the hovered column, the selected
// step and a zoom drag, so those move without touching the heatmap. Pointer input becomes callbacks.
import { column } from "./arrays.js";
import {
  SELECTED_STROKE, cellAt, cellCentre, columnAt, columnBox, layoutPanel, tickFontPx,
} from "./heatmap_layout.js";
import { paintScene, pngBlob, svgBlob } from "./heatmap_paint.js";
import { colorTable, fillRaster, scaleOf, sharedSteps } from "./raster.js";
import { panelTitle } from "./views.js";

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

function element(tag, className) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  return node;
}

/**
 * A panel for quantity `key`. callbacks: onHover(t | null), onSelect({t, unit}), onZoom(t0, t1),
 * onReset(). The owner calls setData (rebuilds the raster), paint(window) and paintOverlay(marks).
 */
export function createPanel(key, { onHover, onSelect, onZoom, onReset }) {
  const figure = element("figure", "heatmap");
  const caption = element("figcaption");
  caption.textContent = panelTitle(key);
  const plot = element("div", "heatmap-plot");
  plot.dataset.quantity = key;
  const base = element("canvas", "heatmap-canvas");
  base.setAttribute("role", "img");
  const overlay = element("canvas", "heatmap-overlay");
  overlay.setAttribute("aria-hidden", "true");
  const tooltip = element("div", "heatmap-tooltip hidden"); // follows the mouse: not a live region
  tooltip.setAttribute("aria-hidden", "true");
  plot.append(base, overlay, tooltip);
  figure.append(caption, plot);

  const raster = element("canvas"); // U rows × (T + slack) columns, never attached
  const rasterCtx = raster.getContext("2d");
  const measureCtx = element("canvas").getContext("2d");
  let image = null; // ImageData of the raster's size and its Uint32 view, reused while it fits
  let pixels = null;
  let seen = new Float32Array(0); // a copy of the values the raster shows (T·H), to find what changed
  let data = null; // {matrix, units, labels, zrange, approximate}
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

  function sameRows(a, b) {
    return a.zrange.zmin === b.zrange.zmin && a.zrange.zmax === b.zrange.zmax && a.matrix.H === b.matrix.H
      && a.units.length === b.units.length && a.units.every((u, r) => u === b.units[r]);
  }

  /** New numbers: update the raster (one pixel per cell). When the rows and the colour range are
   *  unchanged, only the tokens after the longest unchanged prefix are coloured again (an append). */
  function setData(next) {
    const { T, H, data: values } = next.matrix;
    const U = next.units.length;
    let from = 0;
    if (!image || image.height !== U || image.width < T) {
      raster.width = Math.ceil((T + 1) / RASTER_SLACK) * RASTER_SLACK;
      raster.height = U;
      image = U > 0 ? rasterCtx.createImageData(raster.width, U) : null;
      pixels = image ? new Uint32Array(image.data.buffer) : null;
    } else if (data && sameRows(data, next)) {
      // What is known needs no reading: the same holding drawn again (a click, the animation), or the
      // holding that followed it, which kept its first `steps` (trace_store.js). Else compare the values.
      const prevT = data.matrix.T;
      if (next.source && next.source === data.source) from = Math.min(prevT, T);
      else if (data.source && next.lineage?.from === data.source) from = Math.min(next.lineage.steps, prevT, T);
      else from = sharedSteps({ T: prevT, H, data: seen.subarray(0, prevT * H) }, next.matrix);
    }
    data = next;
    if (image && T > from) {
      fillRaster(pixels, next.matrix, next.units, next.zrange, tableOf(scaleOf(key)), { from, width: image.width });
      rasterCtx.putImageData(image, 0, 0, from, 0, T - from, U);
    }
    if (seen.length < T * H) {
      seen = new Float32Array((T + RASTER_SLACK) * H);
      seen.set(values);
    } else {
      seen.set(values.subarray(from * H), from * H);
    }
    drawn += 1;
    plot.dataset.drawn = String(drawn);
  }

  function layoutFor(width, height, s, { title, step } = {}) {
    const style = getComputedStyle(plot);
    fontPx = tickFontPx(parseFloat(style.fontSize));
    return layoutPanel({
      width, height, scale: s, fontPx, color: style.color, labels: data.labels, units: data.units,
      t0: win.t0, t1: win.t1, zrange: data.zrange, stops: scaleOf(key), title, step, measure,
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
    const { T } = data.matrix;
    const zoomed = win.t0 > 0 || win.t1 < T - 1 ? `, tokens ${win.t0}–${win.t1} shown` : "";
    base.setAttribute("aria-label",
      `${panelTitle(key)}: heatmap of ${data.units.length} units × ${T} tokens${zoomed}`);
    paintOverlay();
  }

  /** The hovered column (a yellow wash), the selected step (a dark frame) and a zoom drag. */
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
    if (step) {
      ctx.strokeStyle = SELECTED_STROKE;
      ctx.lineWidth = 2;
      ctx.strokeRect(step.x, area.y, step.w, area.h);
    }
    if (drag && Math.abs(drag.x - drag.x0) >= DRAG_MIN_PX) {
      const x0 = Math.max(Math.min(drag.x0, drag.x), area.x);
      const x1 = Math.min(Math.max(drag.x0, drag.x), area.x + area.w);
      ctx.fillStyle = DRAG_FILL;
      ctx.fillRect(x0, area.y, x1 - x0, area.h);
    }
  }

  function local(event) {
    const rect = base.getBoundingClientRect();
    return { x: event.clientX - rect.left, y: event.clientY - rect.top };
  }

  function showTooltip({ t, row }, x, y) {
    const unit = data.units[row];
    const { H, data: values } = data.matrix;
    tooltip.textContent = [
      `token ${t}: ${data.labels[t]}`,
      `unit ${unit}`,
      `${key} ${data.approximate ? "≈" : "="} ${values[t * H + unit].toFixed(5)}`,
    ].join("\n");
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

  /** The drawing with its title and the selected step's frame, as a "png" or "svg" Blob. */
  function toBlob(format) {
    if (!layout) return Promise.reject(new Error(`the ${key} heatmap is not on screen`));
    const s = format === "svg" ? 1 : Math.max(EXPORT_MIN_SCALE, scale);
    const scene = layoutFor(plot.clientWidth, plot.clientHeight, s, { title: panelTitle(key), step: marks.step });
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
      /** The colour scale's ends, {zmin, zmax} (views.js panelRanges). */
      get zrange() {
        return data ? { zmin: data.zrange.zmin, zmax: data.zrange.zmax } : null;
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

  return { figure, setData, paint, paintOverlay, toBlob };
}
