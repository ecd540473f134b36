// Token alignment of minimal pairs, A − B over aligned steps, and units ranked by difference,
// against hand-written examples.
import assert from "node:assert/strict";
import { test } from "node:test";
import { performance } from "node:perf_hooks";

import { matrix } from "../../static/js/core/arrays.js";
import { alignTokens, diffMatrix, rankByDifference } from "../../static/js/core/align.js";

const mat = (rows) => matrix(rows.length, rows[0]?.length ?? 0, Float32Array.from(rows.flat()));

// The lecture's tense pair as the word tokenizer splits it (words and punctuation).
const TODAY = ["Today", ",", "due", "to", "my", "current", "job", "situation", "and", "family", "conditions",
  ",", "I", "need", "to", "take", "a", "loan", "."];
const LAST_YEAR = ["Last", "year", ",", "due", "to", "my", "current", "job", "situation", "and", "family",
  "conditions", ",", "I", "had", "to", "take", "a", "loan", "."];

test("the lecture's tense pair aligns from ',' on and skips need / had", () => {
  const expected = [
    [1, 2], // ,
    [2, 3], // due
    [3, 4], // to
    [4, 5], // my
    [5, 6], // current
    [6, 7], // job
    [7, 8], // situation
    [8, 9], // and
    [9, 10], // family
    [10, 11], // conditions
    [11, 12], // ,
    [12, 13], // I
    // need (A 13) / had (B 14): not aligned
    [14, 15], // to
    [15, 16], // take
    [16, 17], // a
    [17, 18], // loan
    [18, 19], // .
  ];
  assert.deepEqual(alignTokens(TODAY, LAST_YEAR), expected);
  // Swapping the texts swaps the pairs.
  assert.deepEqual(alignTokens(LAST_YEAR, TODAY), expected.map(([a, b]) => [b, a]));
});

test("token objects are read by their text, compared lower-cased", () => {
  const a = [{ text: "Today" }, { text: "I" }, { text: "Need" }];
  const b = [{ text: "today" }, { text: "i" }, { text: "need" }];
  assert.deepEqual(alignTokens(a, b), [[0, 0], [1, 1], [2, 2]]);
});

test("identical texts align step by step", () => {
  assert.deepEqual(alignTokens(TODAY, TODAY), TODAY.map((_, t) => [t, t]));
});

test("disjoint and empty texts align nothing", () => {
  assert.deepEqual(alignTokens(["a", "b", "c"], ["x", "y"]), []);
  assert.deepEqual(alignTokens([], []), []);
  assert.deepEqual(alignTokens([], ["a"]), []);
  assert.deepEqual(alignTokens(["a"], []), []);
});

test("ties: matches sit as late as possible, leaving a differing prefix unmatched", () => {
  // "a" could pair with either "a" of B: the later one keeps the pair next to the shared "x".
  assert.deepEqual(alignTokens(["a", "x"], ["a", "a", "x"]), [[0, 1], [1, 2]]);
  assert.deepEqual(alignTokens(["a", "a", "x"], ["a", "x"]), [[1, 0], [2, 1]]);
  assert.deepEqual(alignTokens(["the", "cat"], ["the", "dog", "and", "the", "cat"]), [[0, 3], [1, 4]]);
  // A repeated word at the end: the last occurrences pair up.
  assert.deepEqual(alignTokens(["x", "a"], ["a", "y", "a"]), [[1, 2]]);
});

test("2,000 × 2,000 tokens align into an increasing, matching path (time printed)", (t) => {
  // Pseudo-random texts over a 50-word vocabulary (Park–Miller, so the run is reproducible); B's
  // last half is A's first half verbatim, so the alignment is long.
  let seed = 12345;
  const next = () => (seed = (seed * 48271) % 2147483647) % 50;
  const a = Array.from({ length: 2000 }, () => `w${next()}`);
  const b = [...Array.from({ length: 1000 }, () => `w${next()}`), ...a.slice(0, 1000)];
  const start = performance.now();
  const pairs = alignTokens(a, b);
  const ms = performance.now() - start;
  t.diagnostic(`alignTokens 2000 × 2000: ${ms.toFixed(0)} ms, ${pairs.length} pairs`);
  assert.ok(pairs.length >= 1000);
  for (let k = 1; k < pairs.length; k++) {
    assert.ok(pairs[k][0] > pairs[k - 1][0] && pairs[k][1] > pairs[k - 1][1]);
  }
  for (const [ta, tb] of pairs) assert.equal(a[ta], b[tb]);
  // No timed assertion (a shared machine is noisy): the figure is printed as a diagnostic.
});

test("diffMatrix is A − B over the aligned steps", () => {
  const mA = mat([
    [1, 2],
    [3, 4],
    [5, 6],
  ]);
  const mB = mat([
    [0, 1],
    [10, -1],
  ]);
  const diff = diffMatrix(mA, mB, [[0, 0], [2, 1]]);
  assert.equal(diff.T, 2);
  assert.equal(diff.H, 2);
  assert.ok(diff.data instanceof Float32Array);
  assert.deepEqual(Array.from(diff.data), [1, 1, -5, 7]);
  assert.deepEqual(diffMatrix(mA, mB, []), matrix(0, 2));
  assert.throws(() => diffMatrix(mA, mat([[1, 2, 3]]), [[0, 0]]), /units/);
  assert.throws(() => diffMatrix(mA, mB, [[3, 0]]), RangeError);
  assert.throws(() => diffMatrix(mA, mB, [[0, 2]]), RangeError);
});

test("rankByDifference: mean |Δ| descending, ties to the lower unit, signed mean alongside", () => {
  const diff = mat([
    [1, -4, 0, 2],
    [-3, 2, 0, -2],
  ]);
  // mean |Δ|: unit 0 → 2, unit 1 → 3, unit 2 → 0, unit 3 → 2; mean Δ: -1, -1, 0, 0.
  assert.deepEqual(rankByDifference(diff, 3), [
    { unit: 1, meanAbs: 3, mean: -1 },
    { unit: 0, meanAbs: 2, mean: -1 },
    { unit: 3, meanAbs: 2, mean: 0 },
  ]);
  assert.equal(rankByDifference(diff, 10).length, 4);
  assert.deepEqual(rankByDifference(diff, 0), []);
  assert.deepEqual(rankByDifference(matrix(0, 2), 2), [
    { unit: 0, meanAbs: 0, mean: 0 },
    { unit: 1, meanAbs: 0, mean: 0 },
  ]);
});
