// The next-token predictions of a /api/trace answer, in the one form the page holds. With encoding "json" the
// server writes them per step as [{token, prob}] (likeliest first); with "f4" and "u1" (what the page asks for)
// as typed arrays, {k, tokens, index, prob}: `tokens` the distinct predicted tokens, `index` (T × k, int32)
// indices into them, `prob` (T × k, float64) their probabilities — the same numbers, bit for bit, without
// T × k objects to write and parse. api.js turns the typed form into the per-step lists as an answer arrives,
// so everything after it (trace_store.js, the views, export.js) sees what it always saw (docs/api.md).
// Pure: no DOM; imports in Node too.

import { base64Bytes } from "./arrays.js";

// Typed arrays use the platform's byte order, the wire format little-endian (as arrays.js decodeSpec).
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const SIZES = { i4: 4, f8: 8 };

/**
 * The values of a typed-array spec of the predictions.
 * @param {{dtype: string, bdata: string, shape: string}} spec dtype "i4" (int32) or "f8" (float64), shape "T,k"
 * @param {string} dtype the dtype expected
 * @returns {{T: number, k: number, data: Int32Array|Float64Array}} data[t * k + j]: step t, j-th likeliest
 * @throws {Error} when the dtype is not the expected one, the shape is not "T,k", or the bytes do not fit
 */
export function decodeTyped(spec, dtype) {
  if (spec === null || typeof spec !== "object") throw new Error("expected a typed-array spec {dtype, bdata, shape}");
  if (spec.dtype !== dtype) throw new Error(`expected dtype ${JSON.stringify(dtype)}, got ${JSON.stringify(spec.dtype)}`);
  const match = typeof spec.shape === "string" ? /^(\d+),(\d+)$/.exec(spec.shape) : null;
  if (!match) throw new Error(`expected shape "T,k" (two sizes), got ${JSON.stringify(spec.shape)}`);
  const T = Number(match[1]);
  const k = Number(match[2]);
  const size = SIZES[dtype];
  const bytes = base64Bytes(spec.bdata);
  if (bytes.length !== T * k * size) {
    throw new Error(`shape ${T},${k} needs ${T * k * size} bytes of ${dtype}, bdata holds ${bytes.length}`);
  }
  const Kind = dtype === "i4" ? Int32Array : Float64Array;
  if (LITTLE_ENDIAN) return { T, k, data: new Kind(bytes.buffer) };
  const view = new DataView(bytes.buffer);
  const data = new Kind(T * k);
  for (let n = 0; n < data.length; n++) data[n] = dtype === "i4" ? view.getInt32(size * n, true) : view.getFloat64(size * n, true);
  return { T, k, data };
}

/**
 * The predictions as per-step lists [{token, prob}], likeliest first (the json encoding's form), from either
 * form; null stays null (a model without a decoder).
 * @param {null|Array|{k: number, tokens: string[], index: object, prob: object}} predictions
 * @returns {null|Array<Array<{token: string, prob: number}>>}
 * @throws {Error} when the typed form does not hold together (shapes, indices outside `tokens`)
 */
export function decodePredictions(predictions) {
  if (predictions === null || Array.isArray(predictions)) return predictions;
  if (typeof predictions !== "object" || !Array.isArray(predictions.tokens)) {
    throw new Error("expected predictions as per-step lists or typed arrays {k, tokens, index, prob}");
  }
  const { tokens } = predictions;
  const index = decodeTyped(predictions.index, "i4");
  const prob = decodeTyped(predictions.prob, "f8");
  if (index.T !== prob.T || index.k !== prob.k || index.k !== predictions.k) {
    throw new Error(`the predictions' index (${index.T}×${index.k}) and prob (${prob.T}×${prob.k}) do not match k = ${predictions.k}`);
  }
  const { T, k } = index;
  const steps = new Array(T);
  for (let t = 0; t < T; t++) {
    const step = new Array(k);
    for (let j = 0; j < k; j++) {
      const n = t * k + j;
      const token = tokens[index.data[n]];
      if (typeof token !== "string") throw new Error(`prediction index ${index.data[n]} is outside the ${tokens.length} tokens`);
      step[j] = { token, prob: prob.data[n] };
    }
    steps[t] = step;
  }
  return steps;
}

/**
 * A /api/trace answer with its predictions as per-step lists (decodePredictions); the rest as it came.
 * @param {object} answer the parsed answer
 * @returns {object}
 */
export function readTraceAnswer(answer) {
  if (answer === null || typeof answer !== "object" || !answer.predictions || Array.isArray(answer.predictions)) return answer;
  return { ...answer, predictions: decodePredictions(answer.predictions) };
}
