// trace_store.js: which tokens the page keeps after an edit, splicing, and the request/absorb round trip
// against answers built by hand (the server's side is tested in tests/test_incremental.py).
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  absorb, afterCodePoints, holds, keptTokens, requestFor, splice, wholeRequest,
} from "../../static/js/core/trace_store.js";
import { TAB_SALT, idsDigest, newSalt } from "../../static/js/core/digest.js";
import { matrix } from "../../static/js/core/arrays.js";

// Word tokens of "I need a loan" (code-point offsets).
const TOKENS = [
  { text: "I", id: 1, start: 0, end: 1 }, { text: "need", id: 2, start: 2, end: 6 },
  { text: "a", id: 3, start: 7, end: 8 }, { text: "loan", id: 4, start: 9, end: 13 },
];

test("tokens that end before the edit are kept, less one", () => {
  assert.equal(keptTokens("I need a loan", "I need a loan now", TOKENS), 2); // I, need, a end before 13; less one
  assert.equal(keptTokens("I need a loan", "I need a loans", TOKENS), 2); // "loan" ends at the edit: not kept
  assert.equal(keptTokens("I need a loan", "I had a loan", TOKENS), 0); // the edit is in the second token
  assert.equal(keptTokens("I need a loan", "I need a loan", TOKENS), 2); // unchanged text: holds() answers first
  assert.equal(keptTokens("I need a loan", "", TOKENS), 0);
});

test("offsets count code points: an emoji before the edit is one character", () => {
  const tokens = [{ text: "😀", id: 5, start: 0, end: 1 }, { text: "a", id: 6, start: 2, end: 3 },
    { text: "b", id: 7, start: 4, end: 5 }];
  assert.equal(keptTokens("😀 a b", "😀 a b c", tokens), 1); // 😀 and a end before 5, less one
  // A change to the second half of a surrogate pair keeps nothing of that character.
  assert.equal(keptTokens("😀 a", "😁 a", tokens.slice(0, 2)), 0);
});

test("splice keeps the first steps and appends the rest", () => {
  const held = matrix(3, 2, Float32Array.from([1, 2, 3, 4, 5, 6]));
  const rest = matrix(2, 2, Float32Array.from([7, 8, 9, 10]));
  const joined = splice(held, 2, rest);
  assert.deepEqual(Array.from(joined.data), [1, 2, 3, 4, 7, 8, 9, 10]);
  assert.deepEqual(Array.from(joined.peak.subarray(0, 4)), [2, 4, 8, 10]); // running max |value| per step
  assert.deepEqual(Array.from(splice(held, 0, rest).data), [7, 8, 9, 10]);
  assert.throws(() => splice(held, 4, rest), /cannot keep 4 steps/);
});

test("the first splice of a held matrix writes in place; a spent one, or one out of room, is copied", async () => {
  const { maxAbs } = await import("../../static/js/core/arrays.js");
  const first = splice(undefined, 0, matrix(3, 2, Float32Array.from([1, -2, 3, 4, -5, 6])));
  const next = splice(first, 2, matrix(2, 2, Float32Array.from([-9, 0, 1, 1])));
  assert.equal(next.store, first.store); // no copy of the kept steps
  assert.ok(first.spent);
  assert.deepEqual(Array.from(next.data), [1, -2, 3, 4, -9, 0, 1, 1]);
  assert.equal(maxAbs(next), 9);
  const again = splice(first, 1, matrix(1, 2, Float32Array.from([0.5, 0.5]))); // first is spent: a copy
  assert.notEqual(again.store, first.store);
  assert.deepEqual(Array.from(next.data), [1, -2, 3, 4, -9, 0, 1, 1]); // next untouched
  assert.equal(maxAbs(again), 2); // the peak follows a cut
  const big = splice(next, 3, matrix(40, 2, new Float32Array(80).fill(-7))); // out of room: a copy
  assert.notEqual(big.store, next.store);
  assert.deepEqual(Array.from(big.data.subarray(0, 6)), [1, -2, 3, 4, -9, 0]);
  assert.equal(maxAbs(big), 9);
  assert.equal(maxAbs({ T: big.T, H: 2, data: big.data }), 9); // without a peak, every value is read
});

const MODEL = { id: "lesson", version: "abcdef012345" };
const want = (text, extra = {}) => ({
  model: MODEL, text, layer: 0, unit: null, encoding: "f4", topK: 2, quantities: ["f", "c"], ...extra,
});
const f4 = (T, H, values) => ({
  dtype: "f4", shape: `${T},${H}`, bdata: Buffer.from(Float32Array.from(values).buffer).toString("base64"),
});
// An answer from step `start` for a 1-unit model whose value at step t is t (f) and 10 t (c).
const answer = (tokens, start, T) => ({
  start, num_tokens: T, tokens: tokens.slice(start),
  layers: [{ f: f4(T - start, 1, tokens.slice(start).map((_, k) => start + k)),
    c: f4(T - start, 1, tokens.slice(start).map((_, k) => 10 * (start + k))) }],
  predictions: tokens.slice(start).map((t) => [{ token: t.text, prob: 1 }]),
});

