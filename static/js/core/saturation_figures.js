// "Gates at their limits" (Karpathy, Johnson & Fei-Fei 2015, fig. 3): for each gate of one layer, how often
// each unit's gate is shut (below 0.1) or wide open (above 0.9) over the text on screen, for the model on
// screen and, when it has them, its training snapshots (lesson-step0, lesson-step100, …) in step order.
// Pure: /api/models entries and /api/saturation answers in, the panel's plan, words and {data, layout}
// figures out; no DOM, no Plotly, so Node tests it. The gates and their titles come from the answers
// (app/analysis/saturation.py picks them from the cell spec): no cell is named here.
import { checkpointsOf } from "./checkpoints.js";
import { plotlyText } from "./plot_axes.js";
import { FONT, keepGate } from "./retention_figures.js";

/** Okabe–Ito colours: mostly open, mostly closed, neither (the dots), and the selected unit's outline. */
export const COLORS = Object.freeze({ open: "#0072b2", closed: "#d55e00", neither: "#8c959f", selected: "#111" });
const OPEN_SHADE = "rgba(0, 114, 178, 0.09)";
const CLOSED_SHADE = "rgba(213, 94, 0, 0.09)";
/** What a column of the finished model is called beside its snapshots. */
export const TRAINED = "trained";
/** /api/saturation's default threshold: closed below it, open above 1 − it. */
export const THRESHOLD = 0.1;
const SNAPSHOT = /^(.*)-step\d+$/;

/** An integer with thousands separators (as checkpoints.js writes steps). */
function grouped(n) {
  return String(n).replace(/\B(?=(\d{3})+$)/g, ",");
}

/**
 * The columns for the model on screen (`id`) among the served `models` (/api/models entries): its training
 * snapshots in step order, then the finished model, when the model is one of them (core/checkpoints.js);
 * else the model alone. Each {id, label ("step 100", "trained"; the model's id when it stands alone), step,
 * final, current (the model on screen)}.
 */
export function columnsOf(models, id) {
  const list = Array.isArray(models) ? models : models?.models ?? [];
  const base = SNAPSHOT.exec(id)?.[1] ?? id;
  const checkpoints = checkpointsOf(list, base);
  if (checkpoints.length < 2 || !checkpoints.some((c) => c.id === id)) {
    return [{ id, label: id, step: null, final: true, current: true }];
  }
  return checkpoints.map((c) => ({
    id: c.id, label: c.final ? TRAINED : `step ${grouped(c.step)}`, step: c.step, final: c.final, current: c.id === id,
  }));
}

/**
 * What the panel asks for: input {shown (main.js's holding: model, text, tokens), layer, unit} and the served
 * models. Returns {message} when there is nothing to ask (no text), else {text, unit, numTokens, columns:
 * [{...columnsOf's, model (its /api/models entry), layer (clamped to its layers), key}]}; a key changes with
 * what is asked (model and version, layer, text).
 */
export function plan(input, models) {
  const shown = input?.shown;
  if (!shown?.model) return { message: "Type some text above: this panel counts its gates over that text." };
  if (!shown.tokens?.length) return { message: "Type some text above: it has no tokens yet." };
  const byId = new Map((Array.isArray(models) ? models : []).map((m) => [m.id, m]));
  const columns = columnsOf(byId.size ? [...byId.values()] : [shown.model], shown.model.id)
    .map((c) => {
      const model = c.current ? shown.model : byId.get(c.id);
      const layer = Math.max(0, Math.min(input.layer ?? 0, (model.num_layers ?? 1) - 1));
      return { ...c, model, layer, key: [model.id, model.version ?? "", layer, shown.text].join("\u0000") };
    });
  return { text: shown.text, unit: input.unit ?? null, numTokens: shown.tokens.length, columns };
}

/**
 * The gate rows: the gates of the answers (in the order the first answer with gates gives them, any other's
 * after), each {gate (its key in `gates`), title ("forget gate"), symbol ("f")}. Empty for a cell without
 * gates (a vanilla RNN answers `gates: {}`).
 */
export function gateRows(answers) {
  const rows = new Map();
  for (const answer of answers) {
    for (const [gate, g] of Object.entries(answer?.gates ?? {})) {
      if (!rows.has(gate)) rows.set(gate, { gate, title: g.title ?? gate, symbol: g.symbol ?? gate });
    }
  }
  return [...rows.values()];
}

/** A row's heading: "forget gate f", and what the gate decides when the model's cell spec says ("what is kept"). */
export function rowTitle(row, cell = null) {
  const plain = cell?.panels?.[row.gate]?.plain;
  return { title: `${row.title} ${row.symbol}`, plain: plain ?? "" };
}

