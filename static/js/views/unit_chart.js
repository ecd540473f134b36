// The unit detail's line chart: one unit's gates and states per token, in stacked panels over one token
// axis (core/unit_figure.js builds the figure for the model's cell), with the selected step marked, drawn
// on canvases as the heatmaps are (core/unit_chart_layout.js lays it out): no plotly.js, so a click or a
// keystroke costs a few milliseconds, not Plotly's hundreds. A base canvas holds the legend, axes and
// lines; an overlay on top the selected step, the hovered token's points and a zoom drag, so moving the
// step repaints only the overlay. Like the Plotly chart it replaces: a unified hover box ("token 12 of 19",
// the token, each line's value), a click selects the token, a drag zooms the tokens (a double-click shows
// them all again; a zoom survives updates), a click on a legend entry hides or shows its line. Tokens are
// numbered for people on the chart (x = t + 1: "token 12 of 19"); events carry t (0-based). The figure
// stays on the chart's element as `data` and `layout` (Plotly's names), for tests and tools.
import { displayToken } from "../core/tokens.js";
import {
  dashPattern, layoutUnitChart, legendAt, pxOfX, pxOfY, stepAt, zoomRange,
} from "../core/unit_chart_layout.js";
import { chartFigure, stepShapes } from "../core/unit_figure.js";
import { createEvents, el } from "./dom.js";

const TEXT_COLOR = "#1f2328";
const GRID_COLOR = "#eaeef2";
const ZERO_COLOR = "#8c959f";
const SELECTED_COLOR = "#0b5cad";
const HOVER_FILL = "rgba(255,200,0,0.25)"; // the heatmaps' hover colour family
const DRAG_FILL = "rgba(11,92,173,0.15)";
const DRAG_MIN_PX = 4; // a press that moves less than this is a click
const TOOLTIP_OFFSET_PX = 14;

/**
 * A chart appended to parent.
 *   update({cell, tokens, series, step}) draws series {quantity: one value per token} of a unit of the
 *     cell (its spec; a missing quantity draws no line) over the tokens, with a dashed line at step (or
 *     none when null), in the next animation frame; its figure (the element's `data` and `layout`) at
 *     once. When only the step changed (the same tokens and series objects), only the overlay is painted
 *     again.
 *   redraw() draws the last update again for the chart's current size.
 *   resize() the same, when the size changed (a chart drawn while hidden has none).
 *   bind("select-step", handler): handler(t) when token t (0-based) is clicked.
 */
