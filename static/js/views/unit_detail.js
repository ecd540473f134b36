// One unit of one layer over the whole text: a line chart of its gates and states per token
// (unit_chart.js), and the text itself tinted by one of them (unit_text.js). This view holds the
// header with the pin button and hands both parts the unit's values; created once, updated on
// render; it never fetches or reads the URL. Text goes in through textContent only.
import { createEvents, el } from "./dom.js";
import { createUnitChart } from "./unit_chart.js";
import { createUnitText } from "./unit_text.js";

const RESIZE_DEBOUNCE_MS = 200;

/** The quantities given, as plain arrays: the same array for the same values given (typed arrays are
 *  converted once), so the chart and the text see what did not change. */
const plain = new WeakMap(); // given values -> plain array
function unitSeries(given) {
  return Object.fromEntries(Object.entries(given).filter(([, values]) => values).map(([key, values]) => {
    if (Array.isArray(values)) return [key, values];
    if (!plain.has(values)) plain.set(values, Array.from(values));
    return [key, plain.get(values)];
  }));
}

/**
 * View over a container: one unit of one layer over the text.
 *   render({cell, text, tokens, unit, layer, series, step, pinned, textQuantity})
 *     cell: the model's cell spec (/api/models cell_spec); series: the unit's value at every token (T,) per
 *     quantity (arrays or Float32Arrays); layer is 0-based and shown 1-based; step is the selected token index
 *     (or null); textQuantity the tint (the cell's memory by default).
 *   clear(message) hides the unit and shows message instead.
 *   bind(event, handler): "pin" {unit, layer, pinned}, "select-step" t, "text-quantity" key.
 */
export function createUnitDetail(container) {
  const { emit, bind } = createEvents(["pin", "select-step", "text-quantity"]);

  container.classList.add("unit-detail");
  const header = el("div", "unit-header");
  const title = el("h2", "unit-title");
  const pin = el("button", "unit-pin");
  pin.type = "button";
  header.append(title, pin);
  const hint = el("p", "unit-hint");
  const body = el("div", "unit-body");
  const chart = createUnitChart(body);
  const textView = createUnitText(body);
  container.append(header, hint, body);

  let last = null; // the data of the last render

  function render(data) {
    const wasHidden = body.hidden;
    last = { ...data, step: Number.isInteger(data.step) ? data.step : null };
    title.textContent = `Unit ${data.unit} · layer ${data.layer + 1}`;
    pin.textContent = data.pinned ? "Unpin" : "Pin to top";
    pin.classList.toggle("is-pinned", Boolean(data.pinned));
    hint.hidden = true;
    header.hidden = false;
    body.hidden = false;
    const { cell, text, tokens, step, textQuantity } = last;
    const series = unitSeries(last.series);
    textView.update({ cell, text, tokens, series, step, textQuantity });
    chart.update({ cell, tokens, series, step });
    // A chart drawn while hidden (or before a resize it missed) has a stale size.
    if (wasHidden) chart.resize();
  }

  function clear(message = "Click a unit (a heatmap row) to see it over the text.") {
    last = null;
    textView.clear();
    hint.textContent = message;
    hint.hidden = false;
    header.hidden = true;
    body.hidden = true;
  }

  pin.addEventListener("click", () => {
    if (last) emit("pin", { unit: last.unit, layer: last.layer, pinned: !last.pinned });
  });
  chart.bind("select-step", (t) => emit("select-step", t));
  textView.bind("select-step", (t) => emit("select-step", t));
  textView.bind("text-quantity", (key) => emit("text-quantity", key));

  // The chart repaints itself at a new size; how many tick labels fit is the figure's to redo.
  let resizeTimer = 0;
  window.addEventListener("resize", () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => last && !body.hidden && chart.redraw(), RESIZE_DEBOUNCE_MS);
  });

  clear();
  return {
    render,
    clear,
    bind,
  };
}
