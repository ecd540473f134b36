// The bars above the heatmaps: which view, how units are ordered, how many are shown, which are
// pinned, and the span search. A view: render(state) updates it, bind(event, handler) reports choices.
import { ORDERS, viewsFor } from "./views.js";

const TOP_N = [["all", "all units"], ["8", "top 8"], ["16", "top 16"], ["32", "top 32"], ["64", "top 64"]];

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

/**
 * el: {views, order, topN, pins, span, spanResults}. Events: "view" (key), "order" (key), "top-n" (n | null),
 * "unpin" (unit), "find-span" (), "clear-span" (), "select-unit" (unit).
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
  el.topN.replaceChildren(...TOP_N.map(([value, label]) => option(value, label)));

  el.views.addEventListener("click", (event) => {
    const b = event.target.closest("button[data-view]");
    if (b) emit("view", b.dataset.view);
  });
  el.order.addEventListener("change", () => emit("order", el.order.value));
  el.topN.addEventListener("change", () => emit("top-n", el.topN.value === "all" ? null : Number(el.topN.value)));
  el.pins.addEventListener("click", (event) => {
    const b = event.target.closest("button[data-unit]");
    if (b) emit("unpin", Number(b.dataset.unit));
  });
  el.span.addEventListener("click", (event) => {
    const b = event.target.closest("button[data-action]");
    if (b) emit(b.dataset.action, null);
  });
  el.spanResults.addEventListener("click", (event) => {
    const b = event.target.closest("button[data-unit]");
    if (b) emit("select-unit", Number(b.dataset.unit));
  });

  function renderSpan(span, tokens, results) {
    if (!span) {
      el.span.replaceChildren(document.createTextNode("Span: shift+click a second token to select a span, "
        + "then find the units most active inside it."));
      el.spanResults.replaceChildren();
      return;
    }
    const words = tokens.slice(span.start, span.end + 1).map((t) => t.text).join(" ");
    const label = document.createElement("span");
    label.className = "span-label";
    label.textContent = `Span: tokens ${span.start}–${span.end} “${words.length > 60 ? `${words.slice(0, 57)}…` : words}”`;
    el.span.replaceChildren(label, button("Find units", "small-button", { action: "find-span" }),
      button("Clear", "small-button", { action: "clear-span" }));
    if (!results) {
      el.spanResults.replaceChildren();
      return;
    }
    const items = results.map(({ unit, score, inside, outside }) => {
      const li = document.createElement("li");
      const b = button(`unit ${unit}`, "unit-chip", { unit: String(unit) });
      b.title = `h inside ${inside.toFixed(3)}` + (outside === null ? "" : `, outside ${outside.toFixed(3)}`);
      li.append(b, document.createTextNode(` score ${score.toFixed(3)}`));
      return li;
    });
    el.spanResults.replaceChildren(...items);
  }

  return {
    /** cell: the model's ("lstm" or "rnn"), whose views the buttons offer. */
    render({ view, order, topN, pinned, span, tokens, spanResults, cell: modelCell = "lstm" }) {
      viewButtons(modelCell);
      for (const b of el.views.querySelectorAll("button[data-view]")) {
        b.setAttribute("aria-pressed", String(b.dataset.view === view));
      }
      el.order.value = order;
      el.order.querySelector('option[value="span"]').disabled = !span;
      el.topN.value = topN === null ? "all" : String(topN);
      const chips = pinned.map((unit) => button(`unit ${unit} ×`, "unit-chip pinned", { unit: String(unit) }));
      el.pins.replaceChildren(...(chips.length ? chips : [document.createTextNode("none (pin a unit from its detail)")]));
      renderSpan(span, tokens, spanResults);
    },
    bind(event, handler) {
      (handlers[event] ??= []).push(handler);
    },
  };
}
