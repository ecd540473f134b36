// Annotation tracks: thin rows under the heatmaps that say something about each token of the text, so a
// unit's row can be lined up against a property of the text (does unit 184 of `python` follow bracket depth?)
// or against what the model got right (LSTMVis's label tracks, HendrikStrobelt/LSTMVis#33). Which tracks a
// model gets follows from what it has, never from its id:
//   correct   every model with a decoder: was the top-1 prediction after token t − 1 token t?
//   column, depth, string, indent   character models (tokenizer "char"): a token is a character, so the
//             text's lines, brackets and Python string literals can be read off token by token.
// Pure: no DOM; imports in Node too. O(T) per text.
import { displayToken, tokenPlace } from "./tokens.js";

/** Every track, in the order they are drawn (top first): id -> {label, short, kind, about}. */
export const TRACKS = Object.freeze({
  correct: { label: "top-1", short: "✓", kind: "binary", about: "top-1 prediction right or wrong" },
  depth: { label: "depth", short: "dep", kind: "count", about: "brackets (), [], {} open around the character" },
  string: { label: "string", short: "str", kind: "binary", about: "inside a Python string literal" },
  indent: { label: "indent", short: "ind", kind: "count", about: "spaces before the first character of its line" },
  column: { label: "column", short: "col", kind: "count", about: "position in its line (0 at the line's start)" },
});

const OPENERS = new Set(["(", "[", "{"]);
const CLOSERS = new Set([")", "]", "}"]);
const QUOTES = new Set(["'", '"']);
const WORD_CHAR = /[\p{L}\p{N}_]/u;
const PREFIXES = new Set(["r", "u", "b", "f", "br", "rb", "fr", "rf"]); // Python's string prefixes, any case

/** Whether the quote at t opens a string: not when it ends a word other than a string prefix (don't, O'Brien). */
function opensString(chars, t) {
  let start = t;
  while (start > 0 && WORD_CHAR.test(chars[start - 1])) start--;
  return start === t || PREFIXES.has(chars.slice(start, t).join("").toLowerCase());
}

/**
 * The ids of the tracks a model gets, in drawing order: `correct` when it has a decoder, then the character
 * tracks when its tokenizer is "char".
 * @param {{tokenizer: string, has_decoder: boolean}} model a /api/models entry
 * @returns {string[]}
 */
export function trackIds(model) {
  const ids = [];
  if (model?.has_decoder) ids.push("correct");
  if (model?.tokenizer === "char") ids.push("depth", "string", "indent", "column");
  return ids;
}

/**
 * How the tokenizer spells a token, as its vocabulary holds it (and so as a prediction names it): the unknown
 * token's string for a token outside the vocabulary, the text lower-cased for a lower-casing tokenizer, else
 * the text itself (app/engine/tokenizer.py lookup).
 * @param {{text: string, id: number}} token
 * @param {{lowercase: boolean, unk: string|null, unkId: number|null}} spelling
 */
export function spelled(token, { lowercase = false, unk = null, unkId = null } = {}) {
  if (unkId !== null && unkId !== undefined && token.id === unkId) return unk;
  return lowercase ? token.text.toLowerCase() : token.text;
}

/**
 * Whether each token was the model's top-1 prediction after the token before it: null for token 0 (nothing
 * predicts it) and for every token while `spelling` is unknown (null).
 * @param {Array<{text: string, id: number}>} tokens
 * @param {Array<Array<{token: string, prob: number}>>|null} predictions per step, likeliest first
 * @param {{lowercase: boolean, unk: string|null, unkId: number|null}|null} spelling
 * @returns {{values: Array<boolean|null>, top1: Array<string|null>}} top1[t]: the prediction for token t
 */
export function correctness(tokens, predictions, spelling) {
  const T = tokens.length;
  const values = new Array(T).fill(null);
  const top1 = new Array(T).fill(null);
  for (let t = 1; t < T; t++) {
    const best = predictions?.[t - 1]?.[0]?.token;
    if (typeof best !== "string") continue;
    top1[t] = best;
    if (spelling) values[t] = best === spelled(tokens[t], spelling);
  }
  return { values, top1 };
}

/**
 * A character text read as Python, one entry per character (code point): its column in its line (0 at the
 * line's start; a newline ends the line it is in), the leading spaces of its line (a tab counts as one), the
 * bracket depth around it ((, [, { open; ), ], } close; an opening bracket is at the depth it opens, a closing
 * one at the depth it closes; never below 0; brackets in strings and comments do not count) and whether it is
 * inside a string literal ('…', "…", '''…''', """…""", quotes included; a backslash escapes the next
 * character; a one-quote string ends, unclosed, at the end of its line; a quote that ends a word other than a
 * string prefix (r, b, f, u, rb, fr, …) opens none: "don't"; a `#` comment is not a string).
 * @param {string[]} chars one string per character
 * @returns {{column: Int32Array, indent: Int32Array, depth: Int32Array, string: Uint8Array}}
 */