test("a first request asks for everything; the next keeps what cannot change and names it", () => {
  const first = requestFor(null, want("I need a"));
  assert.equal(first.since, undefined);
  assert.equal(first.quantities, "f,c");
  assert.equal(first.salt, TAB_SALT); // every request carries the tab's salt: the server caches under it
  const held = absorb(null, want("I need a"), answer(TOKENS.slice(0, 3), 0, 3));
  const next = requestFor(held, want("I need a loan"));
  assert.equal(next.since, 1); // "I" and "need" end before the edit at 8, less one
  assert.equal(next.salt, TAB_SALT);
  assert.equal(next.prefix, idsDigest(MODEL.version, [1], 1, TAB_SALT)); // named under the salt
  assert.notEqual(next.prefix, idsDigest(MODEL.version, [1], 1));
  assert.equal(next.offset, 1); // only the text after "I" is sent: the server holds "I"
  assert.equal(next.text, " need a loan");
  const { offset, ...rest } = next;
  assert.deepEqual(wholeRequest(next, "I need a loan"), { ...rest, text: "I need a loan" });
  assert.equal(offset, 1);
  const after = absorb(held, want("I need a loan"), answer(TOKENS, 1, 4));
  assert.deepEqual(after.tokens, TOKENS);
  assert.deepEqual(Array.from(after.matrices.c.data), [0, 10, 20, 30]);
  assert.equal(after.predictions.length, 4);
  assert.deepEqual(after.kept, { from: held, steps: 1 }); // the steps it kept, and from which holding
  const third = absorb(after, want("I need a loan ."), answer([...TOKENS, { text: ".", id: 9, start: 14, end: 15 }], 3, 5));
  assert.equal(third.kept.from, after);
  assert.equal(after.kept, null); // no chain back through every keystroke
});

test("the text after n code points counts a surrogate pair as one", () => {
  assert.equal(afterCodePoints("😀 a b c", 2), "a b c");
  assert.equal(afterCodePoints("ab", 0), "ab");
  assert.equal(afterCodePoints("ab", 5), "");
  assert.equal(afterCodePoints("e\u0301x😀y", 4), "y"); // a combining mark is its own code point
});

test("another model, layer, unit or a missing quantity starts over", () => {
  const held = absorb(null, want("I need a"), answer(TOKENS.slice(0, 3), 0, 3));
  for (const change of [{ model: { id: "x", version: "1" } }, { layer: 1 }, { unit: 3 }, { quantities: ["f", "h"] },
    { encoding: "u1" }, { topK: 0 }]) {
    assert.equal(requestFor(held, want("I need a loan", change)).since, undefined, JSON.stringify(change));
  }
  assert.equal(requestFor(held, want("I need a loan", { quantities: ["c"] })).since, 1); // a subset is held
});

test("when the server sends everything (start 0) the holding is replaced", () => {
  const held = absorb(null, want("I need a"), answer(TOKENS.slice(0, 3), 0, 3));
  const after = absorb(held, want("I had a loan"), answer(TOKENS, 0, 4));
  assert.deepEqual(Array.from(after.matrices.f.data), [0, 1, 2, 3]);
});

test("nothing is asked when the holding already answers; a longer text is asked from what is kept", () => {
  const held = absorb(null, want("I need a"), answer(TOKENS.slice(0, 3), 0, 3));
  assert.ok(holds(held, want("I need a"))); // main.js sends no request then
  assert.ok(!holds(held, want("I need a loan")));
  const params = requestFor(held, want("I need a loan"));
  const grown = absorb(held, want("I need a loan"), answer(TOKENS, params.since, 4));
  assert.equal(grown.tokens.length, 4);
});

test("u1 specs decode within half a step", async () => {
  const { decodeSpec } = await import("../../static/js/core/arrays.js");
  const spec = { dtype: "u1", shape: "1,3", bdata: Buffer.from([0, 128, 255]).toString("base64"), lo: -1, hi: 1 };
  const m = decodeSpec(spec);
  assert.ok(Math.abs(m.data[0] + 1) < 1e-7 && Math.abs(m.data[2] - 1) < 1e-7);
  assert.ok(Math.abs(m.data[1] - (-1 + 128 * (2 / 255))) < 1e-6);
  assert.throws(() => decodeSpec({ ...spec, lo: undefined }), /lo and hi/);
});

test("a salt is 128 random bits as 32 hex digits, one per tab, and seeds the digest", () => {
  assert.match(TAB_SALT, /^[0-9a-f]{32}$/);
  const salts = new Set(Array.from({ length: 50 }, newSalt));
  assert.equal(salts.size, 50);
  for (const salt of salts) assert.match(salt, /^[0-9a-f]{32}$/);
  const [a, b] = [...salts];
  const ids = [5, 6, 7];
  assert.notEqual(idsDigest("abc", ids, 3, a), idsDigest("abc", ids, 3, b));
  assert.equal(idsDigest("abc", ids, 3, ""), idsDigest("abc", ids)); // no salt: the unsalted digest
  const held = absorb(null, want("I need a"), answer(TOKENS.slice(0, 3), 0, 3));
  const mine = requestFor(held, want("I need a loan"), a);
  assert.equal(mine.salt, a);
  assert.equal(mine.prefix, idsDigest(MODEL.version, [1], 1, a));
  assert.equal(wholeRequest(mine, "I need a loan").salt, a); // the 409 fallback keeps the salt
});
