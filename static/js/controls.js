// The bars above the heatmaps: which view, how units are ordered, how many are shown, which are
// pinned, and the span search. A view: render(state) updates it, bind(event, handler) reports choices.
// Tokens are numbered for people from 1 (tokens.js tokenPlace), the spans it is given count from 0.
import { displayToken, spanPlace, tokenPlace } from "./tokens.js";
import { SCALE_MODES } from "./color_ranges.js";
import { ORDERS, viewsFor } from "./views.js";

// "fit" (null in the state): as many as can be read, the named ones first (main.js unitOrder).
const TOP_N = [["fit", "as many as fit"], ["all", "all units"], ["8", "top 8"], ["16", "top 16"], ["32", "top 32"],
  ["64", "top 64"]];

function option(value, label) {
  const opt = document.createElement("option");
  opt.value = value;
  opt.textContent = label;
  return opt;
}

function button(label, className, data = {}) {
  const b = document.createElement("button");
  b.type = "button";
  b.className = className;
  b.textContent = label;
  Object.assign(b.dataset, data);
  return b;
}

// Colour ranges of the signed heatmaps (color_ranges.js), in words.
const SCALE_LABELS = { unit: "each unit its own range", robust: "robust (99th percentile)", shared: "one range" };
const SPAN_WORDS = 60; // characters of a span's text quoted in its label, at most

/** "Span: tokens 3–8 “due to my current job situation”" for the 0-based span {start: 2, end: 7}. */
export function spanLabel(span, tokens) {
  const words = tokens.slice(span.start, span.end + 1).map((t) => t.text).join(" ");
  const quoted = words.length > SPAN_WORDS ? `${words.slice(0, SPAN_WORDS - 3)}…` : words;
  return `Span: ${spanPlace(span)} “${quoted}”`;
}

/** What the span bar says: the span mode's next tap ({phase, start} as tokens.js's "span-mode" event
 *  reports it), else how to select a span when there is none (null when there is one). */
export function spanHint({ phase = null, start = null } = {}, span = null, tokens = []) {
  if (phase === "first") return "Span: tap the first token (tap “Select a span” again to cancel)";
  if (phase === "last") {
    const token = tokens[start] ? ` “${displayToken(tokens[start].text)}”` : "";
    const from = start === null ? "" : ` (from ${tokenPlace(start)}${token})`;
    return `Span: now tap the last token${from}`;
  }
  if (span) return null;
  return "Span: shift+click a second token, or press “Select a span” and tap two tokens; then find the units "
    + "most active inside it.";
}

/** A span result's tooltip: unit's mean h inside the span and, when it has tokens outside, outside it. */
export function spanResultTitle({ inside, outside }, span) {
  return `mean h inside ${spanPlace(span)}: ${inside.toFixed(3)}`
    + (outside === null ? "" : `, outside: ${outside.toFixed(3)}`);
}

/**
 * el: {views, order, topN, scale, pins, span, spanResults}. Events: "view" (key), "order" (key), "scale"
 * (color_ranges.js mode), "top-n" (n | "all" | null for as many as fit), "unpin" (unit), "find-span" (),
 * "clear-span" (), "select-unit" (unit), "span-mode" (on: boolean, from the "Select a span" toggle).
 * setSpanMode({on, phase, start}) shows span mode's state (tokens.js's "span-mode" event, whose object it
 * takes as is): the toggle pressed and what to tap next.
 */
