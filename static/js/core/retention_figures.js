// "Memory that lasts" as Plotly figures: what an LSTM still holds from step s (∏ f, or what s wrote),
// how strongly the memory at t still depends on the memory at s (‖∂m_t/∂m_s‖, one curve per model),
// and the cards' memory-span curves (accuracy against the words between cue and prediction).
// Pure: answers of /api/retention and model cards in, {data, layout} out; no DOM, no Plotly, so
// Node tests it. Every label that may come from a person or a card goes through plotlyText.
// x stays the API's 0-based step t (as /api/retention's `steps`); what a person reads numbers tokens
// from 1 ("“need”, token 14 of 20"; axis "later tokens t (4–20 of 20)").
import { DIVERGING, SEQUENTIAL, plotlyText, range, xTicks } from "./plot_axes.js";
import { tokenPlace } from "./tokens.js";

export const FONT = { family: "system-ui, -apple-system, 'Segoe UI', sans-serif", size: 15, color: "#1f2328" };
// Okabe–Ito colours, distinguishable with colour-blindness: one per kind of cell by the name its card gives
// (a lookup, never a test), a second for another model of the same kind, and a palette for kinds not listed.
export const CELL_COLORS = { lstm: "#0072b2", rnn: "#d55e00", gru: "#009e73" };
const SECOND_COLORS = { lstm: "#56b4e9", rnn: "#cc79a7", gru: "#e69f00" };
const PALETTE = ["#cc79a7", "#e69f00", "#56b4e9", "#f0e442", "#000000", "#8c959f"];
/** Short names in legends: "lesson-rnn (RNN)"; a kind not listed is named by its cell_spec's title. */
export const CELL_NAMES = { lstm: "LSTM", rnn: "RNN", gru: "GRU" };
const SHADE = "rgba(87, 96, 106, 0.13)";
const CHANCE = "#8c959f";

/** Plain words first, the maths beside them (as views.js panelTitle). */
export const TITLES = {
  span: "accuracy vs words between cue and prediction",
};

/** A model entry's (or card's) short cell name: "LSTM", "RNN"; its cell_spec title for a kind not listed. */
export function cellName(model) {
  return CELL_NAMES[model?.cell] ?? model?.cell_spec?.title ?? model?.cell ?? "";
}

/** A colour for each of a list of cells (their names), distinct while the palette lasts: a kind's own
 *  colour, its second for another model of that kind, then the palette. */
export function cellColors(cells) {
  const used = new Set();
  return cells.map((cell) => {
    const color = [CELL_COLORS[cell], SECOND_COLORS[cell], ...PALETTE].find((c) => c && !used.has(c)) ?? "#333";
    used.add(color);
    return color;
  });
}

/** The gate whose product keeps a cell's memory (f for an LSTM, z for a GRU): the gate the cell's ledger row
 *  "kept" multiplies by; null for a cell without one (a vanilla RNN). */
export function keepGate(cell) {
  const row = (cell?.ledger ?? []).find((r) => r.key === "kept");
  const ref = row?.steps.flat().find((seg) => typeof seg !== "string" && seg.ref.endsWith(".value"));
  return ref ? ref.ref.slice(0, -".value".length) : null;
}

/** The words of the kept/written heatmap for a cell with a keeping gate g: the products' symbols ("∏ f",
 *  "i_s⊙g_s·∏ f"), the titles and the toggle's labels; null for a cell without one. */
export function keepWords(cell) {
  const g = keepGate(cell);
  if (!g) return null;
  const product = `∏ ${g}`;
  const wrote = cell.panels?.written?.symbol ?? "written";
  // "i⊙g" -> "i_s⊙g_s": each gate's letter at step s.
  const atS = wrote.replace(/[A-Za-z]/g, (q) => ((cell.gates ?? []).includes(q) ? `${q}_s` : q));
  return {
    symbols: { kept: product, written: `${atS}·${product}` },
    titles: { kept: `what is still there from step s — ${product}`, written: `what step s wrote, as it survives — ${atS}·${product}` },
    toggle: { kept: `still there · ${product}`, written: `written at s · ${wrote}·${product}` },
  };
}

/** The curve chart's title for the cells on it (their cell_specs): how strongly the memory at t still depends
 *  on the memory at s, ‖∂m_t/∂m_s‖ with m each cell's memory, and for a cell whose memory is not h, its h
 *  dotted. */
