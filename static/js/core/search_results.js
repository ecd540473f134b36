// "Find more like this" (/api/search, docs/search.md) in words and numbers a person reads: what to ask for a span
// or a unit, the summary sentence, the words the matches share (LSTMVis's word counts), each result's window with
// its matched tokens marked and its units' colours, and what opening a result in the main view selects. Pure: no
// DOM; imports in Node too. A result's positions are the index's; its source's text opens it (api.js
// fetchSearchDocuments), where index position p is token p − the source's `start`.
import { divergingColor, maxAbsOf } from "./colors.js";
import { displayToken } from "./tokens.js";

/** Results asked for (the API's most); tokens of context either side: words, and characters (a line or so). */
export const LIMIT = 50;
export const CONTEXT = 10;
export const CHAR_CONTEXT = 30;
/** Words listed per "what they share" column. */
export const TOP_WORDS = 8;
/** Height of one unit's stripe under a token, px. */
export const STRIPE_PX = 4;

/** What the words say where a match starts at its text's first token (nothing before it: the zero state). */
export const AT_START = "(start of its text)";
/** … and where it ends at its text's last token. */
export const AT_END = "(end of its text)";

/**
 * /api/search's parameters. A span ({start, end}: both included, as the page's state holds it) of `text`:
 * mode match, the units derived from the span (the server traces the text: end exclusive there). A unit: mode
 * top, where that unit is highest.
 */
export function searchParams({ model, layer = 0, text = "", span = null, unit = null, mode, context = CONTEXT }) {
  const base = { model, layer, limit: LIMIT, context };
  if (mode === "top") return { ...base, mode: "top", unit };
  return { ...base, mode: "match", text, start: span.start, end: span.end + 1 };
}

/** One string per question asked: a new one aborts the older request, the same one is not asked again. */
export function searchKey(params) {
  return JSON.stringify(Object.keys(params).sort().map((k) => [k, params[k]]));
}

/** "47 (tense)" for a unit the card names, else "47". names: Map unit → label (core/unit_names.js). */
export function unitLabel(unit, names = new Map()) {
  const name = names.get(unit);
  return name ? `${unit} (${name})` : String(unit);
}

/** "47 (tense), 61 and 60": a list in words. */
export function listWords(items) {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;
}

const plural = (n, word, many = `${word}s`) => `${n.toLocaleString("en")} ${n === 1 ? word : many}`;

/** The index in words: "127,682 tokens (3,000 texts) of the lesson corpus". */
export function indexWords(index) {
  const corpus = index.corpus === "files" ? "the indexed files" : `the ${index.corpus} corpus`;
  return `${plural(index.tokens, "token")} (${plural(index.documents, "text")}) of ${corpus}`;
}

/**
 * What the results are, above them: {headline, detail}. The headline says how many and for what ("50 matches for
 * “Last year”", "Where unit 47 (tense) fires"); the detail what was searched (how many tokens of which corpus, the
 * units, named by the card, and the threshold) and how the results are ranked.
 */
export function summaryWords(answer, names = new Map()) {
  const n = answer.results.length;
  const q = answer.quantity;
  const where = indexWords(answer.index);
  if (answer.mode === "top") {
    const unit = unitLabel(answer.units[0], names);
    return {
      headline: `Where unit ${unit} fires: ${plural(n, "place")}`,
      detail: `Its ${plural(n, "highest value")} of ${q} in ${where}, highest first; a value within 10 tokens of a `
        + "higher one in its text is left out (one burst, one result).",
    };
  }
  const units = listWords(answer.units.map((u) => unitLabel(u, names)));
  const all = answer.units.length;
  const full = answer.results.filter((r) => r.overlap === all).length;
  const what = answer.derived ? `“${answer.derived.text}”` : `units ${units}`;
  const which = answer.derived
    ? `places where the ${plural(all, "unit")} on (${q} ≥ ${answer.threshold}) at every token of “${answer.derived.text}” `
      + `and off just before it are on again: ${units}.`
    : `places where they are on (${q} ≥ ${answer.threshold}).`;
  return {
    headline: `${plural(n, "match", "matches")} for ${what}`,
    detail: `Searched ${where} for ${which}`
      + (n ? ` ${full === n ? `All ${n.toLocaleString("en")}` : `${full.toLocaleString("en")} of them`} have all `
        + `${all} on at every token; ranked by how many are on, then by length.` : ""),
  };
}

/** A token as a list shows it: whitespace made visible. */
export const shownToken = displayToken;

/** A token in a result's window: a word model's as shownToken; a character model's as in the code, spaces as
 *  spaces (the window keeps its indentation), a line break as "↵" (the window breaks the line after it). */
export function windowLabel(text, { chars = false } = {}) {
  if (!chars) return shownToken(text);
  return text === "\n" ? "↵" : text === "\t" ? "⇥" : text.replace(/\s/g, " ");
}

/** What a result's link says: its source, and where in it when several results share the source (a char
 *  corpus's one big file): "stdlib (last 5%), character 12,346". */
