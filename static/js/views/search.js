// "Find more like this" (issue #20, docs/search.md "In the page"): under the span bar, for a model with a state
// index (/api/models `index`), a button that searches the corpus for places where the units on inside the selected
// span (and off before it) do the same (/api/search mode match, the units derived by the server), and one that
// lists where the selected unit fires highest (mode top). A model without an index gets a sentence saying how to
// build one, never a button that cannot work.
//
// The answer is drawn as a summary sentence (how many, over what, which units, named by the card), the words the
// matches share (LSTMVis's counts: at the match, just before, just after), and the matches: each a line of its
// window's tokens, the matched ones in <mark>, under every token one stripe per searched unit, and a link (a real
// <a href>, core/state.js's link) that opens the match's text in the main view with the match selected. The text
// is the match's own (api.js fetchSearchDocuments: each was traced from the zero state, as the page traces it).
//
// A new search aborts the older one. main.js calls update() with what is on screen; the view fetches itself.
// Marked for tests on the container: data-state (idle, loading, ready, failed), data-mode, data-count.
import { fetchSearch, fetchSearchDocuments } from "../api.js";
import {
  CHAR_CONTEXT, CONTEXT, documentsOf, noIndexWords, openState, resultFacts, resultTitle, searchHint, searchKey, searchParams, sharedWords,
  stripeGradients, summaryWords, unitLabel, unitRanges, windowTokens,
} from "../core/search_results.js";
import { maxText } from "../core/state.js";
import { createSearchView } from "./search_view.js";

/**
 * The panel over its container. options.link(state) → a promise of the URL that opens `state` (main.js: the only
 * module that knows the page's location). update({model, text, tokens, span, unit, layer, names}): `model` the
 * /api/models entry on screen (its `index` null or not), `span` {start, end} (both included) or null, `unit` the
 * selected one or null, `names` the card's unit names of the layer (Map).
 */
export function createSearch(container, { link }) {
  const view = createSearchView(container);
  let input = null;
  let request = null; // {key, controller}
  let shownKey = ""; // the question whose answer is on screen
  let shownModel = "";
  container.dataset.state = "idle";

  function mark(state, { mode = null, count = null } = {}) {
    container.dataset.state = state;
    container.setAttribute("aria-busy", String(state === "loading"));
    if (mode) container.dataset.mode = mode;
    if (count === null) delete container.dataset.count;
    else container.dataset.count = String(count);
  }

  function cancel() {
    request?.controller.abort();
    request = null;
  }

  function drawBar() {
    const { model, span, unit, names } = input;
    if (!model.index) {
      view.bar({ hint: noIndexWords(model.id) });
      return;
    }
    const topLabel = unit === null || unit >= model.hidden_size ? null
      : `Where else does unit ${unitLabel(unit, names)} fire?`;
    view.bar({ hint: searchHint({ span, unit }), match: span ? "Find more like this" : null, top: topLabel });
  }

  function update(next) {
    input = next;
    if (!input.model) return;
    if (shownModel && shownModel !== input.model.id) { // another model: its answers are not this one's
      cancel();
      shownKey = "";
      view.clear();
      view.status("");
      mark("idle");
    }
    shownModel = input.model.id;
    drawBar();
  }

  async function ask(mode) {
    if (!input?.model?.index) return;
    const { model, text, span, unit, layer, names } = input;
    if (mode === "match" && !span) return;
    if (mode === "top" && unit === null) return;
    const params = searchParams({ model: model.id, layer: Math.min(layer, model.index.layers - 1), text, span, unit,
      mode, context: model.tokenizer === "char" ? CHAR_CONTEXT : CONTEXT });
    const key = searchKey(params);
    if (key === request?.key || (key === shownKey && !request)) return; // asked already, or on screen
    cancel();
    const controller = new AbortController();
    request = { key, controller };
    mark("loading", { mode });
    view.status(mode === "top" ? `Searching ${model.id}'s index for where unit ${unitLabel(unit, names)} fires…`
      : `Searching ${model.id}'s index for more like “${input.tokens.slice(span.start, span.end + 1)
        .map((t) => t.text).join(" ")}”…`);
    try {
      const answer = await fetchSearch(params, controller.signal);
      const ids = documentsOf(answer.results);
      const texts = ids.length
        ? (await fetchSearchDocuments({ model: model.id, documents: ids }, controller.signal)).documents : [];
      const byId = new Map(texts.map((d) => [d.document, d]));
      const results = await Promise.all(answer.results.map(async (r) => {
        const state = openState(r, byId.get(r.document), answer, { version: model.version, maxChars: maxText() });
        return { r, href: state ? await link(state) : null };
      }));
      if (request?.controller !== controller) return;
      request = null;
      shownKey = key;
      draw(answer, results, { names, chars: model.tokenizer === "char" });
      mark("ready", { mode, count: answer.results.length });
    } catch (err) {
      if (err.name === "AbortError" || request?.controller !== controller) return;
      request = null;
      shownKey = "";
      view.clear();
      view.status(`The search did not run: ${err.message}`, { failed: true });
      mark("failed", { mode });
    }
  }

  function draw(answer, linked, { names, chars }) {
    const ranges = unitRanges(answer.results, answer.units);
    const order = answer.units.map((u) => unitLabel(u, names)).join(", ");
    view.status("");
    view.show({
      summary: summaryWords(answer, names),
      about: answer.index.about,
      shared: sharedWords(answer.results),
      legend: `Under each token, one stripe per unit (${answer.units.length === 1 ? order : `top to bottom: ${order}`})`
        + `: red where its ${answer.quantity} is positive, blue where negative, each unit on its own scale (its `
        + "largest value here is the darkest). A match's link opens its text in the main view, the match selected.",
      results: linked.map(({ r, href }) => ({
        rank: r.rank, document: r.document, start: r.start, end: r.end, title: resultTitle(r, answer.results), href,
        why: "too long to open in the page", facts: resultFacts(r, answer), chars, tokens: windowTokens(r),
        gradients: stripeGradients(r, ranges), stripeRows: answer.units.length,
      })),
    });
  }

  view.bind("match", () => ask("match"));
  view.bind("top", () => ask("top"));

  return { update };
}
