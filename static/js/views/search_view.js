// The "Find more like this" panel's elements (views/search.js decides what they show): a bar with the buttons or
// the sentence that stands in for them, a status line, the summary, the words the matches share, and the list of
// matches (each a line of its window's tokens, the match in <mark>, a stripe per unit under every token, and a
// link that opens it in the main view). Text only through textContent; colours through element.style.
import { AT_END, AT_START, STRIPE_PX, shownToken, windowLabel } from "../core/search_results.js";
import { createEvents, el } from "./dom.js";

const COLUMNS = [["at", "At the match"], ["before", "Just before"], ["after", "Just after"]];

function button(label, action) {
  const b = el("button", "small-button", label);
  b.type = "button";
  b.dataset.action = action;
  return b;
}

/**
 * The panel over its container. Events (bind): "match" (Find more like this), "top" (where else does the unit
 * fire?). bar({hint, match, top}): the sentence (or null) and the buttons' labels (null: no such button).
 * status(words, {failed}), show({summary, legend, shared, results}), clear().
 */
export function createSearchView(container) {
  const { emit, bind } = createEvents(["match", "top"]);
  container.classList.add("search");
  const bar = el("div", "search-bar control-bar", null, container);
  const hint = el("span", "search-hint", null, bar);
  const matchButton = button("Find more like this", "match");
  const topButton = button("", "top");
  bar.append(matchButton, topButton);
  const status = el("p", "search-status", null, container);
  status.setAttribute("role", "status");
  const body = el("div", "search-body", null, container);
  const headline = el("h3", "search-headline", null, body);
  const summary = el("p", "search-summary", null, body);
  const shared = el("div", "search-shared", null, body);
  const legend = el("p", "search-legend note", null, body);
  el("h3", "search-list-title", "The matches, best first", body);
  const list = el("ol", "search-results", null, body);
  list.setAttribute("aria-label", "Matches, best first");
  body.hidden = true;

  bar.addEventListener("click", (event) => {
    const b = event.target.closest("button[data-action]");
    if (b) emit(b.dataset.action, null);
  });

  function sharedColumn([key, title], words) {
    const column = el("section", "search-words");
    column.dataset.column = key;
    el("h3", null, title, column);
    const ol = el("ol", null, null, column);
    const most = words[0]?.count ?? 1;
    for (const { token, count } of words) {
      const li = el("li", null, null, ol);
      const edge = token === AT_START || token === AT_END;
      const word = el("span", edge ? "search-word-text search-edge" : "search-word-text", edge ? token : shownToken(token), li);
      word.dataset.token = token;
      const bar = el("span", "search-count-bar", null, li);
      bar.style.width = `${Math.max(4, Math.round((count / most) * 100))}%`;
      el("span", "search-count", count, li);
    }
    return column;
  }

  function resultItem(r) {
    const li = el("li", "search-result");
    Object.assign(li.dataset, { document: String(r.document), start: String(r.start), end: String(r.end) });
    const head = el("div", "search-result-head", null, li);
    el("span", "search-rank", `${r.rank}.`, head);
    const link = el("a", "search-open", r.title, head);
    if (r.href) link.href = r.href;
    link.title = r.href ? `Open this text in the main view, the match selected` : r.why;
    el("span", "search-facts", r.facts, head);
    const line = el("div", r.chars ? "search-window search-chars" : "search-window", null, li);
    r.tokens.forEach((token, k) => {
      const cell = el(token.match ? "mark" : "span", "search-token", null, line);
      const space = /^\s+$/.test(token.text);
      const word = el("span", space ? "search-word search-space" : "search-word", windowLabel(token.text, r),
        cell);
      if (!r.chars) word.title = token.text;
      const stripes = el("span", "search-stripes", null, cell);
      stripes.style.height = `${r.stripeRows * STRIPE_PX}px`;
      stripes.style.backgroundImage = r.gradients[k];
      if (r.chars && token.text === "\n") el("span", "search-break", null, line); // the code's own lines
    });
    return li;
  }

  return {
    bind,
    /** The bar: the sentence (null: none), the match button's label (null: hidden) and the top button's. */
    bar({ hint: words = null, match = null, top = null }) {
      // `…` in the words is a command: set as <code>, kept on one line.
      hint.replaceChildren(...(words ?? "").split("`").map((part, k) => (k % 2 ? el("code", null, part) : part)));
      hint.hidden = !words;
      matchButton.hidden = match === null;
      if (match !== null) matchButton.textContent = match;
      topButton.hidden = top === null;
      if (top !== null) topButton.textContent = top;
    },
    status(words, { failed = false } = {}) {
      status.textContent = words;
      status.classList.toggle("search-failed", failed);
    },
    /** summary: summaryWords()' {headline, detail}, about: what the corpus is (the summary's title); shared:
     *  sharedWords()'s columns; results: [{rank, document, start, end, title, href, why, facts, chars,
     *  tokens: windowTokens(), gradients, stripeRows}]. */
    show({ summary: words0, about, legend: legendWords, shared: words, results }) {
      headline.textContent = words0.headline;
      summary.textContent = words0.detail;
      summary.title = about;
      legend.textContent = legendWords;
      shared.replaceChildren(el("h3", "search-shared-title", "What they share"),
        ...(results.length ? COLUMNS.map((c) => sharedColumn(c, words[c[0]])) : []));
      list.replaceChildren(...results.map(resultItem));
      body.hidden = false;
    },
    clear() {
      body.hidden = true;
      headline.textContent = "";
      summary.textContent = "";
      shared.replaceChildren();
      list.replaceChildren();
    },
  };
}
