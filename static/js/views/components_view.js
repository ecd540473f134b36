// The "Kinds of memory" panel's DOM: a <details> (closed, it costs nothing: nothing is fetched or drawn) holding
// a bar (how many patterns, and for a cell with more than one state which one), a status line (the
// reconstruction in words, or the server's refusal), the k-row heatmap of the patterns over the tokens, and
// under it one line per pattern with its peaks in words and its top units as buttons. A view: it never
// fetches; components.js drives it. Text goes in through textContent only; Plotly labels come escaped from
// core/components_figures.js. plotly.js is loaded when the heatmap first draws (plotly_loader.js); if it
// cannot be, the panel says so and the lines under it still read.
import { K_CHOICES } from "../core/components_figures.js";
import { createEvents, el } from "./dom.js";
import { PLOTLY_CONFIG, loadedPlotly, plotlyNotice } from "./plotly_loader.js";

const RESIZE_DEBOUNCE_MS = 200;

/**
 * View over a <details> element. Events (bind): "toggle" (open: boolean), "k" (a number), "quantity" (a state's
 * name), "select-unit" (a unit), "select-step" (a 0-based step).
 *   isOpen(), open(): state of the <details>.
 *   controls({k, choices, quantity}): the k select and the state switch (choices [{value, text, title}], none
 *     hides it).
 *   status(text, {refused}): the line under the bar; `refused` marks it as the server's refusal.
 *   chart(build): build(width) -> {data, layout}, or null to hide the heatmap; a promise settled (never rejected)
 *     once it is drawn or cannot be; a newer chart() supersedes an older one.
 *   list(rows): one line per pattern, rows [{label, title, peaks, units: [{unit, text, title}]}] ([]: none).
 *   selectUnit(unit): mark that unit's buttons as the page's selected unit.
 */
export function createComponentsView(details) {
  const { emit, bind } = createEvents(["toggle", "k", "quantity", "select-unit", "select-step"]);
  const body = el("div", "components-body", undefined, details);
  const bar = el("div", "components-bar", undefined, body);
  const kLabel = el("label", "components-k-label", "Patterns ", bar);
  const kSelect = el("select", "components-k", undefined, kLabel);
  kSelect.setAttribute("aria-label", "How many patterns (k)");
  for (const k of K_CHOICES) el("option", null, String(k), kSelect).value = String(k);
  kSelect.addEventListener("change", () => emit("k", Number(kSelect.value)));
  const switcher = el("div", "views components-quantity", undefined, bar);
  switcher.setAttribute("role", "group");
  switcher.setAttribute("aria-label", "Which state to split");
  const statusLine = el("p", "components-status", undefined, body);
  statusLine.setAttribute("role", "status");
  const notice = plotlyNotice(() => paint());
  body.append(notice.element);
  const plot = el("div", "components-plot", undefined, body);
  const key = el("p", "note components-key", "Each row is one pattern of units, numbered largest share first; "
    + "dark where it is strong (each row from white, off, to its own strongest). Click a column to select that "
    + "token.", body);
  const items = el("ol", "components-list", undefined, body);
  items.setAttribute("aria-label", "The patterns: where each is strongest, and its main units");
  let build = null;
  let drawing = 0;
  let bound = false;
  let selectedUnit = null;
  let choicesKey = "";

  async function paint() {
    const mine = ++drawing;
    const fig = build ? build(plot.clientWidth || 600) : null;
    plot.hidden = !fig || notice.failed;
    key.hidden = plot.hidden;
    if (!fig) {
      if (plot.data) loadedPlotly()?.purge(plot);
      return;
    }
    let Plotly = loadedPlotly();
    if (!Plotly) {
      Plotly = await notice.plotly({ charts: 1 });
      if (!Plotly) {
        plot.hidden = true;
        key.hidden = true;
        return;
      }
      if (mine !== drawing) return; // a newer chart has it
      notice.hide();
      plot.hidden = false;
      key.hidden = false;
    }
    await Plotly.react(plot, fig.data, fig.layout, PLOTLY_CONFIG);
    if (!bound && plot.on) { // Plotly gives the div `.on` when it first draws it
      bound = true;
      plot.on("plotly_click", (event) => {
        const t = event.points?.[0]?.x;
        if (Number.isInteger(t)) emit("select-step", t);
      });
    }
  }

  details.addEventListener("toggle", () => emit("toggle", details.open));
  items.addEventListener("click", (event) => {
    const b = event.target.closest("button[data-unit]");
    if (b) emit("select-unit", Number(b.dataset.unit));
  });

  // Plotly follows the width itself (responsive); how many token labels fit is ours to redo.
  let resizeTimer = 0;
  window.addEventListener("resize", () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => {
      if (details.open && build && plot.data && loadedPlotly()) paint();
    }, RESIZE_DEBOUNCE_MS);
  });

  function markUnits() {
    for (const b of items.querySelectorAll("button[data-unit]")) {
      b.setAttribute("aria-pressed", String(Number(b.dataset.unit) === selectedUnit));
    }
  }

  return {
    bind,
    isOpen: () => details.open,
    open() {
      details.open = true;
    },
    controls({ k, choices, quantity }) {
      kSelect.value = String(k);
      const now = JSON.stringify(choices);
      if (now !== choicesKey) {
        choicesKey = now;
        switcher.replaceChildren();
        for (const choice of choices) {
          const b = el("button", "view-button", choice.text, switcher);
          b.type = "button";
          b.title = choice.title;
          b.dataset.quantity = choice.value;
          b.addEventListener("click", () => emit("quantity", choice.value));
        }
      }
      switcher.hidden = !choices.length;
      for (const b of switcher.querySelectorAll("button")) {
        b.setAttribute("aria-pressed", String(b.dataset.quantity === quantity));
      }
    },
    status(text, { refused = false } = {}) {
      statusLine.textContent = text;
      statusLine.classList.toggle("components-refused", refused);
    },
    chart(next) {
      build = next;
      return paint();
    },
    list(rows) {
      items.replaceChildren();
      for (const row of rows) {
        const li = el("li", "components-item", undefined, items);
        el("span", "components-label", row.label, li).title = row.title ?? "";
        el("span", "components-peaks", row.peaks, li);
        const units = el("span", "components-units", undefined, li);
        units.setAttribute("role", "group");
        units.setAttribute("aria-label", `Main units of pattern ${row.label}`);
        for (const u of row.units) {
          const b = el("button", "small-button components-unit", u.text, units);
          b.type = "button";
          b.title = u.title;
          b.dataset.unit = String(u.unit);
          b.dataset.sign = u.sign;
        }
      }
      markUnits();
    },
    selectUnit(unit) {
      selectedUnit = unit;
      markUnits();
    },
  };
}
