// Where everything of the unit chart goes on its canvas: unit_figure.js's figure (the lines, panels, axes
// and selected step, in Plotly's schema, which tests and tools read) laid out in CSS pixels: a legend on
// top, the stacked panels with their y ticks and titles, the token labels under the bottom panel. The
// canvas painter (views/unit_chart.js) draws the scene; pointer positions map back to tokens through
// stepAt. Pure: no DOM; text widths come from `measure`.
import { FONT_FAMILY, fitText, formatTick, niceTicks } from "./heatmap_layout.js";
import { chartTicks } from "./unit_figure.js";

const SWATCH_PX = 36; // a legend entry's line (with its marker in the middle), then its name
const SWATCH_GAP = 6;
const ENTRY_GAP = 18;
const TICK_GAP = 6; // between a y tick label and its panel
const TITLE_GAP = 8; // between a y axis's tick labels and its title (Plotly's standoff)
const LABEL_SHARE = 0.25; // slanted token labels take at most this share of the height; longer ones end in "…"
const SIN45 = Math.SQRT1_2;
const PLOTLY_DOT = 3; // Plotly's "dot": dashes and gaps of max(width, 3) px; "dash" three times that

export function font(size, weight = 400) {
  return `${weight} ${size}px ${FONT_FAMILY}`;
}

/** A canvas line dash for a Plotly dash name ("solid", "dot", "dash") of a line `width` px wide. */
export function dashPattern(dash, width) {
  const d = Math.max(width, PLOTLY_DOT);
  if (dash === "dot") return [d, d];
  if (dash === "dash") return [3 * d, 3 * d];
  return [];
}

function widest(texts, measure) {
  return texts.reduce((w, text) => Math.max(w, measure(text)), 0);
}

/** A y axis's ticks {v, text}: its tickvals, else about nticks nice values over its range. */
function yTicks(axis) {
  const [lo, hi] = axis.range;
  if (axis.tickvals) {
    const step = axis.tickvals.length > 1 ? Math.abs(axis.tickvals[1] - axis.tickvals[0]) : 1;
    return axis.tickvals.map((v) => ({ v, text: formatTick(v, step) }));
  }
  const { step, values } = niceTicks(lo, hi, axis.nticks ?? 5);
  return values.filter((v) => v >= lo && v <= hi).map((v) => ({ v, text: formatTick(v, step) }));
}

/**
 * The chart's scene.
 * @param {object} p
 * @param {{data: object[], layout: object}} p.figure unit_figure.js chartFigure's
 * @param {string[]} p.labels (T,) the tokens as shown (canvas text is never HTML)
 * @param {number} p.width CSS px
 * @param {number} p.height CSS px
 * @param {(text: string, font: string) => number} p.measure width of text in CSS px
 * @param {Set<string>} [p.hidden] names of the lines a legend click hid
 * @param {[number, number]|null} [p.xRange] the x range shown (a zoom), in the figure's x (token t + 1);
 *   null: every token
 * @returns {object|null} {width, height, fontPx, plot: {x, y, w, h}, xRange, panels: [{axis, y, h, range,
 *   ticks: [{y, text}], title, titleX, zero, grid: [y]}], legend: [{name, color, width, dash, marker, x, y,
 *   w, h, hidden}], legendFont, xTicks: [{x, y, text, angle}], traces: [{name, color, width, dash, marker,
 *   panel, values}], T}; null when there is no room
 */