export function createControls(el) {
  const handlers = {};
  const emit = (event, value) => (handlers[event] ?? []).forEach((fn) => fn(value));

  let cell = null; // whose views the buttons offer
  function viewButtons(next) {
    if (next === cell) return;
    cell = next;
    el.views.replaceChildren(...Object.entries(viewsFor(cell)).map(([key, view]) => button(view.label,
      "view-button", { view: key })));
  }
  viewButtons("lstm");
  el.order.replaceChildren(...Object.entries(ORDERS).map(([key, label]) => option(key, label)));
  el.scale.replaceChildren(...SCALE_MODES.map((key) => option(key, SCALE_LABELS[key])));
  el.topN.replaceChildren(...TOP_N.map(([value, label]) => option(value, label)));

  el.views.addEventListener("click", (event) => {
    const b = event.target.closest("button[data-view]");
    if (b) emit("view", b.dataset.view);
  });
  el.order.addEventListener("change", () => emit("order", el.order.value));
  el.scale.addEventListener("change", () => emit("scale", el.scale.value));
  el.topN.addEventListener("change", () => {
    const { value } = el.topN;
    emit("top-n", value === "fit" ? null : value === "all" ? "all" : Number(value));
  });
  el.pins.addEventListener("click", (event) => {
    const b = event.target.closest("button[data-unit]");
    if (b) emit("unpin", Number(b.dataset.unit));
  });
  el.span.addEventListener("click", (event) => {
    const b = event.target.closest("button[data-action]");
    if (!b) return;
    if (b.dataset.action === "span-mode") emit("span-mode", b.getAttribute("aria-pressed") !== "true");
    else emit(b.dataset.action, null);
  });
  el.spanResults.addEventListener("click", (event) => {
    const b = event.target.closest("button[data-unit]");
    if (b) emit("select-unit", Number(b.dataset.unit));
  });

  let mode = { phase: null, start: null }; // span mode, as tokens.js last reported it
  let lastSpan = { span: null, tokens: [], results: null }; // what the span bar shows, for setSpanMode
  // The bar's words and buttons are redrawn; the toggle after them stays, so that it keeps the focus.
  const content = document.createElement("span");
  content.className = "span-content";
  content.setAttribute("aria-live", "polite"); // what to tap next, for a screen reader
  const toggle = button("Select a span", "small-button span-mode-button", { action: "span-mode" });
  el.span.replaceChildren(content, toggle);
  let shownWords = null;

  function renderSpan(span, tokens, results) {
    lastSpan = { span, tokens, results };
    const picking = mode.phase !== null;
    toggle.setAttribute("aria-pressed", String(picking));
    toggle.title = picking ? "press again (or Esc) to cancel" : "then tap the span's first token and its last";
    const hint = spanHint(mode, span, tokens);
    const words = hint ?? spanLabel(span, tokens);
    if (words !== shownWords) { // unchanged words stay, so the live region speaks only of a change
      shownWords = words;
      const said = document.createElement("span");
      said.className = hint === null ? "span-label" : picking ? "span-hint span-next" : "span-hint";
      said.textContent = words;
      content.replaceChildren(said, ...(hint === null ? [button("Find units", "small-button", { action: "find-span" }),
        button("Clear", "small-button", { action: "clear-span" })] : []));
    }
    if (!span || !results) {
      el.spanResults.replaceChildren();
      return;
    }
    const items = results.map(({ unit, score, inside, outside }) => {
      const li = document.createElement("li");
      const b = button(`unit ${unit}`, "unit-chip", { unit: String(unit) });
      b.title = spanResultTitle({ inside, outside }, span);
      li.append(b, document.createTextNode(` score ${score.toFixed(3)}`));
      return li;
    });
    el.spanResults.replaceChildren(...items);
  }

  return {
    /** cell: the model's ("lstm" or "rnn"), whose views the buttons offer. */
    render({ view, order, topN, scale, pinned, span, tokens, spanResults, cell: modelCell = "lstm" }) {
      viewButtons(modelCell);
      for (const b of el.views.querySelectorAll("button[data-view]")) {
        b.setAttribute("aria-pressed", String(b.dataset.view === view));
      }
      el.order.value = order;
      el.order.querySelector('option[value="span"]').disabled = !span;
      el.topN.value = topN === null ? "fit" : String(topN);
      el.scale.value = scale;
      const chips = pinned.map((unit) => button(`unit ${unit} ×`, "unit-chip pinned", { unit: String(unit) }));
      el.pins.replaceChildren(...(chips.length ? chips : [document.createTextNode("none (pin a unit from its detail)")]));
      renderSpan(span, tokens, spanResults);
    },
    /** Span mode's state, as tokens.js's "span-mode" event reports it: {on, phase, start}. */
    setSpanMode({ on = false, phase = null, start = null } = {}) {
      const next = on ? { phase: phase ?? "first", start } : { phase: null, start: null };
      if (next.phase === mode.phase && next.start === mode.start) return;
      mode = next;
      renderSpan(lastSpan.span, lastSpan.tokens, lastSpan.results);
    },
    bind(event, handler) {
      (handlers[event] ??= []).push(handler);
    },
  };
}
