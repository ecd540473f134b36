// The first trace, asked for as soon as this small module graph has loaded, while the rest of the page's
// modules are still arriving: the server computes it (0.1–0.3 s at 2,000 tokens) while the browser loads and
// runs main.js. The template loads this module before main.js; main.js's first trace() takes the answer here
// when it would have asked for the same (takeFirstTrace), and drops it otherwise (dropFirstTrace).
// It reads what main.js reads (the link, the models and config the page carries, the text box) and asks for
// what the default first screen draws: the view's panels, the memory (heatmaps that show only some units
// order them by it), the span's quantity when the link has a span — a superset of main.js's request, which
// keeps only what it wants.
import { fetchTrace } from "./api.js";
import { TAB_SALT } from "./core/digest.js";
import { configureLink, readLink } from "./core/state.js";
import { cellOf, memoryOf, spanQuantity, viewPanels } from "./core/views.js";

const TOP_K = 5; // main.js's

/**
 * The first screen's trace request for a link, or null when the first screen is not one trace of the link's
 * text (the tour, compare mode, watching it learn) or the text is empty or too long. Pure.
 * @param {object} link readLink's state
 * @param {Map<string, object>} models the /api/models entries by id
 * @param {{defaultModel: string, defaultText: string, maxChars: number, salt: string}} page
 * @returns {object|null} /api/trace's params: {model, text, top_k, encoding, quantities, layer, salt}
 */
export function firstRequest(link, models, { defaultModel, defaultText, maxChars, salt }) {
  if (link.mode !== "explore" || link.compare) return null;
  const model = models.get(link.model && models.has(link.model) ? link.model : defaultModel);
  const text = link.text || defaultText;
  if (!model || !text || text.length > maxChars) return null;
  const cell = cellOf(model);
  const wanted = new Set([...viewPanels(cell, link.view), memoryOf(cell)]);
  if (link.span || link.order === "span") wanted.add(spanQuantity(cell));
  return {
    model: model.id, text, top_k: model.has_decoder ? TOP_K : 0, encoding: "u1",
    quantities: cell.quantities.filter((q) => wanted.has(q)).join(","),
    layer: Math.min(link.layer, model.num_layers - 1), salt,
  };
}

/** Whether an answer to `asked` answers `params` too: the same request for the same or fewer quantities. */
export function answers(asked, params) {
  const keys = new Set([...Object.keys(asked), ...Object.keys(params)]);
  keys.delete("quantities");
  const have = new Set(asked.quantities.split(","));
  return [...keys].every((k) => asked[k] === params[k]) && params.quantities.split(",").every((q) => have.has(q));
}

let first = null; // {params, answer, controller} until main.js takes or drops it

/** Start the first trace for this page's link (in the browser; main.js may not need it). */
async function start() {
  performance.mark("first-trace-run");
  const byId = (id) => document.getElementById(id);
  const config = JSON.parse(byId("page-config").textContent);
  configureLink({ modelIdPattern: config.model_id_pattern, maxText: config.max_chars });
  const { state: link, fromFragment } = await readLink({ search: location.search, hash: location.hash });
  const models = new Map(JSON.parse(byId("models-data").textContent).map((m) => [m.id, m]));
  const params = firstRequest({ ...link, text: fromFragment || link.text ? link.text : "" }, models, {
    defaultModel: byId("model").value, defaultText: byId("text").value, maxChars: config.max_chars,
    salt: TAB_SALT,
  });
  if (!params || first !== null) return;
  const controller = new AbortController();
  performance.mark("first-trace-sent"); // bench/page_interactions.py reports both
  const answer = fetchTrace(params, controller.signal);
  answer.catch(() => {}); // heard by whoever takes it; a dropped one's failure is nobody's
  first = { params, answer, controller };
}

if (typeof document !== "undefined") start().catch(() => {}); // not in Node's tests

/**
 * The first trace's answer when it answers `params` (as fetchTrace(params, signal) would), else null; once.
 * The request started here is aborted when `signal` aborts, or at once when it is not the one wanted.
 * @returns {Promise<object>|null}
 */
export function takeFirstTrace(params, signal) {
  const taken = first;
  first = false; // false: taken or dropped, never started again
  if (!taken) return null;
  if (!answers(taken.params, params)) {
    taken.controller.abort();
    return null;
  }
  signal?.addEventListener("abort", () => taken.controller.abort(), { once: true });
  return taken.answer;
}

/** Abort the first trace if main.js has not taken it (its first screen asked for something else). */
export function dropFirstTrace() {
  if (first) first.controller.abort();
  first = false;
}
