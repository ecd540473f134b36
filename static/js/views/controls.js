// The bars above the heatmaps: which view, how units are ordered, how many are shown, which are
// pinned, and the span search. A view: render(state) updates it, bind(event, handler) reports choices.
// Tokens are numbered for people from 1 (core/tokens.js tokenPlace), the spans it is given count from 0.
// The views and the orders' words are the model's cell's (its /api/models cell_spec).
import { SCALE_MODES } from "../core/color_ranges.js";
import { spanHint, spanLabel, spanResultTitle } from "../core/tokens.js";
import { ORDER_KEYS, orderLabels, viewsOf } from "../core/views.js";
import { createEvents, el } from "./dom.js";

// "fit" (null in the state): as many as can be read, the named ones first (main.js unitOrder).
const TOP_N = [["fit", "as many as fit"], ["all", "all units"], ["8", "top 8"], ["16", "top 16"], ["32", "top 32"],
  ["64", "top 64"]];

function option(value, label) {
  const opt = el("option", null, label);
  opt.value = value;
  return opt;
}

function button(label, className, data = {}) {
  const b = el("button", className, label);
  b.type = "button";
  Object.assign(b.dataset, data);
  return b;
}

// Colour ranges of the signed heatmaps (color_ranges.js), in words.
const SCALE_LABELS = { unit: "each unit its own range", robust: "robust (99th percentile)", shared: "one range" };

/**
 * parts: {views, order, topN, scale, pins, span, spanResults}. Events: "view" (key), "order" (key), "scale"
 * (color_ranges.js mode), "top-n" (n | "all" | null for as many as fit), "unpin" (unit), "find-span" (),
 * "clear-span" (), "select-unit" (unit), "span-mode" (on: boolean, from the "Select a span" toggle).
 * setSpanMode({on, phase, start}) shows span mode's state (tokens.js's "span-mode" event, whose object it
 * takes as is): the toggle pressed and what to tap next.
 */
export function createControls(parts) {
  const { emit, bind } = createEvents(["view", "order", "scale", "top-n", "unpin", "find-span", "clear-span",
    "select-unit", "span-mode"]);

  // The buttons of the cell's views and the orders' words, rebuilt when another cell's differ.
  let offered = "";
  function cellControls(cell) {
    const labels = orderLabels(cell);
    const now = JSON.stringify([viewsOf(cell), labels]);
    if (now === offered) return;
    offered = now;
    parts.views.replaceChildren(...viewsOf(cell).map((view) => button(view.label, "view-button", { view: view.id })));
    parts.order.replaceChildren(...ORDER_KEYS.map((key) => option(key, labels[key])));
  }
  parts.scale.replaceChildren(...SCALE_MODES.map((key) => option(key, SCALE_LABELS[key])));
  parts.topN.replaceChildren(...TOP_N.map(([value, label]) => option(value, label)));

  parts.views.addEventListener("click", (event) => {
    const b = event.target.closest("button[data-view]");
    if (b) emit("view", b.dataset.view);
  });
  parts.order.addEventListener("change", () => emit("order", parts.order.value));
  parts.scale.addEventListener("change", () => emit("scale", parts.scale.value));
  parts.topN.addEventListener("change", () => {
    const { value } = parts.topN;
    emit("top-n", value === "fit" ? null : value === "all" ? "all" : Number(value));
  });
  parts.pins.addEventListener("click", (event) => {
    const b = event.target.closest("button[data-unit]");
    if (b) emit("unpin", Number(b.dataset.unit));
  });
  parts.span.addEventListener("click", (event) => {
    const b = event.target.closest("button[data-action]");
    if (!b) return;
    if (b.dataset.action === "span-mode") emit("span-mode", b.getAttribute("aria-pressed") !== "true");
    else emit(b.dataset.action, null);
  });
  parts.spanResults.addEventListener("click", (event) => {
    const b = event.target.closest("button[data-unit]");
    if (b) emit("select-unit", Number(b.dataset.unit));
  });

  let mode = { phase: null, start: null }; // span mode, as tokens.js last reported it
  let lastSpan = { span: null, tokens: [], results: null }; // what the span bar shows, for setSpanMode
  // The bar's words and buttons are redrawn; the toggle after them stays, so that it keeps the focus.
  const content = el("span", "span-content");
  content.setAttribute("aria-live", "polite"); // what to tap next, for a screen reader
  const toggle = button("Select a span", "small-button span-mode-button", { action: "span-mode" });
  parts.span.replaceChildren(content, toggle);
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
      const said = el("span", hint === null ? "span-label" : picking ? "span-hint span-next" : "span-hint", words);
      content.replaceChildren(said, ...(hint === null ? [button("Find units", "small-button", { action: "find-span" }),
        button("Clear", "small-button", { action: "clear-span" })] : []));
    }
    if (!span || !results) {
      parts.spanResults.replaceChildren();
      return;
    }
    const items = results.map(({ unit, score, inside, outside }) => {
      const li = el("li");
      const b = button(`unit ${unit}`, "unit-chip", { unit: String(unit) });
      b.title = spanResultTitle({ inside, outside }, span);
      li.append(b, document.createTextNode(` score ${score.toFixed(3)}`));
      return li;
    });
    parts.spanResults.replaceChildren(...items);
  }

  return {
    /** cell: the model's cell spec, whose views the buttons offer; view: the one shown (of its views). */
    render({ view, order, topN, scale, pinned, span, tokens, spanResults, cell }) {
      cellControls(cell);
      for (const b of parts.views.querySelectorAll("button[data-view]")) {
        b.setAttribute("aria-pressed", String(b.dataset.view === view));
      }
      parts.order.value = order;
      parts.order.querySelector('option[value="span"]').disabled = !span;
      parts.topN.value = topN === null ? "fit" : String(topN);
      parts.scale.value = scale;
      const chips = pinned.map((unit) => button(`unit ${unit} ×`, "unit-chip pinned", { unit: String(unit) }));
      parts.pins.replaceChildren(...(chips.length ? chips : [document.createTextNode("none (pin a unit from its detail)")]));
      renderSpan(span, tokens, spanResults);
    },
    /** The view buttons and the orders' words of a model's cell (its spec), before its first render. */
    showCell: cellControls,
    /** Span mode's state, as tokens.js's "span-mode" event reports it: {on, phase, start}. */
    setSpanMode({ on = false, phase = null, start = null } = {}) {
      const next = on ? { phase: phase ?? "first", start } : { phase: null, start: null };
      if (next.phase === mode.phase && next.start === mode.start) return;
      mode = next;
      renderSpan(lastSpan.span, lastSpan.tokens, lastSpan.results);
    },
    bind,
  };
}
