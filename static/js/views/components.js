// "Kinds of memory": the memory of the text on screen (an LSTM's c, or h; a GRU's or an RNN's h) split by
// /api/components into k patterns of units (NMF, as ecco does for a transformer), each drawn as one row over
// the tokens with its share, its peaks in words and its top units as buttons (docs/components.md).
//
// The panel is a <details>: closed, it fetches and draws nothing. Open, it asks /api/components for each new
// (model, text, layer, quantity, k), a newer one aborting the older request; answers (and refusals) are kept
// for the last few, so switching back costs nothing. main.js calls update() with what is on screen and the
// link's k, and hears "k", "select-unit" and "select-step". Marked when drawn: data-k, data-quantity,
// data-models (the model's id) and data-step on the <details> (tests wait on them), data-refused when the
// server refused (its words are in the status line).
import { fetchComponents } from "../api.js";
import {
  DEFAULT_K, K_CHOICES, componentsFigure, errorSentence, ordered, peaksWords, quantityChoices, quantityOf,
  refusalWords, requestKey, rowLabel, shareWords, unitButtons,
} from "../core/components_figures.js";
import { displayToken } from "../core/tokens.js";
import { createComponentsView } from "./components_view.js";

const KEEP = 12; // answers kept, for the k and states a person switches between

/**
 * The panel over a <details> element. update({shown, layer, step, unit, k}): `shown` main.js's holding of the
 * text on screen ({model, text, tokens}), `k` the link's (2–6). open(): open it.
 * Events (bind): "k" (a new k chosen), "select-unit" (a unit), "select-step" (a step).
 */
export function createComponents(details) {
  const view = createComponentsView(details);
  let input = null;
  let chosen = null; // the state chosen in the switch (null: the cell's memory)
  const answers = new Map(); // requestKey -> {answer} or {error}
  let request = null; // {key, controller}
  let drawn = "";
  let drawing = 0;
  let listed = ""; // the request whose patterns the list shows

  function remember(key, entry) {
    answers.delete(key);
    answers.set(key, entry);
    while (answers.size > KEEP) answers.delete(answers.keys().next().value);
  }

  function cancel() {
    request?.controller.abort();
    request = null;
    details.setAttribute("aria-busy", "false");
  }

  function unmark() {
    for (const name of ["k", "quantity", "models", "step", "refused"]) delete details.dataset[name];
    drawing++; // a chart still waiting for plotly.js no longer marks the panel drawn
    drawn = "";
  }

  function show({ ask, entry, cell, step }) {
    const now = JSON.stringify([requestKey(ask), step, Boolean(entry.error)]);
    if (now === drawn) return;
    drawn = now;
    const mine = ++drawing;
    if (entry.error) {
      view.status(refusalWords(entry.error), { refused: true });
      view.list([]);
      listed = "";
      view.chart(null);
      for (const name of ["k", "quantity", "step"]) delete details.dataset[name];
      details.dataset.models = ask.model;
      details.dataset.refused = String(ask.k);
      return;
    }
    const { answer } = entry;
    const quantity = answer.quantity ?? ask.quantity;
    const labels = answer.tokens.map((token) => displayToken(token.text));
    view.status(errorSentence({ k: answer.k, error: answer.reconstruction_error, cell, quantity }));
    if (listed !== requestKey(ask)) view.list(ordered(answer.components).map((c, j) => ({
      label: rowLabel(c, j), title: shareWords(c, { cell, quantity }), peaks: peaksWords(c.peaks),
      units: unitButtons(c, { cell, quantity }),
    })));
    listed = requestKey(ask); // a new step redraws the chart's frame, not the buttons (nor their focus)
    view.chart((width) => componentsFigure({ answer, labels, step, width })).then(() => {
      if (mine !== drawing) return;
      delete details.dataset.refused;
      details.dataset.k = String(answer.k);
      details.dataset.quantity = quantity;
      details.dataset.models = answer.model;
      details.dataset.step = step === null ? "" : String(step);
    });
  }

  async function refresh() {
    if (!view.isOpen()) return;
    const shown = input?.shown ?? null;
    const k = K_CHOICES.includes(input?.k) ? input.k : DEFAULT_K;
    const cell = shown?.model?.cell_spec ?? null;
    const quantity = quantityOf(cell, chosen);
    view.controls({ k, choices: quantityChoices(cell), quantity });
    view.selectUnit(input?.unit ?? null);
    if (!shown || !shown.tokens.length) {
      cancel();
      unmark();
      view.status("Type some text above to see the kinds of memory in it.");
      view.list([]);
      listed = "";
      view.chart(null);
      return;
    }
    const layer = Math.min(input.layer ?? 0, (shown.model.num_layers ?? 1) - 1);
    const ask = { model: shown.model.id, text: shown.text, layer, quantity, k };
    const key = requestKey(ask);
    const step = input.step ?? null;
    const entry = answers.get(key);
    if (entry) {
      if (request && request.key !== key) cancel();
      show({ ask, entry, cell, step });
      return;
    }
    if (request?.key === key) return; // asked already: its answer draws
    cancel();
    unmark();
    const controller = new AbortController();
    request = { key, controller };
    details.setAttribute("aria-busy", "true");
    view.status(`Splitting ${shown.model.id}'s ${quantity} into ${k} patterns…`);
    let result;
    try {
      result = { answer: await fetchComponents({ ...ask, signal: controller.signal }) };
    } catch (err) {
      if (err.name === "AbortError") return;
      result = { error: err.message ?? String(err), status: err.status ?? 0 };
    }
    if (request?.controller !== controller) return;
    request = null;
    details.setAttribute("aria-busy", "false");
    remember(key, result);
    refresh();
  }

  view.bind("toggle", (open) => {
    if (open) {
      // A server that could not be reached (or failed) may answer now: ask again rather than repeat it.
      for (const [key, entry] of answers) if (entry.error && !(entry.status >= 400 && entry.status < 500)) answers.delete(key);
      drawn = "";
      refresh();
    } else cancel();
  });
  view.bind("quantity", (q) => {
    chosen = q;
    refresh();
  });

  return {
    bind: view.bind,
    update(next) {
      input = next;
      refresh();
    },
    open() {
      view.open(); // the <details> fires "toggle", which asks and draws
    },
  };
}