export function curveTitle(cells) {
  const known = cells.filter((cell) => cell?.memory);
  const memories = [...new Set(known.map((cell) => cell.memory))];
  const norm = (m) => `‖∂${m}_t/∂${m}_s‖`;
  if (memories.length > 1) {
    const byMemory = memories.map((m) => `${norm(m)} (${[...new Set(known.filter((c) => c.memory === m)
      .map((c) => CELL_NAMES[c.name] ?? c.title))].join(", ")})`);
    return `how strongly the memory at t still depends on the memory at s — ${byMemory.join(" · ")}`;
  }
  const m = memories[0] ?? "h";
  const dotted = known.some((cell) => cell.memory !== "h") ? " (dotted: h, ‖∂h_t/∂h_s‖)" : "";
  return `how strongly the memory ${m}_t still depends on ${m}_s — ${norm(m)}${dotted}`;
}

/** "lesson (LSTM)": a model entry of /api/models as a legend names it. */
export function modelLabel(model) {
  const name = cellName(model);
  return name ? `${model.id} (${name})` : model.id;
}

function axisFont(size = 14) {
  return { ...FONT, size };
}

/** "“need”, token 14 of 20": token t (0-based) of a text of T tokens, as hovers name it (escaped). */
export function tokenName(label, t, T) {
  return `“${plotlyText(label ?? "")}”, ${tokenPlace(t, T)}`;
}

/** The x axis title over later tokens t = steps (0-based): "later tokens t (4–20 of 20)". */
export function laterTitle(steps, T) {
  if (!steps.length) return "later tokens t";
  const first = steps[0] + 1;
  const last = steps[steps.length - 1] + 1;
  return `later tokens t (${first === last ? first : `${first}–${last}`} of ${T})`;
}

function baseLayout(extra) {
  return {
    font: FONT, paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)",
    hoverlabel: { font: { size: 15 } }, ...extra,
  };
}

/**
 * The heatmap of one answer of a cell with a keeping gate (an LSTM's ∏ f, a GRU's ∏ z): units (rows) ×
 * later tokens (columns). values: {T: W, H, data} the decoded `kept` or `written` (time-major W × H);
 * steps: the answer's t = s+1..s+W; labels: every token of the text as shown (labels[t]); show "kept"
 * (0..1, sequential) or "written" (signed, diverging, symmetric around its largest |value|); unit: a unit
 * to outline, or null; cell: the model's cell_spec (for the symbols). z is H rows of W numbers: z[u][n] is
 * unit u at step steps[n].
 */
export function heatmapFigure({ values, steps, labels, show, unit = null, width = 800, cell }) {
  const { T: W, H, data } = values;
  const z = range(H).map((u) => range(W).map((n) => data[n * H + u]));
  const tokenText = steps.map((t) => tokenName(labels[t] ?? String(t), t, labels.length));
  const text = range(H).map(() => tokenText);
  let scale = { colorscale: SEQUENTIAL, zmin: 0, zmax: 1 };
  if (show === "written") {
    let m = 0;
    for (const v of data) m = Math.max(m, Math.abs(v));
    scale = { colorscale: DIVERGING, zmin: -(m || 1), zmax: m || 1 };
  }
  const symbol = keepWords(cell)?.symbols[show] ?? show;
  const ticks = xTicks(steps.map((t) => labels[t] ?? String(t)), width);
  const shapes = unit === null || unit >= H ? [] : [{
    type: "rect", xref: "paper", yref: "y", x0: 0, x1: 1, y0: unit - 0.5, y1: unit + 0.5,
    line: { color: "#111", width: 2 }, fillcolor: "rgba(0,0,0,0)", name: "selected unit",
  }];
  return {
    data: [{
      type: "heatmap", z, x: steps, y: range(H), text, ...scale,
      colorbar: { title: { text: symbol, side: "right" }, thickness: 14, tickfont: axisFont(13) },
      hovertemplate: `unit %{y} · %{text}<br>${symbol} = %{z:.4f}<extra></extra>`,
    }],
    layout: baseLayout({
      uirevision: "retention-kept",
      margin: { l: 56, r: 8, t: 8, b: 8 },
      xaxis: { tickmode: "array", tickvals: ticks.tickvals.map((n) => steps[n]),
        ticktext: ticks.ticktext, tickangle: ticks.tickangle, automargin: true, showgrid: false,
        title: { text: laterTitle(steps, labels.length), font: axisFont() } },
      yaxis: { title: { text: "unit", font: axisFont() }, autorange: "reversed", showgrid: false,
        zeroline: false },
      shapes,
    }),
  };
}

