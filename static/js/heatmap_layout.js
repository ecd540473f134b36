// Where everything of one heatmap panel goes: the plot area, the token labels under it, the unit
// labels beside it and the colour bar with its ticks. The result is a scene, a list of raster,
// colour-bar and text items in CSS pixels, that the canvas painter and the SVG export both draw, so
// the screen and an exported file cannot disagree. Pure: no DOM; text widths come from `measure`.
import { xTicks } from "./plot_axes.js";

export const FONT_FAMILY = "system-ui, -apple-system, 'Segoe UI', sans-serif";
const TICK_EM = 0.75; // tick labels are 15 px at the page's 20 px and grow with presenter mode's 26 px
const TICK_MIN_PX = 15;
const ROW_LABEL_MIN_PX = 12; // every row is labelled when rows are this tall (and 0.8 em) ...
const ROW_LABEL_EM = 0.8;
const ROW_LABEL_SPACING_EM = 1.1; // ... else every n-th row, n from 1, 2, 5, 10, … leaving this much room
const GAP = 6;
const BAR_GAP = 10;
const BAR_EM = 0.95; // colour bar thickness: 14 px next to 15 px ticks
const BAR_TICK_SPACING_EM = 2.2;
const LABEL_SHARE = 0.4; // token labels take at most this share of the height; longer ones end in "…"
const SIN45 = Math.SQRT1_2;
export const SELECTED_STROKE = "#111"; // the selected step's frame, 2 px

/** The tick font size in px for a container whose computed font size is containerFontPx. */
export function tickFontPx(containerFontPx) {
  return Math.max(TICK_MIN_PX, Math.round(containerFontPx * TICK_EM));
}

export function font(size, weight = 400) {
  return `${weight} ${size}px ${FONT_FAMILY}`;
}

/** The smallest step of the form 1, 2 or 5 × 10^k that is ≥ raw. */
function niceStep(raw) {
  const mag = 10 ** Math.floor(Math.log10(raw));
  const r = raw / mag;
  return (r <= 1 + 1e-9 ? 1 : r <= 2 + 1e-9 ? 2 : r <= 5 + 1e-9 ? 5 : 10) * mag;
}

/** Ticks from lo to hi at a nice step, about maxCount of them at most: {step, values}. */
export function niceTicks(lo, hi, maxCount) {
  if (!(hi > lo)) return { step: 1, values: [lo] };
  const step = niceStep((hi - lo) / Math.max(1, maxCount));
  const values = [];
  for (let k = Math.ceil(lo / step - 1e-9); k * step <= hi + step * 1e-9; k++) {
    values.push(Number((k * step).toPrecision(12)));
  }
  return { step, values };
}

/** A tick label as Plotly writes one: as many decimals as the step needs, a true minus sign (−). */
export function formatTick(value, step) {
  const decimals = Math.max(0, Math.ceil(-Math.log10(step) - 1e-9));
  if (Math.abs(value) < step * 1e-6) return "0";
  let text = value.toFixed(decimals);
  if (text.includes(".")) text = text.replace(/\.?0+$/, "");
  return text.replace("-", "−");
}

/** Label every n-th row: 1 when rows are tall enough for a label each, else a 1-2-5 step. */
export function rowStep(rowPx, fontPx) {
  if (rowPx >= Math.max(ROW_LABEL_MIN_PX, ROW_LABEL_EM * fontPx)) return 1;
  return Math.ceil(niceStep((ROW_LABEL_SPACING_EM * fontPx) / rowPx));
}

/** text, cut at the end (with "…") until measure(text) ≤ maxPx. */
export function fitText(text, maxPx, measure) {
  if (measure(text) <= maxPx) return text;
  const chars = Array.from(text);
  let lo = 0;
  let hi = chars.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (measure(`${chars.slice(0, mid).join("")}…`) <= maxPx) lo = mid;
    else hi = mid - 1;
  }
  return `${chars.slice(0, lo).join("")}…`;
}