export function readCode(chars) {
  const T = chars.length;
  const column = new Int32Array(T);
  const indent = new Int32Array(T);
  const depth = new Int32Array(T);
  const string = new Uint8Array(T);
  // Lines: column and indent.
  let lineStart = 0;
  while (lineStart < T) {
    let lead = 0;
    while (lineStart + lead < T && (chars[lineStart + lead] === " " || chars[lineStart + lead] === "\t")) lead++;
    let t = lineStart;
    for (; t < T; t++) {
      column[t] = t - lineStart;
      indent[t] = lead;
      if (chars[t] === "\n") break;
    }
    lineStart = t + 1;
  }
  // Brackets, strings and comments.
  let open = 0;
  let quote = null; // the quote character of the string we are in
  let triple = false;
  let comment = false;
  const tripleAt = (t, q) => chars[t] === q && chars[t + 1] === q && chars[t + 2] === q;
  for (let t = 0; t < T; t++) {
    const ch = chars[t];
    if (comment) {
      depth[t] = open;
      if (ch === "\n") comment = false;
    } else if (quote !== null) {
      depth[t] = open;
      if (ch === "\n" && !triple) { // an unclosed one-quote string ends with its line
        quote = null;
        continue;
      }
      string[t] = 1;
      if (ch === "\\" && t + 1 < T) { // the escaped character is in the string too
        t++;
        depth[t] = open;
        string[t] = 1;
      } else if (triple && tripleAt(t, quote)) {
        string[t + 1] = 1;
        string[t + 2] = 1;
        depth[t + 1] = open;
        depth[t + 2] = open;
        t += 2;
        quote = null;
      } else if (!triple && ch === quote) {
        quote = null;
      }
    } else if (QUOTES.has(ch) && opensString(chars, t)) {
      quote = ch;
      triple = tripleAt(t, ch);
      string[t] = 1;
      depth[t] = open;
      if (triple) {
        string[t + 1] = 1;
        string[t + 2] = 1;
        depth[t + 1] = open;
        depth[t + 2] = open;
        t += 2;
      }
    } else if (ch === "#") {
      comment = true;
      depth[t] = open;
    } else if (OPENERS.has(ch)) {
      open += 1;
      depth[t] = open;
    } else if (CLOSERS.has(ch)) {
      depth[t] = open;
      open = Math.max(0, open - 1);
    } else {
      depth[t] = open;
    }
  }
  return { column, indent, depth, string };
}

function largest(values) {
  let max = 0;
  for (const v of values) if (v > max) max = v;
  return max;
}

/**
 * The tracks of a model's text (state.shown: trace_store.js's holding), each {id, label, short, kind
 * ("binary" | "count"), about, values (one per token), words (the legend's: [{value, text}] for a binary
 * track, {low, high} for a count), max (a count's largest value, at least 1)}; `correct` also has top1.
 * @param {{model: {tokenizer: string, has_decoder: boolean, unk_id: number|null}, tokens: Array<{text: string,
 *   id: number}>, predictions: Array|null}} shown
 * @param {{lowercase: boolean, unk: string|null}|null} [spelling] the model's tokenizer settings (its card's
 *   `tokenizer`); null while unknown: `correct` then says nothing yet
 */
export function computeTracks(shown, spelling = null) {
  const { model, tokens, predictions } = shown;
  const ids = trackIds(model);
  const tracks = [];
  const code = ids.includes("depth") ? readCode(tokens.map((token) => token.text)) : null;
  for (const id of ids) {
    const spec = TRACKS[id];
    const track = { id, label: spec.label, short: spec.short, kind: spec.kind, about: spec.about };
    if (id === "correct") {
      const { values, top1 } = correctness(tokens, predictions, spelling && { ...spelling, unkId: model.unk_id });
      Object.assign(track, { values, top1, words: [{ value: true, text: "✓ right" }, { value: false, text: "✗ wrong" }] });
    } else if (id === "string") {
      Object.assign(track, { values: Array.from(code.string, Boolean),
        words: [{ value: true, text: "in a string" }] });
    } else {
      const values = Array.from(code[id]);
      const max = Math.max(1, largest(values));
      Object.assign(track, { values, max, words: { low: "0", high: String(max) } });
    }
    tracks.push(track);
  }
  return tracks;
}

/**
 * What hovering track `track`'s cell at token t says, in one line: "token 13 “had”: top-1 prediction was
 * “had” ✓", "token 7 “[”: bracket depth 2", "token 9 “x”: inside a string".
 */
export function describeCell(track, t, tokens) {
  const head = `${tokenPlace(t)} “${displayToken(tokens[t]?.text ?? "")}”`;
  const v = track.values[t];
  switch (track.id) {
    case "correct": {
      if (t === 0) return `${head}: the first token, nothing predicts it`;
      const best = track.top1?.[t];
      if (best === null || best === undefined) return `${head}: no prediction`;
      const said = `${head}: top-1 prediction was “${displayToken(best)}”`;
      return v === null ? said : `${said} ${v ? "✓" : "✗"}`;
    }
    case "depth":
      return `${head}: bracket depth ${v}`;
    case "string":
      return `${head}: ${v ? "inside a string" : "not in a string"}`;
    case "indent":
      return `${head}: its line is indented ${v} space${v === 1 ? "" : "s"}`;
    case "column":
      return `${head}: column ${v} of its line`;
    default:
      return `${head}: ${v}`;
  }
}

/** The key line under the heatmaps: what each track shows, in words, one entry per track. */
export function trackKey(tracks) {
  return tracks.map((track) => {
    if (track.id === "correct") return "top-1: ✓ green when the model's likeliest next token was this token, ✗ red striped when not";
    if (track.kind === "binary") return `${track.label}: ${track.about}, dark purple`;
    return `${track.label}: ${track.about}, white 0 to dark blue ${track.max}`;
  });
}