export function createUnitChart(parent) {
  const { emit, bind } = createEvents(["select-step"]);
  const plot = el("div", "unit-chart");
  const base = el("canvas", "unit-chart-canvas");
  base.setAttribute("role", "img");
  const overlay = el("canvas", "unit-chart-overlay");
  overlay.setAttribute("aria-hidden", "true");
  const tooltip = el("div", "unit-chart-tooltip hidden");
  tooltip.setAttribute("aria-hidden", "true"); // follows the mouse: not a live region
  plot.append(base, overlay, tooltip);
  parent.append(plot);
  const measureCtx = el("canvas").getContext("2d");

  let view = null; // the data of the last update
  let drawnSpec = null; // its cell spec
  let labels = [];
  let figure = null;
  let figureWidth = 0;
  let scene = null;
  let size = { width: 0, height: 0 }; // the plot's CSS size, as last measured
  let painted = ""; // the size and pixel ratio last painted at
  let scale = 1;
  let zoom = null; // [x0, x1] of the figure's x, or null for every token
  const hidden = new Set(); // names of the lines hidden from the legend
  let hoverT = null;
  let drag = null; // {x0, x} while a press moves across the plot

  function measure(text, fontSpec) {
    if (measureCtx.font !== fontSpec) measureCtx.font = fontSpec;
    return measureCtx.measureText(text).width;
  }

  function measureSize() {
    size = { width: plot.clientWidth, height: plot.clientHeight };
  }

  /** The figure for the last update at the chart's width: the hooks' `data` and `layout`. */
  function buildFigure() {
    const { cell, tokens, series, step } = view;
    labels = tokens.map((token) => displayToken(token.text));
    figure = chartFigure(series, labels, step, size.width, cell);
    figureWidth = size.width;
    for (const trace of figure.data) if (trace.name && hidden.has(trace.name)) trace.visible = "legendonly";
    plot.data = figure.data;
    plot.layout = figure.layout;
  }

  function fitCanvases() {
    scale = globalThis.devicePixelRatio || 1;
    const w = Math.round(size.width * scale);
    const h = Math.round(size.height * scale);
    for (const canvas of [base, overlay]) {
      if (canvas.width !== w || canvas.height !== h) {
        canvas.width = w;
        canvas.height = h;
      }
    }
    painted = `${size.width}x${size.height}@${scale}`;
  }

  function text(ctx, value, x, y, { align = "left", baseline = "middle", angle = 0, fontSpec, color = TEXT_COLOR }) {
    ctx.save();
    ctx.translate(x, y);
    if (angle) ctx.rotate((angle * Math.PI) / 180);
    ctx.font = fontSpec;
    ctx.textAlign = align;
    ctx.textBaseline = baseline;
    ctx.fillStyle = color;
    ctx.fillText(value, 0, 0);
    ctx.restore();
  }

  function strokeLine(ctx, trace, panel) {
    const { values } = trace;
    const [lo, hi] = scene.xRange;
    const first = Math.max(0, Math.floor(lo - 1));
    const last = Math.min(values.length - 1, Math.ceil(hi - 1));
    ctx.strokeStyle = trace.color;
    ctx.lineWidth = trace.width;
    ctx.setLineDash(dashPattern(trace.dash, trace.width));
    ctx.lineJoin = "round";
    ctx.beginPath();
    let open = false;
    for (let t = first; t <= last; t++) {
      const v = values[t];
      if (!Number.isFinite(v)) { // a gap, as Plotly leaves one
        open = false;
        continue;
      }
      const x = pxOfX(scene, t + 1);
      const y = pxOfY(panel, v);
      if (open) ctx.lineTo(x, y);
      else ctx.moveTo(x, y);
      open = true;
    }
    ctx.stroke();
    ctx.setLineDash([]);
    if (!trace.marker) return;
    ctx.fillStyle = trace.color;
    const r = trace.markerSize / 2;
    for (let t = first; t <= last; t++) {
      const v = values[t];
      if (!Number.isFinite(v)) continue;
      ctx.beginPath();
      ctx.arc(pxOfX(scene, t + 1), pxOfY(panel, v), r, 0, 2 * Math.PI);
      ctx.fill();
    }
  }

  /** The canvas cleared, its context in CSS pixels; null when there is nothing to paint. */
  function cleared(canvas) {
    const ctx = canvas.getContext("2d");
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    if (!scene) return null;
    ctx.setTransform(scale, 0, 0, scale, 0, 0);
    return ctx;
  }

  function paintBase() {
    const ctx = cleared(base);
    if (!ctx) return;
    const { plot: area, panels, legend, xTicks, traces } = scene;
    // The legend: a line (and a marker) per entry, greyed when its line is hidden.
    for (const entry of legend) {
      const y = entry.y + entry.h / 2;
      ctx.globalAlpha = entry.hidden ? 0.35 : 1;
      ctx.strokeStyle = entry.color;
      ctx.lineWidth = entry.width;
      ctx.setLineDash(dashPattern(entry.dash, entry.width));
      ctx.beginPath();
      ctx.moveTo(entry.x + 2, y);
      ctx.lineTo(entry.x + 34, y);
      ctx.stroke();
      ctx.setLineDash([]);
      if (entry.marker) {
        ctx.fillStyle = entry.color;
        ctx.beginPath();
        ctx.arc(entry.x + 18, y, 3, 0, 2 * Math.PI);
        ctx.fill();
      }
      text(ctx, entry.name, entry.x + 42, y, { fontSpec: scene.legendFont });
      ctx.globalAlpha = 1;
    }
    // Each panel: grid lines, the zero line, tick labels and the axis title, then its lines, clipped.
    for (const panel of panels) {
      ctx.lineWidth = 1;
      ctx.strokeStyle = GRID_COLOR;
      for (const y of panel.grid) {
        ctx.beginPath();
        ctx.moveTo(area.x, Math.round(y) + 0.5);
        ctx.lineTo(area.x + area.w, Math.round(y) + 0.5);
        ctx.stroke();
      }
      if (panel.zero !== null) {
        ctx.strokeStyle = ZERO_COLOR;
        ctx.beginPath();
        ctx.moveTo(area.x, Math.round(panel.zero) + 0.5);
        ctx.lineTo(area.x + area.w, Math.round(panel.zero) + 0.5);
        ctx.stroke();
      }
      for (const tick of panel.ticks) text(ctx, tick.text, area.x - 6, tick.y, { align: "right", fontSpec: scene.font });
      if (panel.title) {
        text(ctx, panel.title, panel.titleX, panel.y + panel.h / 2, { align: "center", angle: -90, fontSpec: scene.font });
      }
    }
    for (const trace of traces) {
      const panel = panels[trace.panel];
      ctx.save();
      ctx.beginPath();
      ctx.rect(area.x - 4, panel.y - 4, area.w + 8, panel.h + 8);
      ctx.clip();
      strokeLine(ctx, trace, panel);
      ctx.restore();
    }
    for (const tick of xTicks) {
      if (tick.angle) text(ctx, tick.text, tick.x, tick.y, { align: "right", angle: tick.angle, fontSpec: scene.font });
      else text(ctx, tick.text, tick.x, tick.y, { align: "center", fontSpec: scene.font });
    }
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    const T = labels.length;
    const [lo, hi] = scene.xRange;
    const zoomed = zoom ? `, tokens ${Math.max(1, Math.ceil(lo))}–${Math.min(T, Math.floor(hi))} of ${T} shown` : "";
    base.setAttribute("aria-label", `Unit chart: ${scene.traces.map((t) => t.name).join(", ")} over ${T} tokens${zoomed}`);
  }

  /** The selected step's dashed line, the hovered token's column and points, a zoom drag. */
  function paintOverlay() {
    const ctx = cleared(overlay);
    if (!ctx) return;
    const { plot: area, panels } = scene;
    const inView = (t) => t !== null && t >= 0 && t < scene.T && pxOfX(scene, t + 1) >= area.x - 0.5
      && pxOfX(scene, t + 1) <= area.x + area.w + 0.5;
    if (inView(hoverT)) {
      const x = pxOfX(scene, hoverT + 1);
      const colW = Math.max(2, area.w / Math.max(1, scene.xRange[1] - scene.xRange[0]));
      ctx.fillStyle = HOVER_FILL;
      ctx.fillRect(x - colW / 2, area.y, colW, area.h);
      for (const trace of scene.traces) {
        const v = trace.values[hoverT];
        if (!Number.isFinite(v)) continue;
        ctx.fillStyle = trace.color;
        ctx.beginPath();
        ctx.arc(x, pxOfY(panels[trace.panel], v), 4, 0, 2 * Math.PI);
        ctx.fill();
      }
    }
    const step = view?.step ?? null;
    if (inView(step)) {
      const x = pxOfX(scene, step + 1);
      ctx.strokeStyle = SELECTED_COLOR;
      ctx.lineWidth = 2;
      ctx.setLineDash(dashPattern("dash", 2));
      ctx.beginPath();
      ctx.moveTo(x, area.y);
      ctx.lineTo(x, area.y + area.h);
      ctx.stroke();
      ctx.setLineDash([]);
    }
    if (drag && Math.abs(drag.x - drag.x0) >= DRAG_MIN_PX) {
      const x0 = Math.max(Math.min(drag.x0, drag.x), area.x);
      const x1 = Math.min(Math.max(drag.x0, drag.x), area.x + area.w);
      ctx.fillStyle = DRAG_FILL;
      ctx.fillRect(x0, area.y, x1 - x0, area.h);
    }
    ctx.setTransform(1, 0, 0, 1, 0, 0);
  }

  /** Lay out and paint everything for the last update at the chart's size. */
  function paint() {
    if (!view) return;
    if (!figure || figureWidth !== size.width) buildFigure();
    fitCanvases();
    if (zoom && !(zoom[0] < labels.length + 0.5)) zoom = null; // the text got shorter than the zoom
    const xRange = zoom ? [zoom[0], Math.min(zoom[1], labels.length + 0.5)] : null;
    scene = layoutUnitChart({ figure, labels, width: size.width, height: size.height, measure, hidden, xRange });
    paintBase();
    if (pointer && !drag && scene) { // the hover box for the new numbers, under the pointer
      hoverT = stepAt(scene, pointer.x, pointer.y);
      if (hoverT === null) tooltip.classList.add("hidden");
      else showTooltip(hoverT, pointer.x, pointer.y);
    }
    paintOverlay();
  }

  // ---- Pointer input: hover, click, drag-zoom, double-click, legend ----

  function local(event) {
    const rect = base.getBoundingClientRect();
    return { x: event.clientX - rect.left, y: event.clientY - rect.top };
  }

  function tooltipLine(parts, className = null) {
    const line = el("div", className);
    line.append(...parts);
    return line;
  }

  function showTooltip(t, x, y) {
    const T = labels.length;
    const rows = [tooltipLine([`token ${t + 1} of ${T}`]), tooltipLine([labels[t]], "unit-chart-tooltip-token")];
    for (const trace of scene.traces) {
      const swatch = el("span", "unit-chart-swatch");
      swatch.style.backgroundColor = trace.color;
      const v = trace.values[t];
      rows.push(tooltipLine([swatch, `${trace.name} = ${Number.isFinite(v) ? v.toFixed(3) : "—"}`]));
    }
    tooltip.replaceChildren(...rows);
    tooltip.classList.remove("hidden");
    const width = plot.clientWidth;
    const anchor = pxOfX(scene, t + 1);
    const left = anchor + TOOLTIP_OFFSET_PX + tooltip.offsetWidth <= width ? anchor + TOOLTIP_OFFSET_PX
      : Math.max(0, anchor - TOOLTIP_OFFSET_PX - tooltip.offsetWidth);
    const top = Math.min(Math.max(0, y - tooltip.offsetHeight / 2), Math.max(0, plot.clientHeight - tooltip.offsetHeight));
    tooltip.style.left = `${left}px`;
    tooltip.style.top = `${top}px`;
  }

  function leave() {
    tooltip.classList.add("hidden");
    if (hoverT !== null) {
      hoverT = null;
      paintOverlay();
    }
  }

  let pointer = null; // where the pointer is over the chart, to hover again after a repaint

  function hoverAt(x, y) {
    base.style.cursor = legendAt(scene, x, y) ? "pointer" : "";
    const t = stepAt(scene, x, y);
    if (t === null) {
      leave();
      return;
    }
    showTooltip(t, x, y);
    if (t !== hoverT) {
      hoverT = t;
      paintOverlay();
    }
  }

  base.addEventListener("pointermove", (event) => {
    const { x, y } = local(event);
    pointer = { x, y };
    if (!scene) return;
    if (drag) {
      drag.x = x;
      if (Math.abs(drag.x - drag.x0) >= DRAG_MIN_PX) tooltip.classList.add("hidden");
      paintOverlay();
      return;
    }
    hoverAt(x, y);
  });
  base.addEventListener("pointerleave", () => {
    pointer = null;
    if (!drag) leave();
  });
  base.addEventListener("pointerdown", (event) => {
    if (event.button !== 0 || !scene) return;
    const { x, y } = local(event);
    if (stepAt(scene, x, y) === null) return;
    drag = { x0: x, x };
    base.setPointerCapture(event.pointerId);
  });
  base.addEventListener("pointerup", (event) => {
    const { x, y } = local(event);
    if (!drag) {
      const entry = scene && legendAt(scene, x, y);
      if (!entry) return;
      if (hidden.has(entry.name)) hidden.delete(entry.name);
      else hidden.add(entry.name);
      figure = null; // the hooks' `visible`
      paint();
      return;
    }
    const { x0 } = drag;
    drag = null;
    if (Math.abs(x - x0) >= DRAG_MIN_PX) {
      const range = zoomRange(scene, x0, x);
      if (range) zoom = range;
      paint();
      return;
    }
    paintOverlay();
    const t = stepAt(scene, x, y);
    if (t !== null) emit("select-step", t);
  });
  base.addEventListener("pointercancel", () => {
    drag = null;
    paintOverlay();
  });
  base.addEventListener("dblclick", () => {
    if (!zoom) return;
    zoom = null;
    paint();
  });

  // A new size (window, layout) repaints; the numbers are unchanged.
  new ResizeObserver(() => {
    measureSize();
    if (`${size.width}x${size.height}@${globalThis.devicePixelRatio || 1}` === painted || !plot.isConnected) return;
    if (onScreen) paint();
    else stale = true;
  }).observe(plot);

  // A chart off screen (under the fold while a person types above it) is painted when it comes near the
  // screen: its thick lines over 2,000 tokens are the costliest thing the browser rasterises in a frame
  // (some 25 ms here), so a keystroke should not pay for them unseen.
  let onScreen = false;
  let stale = false; // the chart shows older data or another size: paint it when it comes into view
  new IntersectionObserver((entries) => {
    onScreen = entries[entries.length - 1].isIntersecting;
    if (onScreen && stale) paintSoon(true);
  }, { rootMargin: "300px 0px" }).observe(plot);

  // Painting waits for the next animation frame: the page is laid out then anyway (reading the chart's
  // size in the middle of the page's redraw would make the browser lay it out twice), and the click or
  // keystroke that asked for it ends sooner.
  let frame = 0;
  let whole = false; // the next frame paints everything, not only the overlay
  function paintSoon(all) {
    whole ||= all;
    if (!frame) frame = requestAnimationFrame(() => {
      frame = 0;
      const both = whole || stale;
      whole = false;
      if (!onScreen) {
        stale = true;
        return;
      }
      stale = false;
      if (both) {
        if (!size.width) measureSize();
        paint();
      } else {
        paintOverlay();
      }
    });
  }

  return {
    update(data) {
      const spec = data.cell; // the same spec object: the same cell
      const sameData = view && figure && spec === drawnSpec && data.tokens === view.tokens
        && Object.keys(data.series).length === Object.keys(view.series).length
        && Object.entries(data.series).every(([key, values]) => view.series[key] === values);
      view = data;
      drawnSpec = spec;
      if (sameData) { // only the step moved: its line, on the overlay
        figure.layout.shapes = stepShapes(data.step, labels.length);
        paintSoon(false);
        return;
      }
      buildFigure(); // the hooks' data at once; the drawing in the next frame
      paintSoon(true);
    },
    redraw() {
      figure = null;
      if (!onScreen) {
        stale = true;
        return;
      }
      measureSize();
      paint();
    },
    resize() {
      if (frame || !onScreen) return; // the next frame (or the chart's coming into view) measures and paints
      measureSize();
      if (`${size.width}x${size.height}@${globalThis.devicePixelRatio || 1}` !== painted) paint();
    },
    bind,
  };
}