/** text in lines no wider than maxPx, broken at spaces (a word wider than that is cut with "…"). */
export function wrapText(text, maxPx, measure) {
  const lines = [];
  for (const word of text.split(" ")) {
    const joined = lines.length ? `${lines.at(-1)} ${word}` : word;
    if (lines.length && measure(joined) <= maxPx) lines[lines.length - 1] = joined;
    else lines.push(fitText(word, maxPx, measure));
  }
  return lines;
}

function widest(texts, measure) {
  return texts.reduce((w, text) => Math.max(w, measure(text)), 0);
}

function text(value, x, y, size, { align = "start", angle = 0, weight = 400, color }) {
  return { kind: "text", text: value, x, y, size, weight, align, angle, color };
}

/**
 * The scene of one panel.
 * @param {object} p
 * @param {number} p.width CSS px of the drawing
 * @param {number} p.height CSS px
 * @param {number} p.scale device pixels per CSS px: the plot area's edges land on whole device pixels
 * @param {number} p.fontPx tick font size (tickFontPx)
 * @param {string} p.color text colour
 * @param {string[]} p.labels (T,) token labels as shown, exactly (canvas and SVG text are never HTML)
 * @param {number[]} p.units (U,) unit of each row, top first
 * @param {number} p.t0 first token column shown
 * @param {number} p.t1 last token column shown (t0 ≤ t1 < T)
 * @param {{zmin: number, zmax: number}} p.zrange
 * @param {Array<[number, string]>} p.stops the colour scale
 * @param {string} [p.title] drawn in a band above the drawing, which grows by it (exports; on screen
 *   the figcaption says it)
 * @param {number|null} [p.step] a token column to outline (exports; on screen the overlay draws it)
 * @param {(text: string, font: string) => number} p.measure width of text in CSS px
 * @returns {{width, height, plot: {x, y, w, h}, t0, t1, rows, items: object[], ticks: Array<{t, text}>} | null}
 *   null when the drawing has no room
 */
