// The "Gates at their limits" panel's DOM: a <details> (closed, it costs nothing: nothing is fetched or
// drawn) holding small multiples, one row per gate and one column per model (the training snapshots, then the
// finished model), each a Plotly scatter of the units (core/saturation_figures.js builds them), with the
// counts in words under each plot and a short explanation with the command that counts over the corpus.
// A view: it never fetches; saturation.js drives it. Text goes in through textContent only.
import { createEvents, el } from "./dom.js";
import { PLOTLY_CONFIG, loadedPlotly, plotlyNotice } from "./plotly_loader.js";

const RESIZE_DEBOUNCE_MS = 200;

/**
 * View over a <details> element. Events (bind): "toggle" (open: boolean), "select-unit" (a unit whose dot
 * was clicked).
 *   isOpen(), open(): state of the <details>.
 *   status(text): the line under the heading. note(text): what stands instead of the charts, or beside them
 *     (a vanilla RNN's note, a model that could not be counted).
 *   grid({columns, rows, count(row, column), build(row, column)}) draws the small multiples: columns
 *     [{id, label, current}], rows [{gate, title, plain}]; count gives the words under a plot ([{kind
 *     ("open", "closed", "neither": the dots' colours), text}]), build a function width -> {data, layout}.
 *     Returns a promise settled (never rejected) when every plot is drawn or cannot be (plotly.js is loaded
 *     on the first draw). grid(null) removes the charts.
 *   explain(lines, command): the paragraphs under the charts and the shell line; explain([]) hides them.
 */
export function createSaturationView(details) {
  const { emit, bind } = createEvents(["toggle", "select-unit"]);
  const body = el("div", "saturation-body", undefined, details);
  const statusLine = el("p", "saturation-status", undefined, body);
  statusLine.setAttribute("role", "status");
  const notice = plotlyNotice(() => paintAll());
  body.append(notice.element);
  const noteLine = el("p", "note saturation-note", undefined, body);
  noteLine.setAttribute("role", "status");
  const grid = el("div", "saturation-grid", undefined, body);
  const explainBox = el("div", "saturation-explain", undefined, body);
  let slots = []; // [{plot, build, drawing}]
  let shape = ""; // the rows and columns the DOM holds now

  async function paint(item) {
    const drawing = ++item.drawing;
    let Plotly = loadedPlotly();
    if (!Plotly) {
      Plotly = await notice.plotly({ charts: 2 });
      if (!Plotly) {
        grid.hidden = true;
        return;
      }
      if (drawing !== item.drawing || !item.plot.isConnected) return; // a newer draw has it
      notice.hide();
      grid.hidden = false;
    }
    const fig = item.build(item.plot.clientWidth || 260);
    await Plotly.react(item.plot, fig.data, fig.layout, PLOTLY_CONFIG);
    if (!item.plot.dataset.bound) {
      item.plot.dataset.bound = "1";
      item.plot.on("plotly_click", (event) => {
        const unit = event?.points?.[0]?.customdata;
        if (Number.isInteger(unit)) emit("select-unit", unit);
      });
    }
  }

  function paintAll() {
    return Promise.all(slots.map(paint));
  }

  function purge() {
    const Plotly = loadedPlotly();
    for (const slot of slots) if (Plotly && slot.plot.data) Plotly.purge(slot.plot);
    slots = [];
    shape = "";
    grid.replaceChildren();
  }

  function build({ columns, rows }) {
    purge();
    shape = JSON.stringify([columns.map((c) => [c.id, c.label, c.current]), rows.map((r) => r.gate)]);
    for (const row of rows) {
      const section = el("section", "saturation-row", undefined, grid);
      section.dataset.gate = row.gate;
      const heading = el("h3", "saturation-row-title", row.title, section);
      if (row.plain) el("span", "saturation-row-plain", ` · ${row.plain}`, heading);
      const list = el("div", "saturation-cells", undefined, section);
      list.dataset.columns = String(columns.length);
      list.style.setProperty("--columns", String(columns.length));
      for (const column of columns) {
        const root = el("figure", "saturation-cell", undefined, list);
        root.classList.toggle("saturation-current", column.current);
        root.dataset.model = column.id;
        root.dataset.gate = row.gate;
        const caption = el("figcaption", "saturation-cell-title", column.label, root);
        if (column.current) el("span", "saturation-on-screen", "on screen", caption);
        const plot = el("div", "saturation-plot", undefined, root);
        plot.dataset.model = column.id;
        plot.dataset.gate = row.gate;
        const counts = el("p", "saturation-counts", undefined, root); // the counts under it, by kind of dot
        slots.push({ row, column, plot, counts, build: null, drawing: 0 });
      }
    }
  }

  details.addEventListener("toggle", () => emit("toggle", details.open));

  // Plotly follows the width itself (responsive); the plots' height follows their width: ours to redo.
  let resizeTimer = 0;
  window.addEventListener("resize", () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => {
      if (details.open && loadedPlotly() && slots.some((c) => c.plot.data)) paintAll();
    }, RESIZE_DEBOUNCE_MS);
  });

  return {
    bind,
    isOpen: () => details.open,
    open() {
      details.open = true;
    },
    status(text) {
      statusLine.textContent = text;
    },
    note(text) {
      noteLine.textContent = text;
      noteLine.hidden = !text;
    },
    grid(spec) {
      if (!spec) {
        purge();
        return Promise.resolve();
      }
      const next = JSON.stringify([spec.columns.map((c) => [c.id, c.label, c.current]), spec.rows.map((r) => r.gate)]);
      if (next !== shape) build(spec);
      for (const slot of slots) { // the same rows and columns, asked anew (a new text): this draw's objects
        slot.row = spec.rows.find((r) => r.gate === slot.row.gate);
        slot.column = spec.columns.find((c) => c.id === slot.column.id);
        slot.counts.replaceChildren();
        for (const part of spec.count(slot.row, slot.column)) {
          el("span", `saturation-count saturation-count-${part.kind}`, part.text, slot.counts);
        }
        slot.build = spec.build(slot.row, slot.column);
      }
      return paintAll();
    },
    explain(lines, command = "") {
      explainBox.replaceChildren();
      explainBox.hidden = !lines.length;
      for (const line of lines) el("p", "saturation-explain-line", line, explainBox);
      if (command) el("code", "saturation-command", command, explainBox);
    },
  };
}