/** Unit u's steps closed and open out of T: the answer's fractions × num_steps, rounded. */
export function unitCounts(gate, u, T) {
  return { closed: Math.round(gate.left[u] * T), open: Math.round(gate.right[u] * T) };
}

/** What hovering unit u says: "unit 47: closed on 3 of 19 steps, open on 12". */
export function hoverText(gate, u, T) {
  const { closed, open } = unitCounts(gate, u, T);
  return `unit ${u}: closed on ${closed} of ${T} step${T === 1 ? "" : "s"}, open on ${open}`;
}

/** Whether a unit is mostly open, mostly closed, or neither (more than `mostly` of the steps: the API's 0.5). */
export function kindOf(gate, u, mostly = 0.5) {
  if (gate.right[u] > mostly) return "open";
  if (gate.left[u] > mostly) return "closed";
  return "neither";
}

/** A gate's counts in words, from the answer, each with the kind of dot it counts (its colour): [{kind: "open",
 *  text: "48 of 64 mostly open"}, {kind: "closed", text: "0 mostly closed"}, {kind: "neither", …}]. */
export function countsParts(gate) {
  const H = gate.left.length;
  return [
    { kind: "open", text: `${gate.mostly_right} of ${H} mostly open` },
    { kind: "closed", text: `${gate.mostly_left} mostly closed` },
    { kind: "neither", text: `${gate.neither} neither` },
  ];
}

/** A gate's counts in one line: "48 of 64 mostly open · 0 mostly closed · 16 neither". */
export function countsWords(gate) {
  return countsParts(gate).map((part) => part.text).join(" · ");
}

/**
 * One small plot: the units of one gate of one answer. x = the fraction of steps closed, y = the fraction
 * open, one dot per unit coloured by kind, the selected `unit` drawn on top, larger and outlined, with its
 * number beside it; the diagonal x + y = 1 (no unit passes it) dashed; the "mostly" regions shaded. Each dot's
 * customdata is its unit (a click selects it). width: the plot's width in px (its height follows).
 */
export function cellFigure({ answer, gate: key, unit = null, width = 260 }) {
  const gate = answer.gates[key];
  const T = answer.num_steps;
  const H = gate.left.length;
  const mostly = answer.mostly ?? 0.5;
  const { left: closedAt = THRESHOLD, right: openAt = 1 - THRESHOLD } = answer.thresholds ?? {};
  // How many units share a dot: hover names one, and says how many more are under it.
  const at = new Map();
  for (let u = 0; u < H; u++) {
    const place = `${gate.left[u]},${gate.right[u]}`;
    at.set(place, (at.get(place) ?? 0) + 1);
  }
  const units = [];
  for (let u = 0; u < H; u++) units.push(u);
  // hoverText's words on three lines, so the label fits a small plot.
  const hover = (u) => {
    const more = at.get(`${gate.left[u]},${gate.right[u]}`) - 1;
    return plotlyText(hoverText(gate, u, T)).replace(": ", ":<br>").replace(", open", ",<br>open")
      + (more ? `<br>(${more} more unit${more === 1 ? "" : "s"} here)` : "");
  };
  // Narrow plots (two a line on a phone) get shorter axis titles, smaller margins and dots.
  const compact = width < 230;
  const data = [{
    type: "scatter", mode: "markers", name: "units", x: gate.left, y: gate.right, customdata: units,
    hovertext: units.map(hover), hovertemplate: "%{hovertext}<extra></extra>",
    marker: { size: compact ? 6 : 8, color: units.map((u) => COLORS[kindOf(gate, u, mostly)]), opacity: 0.75,
      line: { color: "#fff", width: 0.5 } },
  }];
  if (unit !== null && unit < H) {
    const x = gate.left[unit];
    const y = gate.right[unit];
    data.push({
      type: "scatter", mode: "markers+text", name: "selected unit", x: [x], y: [y], customdata: [unit],
      hovertext: [hover(unit)], hovertemplate: "%{hovertext}<extra></extra>", text: [`unit ${unit}`],
      textposition: `${y > 0.8 ? "bottom" : "top"} ${x > 0.6 ? "left" : "right"}`,
      textfont: { ...FONT, size: compact ? 11 : 13, color: COLORS.selected }, cliponaxis: false,
      marker: { size: compact ? 10 : 13, color: COLORS[kindOf(gate, unit, mostly)], opacity: 1,
        line: { color: COLORS.selected, width: 2.5 } },
    });
  }
  const axis = (title) => ({
    range: [-0.05, 1.05], tickvals: [0, 0.5, 1], tickformat: ".0%", zeroline: false, fixedrange: true,
    showgrid: true, gridcolor: "rgba(0,0,0,0.06)",
    title: { text: title, font: { ...FONT, size: compact ? 12 : 13 }, standoff: 4 },
    tickfont: { ...FONT, size: compact ? 11 : 12 },
  });
  const size = Math.round(Math.min(Math.max(width, 150), 320));
  return {
    data,
    layout: {
      font: FONT, paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)",
      hoverlabel: { font: { size: 13 } }, hovermode: "closest", showlegend: false, dragmode: false,
      height: size, margin: compact ? { l: 44, r: 16, t: 6, b: 40 } : { l: 54, r: 20, t: 8, b: 44 },
      xaxis: axis(compact ? "closed" : `steps closed (< ${closedAt})`),
      yaxis: axis(compact ? "open" : `steps open (> ${openAt})`),
      shapes: [
        { type: "path", path: `M 0,${mostly} L 0,1 L ${1 - mostly},${mostly} Z`, xref: "x", yref: "y",
          fillcolor: OPEN_SHADE, line: { width: 0 }, layer: "below", name: "mostly open" },
        { type: "path", path: `M ${mostly},0 L 1,0 L ${mostly},${1 - mostly} Z`, xref: "x", yref: "y",
          fillcolor: CLOSED_SHADE, line: { width: 0 }, layer: "below", name: "mostly closed" },
        { type: "line", x0: 0, y0: 1, x1: 1, y1: 0, xref: "x", yref: "y", layer: "below", name: "x + y = 1",
          line: { color: "#8c959f", width: 1.5, dash: "dash" } },
      ],
    },
  };
}