/**
 * The curve chart: for each series {model (an /api/models entry), answer (/api/retention, json or f4),
 * labels (its text's tokens as shown)}, ‖∂m_t/∂m_s‖ over t on a log axis (m the answer's `memory`), and
 * where m is not h (an LSTM's c) its ‖∂h_t/∂h_s‖ dotted. Tick labels are the first series' tokens; hover
 * names each point's own token.
 */
export function curveFigure({ series, width = 800 }) {
  const data = [];
  const colors = cellColors(series.map(({ model, answer }) => model.cell ?? answer.cell));
  series.forEach(({ model, answer, labels }, k) => {
    const color = colors[k];
    const name = plotlyText(modelLabel(model));
    const tokens = answer.steps.map((t) => tokenName(labels[t] ?? String(t), t, labels.length));
    const memory = `‖∂${answer.memory}_t/∂${answer.memory}_s‖`;
    data.push({
      type: "scatter", mode: answer.steps.length <= 60 ? "lines+markers" : "lines", x: answer.steps,
      y: answer.memory_jacobian_norm, name: `${name}: ${memory}`, customdata: tokens,
      line: { color, width: 3 }, marker: { size: 6, color },
      hovertemplate: `${name} · %{customdata}<br>${memory} = %{y:.3g}<extra></extra>`,
    });
    if (answer.memory !== "h") {
      data.push({
        type: "scatter", mode: "lines", x: answer.steps, y: answer.jacobian_norm,
        name: `${name}: ‖∂h_t/∂h_s‖`, customdata: tokens, line: { color, width: 2, dash: "dot" },
        hovertemplate: `${name} · %{customdata}<br>‖∂h_t/∂h_s‖ = %{y:.3g}<extra></extra>`,
      });
    }
  });
  const first = series[0];
  const steps = first?.answer.steps ?? [];
  const ticks = xTicks(steps.map((t) => first.labels[t] ?? String(t)), width);
  return {
    data,
    layout: baseLayout({
      uirevision: "retention-curve",
      margin: { l: 64, r: 8, t: 8, b: 8 },
      showlegend: true,
      legend: { orientation: "h", x: 0, y: 1.02, yanchor: "bottom", font: { size: 14 } },
      xaxis: { tickmode: "array", tickvals: ticks.tickvals.map((n) => steps[n]),
        ticktext: ticks.ticktext, tickangle: ticks.tickangle, automargin: true, zeroline: false,
        title: { text: laterTitle(steps, first?.labels.length ?? 0), font: axisFont() } },
      yaxis: { type: "log", exponentformat: "power", title: { text: "norm (log scale)", font: axisFont() } },
    }),
  };
}

/** Index runs [[first, last], ...] where flags are false (outside the training range). */
export function beyondRuns(flags) {
  const runs = [];
  flags.forEach((inside, k) => {
    if (inside) return;
    const last = runs[runs.length - 1];
    if (last && last[1] === k - 1) last[1] = k;
    else runs.push([k, k]);
  });
  return runs;
}

const TASKS = [
  { key: "tense", title: "tense: “need” or “had”", axis: "x", ref: "x", y: "y" },
  { key: "cuisine", title: "cuisine", axis: "x2", ref: "x2", y: "y2" },
];
/** Narrower than this (px), the span chart's two panels stack, each as wide as the chart. */
export const SPAN_STACK_BELOW = 560;
const SPAN_HEIGHT = { side: 360, stacked: 640 };

// Curves that agree (two models at 100 %) would hide one another: each later one is thinner and dashed, drawn
// on top of the wider ones before it, so every model's curve stays visible.
const SPAN_LINES = [{ width: 7 }, { width: 3.5, dash: "dash" }, { width: 2, dash: "dot" }];

/**
 * The memory-span chart from model cards ({id, cell, evaluation: {memory_span}}): one panel per task
 * (tense, cuisine) with one curve per model (colour by cell, cellColors), accuracy against filler words; distances
 * beyond the training range shaded (from each card's `in_training_range`, which both models share);
 * chance as a dotted line. Cards without evaluation.memory_span are skipped. width (px): below
 * SPAN_STACK_BELOW the panels stack (a phone), else they sit side by side; the figure sets its height.
 */
