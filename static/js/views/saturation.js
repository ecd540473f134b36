// "Gates at their limits" (Karpathy, Johnson & Fei-Fei 2015, fig. 3): how often each unit's gates are shut
// (below 0.1) or wide open (above 0.9) over the text on screen, for the selected layer of the model on screen
// and, when it has training snapshots (core/checkpoints.js), of each snapshot in step order: the class sees
// the gates learn to saturate. main.js loads this module lazily (it costs nothing on the first paint).
//
// The panel is a <details>: closed, it fetches and draws nothing. Open, it asks /api/saturation once per
// column for each new (text, model, layer), a newer selection aborting the older requests; a new selected
// unit only redraws. Drawn, it marks the <details> (data-models: the columns' model ids, data-unit: the
// unit outlined, data-steps: the text's steps counted), which is what tests wait for. main.js calls
// update() with what is on screen and binds "select-unit" (a dot clicked).
import { fetchSaturation } from "../api.js";
import {
  cellFigure, countsParts, evalCommand, explanation, gateRows, plan, rowTitle, statusLine,
} from "../core/saturation_figures.js";
import { createSaturationView } from "./saturation_view.js";

/**
 * The panel over a <details> element. models(): the served models (/api/models entries), for the snapshots.
 * Returns {update({shown, layer, unit}), open(), bind(event, handler)}.
 */
export function createSaturation(details, { models = () => [] } = {}) {
  const view = createSaturationView(details);
  let input = null;
  let answers = new Map(); // key -> /api/saturation answer, for the columns on screen
  let errors = new Map(); // key -> message
  let request = null; // {controller, keys}
  let drawn = ""; // what the plots show now: the page calls update() often (every redraw), the panel need not
  let drawing = 0; // only the latest draw marks the panel drawn

  function cancel() {
    request?.controller.abort();
    request = null;
    details.setAttribute("aria-busy", "false");
  }

  function unmark() {
    delete details.dataset.models;
    delete details.dataset.unit;
    delete details.dataset.steps;
    drawn = "";
    drawing++; // a draw still waiting for plotly.js no longer marks the panel drawn
  }

  function mark(mine, p, columns, steps = null) {
    if (mine !== drawing) return;
    details.dataset.models = columns.map((c) => c.id).join(",");
    details.dataset.unit = p.unit === null ? "" : String(p.unit);
    details.dataset.steps = steps === null ? "" : String(steps); // the text's steps the fractions are over
  }

  function draw(p) {
    const now = JSON.stringify([p.columns.map((c) => c.key), p.unit, [...errors]]);
    if (now === drawn) return;
    drawn = now;
    const mine = ++drawing;
    const current = p.columns.find((c) => c.current);
    const first = answers.get(current.key) ?? p.columns.map((c) => answers.get(c.key)).find(Boolean);
    const failed = p.columns.filter((c) => errors.has(c.key)).map((c) => `${c.id}: ${errors.get(c.key)}`);
    if (!first) {
      view.status(statusLine(p));
      view.note(failed.join(" "));
      view.explain([]);
      view.grid(null).then(() => mark(mine, p, []));
      return;
    }
    view.status(statusLine(p, { numSteps: first.num_steps }));
    const held = p.columns.filter((c) => answers.has(c.key));
    const rows = gateRows(held.map((c) => answers.get(c.key)))
      .map((row) => ({ ...row, ...rowTitle(row, current.model.cell_spec) }));
    if (!rows.length) { // a cell without gates (a vanilla RNN): the answer's note, no charts
      view.note([first.note ?? `${current.id} has no gates: there is nothing to saturate.`, ...failed].join(" "));
      view.explain([]);
      view.grid(null).then(() => mark(mine, p, [current], first.num_steps));
      return;
    }
    view.note(failed.join(" "));
    view.explain(explanation({ cell: current.model.cell_spec, numSteps: first.num_steps, snapshots: held.length - 1 }),
      evalCommand(p));
    view.grid({
      columns: held,
      rows,
      count: (row, column) => {
        const gate = answers.get(column.key).gates[row.gate];
        return gate ? countsParts(gate) : [{ kind: "neither", text: "this model has no such gate" }];
      },
      build: (row, column) => {
        const answer = answers.get(column.key);
        if (!answer.gates[row.gate]) return () => ({ data: [], layout: { height: 170 } });
        return (width) => cellFigure({ answer, gate: row.gate, unit: p.unit, width });
      },
    }).then(() => mark(mine, p, held, first.num_steps));
  }

  async function refresh() {
    if (!view.isOpen()) return;
    const p = plan(input, models());
    if (p.message) {
      cancel();
      view.status(p.message);
      view.note("");
      view.explain([]);
      view.grid(null);
      unmark();
      return;
    }
    const missing = p.columns.filter((c) => !answers.has(c.key) && !errors.has(c.key));
    if (!missing.length) {
      draw(p);
      return;
    }
    const keys = p.columns.map((c) => c.key).join("\u0001");
    if (request?.keys === keys) return; // asked already: its answer draws
    cancel();
    const controller = new AbortController();
    request = { controller, keys };
    details.setAttribute("aria-busy", "true");
    const results = await Promise.allSettled(p.columns.map((c) => answers.get(c.key) ?? fetchSaturation({
      model: c.id, text: p.text, layer: c.layer, signal: controller.signal,
    })));
    if (request?.controller !== controller) return;
    request = null;
    details.setAttribute("aria-busy", "false");
    answers = new Map();
    errors = new Map();
    results.forEach((r, n) => {
      const { key } = p.columns[n];
      if (r.status === "fulfilled") answers.set(key, r.value);
      else if (r.reason?.name !== "AbortError") errors.set(key, r.reason?.message ?? String(r.reason));
    });
    refresh();
  }

  view.bind("toggle", (open) => {
    if (open) refresh();
    else {
      cancel();
      if (!answers.size) unmark();
    }
  });

  return {
    bind: view.bind,
    update(next) {
      input = next;
      refresh();
    },
    open() {
      view.open(); // the <details> fires "toggle", which refreshes and draws
    },
  };
}