/** The line under the heading: what the charts count, over which text, for which models. */
export function statusLine(p, { numSteps } = {}) {
  const N = numSteps ?? p.numTokens;
  const current = p.columns.find((c) => c.current);
  const layers = current.model.num_layers ?? 1;
  const layer = layers > 1 ? `, layer ${current.layer + 1} of ${layers}` : "";
  const snapshots = p.columns.length - 1;
  const steps = `Over this text's ${N} step${N === 1 ? "" : "s"}`;
  if (!snapshots) return `${steps}: ${current.id}${layer}.`;
  const final = p.columns.find((c) => c.final)?.id ?? current.id;
  return `${steps}: ${final} and ${snapshots === 1 ? "its training snapshot" : `its ${snapshots} training snapshots`}, `
    + `in training order (${current.id} on screen${layer}).`;
}

/** The shell line that counts the same over the held-out corpus (docs/saturation.md). */
export function evalCommand(p) {
  const final = p.columns.find((c) => c.final) ?? p.columns.find((c) => c.current);
  const layer = p.columns.find((c) => c.current)?.layer ?? 0;
  const flags = ["--saturation"];
  if (p.columns.length > 1) flags.push("--snapshots");
  if (layer) flags.push(`--layer ${layer}`);
  return `lstm-viz eval ${final.id} ${flags.join(" ")}`;
}

/**
 * The explanation under the charts, in plain words, as paragraphs: how to read a dot, what the cell's
 * keeping gate (its cell spec's: an LSTM's f, a GRU's z) open on most steps means, what the snapshots show,
 * and that these fractions are over this text only. cell: the model's cell_spec; numSteps: the answer's.
 */
export function explanation({ cell = null, numSteps, snapshots = 0 }) {
  const N = numSteps;
  const lines = [
    `Each dot is one unit. Across: on how many of this text's ${N} steps its gate was shut (below 0.1: almost `
      + "nothing passes). Up: on how many it was wide open (above 0.9: almost everything passes). A step cannot be "
      + "both, so no dot passes the dashed diagonal. The shaded corners hold the units that are mostly open (top "
      + "left) or mostly closed (bottom right): so on more than half the steps.",
  ];
  const g = keepGate(cell);
  if (g) {
    const title = cell.panels?.[g]?.title ?? "gate";
    const memory = cell.memory ?? "its memory";
    lines.push(`The ${title} ${g} decides what is kept. When it is wide open, the unit keeps its memory ${memory} `
      + "almost whole from one step to the next: a dot high up the left edge is a unit that remembers over long "
      + `stretches. When ${g} is shut, the unit wipes its memory at that step.`);
  }
  if (snapshots) {
    lines.push("Read each row from left to right to watch the model learn. Before training (step 0) the weights are "
      + "random and the gates sit near 0.5, so the dots gather in the bottom-left corner. As it trains, the gates "
      + `learn to saturate${g ? `: see how many ${g} units end up mostly open` : ""}.`);
  }
  lines.push(`These fractions are over this text's ${N} steps only, so a short text gives coarse steps. The same `
    + "count over the held-out corpus, for every snapshot:");
  return lines;
}