export function spanFigure(cards, { width = 800 } = {}) {
  const stacked = width < SPAN_STACK_BELOW;
  const yOf = (task) => (stacked ? task.y : "y");
  const spans = cards.filter((card) => card?.evaluation?.memory_span);
  const colors = cellColors(spans.map((card) => card.cell));
  const data = [];
  const shapes = [];
  const annotations = [];
  TASKS.forEach((task, k) => {
    spans.forEach((card, n) => {
      const span = card.evaluation.memory_span;
      const curve = span[task.key];
      if (!curve) return;
      const color = colors[n];
      const label = plotlyText(modelLabel(card));
      data.push({
        type: "scatter", mode: "lines+markers", x: span.distances, y: curve.accuracy, xaxis: task.axis, yaxis: yOf(task),
        name: label, legendgroup: card.id, showlegend: k === 0, line: { color, ...SPAN_LINES[n % SPAN_LINES.length] },
        marker: { size: 5, color }, connectgaps: false,
        hovertemplate: `${label} · ${task.key}<br>%{x} words between: %{y:.0%}<extra></extra>`,
      });
    });
    const reference = spans.find((card) => card.evaluation.memory_span[task.key]);
    if (!reference) return;
    const span = reference.evaluation.memory_span;
    const curve = span[task.key];
    const d = span.distances;
    // A shaded run starts and ends halfway to the neighbouring measured distance (½ where there is none).
    const edge = (k, side) => (d[k + side] === undefined ? d[k] + side * 0.5 : (d[k] + d[k + side]) / 2);
    for (const [a, b] of beyondRuns(curve.in_training_range ?? [])) {
      shapes.push({ type: "rect", xref: task.ref, yref: stacked ? `${task.y} domain` : "paper", x0: edge(a, -1),
        x1: edge(b, 1), y0: 0, y1: 1, fillcolor: SHADE, line: { width: 0 }, layer: "below" });
    }
    if (Number.isFinite(curve.chance)) {
      shapes.push({ type: "line", xref: `${task.ref} domain`, yref: yOf(task), x0: 0, x1: 1, y0: curve.chance,
        y1: curve.chance, line: { color: CHANCE, width: 1.5, dash: "dot" } });
      annotations.push({ xref: `${task.ref} domain`, yref: yOf(task), x: 1, y: curve.chance, xanchor: "right",
        yanchor: "bottom", text: "chance", showarrow: false, font: { size: 12, color: CHANCE } });
    }
    // A card is a file anyone can write: only numbers reach the annotation's markup.
    const [lo, hi] = Array.isArray(curve.training_range) ? curve.training_range : [];
    const trained = Number.isFinite(lo) && Number.isFinite(hi)
      ? ` · trained on ${lo}–${hi}${stacked ? "" : " words"}` : "";
    annotations.push({ xref: `${task.ref} domain`, yref: stacked ? `${task.y} domain` : "paper", x: 0.5, y: 1,
      yanchor: "bottom",
      text: `<b>${stacked ? task.key : task.title}</b>${trained}`,
      showarrow: false, font: { size: 14 } });
  });
  const far = Math.max(0, ...spans.flatMap((card) => card.evaluation.memory_span.distances ?? []));
  const xaxis = (domain) => ({ domain, title: { text: stacked ? "words between cue and target" : "words between cue and prediction", font: axisFont() },
    zeroline: false, range: [-0.5, far + 0.5] });
  const yaxis = (domain) => ({ domain, range: [0, 1.05], tickformat: ".0%",
    title: { text: "accuracy", font: axisFont() } });
  const axes = stacked
    ? { xaxis: { ...xaxis([0, 1]), anchor: "y" }, xaxis2: { ...xaxis([0, 1]), anchor: "y2" },
      yaxis: yaxis([0.6, 1]), yaxis2: { ...yaxis([0, 0.4]), anchor: "x2" } }
    : { xaxis: xaxis([0, 0.47]), xaxis2: { ...xaxis([0.53, 1]), anchor: "y" }, yaxis: yaxis([0, 1]) };
  return {
    data,
    layout: baseLayout({
      uirevision: "retention-span",
      height: SPAN_HEIGHT[stacked ? "stacked" : "side"],
      margin: { l: 64, r: 8, t: 28, b: 8 },
      showlegend: true,
      legend: { orientation: "h", x: 0, y: stacked ? -0.1 : -0.22, yanchor: "top", font: { size: 14 } },
      ...axes,
      shapes,
      annotations,
    }),
  };
}

/** The commands that produced the cards' curves, one per card that has them (as written in the card). */
export function spanCommands(cards) {
  return cards.map((card) => card?.evaluation?.memory_span?.command).filter((c) => typeof c === "string");
}