export function layoutUnitChart({ figure, labels, width, height, measure, hidden = new Set(), xRange = null }) {
  if (!(width > 0 && height > 0)) return null;
  const { data, layout } = figure;
  const f = layout.font?.size ?? 15;
  const legendSize = layout.legend?.font?.size ?? f;
  const tickFont = font(f);
  const measureTick = (s) => measure(s, tickFont);
  const T = labels.length;
  const margin = layout.margin ?? { l: 64, r: 12, t: 36, b: 8 };

  // The legend: one entry per named line, in columns of the widest entry, as many as fit in a row.
  const named = data.filter((trace) => trace.name && trace.showlegend !== false);
  const legendFont = font(legendSize);
  const entryW = SWATCH_PX + SWATCH_GAP + widest(named.map((t) => t.name), (s) => measure(s, legendFont)) + ENTRY_GAP;
  const perRow = Math.max(1, Math.floor((width - 8) / entryW));
  const rowH = Math.round(legendSize * 1.5);
  const legend = named.map((trace, k) => ({
    name: trace.name, color: trace.line.color, width: trace.line.width ?? 2, dash: trace.line.dash ?? "solid",
    marker: (trace.mode ?? "").includes("markers"), x: 4 + (k % perRow) * entryW, y: 4 + Math.floor(k / perRow) * rowH,
    w: entryW - ENTRY_GAP / 2, h: rowH, hidden: hidden.has(trace.name),
  }));
  const legendH = named.length ? Math.ceil(named.length / perRow) * rowH : 0;

  // The x range shown and its token labels, thinned as the figure thins them, for the tokens in view.
  const full = layout.xaxis?.range ?? [0.5, T + 0.5];
  const [lo, hi] = xRange ?? full;
  const first = Math.max(0, Math.ceil(lo - 1 - 1e-9));
  const last = Math.min(T - 1, Math.floor(hi - 1 + 1e-9));
  const top = Math.max(margin.t, legendH + 12);
  const left = margin.l;
  const right = margin.r;
  const plotW = Math.max(width - left - right, 1);
  const shown = last >= first ? chartTicks(labels.slice(first, last + 1), plotW + 90) : { tickvals: [], tickangle: 0 };
  const slanted = shown.tickangle !== 0;
  const cap = height * LABEL_SHARE;
  const limit = slanted ? cap / SIN45 - f : Infinity;
  const tickTexts = shown.tickvals.map((x) => fitText(labels[first + x - 1], limit, measureTick));
  const labelW = widest(tickTexts, measureTick);
  const band = slanted ? Math.min((labelW + f) * SIN45, cap) : f * 1.3;
  const bottom = Math.ceil(band + TICK_GAP + margin.b);
  const plot = { x: left, y: top, w: plotW, h: Math.max(height - top - bottom, 1) };
  const xPx = (x) => plot.x + ((x - lo) / (hi - lo || 1)) * plot.w;

  // The panels: the figure's visible y axes on their domains (0 at the bottom, as Plotly counts).
  const axes = ["yaxis", "yaxis2", "yaxis3"].map((key, k) => ({ key, axis: k ? `y${k + 1}` : "y", spec: layout[key] }))
    .filter(({ spec }) => spec && spec.visible !== false);
  const panels = axes.map(({ axis, spec }) => {
    const [d0, d1] = spec.domain ?? [0, 1];
    const y = plot.y + (1 - d1) * plot.h;
    const h = Math.max((d1 - d0) * plot.h, 1);
    const [r0, r1] = spec.range;
    const yOf = (v) => y + h * (1 - (v - r0) / (r1 - r0 || 1));
    const ticks = yTicks(spec).map(({ v, text }) => ({ y: yOf(v), text }));
    const tickW = widest(ticks.map((t) => t.text), measureTick);
    return {
      axis, y, h, range: [r0, r1], ticks, title: spec.title?.text ?? "",
      titleX: Math.max(f * 0.65, plot.x - TICK_GAP - tickW - TITLE_GAP - f * 0.6),
      zero: spec.zeroline !== false && r0 < 0 && r1 > 0 ? yOf(0) : null,
      grid: ticks.map((t) => t.y),
    };
  });
  const panelOf = new Map(panels.map((panel, k) => [panel.axis, k]));

  const yBase = plot.y + plot.h + TICK_GAP;
  const xTicks = shown.tickvals.map((x, k) => ({
    x: xPx(first + x), y: slanted ? yBase : yBase + f * 0.6, text: tickTexts[k], angle: slanted ? shown.tickangle : 0,
  }));

  const traces = named.filter((trace) => !hidden.has(trace.name) && panelOf.has(trace.yaxis ?? "y")).map((trace) => ({
    name: trace.name, color: trace.line.color, width: trace.line.width ?? 2, dash: trace.line.dash ?? "solid",
    marker: (trace.mode ?? "").includes("markers"), markerSize: trace.marker?.size ?? 5,
    panel: panelOf.get(trace.yaxis ?? "y"), values: trace.y,
  }));

  return {
    width, height, fontPx: f, font: tickFont, legendFont, plot, xRange: [lo, hi], full, panels, legend, xTicks,
    traces, T,
  };
}

/** CSS x of the figure's x (a token's number, t + 1). */
export function pxOfX(scene, x) {
  const [lo, hi] = scene.xRange;
  return scene.plot.x + ((x - lo) / (hi - lo || 1)) * scene.plot.w;
}

/** The figure's x at CSS x. */
export function xOfPx(scene, px) {
  const [lo, hi] = scene.xRange;
  return lo + ((px - scene.plot.x) / scene.plot.w) * (hi - lo);
}

/** CSS y of value v on a panel. */
export function pxOfY(panel, v) {
  const [r0, r1] = panel.range;
  return panel.y + panel.h * (1 - (v - r0) / (r1 - r0 || 1));
}

/** The token (0-based t) nearest CSS x in the plot area (any y inside it), or null outside it. */
export function stepAt(scene, px, py) {
  const { plot } = scene;
  if (!scene.T || px < plot.x || px > plot.x + plot.w || py < plot.y || py > plot.y + plot.h) return null;
  const t = Math.round(xOfPx(scene, px)) - 1;
  const [lo, hi] = scene.xRange;
  return Math.min(Math.max(t, Math.max(0, Math.ceil(lo - 1 - 1e-9))), Math.min(scene.T - 1, Math.floor(hi - 1 + 1e-9)));
}

/** The legend entry under CSS point (x, y), or null. */
export function legendAt(scene, x, y) {
  return scene.legend.find((e) => x >= e.x && x <= e.x + e.w && y >= e.y && y <= e.y + e.h) ?? null;
}

/** A zoom's x range from a drag between CSS x0 and x1, kept inside the whole range and at least one token
 *  wide; null when the drag is too short to mean one. */
export function zoomRange(scene, x0, x1) {
  const a = xOfPx(scene, Math.min(x0, x1));
  const b = xOfPx(scene, Math.max(x0, x1));
  const [lo, hi] = scene.full;
  const from = Math.max(a, lo);
  const to = Math.min(b, hi);
  return to - from >= 1 ? [from, to] : null;
}
