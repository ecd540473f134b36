// "Kinds of memory" in words and as a Plotly figure: /api/components' answer (a layer's memory over the text
// factored by NMF into k components, docs/components.md) as one heatmap row per component over the tokens,
// each row labelled by its share ("1 · 31 %"), its top units as button words ("unit 21 ↓") and its peaks in
// words ("strongest at “.”, “loan”, “a”"), and one sentence for the reconstruction error. Pure: answers and
// cell specs in, strings and {data, layout} out; no DOM, no Plotly, so Node tests it. Which states a cell
// has, and which is its memory, come from its cell_spec (`states`, `memory`, `panels`): never from its name.
import { columnShape, plotlyText, range, xTicks } from "./plot_axes.js";
import { displayToken, tokenPlace } from "./tokens.js";

/** The k the panel offers, and its default (the API's too). */
export const K_CHOICES = Object.freeze([2, 3, 4, 5, 6]);
export const DEFAULT_K = 4;

const FONT = { family: "system-ui, -apple-system, 'Segoe UI', sans-serif", size: 15, color: "#1f2328" };
// Activations are ≥ 0: white (off) to dark blue (its strongest), ColorBrewer Blues (colour-blind safe).
export const STRENGTH = [[0, "#f7fbff"], [0.2, "#deebf7"], [0.4, "#9ecae1"], [0.6, "#4292c6"], [0.8, "#2171b5"],
  [1, "#08306b"]];
const ROW_PX = 38; // a row of the heatmap: its label must be readable beside it
const ARROWS = { "+": "↑", "-": "↓" };
const DIRECTIONS = { "+": "up", "-": "down" };

/** "31 %" for a fraction 0.313; "< 1 %" for a little above 0 (a rounded "0 %" would read as none). */
export function percent(x) {
  if (!Number.isFinite(x)) return "? %";
  if (x > 0 && x < 0.005) return "< 1 %";
  return `${Math.round(x * 100)} %`;
}

/** The components largest share first (the API sends them so; equal shares keep their order). */
export function ordered(components) {
  return (components ?? []).map((c, n) => [c, n]).sort((a, b) => (b[0].share - a[0].share) || (a[1] - b[1]))
    .map(([c]) => c);
}

/** The states a cell keeps between steps, its memory first: what the panel may factor. */
export function statesOf(cell) {
  const memory = cell?.memory;
  const states = cell?.states ?? (memory ? [memory] : []);
  return memory && states.includes(memory) ? [memory, ...states.filter((s) => s !== memory)] : [...states];
}

/** The quantity to factor: the chosen one when the cell has it, else the cell's memory. */
export function quantityOf(cell, chosen) {
  const states = statesOf(cell);
  return states.includes(chosen) ? chosen : (cell?.memory ?? states[0] ?? "h");
}

/** The switch's buttons for a cell with more than one state ([] otherwise): {value, text, title}, its memory
 *  first ("c · cell state", then "h · hidden state": the cell_spec's panel titles). */
export function quantityChoices(cell) {
  const states = statesOf(cell);
  if (states.length < 2) return [];
  return states.map((q) => {
    const panel = cell.panels?.[q];
    const memory = cell.memory === q;
    return {
      value: q,
      text: panel?.title ? `${q} · ${panel.title}` : q,
      title: memory ? `factor ${q}, the cell's memory` : `factor ${q}${panel?.plain ? `, its ${panel.plain}` : ""}`,
    };
  });
}

/** "the memory c" for the cell's memory, "the hidden state h" for another of its states. */
export function quantityWords(cell, q) {
  if (cell?.memory === q) return `the memory ${q}`;
  const title = cell?.panels?.[q]?.title;
  return title ? `the ${title} ${q}` : q;
}

/** A row's label: "1 · 31 %" for component j = 0 of share 0.313. */
export function rowLabel(component, j) {
  return `${j + 1} · ${percent(component.share)}`;
}

/** What a row's share means: "this pattern carries 31 % of the memory c as the patterns rebuild it". */
export function shareWords(component, { cell = null, quantity = "c" } = {}) {
  return `this pattern carries ${percent(component.share)} of ${quantityWords(cell, quantity)} as the patterns `
    + "rebuild it";
}

/** A component's top units as buttons: [{unit, text: "unit 21 ↓", title: "unit 21: this pattern pushes the
 *  memory c down (loading 0.35)"}], largest loading first (as the API sends them). */
