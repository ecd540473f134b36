// The unit detail's tinted text: the text itself, each token's background coloured by one of the
// unit's quantities (Karpathy's "cell that fires inside quotes" view), with a menu to pick which, a
// legend of the colour scale and a readout of the hovered or selected token. Created once, updated
// on render. Text goes in through textContent only.
import {
  DIVERGING, VIRIDIS, cssGradient, divergingColor, maxAbsOf, readableTextColor, sequentialColor, textSegments,
} from "../core/colors.js";
import { tokenReadout } from "../core/tokens.js";
import { recordedOf } from "../core/views.js";
import { createEvents, el } from "./dom.js";

// What the text can be tinted by: the cell's recorded quantities, its memory first, then its states and the
// rest. Gates are 0..1; tanh values (a candidate, h) -1..1; an unbounded value (an LSTM's c, an RNN's a) is
// scaled by its own largest magnitude over the text (the heatmaps round theirs up to a nice number).
const KIND = { gate: "gate", tanh: "signed", signed: "centred" };

/** {key: {label, scale}} of a cell, in the menu's order: its memory, its states, its gates (0..1) in reading
 *  order, the rest: "c cell state", "h hidden state", "f forget gate", …, "g candidate". */
export function tintsOf(cell) {
  const recorded = recordedOf(cell);
  const gates = (cell.gates ?? []).filter((q) => cell.panels[q]?.scale === "gate");
  const order = [...new Set([cell.memory, ...(cell.states ?? []), ...gates, ...recorded])]
    .filter((q) => recorded.includes(q));
  return Object.fromEntries(order.map((key) => [key, { label: `${key} ${cell.panels[key].title}`,
    scale: KIND[cell.panels[key].scale] ?? "centred" }]));
}

const READOUT_HINT = "Hover a token to read its value; click (or tap) one to select it.";

/**
 * The menu, legend, text and readout, appended to parent.
 *   update({cell, text, tokens, series, step, textQuantity}) tints the tokens of text by
 *     series[tint] (one value per token; NaN when missing), where the tint is textQuantity when the
 *     cell records it, else the one chosen last (the cell's memory at first); step is the selected
 *     token index (0-based, or null; the readout counts from 1), scrolled into view inside the text box
 *     when it changed.
 *   clear() forgets the data: the next update is like the first.
 *   bind(event, handler): "select-step" t (a click or arrow key), "text-quantity" key (the menu).
 */