export function resultTitle(result, results) {
  const shared = results.some((r) => r !== result && r.source === result.source);
  return shared ? `${result.source}, character ${(result.chars[0] + 1).toLocaleString("en")}` : result.source;
}

/**
 * The words the results share, LSTMVis-style: per column, the tokens counted over the results, most frequent
 * first (ties: the one seen first), at most `top`. `at`: the tokens of each match, each counted once per match
 * (in how many matches it is); `before` / `after`: the token just before / after each match (AT_START / AT_END
 * where the match begins or ends its text, so nothing precedes or follows it there).
 * @returns {{at: {token: string, count: number}[], before: ..., after: ...}}
 */
export function sharedWords(results, { top = TOP_WORDS } = {}) {
  const columns = { at: new Map(), before: new Map(), after: new Map() };
  const add = (map, token) => map.set(token, (map.get(token) ?? 0) + 1);
  for (const r of results) {
    const { tokens } = r.window;
    const a = r.start - r.window.start;
    const b = r.end - r.window.start;
    for (const token of new Set(tokens.slice(a, b))) add(columns.at, token);
    add(columns.before, a > 0 ? tokens[a - 1] : AT_START);
    add(columns.after, b < tokens.length ? tokens[b] : AT_END);
  }
  const ranked = (map) => [...map].map(([token, count], seen) => ({ token, count, seen }))
    .sort((x, y) => y.count - x.count || x.seen - y.seen).slice(0, top)
    .map(({ token, count }) => ({ token, count }));
  return { at: ranked(columns.at), before: ranked(columns.before), after: ranked(columns.after) };
}

/** A result's window as tokens: [{text, position (the index's), match (inside the match)}]. */
export function windowTokens(result) {
  const { start, tokens } = result.window;
  return tokens.map((text, k) => ({ text, position: start + k, match: start + k >= result.start && start + k < result.end }));
}

/** The tokens of a result's match, as the list marks them. */
export function matchedTokens(result) {
  return windowTokens(result).filter((t) => t.match).map((t) => t.text);
}

/** Per searched unit, the largest |value| over every result's window: each unit's stripe on its own scale,
 *  the same in every result. */
export function unitRanges(results, units) {
  return units.map((_, j) => Math.max(...results.map((r) => maxAbsOf(r.window.values[j] ?? [])), 0));
}

/**
 * Under each window token, one stripe per unit (top to bottom in the order searched), coloured on the diverging
 * scale by its range: a CSS background-image per token.
 */
export function stripeGradients(result, ranges, px = STRIPE_PX) {
  const { values, tokens } = result.window;
  return tokens.map((_, k) => {
    const stops = values.map((row, j) => {
      const colour = divergingColor(row[k], ranges[j]);
      return `${colour} ${j * px}px ${(j + 1) * px}px`;
    });
    return `linear-gradient(to bottom, ${stops.join(", ")})`;
  });
}

/** A result's one-line description: "overlap 8 of 8 · 3 tokens" (match) or "c = 2.71" (top). */
export function resultFacts(result, answer) {
  if (answer.mode === "top") return `${answer.quantity} = ${result.value.toFixed(2)}`;
  return `${result.overlap} of ${answer.units.length} units on · ${plural(result.length, "token")}`;
}

/**
 * What a link opening the result in the main view carries: the model and its version, the text the result is in
 * (`doc`, /api/search/documents' entry: traced from the zero state as the index traced it), the match selected as
 * the span and its first token as the step, the first searched unit selected and the searched units pinned on top.
 * Null when the text is longer than maxChars code points (the page could not trace it).
 */
export function openState(result, doc, answer, { version = "", maxChars = Infinity } = {}) {
  if (!doc || [...doc.text].length > maxChars) return null;
  const start = result.start - doc.start;
  const end = result.end - 1 - doc.start;
  return {
    model: answer.model, version, text: doc.text, span: { start, end }, step: start, unit: answer.units[0],
    layer: answer.layer, pinned: [...answer.units],
  };
}

/** The distinct texts the results are in, in the results' order: what /api/search/documents is asked for. */
export function documentsOf(results) {
  return [...new Set(results.map((r) => r.document))];
}

/** Why there is no "Find more like this" for a model, and how to get it (never a button that cannot work). */
export function noIndexWords(modelId) {
  return `“Find more like this” searches a corpus's saved states, and ${modelId} has none on this server. `
    + `To get them, run \`lstm-viz index ${modelId}\` once, then start the server with the same --data-dir `
    + "(or LSTM_VIZ_DATA_DIR) as the index.";
}

/** What the bar says when the model has an index but nothing is chosen to search for yet. */
export function searchHint({ span, unit }) {
  if (span) return null;
  return unit === null
    ? "Find more like this: shift+click two tokens to select a span (or click a unit), then search the corpus for "
      + "places where the same units do the same."
    : "Find more like this: shift+click two tokens to select a span, then search the corpus for more like it.";
}
