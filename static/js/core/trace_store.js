// What the page holds of a trace, and how it asks only for what it lacks. A holding is one
// layer's chosen quantities for one text: {model, text, layer, unit, encoding, topK, tokens, predictions,
// matrices: {quantity: {T, H, data}}}. When the text changes, the columns before the edit are kept
// (the LSTM is causal: they cannot change) and the server is asked for the rest, naming what is kept by
// a digest of its token ids and sending only the text after them (`offset`): the server takes the kept
// tokens from its cache, so neither the request nor its work grows with the text. When the server no
// longer holds them it answers 409, and the same request goes again with the whole text (wholeRequest),
// which the server checks against the digest, sending everything when it does not match. Every request
// carries the tab's salt (digest.js TAB_SALT), which seeds the digest: the server keeps and finds the kept
// tokens only under that salt.
// Pure (no fetch, no DOM): main.js sends requestFor(...) and absorbs the answer; imports in Node too.
import { decodeSpec, matrix } from "./arrays.js";
import { TAB_SALT, idsDigest } from "./digest.js";

/** How many UTF-16 code units two strings share at the start, never splitting a surrogate pair. */
function sharedUnits(a, b) {
  const n = Math.min(a.length, b.length);
  let k = 0;
  while (k < n && a.charCodeAt(k) === b.charCodeAt(k)) k++;
  if (k > 0 && k < a.length && a.charCodeAt(k - 1) >= 0xd800 && a.charCodeAt(k - 1) <= 0xdbff) k--;
  return k;
}

const isHigh = (u) => u >= 0xd800 && u <= 0xdbff;
const isLow = (u) => u >= 0xdc00 && u <= 0xdfff;

/** How many code points the first `units` UTF-16 code units of text hold (a pair is one). */
export function codePoints(text, units = text.length) {
  let n = units;
  for (let k = 1; k < units; k++) if (isLow(text.charCodeAt(k)) && isHigh(text.charCodeAt(k - 1))) n--;
  return n;
}

/** The text after its first `n` code points (token offsets count code points, JS strings UTF-16 units). */
export function afterCodePoints(text, n) {
  let k = 0;
  for (let c = 0; c < n && k < text.length; c++) {
    k += isHigh(text.charCodeAt(k)) && isLow(text.charCodeAt(k + 1)) ? 2 : 1;
  }
  return text.slice(k);
}

/**
 * How many leading tokens of the old text surely tokenize the same in the new one: those ending before
 * the first changed character, less one (a token may join the one before it: "ali" + "'s" is "ali's").
 * @param {string} oldText
 * @param {string} newText
 * @param {{start: number, end: number}[]} tokens the old text's tokens, offsets in code points
 * @returns {number}
 */
export function keptTokens(oldText, newText, tokens) {
  const units = sharedUnits(oldText, newText);
  const edit = codePoints(oldText, units); // in code points, as token offsets are
  let n = 0;
  while (n < tokens.length && tokens[n].end < edit) n++;
  return Math.max(0, n - 1);
}

/**
 * The first `start` steps of `held` followed by `rest` (every step of the new text from `start` on),
 * with `peak`: peak[t] = max |value| over steps 0..t, so arrays.js maxAbs answers without reading every
 * value again. The steps live in a buffer with spare rows (`store`); the first splice of a held matrix
 * writes the new steps into that buffer in place (a keystroke then costs its new steps, not a copy of
 * every step before them) and marks the held matrix spent; a spent matrix, or one without room, is
 * copied. So a held matrix is written to at most once, by its successor: the page absorbs an answer
 * only for the request still current (main.js), so nothing reads a spent matrix afterwards.
 * @param {{T: number, H: number, data: Float32Array, store?: Float32Array, peak?: Float32Array,
 *   spent?: boolean}|undefined} held (T₀, H), T₀ ≥ start
 * @param {number} start
 * @param {{T: number, H: number, data: Float32Array}} rest (T − start, H)
 * @returns {{T: number, H: number, data: Float32Array, store: Float32Array, peak: Float32Array}} (T, H)
 */
