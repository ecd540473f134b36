// The typed-array predictions of an f4 or u1 answer ({k, tokens, index, prob}) decode to the json encoding's
// per-step lists [{token, prob}], the same numbers; trace_store.js and export.js get what they always got.
import assert from "node:assert/strict";
import { test } from "node:test";

import { traceJson } from "../../static/js/core/export.js";
import { decodePredictions, decodeTyped, readTraceAnswer } from "../../static/js/core/predictions.js";
import { absorb } from "../../static/js/core/trace_store.js";

const spec = (Kind, dtype, values, shape) => ({
  dtype, bdata: Buffer.from(new Kind(values).buffer).toString("base64"), shape,
});
const i4 = (values, shape) => spec(Int32Array, "i4", values, shape);
const f8 = (values, shape) => spec(Float64Array, "f8", values, shape);

// Three steps, two predictions each, over a table of three tokens; probabilities no float32 holds.
const PROBS = [0.6180339887498949, 0.1, 0.3333333333333333, 0.3333333333333333, 1e-300, 5e-324];
const COMPACT = {
  k: 2, tokens: [" ", "e", "👍"], index: i4([1, 0, 2, 1, 0, 2], "3,2"), prob: f8(PROBS, "3,2"),
};
const LISTS = [
  [{ token: "e", prob: PROBS[0] }, { token: " ", prob: PROBS[1] }],
  [{ token: "👍", prob: PROBS[2] }, { token: "e", prob: PROBS[3] }],
  [{ token: " ", prob: PROBS[4] }, { token: "👍", prob: PROBS[5] }],
];

test("typed-array predictions decode to the per-step lists, every float64 exactly", () => {
  const steps = decodePredictions(COMPACT);
  assert.deepEqual(steps, LISTS);
  steps.flat().forEach((p, n) => assert.ok(Object.is(p.prob, PROBS[n])));
  // Bit for bit what JSON.parse gives of the json encoding's numbers (the shortest decimal of each double).
  assert.deepEqual(JSON.parse(JSON.stringify(steps)), steps);
});

test("lists and null pass through as they came", () => {
  assert.equal(decodePredictions(null), null);
  assert.equal(decodePredictions(LISTS), LISTS);
  const answer = { start: 0, tokens: [], layers: [], predictions: LISTS };
  assert.equal(readTraceAnswer(answer), answer);
  assert.equal(readTraceAnswer({ ...answer, predictions: null }).predictions, null);
});

test("top_k = 0 gives an empty list per step; an empty text no steps", () => {
  assert.deepEqual(decodePredictions({ k: 0, tokens: [], index: i4([], "3,0"), prob: f8([], "3,0") }), [[], [], []]);
  assert.deepEqual(decodePredictions({ k: 5, tokens: [], index: i4([], "0,5"), prob: f8([], "0,5") }), []);
});

test("readTraceAnswer replaces only the predictions", () => {
  const answer = { model: "m", version: "v", encoding: "u1", num_tokens: 3, start: 0, tokens: [1, 2, 3], layers: [{}],
    predictions: COMPACT };
  const read = readTraceAnswer(answer);
  assert.deepEqual(read, { ...answer, predictions: LISTS });
  assert.equal(read.tokens, answer.tokens);
  assert.equal(read.layers, answer.layers);
});

test("a typed form that does not hold together is refused, saying why", () => {
  assert.throws(() => decodePredictions({ ...COMPACT, k: 3 }), /do not match k = 3/);
  assert.throws(() => decodePredictions({ ...COMPACT, prob: f8(PROBS.slice(0, 4), "2,2") }), /do not match/);
  assert.throws(() => decodePredictions({ ...COMPACT, tokens: ["a", "b"] }), /outside the 2 tokens/);
  assert.throws(() => decodePredictions({ ...COMPACT, index: f8([0, 1, 0, 1, 0, 1], "3,2") }), /expected dtype "i4"/);
  assert.throws(() => decodePredictions({ ...COMPACT, index: { ...COMPACT.index, shape: "6" } }), /shape "T,k"/);
  assert.throws(() => decodeTyped({ dtype: "i4", bdata: "AAAA", shape: "1,2" }, "i4"), /needs 8 bytes/);
  assert.throws(() => decodeTyped({ dtype: "i4", bdata: "!!", shape: "0,0" }, "i4"), /not valid base64/);
  assert.throws(() => decodePredictions({ k: 1 }), /per-step lists or typed arrays/);
});

test("the page's holding and the JSON download see the lists", () => {
  const want = { model: { id: "m", version: "v" }, text: "abc", layer: 0, unit: null, encoding: "u1", topK: 2,
    quantities: [] };
  const answer = readTraceAnswer({ start: 0, num_tokens: 3, layers: [{}], predictions: COMPACT,
    tokens: [0, 1, 2].map((n) => ({ text: "abc"[n], id: n, start: n, end: n + 1 })) });
  const held = absorb(null, want, answer);
  assert.deepEqual(held.predictions, LISTS);
  const trace = { model: "m", version: "v", tokens: answer.tokens, layers: [], predictions: COMPACT };
  assert.deepEqual(JSON.parse(traceJson(trace, [])).predictions, LISTS); // export.js reads either form
  assert.equal(traceJson(trace, []), traceJson({ ...trace, predictions: LISTS }, []));
});