export function createUnitText(parent) {
  const { emit, bind } = createEvents(["select-step", "text-quantity"]);

  const controls = el("div", "unit-text-controls");
  const selectId = `unit-tint-${Math.random().toString(36).slice(2, 8)}`;
  const selectLabel = el("label", "unit-tint-label", "Colour the text by");
  selectLabel.htmlFor = selectId;
  const select = el("select", "unit-tint");
  select.id = selectId;
  let tints = {}; // the cell's (tintsOf), the menu's options
  let tintsFor = null;
  const legend = el("span", "unit-legend");
  const legendLow = el("span", "unit-legend-end");
  const legendBar = el("span", "unit-legend-bar");
  const legendHigh = el("span", "unit-legend-end");
  legendBar.setAttribute("aria-hidden", "true");
  legend.append(legendLow, legendBar, legendHigh);
  controls.append(selectLabel, select, legend);

  const cellText = el("p", "unit-text");
  cellText.tabIndex = 0;
  cellText.setAttribute("aria-label", "The text, each token tinted by the unit's value; arrow keys move the step");
  const readout = el("p", "unit-readout");
  readout.setAttribute("aria-live", "polite");
  parent.append(controls, cellText, readout);

  let last = null; // the data of the last update
  let spans = []; // one per token, indexed by t
  let spansFor = { text: null, tokens: null };
  let tint = null;
  let tintValues = [];

  function describe(t) {
    if (!last || t === null || t === undefined || t < 0 || t >= last.tokens.length) return "";
    return tokenReadout({ t, T: last.tokens.length, text: last.tokens[t].text, tint, value: tintValues[t] });
  }

  function buildSpans(text, tokens) {
    spans = new Array(tokens.length).fill(null);
    const nodes = textSegments(text, tokens).map(({ text: part, t }) => {
      if (t === null) return document.createTextNode(part);
      const span = el("span", "unit-token", part);
      span.dataset.step = String(t);
      spans[t] = span;
      return span;
    });
    cellText.replaceChildren(...nodes);
    spansFor = { text, tokens };
  }

  function paintText() {
    const { tokens, series, step } = last;
    tintValues = series[tint] ?? tokens.map(() => Number.NaN);
    const kind = tints[tint].scale;
    const reach = kind === "centred" ? maxAbsOf(tintValues) : 1;
    const colorOf = kind === "gate" ? sequentialColor : (v) => divergingColor(v, reach);
    spans.forEach((span, t) => {
      if (!span) return;
      const background = colorOf(tintValues[t]);
      span.style.backgroundColor = background;
      span.style.color = readableTextColor(background);
      span.title = describe(t);
      span.classList.toggle("is-selected", t === step);
    });
    legendBar.style.backgroundImage = cssGradient(kind === "gate" ? VIRIDIS : DIVERGING);
    legendLow.textContent = kind === "gate" ? "0" : `−${reach.toFixed(kind === "centred" ? 2 : 0)}`;
    legendHigh.textContent = kind === "gate" ? "1" : `+${reach.toFixed(kind === "centred" ? 2 : 0)}`;
    legend.title = kind === "centred"
      ? `${tint}: blue negative, white 0, red positive, scaled to its largest |value| over the text`
      : kind === "signed" ? `${tint}: blue −1, white 0, red +1` : `${tint}: 0 dark purple … 1 yellow`;
    readout.textContent = describe(step) || READOUT_HINT;
  }

  // Keep the selected token visible inside the text box (not the page: no scrollIntoView).
  function revealStep(step) {
    const span = spans[step];
    if (!span) return;
    const top = span.offsetTop; // .unit-text is position: relative, so this is inside the box
    if (top < cellText.scrollTop || top + span.offsetHeight > cellText.scrollTop + cellText.clientHeight) {
      cellText.scrollTop = Math.max(0, top - cellText.clientHeight / 3);
    }
  }

  function update(data) {
    const previousStep = last?.step ?? null;
    last = data;
    const spec = data.cell;
    if (spec !== tintsFor) { // another model's cell: its quantities
      tintsFor = spec;
      tints = tintsOf(spec);
      select.replaceChildren(...Object.entries(tints).map(([key, { label }]) => new Option(label, key)));
    }
    if (data.textQuantity && tints[data.textQuantity]) tint = data.textQuantity;
    // Offer what the unit has, and fall back to the cell's memory.
    for (const option of select.options) option.hidden = option.disabled = !data.series[option.value];
    if (!tints[tint] || !data.series[tint]) tint = data.series[data.cell.memory] ? data.cell.memory : Object.keys(tints)[0];
    select.value = tint;
    if (data.text !== spansFor.text || data.tokens !== spansFor.tokens) buildSpans(data.text, data.tokens);
    paintText();
    if (last.step !== previousStep) revealStep(last.step);
  }

  select.addEventListener("change", () => {
    tint = select.value;
    emit("text-quantity", tint);
    if (last) paintText();
  });
  cellText.addEventListener("click", (event) => {
    const span = event.target.closest?.(".unit-token");
    if (span) emit("select-step", Number(span.dataset.step));
  });
  cellText.addEventListener("mouseover", (event) => {
    const span = event.target.closest?.(".unit-token");
    if (span) readout.textContent = describe(Number(span.dataset.step));
  });
  cellText.addEventListener("mouseleave", () => {
    if (last) readout.textContent = describe(last.step) || READOUT_HINT;
  });
  cellText.addEventListener("keydown", (event) => {
    if (!last || !last.tokens.length) return;
    const moves = { ArrowRight: 1, ArrowLeft: -1, Home: -Infinity, End: Infinity };
    if (!(event.key in moves)) return;
    event.preventDefault();
    const from = last.step ?? -1;
    const to = Math.min(last.tokens.length - 1, Math.max(0, from + moves[event.key]));
    if (to !== last.step) emit("select-step", to);
  });

  return {
    update,
    clear() {
      last = null;
    },
    bind,
  };
}