export function splice(held, start, rest) {
  const { H } = rest;
  if (start > 0 && (!held || held.T < start || held.H !== H)) throw new Error(`cannot keep ${start} steps of this matrix`);
  const T = start + rest.T;
  let { store, peak } = held ?? {};
  if (start === 0 || held.spent || !store || !peak || store.length < T * H || peak.length < T) {
    const room = Math.ceil(T * GROWTH) + 16;
    const grown = new Float32Array(room * H);
    const grownPeak = new Float32Array(room);
    if (start > 0) {
      grown.set(held.data.subarray(0, start * H));
      if (held.peak && held.peak.length >= start) grownPeak.set(held.peak.subarray(0, start));
      else for (let t = 0; t < start; t++) grownPeak[t] = rowPeak(grown, t, H, t ? grownPeak[t - 1] : 0);
    }
    store = grown;
    peak = grownPeak;
  }
  if (held) held.spent = true;
  store.set(rest.data, start * H);
  for (let t = start; t < T; t++) peak[t] = rowPeak(store, t, H, t ? peak[t - 1] : 0);
  return { ...matrix(T, H, store.subarray(0, T * H)), store, peak };
}

const GROWTH = 1.5; // buffers get this much room beyond the steps they hold

/** max(before, max |value| of row t) of a time-major buffer of H columns. */
function rowPeak(data, t, H, before) {
  let max = before;
  for (let k = t * H; k < (t + 1) * H; k++) {
    const v = Math.abs(data[k]);
    if (v > max) max = v;
  }
  return max;
}

/** Whether a holding already answers a request for these quantities (any text). */
function sameKind(held, want) {
  return Boolean(held) && held.model.id === want.model.id && held.model.version === want.model.version
    && held.layer === want.layer && held.unit === want.unit && held.encoding === want.encoding
    && held.topK === want.topK && want.quantities.every((q) => q in held.matrices);
}

/** Whether a holding is exactly what is wanted (same text too): nothing to fetch. */
export function holds(held, want) {
  return sameKind(held, want) && held.text === want.text;
}

/**
 * The request for `want` given what is held: {model, text, top_k, encoding, quantities, layer, unit,
 * salt, since, prefix, offset}; since = 0 (and no prefix) when nothing held can be kept. When some is kept,
 * `text` is only the text after the kept tokens, from code point `offset` where the last of them ends
 * (wholeRequest gives the same request with the whole text, for when the server answers 409), and
 * `prefix` is their digest under `salt`.
 * @param {object|null} held the current holding
 * @param {{model: object, text: string, layer: number, unit: ?number, encoding: string, topK: number,
 *   quantities: string[]}} want model is a /api/models entry {id, version}
 * @param {string} [salt] the tab's salt (32 hex digits)
 */
export function requestFor(held, want, salt = TAB_SALT) {
  const since = sameKind(held, want) ? keptTokens(held.text, want.text, held.tokens) : 0;
  const params = {
    model: want.model.id, text: want.text, top_k: want.topK, encoding: want.encoding,
    quantities: want.quantities.join(","), layer: want.layer, salt,
  };
  if (want.unit !== null) params.unit = want.unit;
  if (since > 0) {
    params.since = since;
    params.prefix = idsDigest(want.model.version, held.tokens.map((t) => t.id), since, salt);
    params.offset = held.tokens[since - 1].end;
    params.text = afterCodePoints(want.text, params.offset);
  }
  return params;
}

/** requestFor's request with the whole text instead of the text after `offset`. */
export function wholeRequest(params, text) {
  const whole = { ...params, text };
  delete whole.offset;
  return whole;
}

/**
 * The new holding from the old one and the server's answer to requestFor(held, want).
 * @param {object|null} held
 * @param {object} want as for requestFor
 * @param {{start: number, num_tokens: number, tokens: object[], layers: object[], predictions: ?Array}} answer
 */
export function absorb(held, want, answer) {
  const { start } = answer;
  const keep = start > 0 ? held : null;
  const layer = answer.layers[want.layer];
  const matrices = {};
  for (const q of want.quantities) {
    if (!layer[q]) throw new Error(`the server sent no ${q} for layer ${want.layer}`);
    matrices[q] = splice(keep?.matrices[q], start, decodeSpec(layer[q]));
  }
  const tokens = keep ? keep.tokens.slice(0, start).concat(answer.tokens) : answer.tokens;
  if (tokens.length !== answer.num_tokens) throw new Error("the spliced tokens do not add up to the text's");
  const predictions = answer.predictions === null ? null
    : (keep ? keep.predictions.slice(0, start).concat(answer.predictions) : answer.predictions);
  // `kept` says which steps came from which holding (heatmaps.js skips re-reading them); the held
  // holding forgets its own, so holdings never chain back through every keystroke.
  if (keep) keep.kept = null;
  return { ...want, tokens, predictions, matrices, kept: keep ? { from: keep, steps: start } : null };
}
