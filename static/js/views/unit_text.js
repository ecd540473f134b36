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
  let segments = []; // textSegments of the text shown, one node each (nodes)
  let nodes = [];
  let tint = null;
  let tintValues = [];
  // What the spans' colours show: the values, tint and range they were painted with, and for how many
  // tokens; a new update repaints only the tokens after what is unchanged (a keystroke's new tokens).
  let painted = { values: null, tint: null, reach: null, count: 0, copy: [] };
  let marked = null; // the token whose span is marked selected

  function describe(t) {
    if (!last || t === null || t === undefined || t < 0 || t >= last.tokens.length) return "";
    return tokenReadout({ t, T: last.tokens.length, text: last.tokens[t].text, tint, value: tintValues[t] });
  }

  /** The text's nodes, keeping those of the segments unchanged at its start (typing at the end adds a
   *  token or two: the other spans stay). Returns how many leading tokens kept their spans. */
  function buildSpans(text, tokens) {
    const next = textSegments(text, tokens);
    let k = 0;
    const n = Math.min(next.length, segments.length);
    while (k < n && next[k].text === segments[k].text && next[k].t === segments[k].t) k++;
    const made = next.slice(k).map(({ text: part, t }) => {
      if (t === null) return document.createTextNode(part);
      const span = el("span", "unit-token", part);
      span.dataset.step = String(t);
      return span;
    });
    if (k === 0) cellText.replaceChildren(...made);
    else {
      for (let j = nodes.length - 1; j >= k; j--) nodes[j].remove();
      cellText.append(...made);
    }
    nodes = nodes.slice(0, k).concat(made);
    segments = next;
    let kept = 0;
    for (let j = 0; j < k; j++) if (segments[j].t !== null) kept = segments[j].t + 1;
    spans = new Array(tokens.length).fill(null);
    segments.forEach(({ t }, j) => {
      if (t !== null) spans[t] = nodes[j];
    });
    spansFor = { text, tokens };
    if (marked !== null && marked >= kept) marked = null; // its span is new
    return kept;
  }

  /** Tint the spans from token `from` on (all of them when the tint or its range changed), and mark
   *  the selected one. */
  function paintText(from = 0) {
    const { tokens, series, step } = last;
    tintValues = series[tint] ?? tokens.map(() => Number.NaN);
    const kind = tints[tint].scale;
    const reach = kind === "centred" ? maxAbsOf(tintValues) : 1;
    let start = Math.min(from, painted.count);
    if (painted.tint !== tint || painted.reach !== reach) start = 0;
    else if (painted.values !== tintValues) { // the same tint of other values: repaint from the first that differs
      const n = Math.min(start, tintValues.length);
      let k = 0;
      while (k < n && Object.is(painted.copy[k], tintValues[k])) k++;
      start = k;
    }
    const colorOf = kind === "gate" ? sequentialColor : (v) => divergingColor(v, reach);
    for (let t = start; t < spans.length; t++) {
      const span = spans[t];
      if (!span) continue;
      const background = colorOf(tintValues[t]);
      span.style.backgroundColor = background;
      span.style.color = readableTextColor(background);
    }
    if (start === 0 || painted.values !== tintValues) painted.copy = Array.from(tintValues);
    painted = { values: tintValues, tint, reach, count: spans.length, copy: painted.copy };
    markStep(step);
    legendBar.style.backgroundImage = cssGradient(kind === "gate" ? VIRIDIS : DIVERGING);
    legendLow.textContent = kind === "gate" ? "0" : `−${reach.toFixed(kind === "centred" ? 2 : 0)}`;
    legendHigh.textContent = kind === "gate" ? "1" : `+${reach.toFixed(kind === "centred" ? 2 : 0)}`;
    legend.title = kind === "centred"
      ? `${tint}: blue negative, white 0, red positive, scaled to its largest |value| over the text`
      : kind === "signed" ? `${tint}: blue −1, white 0, red +1` : `${tint}: 0 dark purple … 1 yellow`;
  }

  /** Mark the selected token's span (and only it), and say it in the readout. */
  function markStep(step) {
    if (marked !== step) {
      if (marked !== null) spans[marked]?.classList.remove("is-selected");
      if (step !== null && step !== undefined) spans[step]?.classList.add("is-selected");
      marked = spans[step] ? step : null;
    }
    readout.textContent = describe(step) || READOUT_HINT;
  }

  // Keep the selected token visible inside the text box (not the page: no scrollIntoView). In the next
  // animation frame, which lays the page out anyway: reading a position now would force a layout of its
  // own in the middle of the page's redraw.
  let revealFrame = 0;
  function revealSoon() {
    if (!revealFrame) revealFrame = requestAnimationFrame(() => {
      revealFrame = 0;
      if (last) revealStep(last.step);
    });
  }

  function revealStep(step) {
    const span = spans[step];
    if (!span) return;
    const top = span.offsetTop; // .unit-text is position: relative, so this is inside the box
    if (top < cellText.scrollTop || top + span.offsetHeight > cellText.scrollTop + cellText.clientHeight) {
      cellText.scrollTop = Math.max(0, top - cellText.clientHeight / 3);
    }
  }

  function update(data) {
    const previous = last;
    const previousStep = last?.step ?? null;
    last = data;
    const spec = data.cell;
    if (spec !== tintsFor) { // another model's cell: its quantities
      tintsFor = spec;
      tints = tintsOf(spec);
      select.replaceChildren(...Object.entries(tints).map(([key, { label }]) => new Option(label, key)));
      painted = { values: null, tint: null, reach: null, count: 0, copy: [] };
    }
    if (data.textQuantity && tints[data.textQuantity]) tint = data.textQuantity;
    // Offer what the unit has, and fall back to the cell's memory.
    for (const option of select.options) option.hidden = option.disabled = !data.series[option.value];
    if (!tints[tint] || !data.series[tint]) tint = data.series[data.cell.memory] ? data.cell.memory : Object.keys(tints)[0];
    if (select.value !== tint) select.value = tint;
    const sameText = data.text === spansFor.text && data.tokens === spansFor.tokens;
    if (sameText && previous && data.series[tint] === painted.values && tint === painted.tint) {
      markStep(data.step); // only the step moved
    } else {
      const kept = sameText ? spans.length : buildSpans(data.text, data.tokens);
      paintText(kept);
    }
    if (last.step !== previousStep) revealSoon();
  }

  select.addEventListener("change", () => {
    tint = select.value;
    emit("text-quantity", tint);
    if (last) paintText(0);
  });
  cellText.addEventListener("click", (event) => {
    const span = event.target.closest?.(".unit-token");
    if (span) emit("select-step", Number(span.dataset.step));
  });
  cellText.addEventListener("mouseover", (event) => {
    const span = event.target.closest?.(".unit-token");
    if (!span) return;
    // The token's words, as its tooltip too: written when hovered, not for every token at every update.
    const words = describe(Number(span.dataset.step));
    readout.textContent = words;
    span.title = words;
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
      painted = { values: null, tint: null, reach: null, count: 0, copy: [] };
    },
    bind,
  };
}