export function unitButtons(component, { cell = null, quantity = "c" } = {}) {
  const what = quantityWords(cell, quantity);
  return (component.top_units ?? []).map(({ unit, sign, loading }) => ({
    unit,
    sign,
    text: `unit ${unit} ${ARROWS[sign] ?? sign}`,
    title: `unit ${unit}: this pattern pushes ${what} ${DIRECTIONS[sign] ?? sign}`
      + `${Number.isFinite(loading) ? ` (loading ${loading.toFixed(2)})` : ""} · click to select the unit`,
  }));
}

/** "strongest at “.”, “loan”, “a”": its peaks, strongest first, tokens as shown (␣ for a space). */
export function peaksWords(peaks) {
  const list = (peaks ?? []).map((p) => `“${displayToken(p.text ?? "")}”`);
  return list.length ? `strongest at ${list.join(", ")}` : "";
}

/** "These 4 patterns rebuild the memory c to within 16 %." (the relative error ‖X − W·H‖/‖X‖). */
export function errorSentence({ k, error, cell = null, quantity = "c" }) {
  const what = quantityWords(cell, quantity);
  const these = k === 1 ? "This 1 pattern rebuilds" : `These ${k} patterns rebuild`;
  if (!Number.isFinite(error)) return `${these} ${what}.`;
  if (error < 0.005) return `${these} ${what} almost exactly (within ${percent(error)}).`;
  return `${these} ${what} to within ${percent(error)}.`;
}

/** The server's refusal as a sentence: "The text has 3 tokens … use k ≤ 3." */
export function refusalWords(detail) {
  const text = String(detail ?? "").trim() || "the server could not split this memory";
  const first = text[0].toUpperCase() + text.slice(1);
  return /[.!?]$/.test(first) ? first : `${first}.`;
}

/** The key of a request: what the answer depends on. */
export function requestKey({ model, text, layer, quantity, k }) {
  return JSON.stringify([model, layer, quantity, k, text]);
}

/**
 * The k-row heatmap of an answer: row j (top: the largest share) is component j's activation over the tokens,
 * coloured from 0 to its own largest (each row its own range: where a pattern is strong, whatever its size;
 * the share in the row's label says how much of the memory it carries). x is the 0-based step t, labelled by
 * the tokens (labels: as shown); hover gives the token and the activation itself. step: the selected step
 * (outlined) or null. The figure sets its height: ROW_PX a row, and room for the token labels.
 */
export function componentsFigure({ answer, labels, step = null, width = 800 }) {
  const components = ordered(answer.components);
  const T = labels.length;
  const z = components.map((c) => {
    const top = Math.max(0, ...c.activation);
    return c.activation.map((v) => (top > 0 ? v / top : 0));
  });
  const names = labels.map((label, t) => `“${plotlyText(label)}”, ${tokenPlace(t, T)}`);
  const text = components.map((c, j) => c.activation.map((v, t) => `pattern ${rowLabel(c, j)} · ${names[t]}`
    + `<br>strength ${formatActivation(v)}${z[j][t] < 1 && v > 0 ? ` (${percent(z[j][t])} of its strongest)` : ""}`));
  const ticks = xTicks(labels, width);
  const labelRoom = ticks.tickangle === 0 ? 34 : Math.min(110, 14 + 8 * Math.max(0, ...labels.map((l) => l.length)));
  const shapes = step !== null && step >= 0 && step < T ? [columnShape(step, "selected")] : [];
  return {
    data: [{
      type: "heatmap", z, x: range(T), y: range(components.length), text, colorscale: STRENGTH, zmin: 0, zmax: 1,
      showscale: false, xgap: T <= 80 ? 1 : 0, ygap: 2, hovertemplate: "%{text}<extra></extra>",
    }],
    layout: {
      font: FONT, paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)", hoverlabel: { font: { size: 15 } },
      uirevision: "components",
      height: ROW_PX * components.length + labelRoom + 16,
      margin: { l: 8, r: 8, t: 8, b: 8 },
      xaxis: { tickmode: "array", tickvals: ticks.tickvals, ticktext: ticks.ticktext, tickangle: ticks.tickangle,
        automargin: true, showgrid: false, zeroline: false, range: [-0.5, T - 0.5], fixedrange: false },
      yaxis: { tickmode: "array", tickvals: range(components.length),
        ticktext: components.map((c, j) => rowLabel(c, j)), autorange: "reversed", automargin: true,
        showgrid: false, zeroline: false, fixedrange: true, tickfont: { size: 15 } },
      shapes,
    },
  };
}

/** An activation for people: 3 significant digits, no exponent for the values a memory has. */
function formatActivation(v) {
  if (!Number.isFinite(v)) return "?";
  if (v === 0) return "0";
  const a = Math.abs(v);
  return a >= 100 ? v.toFixed(0) : a >= 10 ? v.toFixed(1) : a >= 1 ? v.toFixed(2) : v.toPrecision(2);
}