export function layoutPanel(p) {
  const { width, height, scale, fontPx: f, color, labels, units, t0, t1, zrange, stops, title, step, measure } = p;
  if (!(width > 0 && height > 0)) return null;
  const tickFont = font(f);
  const measureTick = (s) => measure(s, tickFont);
  const items = [];
  const n = Math.max(t1 - t0 + 1, 0);

  // A title (exports only) gets a band of its own, wrapped like the figcaption, above the drawing.
  let top = Math.ceil(f * 0.6);
  let total = height;
  if (title) {
    const size = Math.round(f * 1.15);
    const lines = wrapText(title, width - 16, (s) => measure(s, font(size, 600)));
    lines.forEach((line, k) => items.push(text(line, 8, size * (0.9 + 1.3 * k), size, { weight: 600, color })));
    const band = Math.ceil(size * (0.5 + 1.3 * lines.length));
    top += band;
    total += band;
  }

  // Token labels: which ones and at what angle as plot_axes.xTicks decides for the window shown. It
  // counts room for 15 px labels; larger ones (presenter mode) need proportionally more.
  const { tickvals, tickangle } = xTicks(labels.slice(t0, t1 + 1), (width * TICK_MIN_PX) / f);
  const cap = height * LABEL_SHARE - GAP;
  const limit = tickangle === 0 ? Infinity : tickangle === -90 ? cap : cap / SIN45 - f;
  const ticks = tickvals.map((v) => ({ t: t0 + v, text: fitText(labels[t0 + v], limit, measureTick) }));
  const labelW = widest(ticks.map((tick) => tick.text), measureTick);
  const band = tickangle === 0 ? f * 1.3 : tickangle === -90 ? labelW : (labelW + f) * SIN45;
  const bottom = Math.ceil(band + GAP + 4);
  const y0 = Math.round(top * scale) / scale;
  const y1 = Math.round((total - bottom) * scale) / scale;
  const h = Math.max(y1 - y0, 1);

  // Colour bar ticks (a true minus sign, as Plotly) and unit labels, which set the side margins.
  const { zmin, zmax } = zrange;
  const bar = niceTicks(zmin, zmax, Math.floor(h / (BAR_TICK_SPACING_EM * f)));
  const barLabels = bar.values.map((v) => ({ v, text: formatTick(v, bar.step) }));
  const barW = Math.round(f * BAR_EM);
  const right = BAR_GAP + barW + 4 + widest(barLabels.map((b) => b.text), measureTick) + 4;
  const rowPx = h / Math.max(units.length, 1);
  const every = rowStep(rowPx, f);
  const rowLabels = [];
  for (let r = 0; r < units.length; r += every) rowLabels.push({ r, text: String(units[r]) });
  let left = Math.ceil(f * 1.3 + GAP + widest(rowLabels.map((l) => l.text), measureTick) + GAP);
  if (tickangle === -45 && ticks.length) {
    // The first slanted label leans left of its column; keep it on the drawing.
    const colW = (width - left - right) / Math.max(n, 1);
    left = Math.max(left, Math.ceil((measureTick(ticks[0].text) + f) * SIN45 + 2 - colW / 2));
  }
  const x0 = Math.round(left * scale) / scale;
  const x1 = Math.round((width - right) * scale) / scale;
  const w = Math.max(x1 - x0, 1);
  const plot = { x: x0, y: y0, w, h };
  const colW = w / Math.max(n, 1);

  if (n > 0) items.push({ kind: "raster", ...plot, t0, t1 });
  items.push({ kind: "colorbar", x: x1 + BAR_GAP, y: y0, w: barW, h, stops });
  for (const { v, text: s } of barLabels) {
    const y = y0 + h * (1 - (v - zmin) / (zmax - zmin || 1));
    items.push(text(s, x1 + BAR_GAP + barW + 4, y, f, { color }));
  }
  for (const { r, text: s } of rowLabels) {
    items.push(text(s, x0 - GAP, y0 + (r + 0.5) * rowPx, f, { align: "end", color }));
  }
  items.push(text("unit", f * 0.65 + 2, y0 + h / 2, f, { align: "middle", angle: -90, color }));
  for (const tick of ticks) {
    const x = x0 + (tick.t - t0 + 0.5) * colW;
    items.push(tickangle === 0
      ? text(tick.text, x, y1 + GAP + f * 0.6, f, { align: "middle", color })
      : text(tick.text, x, y1 + GAP, f, { align: "end", angle: tickangle, color }));
  }
  const scene = { width, height: total, plot, t0, t1, rows: units.length, items, ticks };
  const outlined = columnBox(scene, step);
  if (outlined) items.push({ kind: "outline", x: outlined.x, y: y0, w: outlined.w, h, color: SELECTED_STROKE });
  return scene;
}

/** The column under CSS x, clamped to the window (for drags that leave the plot). */
export function columnAt(layout, x) {
  const { plot, t0, t1 } = layout;
  const k = Math.floor(((x - plot.x) / plot.w) * (t1 - t0 + 1));
  return Math.min(Math.max(t0 + k, t0), t1);
}

/** The cell under CSS point (x, y) of the drawing: {t, row}, or null outside the plot area. */
export function cellAt(layout, x, y) {
  const { plot, t1 } = layout;
  if (t1 < layout.t0 || x < plot.x || x >= plot.x + plot.w || y < plot.y || y >= plot.y + plot.h) return null;
  const row = Math.floor(((y - plot.y) / plot.h) * layout.rows);
  return { t: columnAt(layout, x), row: Math.min(row, layout.rows - 1) };
}

/** Column t's left edge and width in CSS px, or null when t is outside the window. */
export function columnBox(layout, t) {
  const { plot, t0, t1 } = layout;
  if (t === null || t === undefined || t < t0 || t > t1) return null;
  const colW = plot.w / (t1 - t0 + 1);
  return { x: plot.x + (t - t0) * colW, w: colW };
}

/** The centre of cell (t, row) in CSS px of the drawing, or null when it is not shown. */
export function cellCentre(layout, t, row) {
  const col = columnBox(layout, t);
  if (!col || row < 0 || row >= layout.rows) return null;
  return { x: col.x + col.w / 2, y: layout.plot.y + ((row + 0.5) * layout.plot.h) / layout.rows };
}
