// Where everything of one heatmap panel goes: the plot area, the token labels under it, the unit
// labels beside it and the colour bar with its ticks. The result is a scene, a list of raster,
// colour-bar and text items in CSS pixels, that the canvas painter and the SVG export both draw, so
// the screen and an exported file cannot disagree. Pure: no DOM; text widths come from `measure`.
import { rangeNumber } from "./color_ranges.js";
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
export const SELECTED_STROKE = "#111"; // the selected step's and the selected unit's frames, 2 px
const LEADER_PX = 10; // room for the line from a row label moved off its row to the row
const LEADER_COLOR = "#6e7781";
const ROW_LABEL_MAX_EM = 9; // a row label ("▶ ● 63 · cuisine") is at most this wide ...
const ROW_LABEL_MAX_SHARE = 0.35; // ... and this share of the drawing's width; longer names end in "…"
const LEGEND_EM = 0.8; // the legend line under an exported drawing
export const SELECTED_MARK = "▶"; // before the selected unit's label (bold)
export const PINNED_MARK = "●"; // before a pinned unit's label: in every system font, not an emoji
export const UNIT_BAR_WORDS = { top: "+max", middle: "0", bottom: "−max", side: "each row's own range" };

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

/** A number as few digits as it needs (4 significant at most), with a true minus sign: "3.5", "−15". */
export function formatNumber(value) {
  return rangeNumber(value).replace("-", "−");
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

/**
 * A row's label: "12", "2 · tense", "● 5", "▶ ● 2 · tense" (selected, pinned, named); a long name is
 * cut with "…" so the label is at most maxPx wide (the unit number is never cut).
 */
export function rowLabelText(unit, { name = null, selected = false, pinned = false } = {}, maxPx, measure) {
  const head = `${selected ? `${SELECTED_MARK} ` : ""}${pinned ? `${PINNED_MARK} ` : ""}${unit}`;
  if (!name) return head;
  const lead = `${head} · `;
  const room = maxPx - measure(lead);
  return room >= measure("x…") ? lead + fitText(name, room, measure) : head;
}

/**
 * Centres for labels that want to sit at `wants` (ascending), at least `sep` apart and within lo..hi,
 * in the same order, each as near its want as the others allow: overlapping labels gather in a run
 * centred on their wants' mean (the usual 1-D label "dodge"). Needs (n − 1)·sep ≤ hi − lo.
 */
function spread(wants, sep, lo, hi) {
  const runs = []; // {first, n, sum, start}
  const place = (run) => {
    run.start = Math.min(Math.max(run.sum / run.n - ((run.n - 1) * sep) / 2, lo), hi - (run.n - 1) * sep);
  };
  wants.forEach((want, k) => {
    const run = { first: k, n: 1, sum: want, start: 0 };
    place(run);
    runs.push(run);
    while (runs.length > 1) {
      const last = runs.at(-1);
      const before = runs.at(-2);
      if (before.start + before.n * sep <= last.start + 1e-6) break;
      before.n += last.n;
      before.sum += last.sum;
      place(before);
      runs.pop();
    }
  });
  return runs.flatMap((run) => Array.from({ length: run.n }, (_, j) => run.start + j * sep));
}

/**
 * Where each row label goes (y of its centre), so that no two overlap. `special` labels (selected,
 * pinned, named units: [{r, y, priority}], lower priority matters more) are all placed, in row order,
 * each as near its row as its neighbours allow (moved off it when they crowd); when more are asked
 * for than lo..hi holds, the least important are left out. Then the plain labels [{r, y}] go wherever
 * they do not overlap a placed one.
 * @returns {Array<{r: number, y: number, want: number, special: boolean}>} by row
 */
export function placeRowLabels(special, plain, sep, lo, hi) {
  const room = Math.max(0, Math.floor((hi - lo) / sep + 1e-9) + 1);
  const chosen = [...special].sort((a, b) => a.priority - b.priority || a.r - b.r).slice(0, room)
    .sort((a, b) => a.y - b.y || a.r - b.r);
  const ys = spread(chosen.map((label) => Math.min(Math.max(label.y, lo), hi)), sep, lo, hi);
  const placed = chosen.map((label, k) => ({ r: label.r, y: ys[k], want: label.y, special: true }));
  const taken = new Set(placed.map((p) => p.r));
  const free = (y) => placed.every((p) => Math.abs(p.y - y) >= sep - 1e-6);
  for (const label of plain) {
    if (!taken.has(label.r) && label.y >= lo - 1e-6 && label.y <= hi + 1e-6 && free(label.y)) {
      placed.push({ r: label.r, y: label.y, want: label.y, special: false });
    }
  }
  return placed.sort((a, b) => a.r - b.r);
}

function widest(texts, measure) {
  return texts.reduce((w, text) => Math.max(w, measure(text)), 0);
}

function text(value, x, y, size, { align = "start", angle = 0, weight = 400, color }) {
  return { kind: "text", text: value, x, y, size, weight, align, angle, color };
}

/** The colour bar's labels: [{v, text}] at values v, for a scale mode (color_ranges.js). */
function barLabelsOf(zmin, zmax, mode, h, f, measure) {
  if (mode === "unit") {
    return [{ v: zmax, text: UNIT_BAR_WORDS.top }, { v: (zmin + zmax) / 2, text: UNIT_BAR_WORDS.middle },
      { v: zmin, text: UNIT_BAR_WORDS.bottom }];
  }
  const bar = niceTicks(zmin, zmax, Math.floor(h / (BAR_TICK_SPACING_EM * f)));
  const labels = bar.values.map((v) => ({ v, text: formatTick(v, bar.step) }));
  if (mode !== "robust") return labels;
  // Cells past the range are drawn in the end colours: the ends say "≥" and "≤", and are always labelled.
  const px = (v) => (h * (v - zmin)) / (zmax - zmin || 1);
  const room = f * 1.2;
  const inner = labels.filter(({ v }) => px(v) - px(zmin) >= room && px(zmax) - px(v) >= room);
  return [
    { v: zmax, text: `≥${formatNumber(zmax)}` }, ...inner.reverse(), { v: zmin, text: `≤${formatNumber(zmin)}` },
  ];
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
 * @param {string} [p.scaleMode] color_ranges.js mode: "fixed" or "shared" (numbers on the colour bar),
 *   "robust" (the ends read "≥" / "≤"), "unit" (words: "+max", "0", "−max", each row's own range)
 * @param {Map<number, string>|null} [p.names] unit → short name ("tense"): those rows are always labelled
 * @param {number|null} [p.selectedUnit] its row label is bold, after "▶"
 * @param {Iterable<number>} [p.pinned] units whose labels start with "●"
 * @param {boolean} [p.frameUnit] frame the selected unit's row (exports; on screen the overlay draws it)
 * @param {string} [p.title] drawn in a band above the drawing, which grows by it (exports; on screen
 *   the figcaption says it)
 * @param {string} [p.legend] drawn in a band under the drawing, which grows by it (exports; on screen
 *   the figure's legend line says it)
 * @param {number|null} [p.step] a token column to outline (exports; on screen the overlay draws it)
 * @param {(text: string, font: string) => number} p.measure width of text in CSS px
 * @returns {{width, height, plot: {x, y, w, h}, t0, t1, rows, items: object[], ticks: Array<{t, text}>,
 *   rowLabels: Array<{row, unit, text}>} | null}
 *   null when the drawing has no room
 */
export function layoutPanel(p) {
  const {
    width, height, scale, fontPx: f, color, labels, units, t0, t1, zrange, stops, title, legend, step, measure,
    scaleMode = "shared", names = null, selectedUnit = null, pinned = [], frameUnit = false,
  } = p;
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

  // Colour bar labels (a true minus sign, as Plotly; words in "unit" mode), which set the right margin.
  const { zmin, zmax } = zrange;
  const barLabels = barLabelsOf(zmin, zmax, scaleMode, h, f, measureTick);
  const barW = Math.round(f * BAR_EM);
  const side = scaleMode === "unit" ? Math.ceil(f * 1.3) : 0; // the rotated "each row's own range"
  const right = BAR_GAP + barW + 4 + widest(barLabels.map((b) => b.text), measureTick) + 4 + side;

  // Row labels: every n-th row, and always the selected, pinned and named units' (moved off their row
  // with a leader line when their neighbours' labels took the spot), none overlapping.
  const rowPx = h / Math.max(units.length, 1);
  const every = rowStep(rowPx, f);
  const pins = new Set(pinned ?? []);
  const maxLabelPx = Math.max(f * 3, Math.min(f * ROW_LABEL_MAX_EM, width * ROW_LABEL_MAX_SHARE));
  const centre = (r) => y0 + (r + 0.5) * rowPx;
  const special = [];
  const plain = [];
  units.forEach((unit, r) => {
    const priority = unit === selectedUnit ? 0 : pins.has(unit) ? 1 : names?.has(unit) ? 2 : 3;
    if (priority < 3) special.push({ r, y: centre(r), priority });
    else if (r % every === 0) plain.push({ r, y: centre(r) });
  });
  const sep = every === 1 ? Math.min(ROW_LABEL_SPACING_EM * f, rowPx) : ROW_LABEL_SPACING_EM * f;
  const placed = placeRowLabels(special, plain, sep, Math.max(y0, sep / 2), y0 + h);
  const rowLabels = placed.map(({ r, y, want }) => {
    const unit = units[r];
    const selected = unit === selectedUnit;
    const weight = selected ? 700 : 400;
    const fit = (s) => measure(s, font(f, weight));
    const label = rowLabelText(unit, { name: names?.get(unit) ?? null, selected, pinned: pins.has(unit) },
      maxLabelPx, fit);
    return { row: r, unit, text: label, y, want, weight, w: fit(label) };
  });
  const moved = rowLabels.some((l) => Math.abs(l.y - l.want) > 0.5);
  const gutter = GAP + (moved ? LEADER_PX : 0);
  let left = Math.ceil(f * 1.3 + GAP + rowLabels.reduce((w, l) => Math.max(w, l.w), 0) + gutter);
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
  const barX = x1 + BAR_GAP;
  items.push({ kind: "colorbar", x: barX, y: y0, w: barW, h, stops });
  for (const { v, text: s } of barLabels) {
    const y = y0 + h * (1 - (v - zmin) / (zmax - zmin || 1));
    items.push(text(s, barX + barW + 4, y, f, { color }));
  }
  if (side) {
    const x = barX + barW + 4 + widest(barLabels.map((b) => b.text), measureTick) + 4 + side / 2;
    items.push(text(fitText(UNIT_BAR_WORDS.side, h, measureTick), x, y0 + h / 2, f,
      { align: "middle", angle: -90, color }));
  }
  for (const label of rowLabels) {
    items.push(text(label.text, x0 - gutter, label.y, f, { align: "end", weight: label.weight, color }));
    if (Math.abs(label.y - label.want) > 0.5) {
      items.push({ kind: "line", x1: x0 - gutter + 2, y1: label.y, x2: x0 - 1, y2: label.want, color: LEADER_COLOR });
    }
  }
  items.push(text("unit", f * 0.65 + 2, y0 + h / 2, f, { align: "middle", angle: -90, color }));
  for (const tick of ticks) {
    const x = x0 + (tick.t - t0 + 0.5) * colW;
    items.push(tickangle === 0
      ? text(tick.text, x, y1 + GAP + f * 0.6, f, { align: "middle", color })
      : text(tick.text, x, y1 + GAP, f, { align: "end", angle: tickangle, color }));
  }

  // A legend (exports only) gets a band of its own under the drawing.
  if (legend) {
    const size = Math.max(TICK_MIN_PX - 3, Math.round(f * LEGEND_EM));
    const lines = wrapText(legend, width - 16, (s) => measure(s, font(size)));
    lines.forEach((line, k) => items.push(text(line, 8, total + size * (0.9 + 1.3 * k), size, { color })));
    total += Math.ceil(size * (0.5 + 1.3 * lines.length));
  }

  const scene = {
    width, height: total, plot, t0, t1, rows: units.length, items, ticks,
    rowLabels: rowLabels.map(({ row, unit, text: s }) => ({ row, unit, text: s })),
  };
  const outlined = columnBox(scene, step);
  if (outlined) items.push({ kind: "outline", x: outlined.x, y: y0, w: outlined.w, h, color: SELECTED_STROKE });
  const frame = frameUnit ? rowFrame(scene, units.indexOf(selectedUnit)) : null;
  if (frame) items.push({ kind: "outline", ...frame, color: SELECTED_STROKE });
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

/** Row `row`'s box in CSS px of the drawing ({x, y, w, h}), or null when there is no such row. */
export function rowBox(layout, row) {
  if (!(row >= 0 && row < layout.rows)) return null;
  const { plot } = layout;
  const rowH = plot.h / layout.rows;
  return { x: plot.x, y: plot.y + row * rowH, w: plot.w, h: rowH };
}

/** The frame drawn around a selected row: a 2 px line just outside its box, so the row's own colours
 *  stay whole. null when there is no such row. */
export function rowFrame(layout, row) {
  const box = rowBox(layout, row);
  return box && { x: box.x - 1, y: box.y - 1, w: box.w + 2, h: box.h + 2 };
}

/**
 * How many rows of at least minRowPx fit in a panel's plot area of a drawing `height` px tall, before
 * its tokens are known: the token labels are assumed to take their largest band (LABEL_SHARE of the
 * height), so the estimate errs on the side of taller rows. At least 1.
 */
export function rowCapacityOf(height, fontPx, minRowPx = 6) {
  const h = height - Math.ceil(fontPx * 0.6) - Math.ceil(height * LABEL_SHARE + GAP + 4);
  return Math.max(1, Math.floor(h / minRowPx));
}
