// Unit activity, change, ordering and span search against hand-written examples.
import assert from "node:assert/strict";
import { test } from "node:test";

import { matrix } from "../../static/js/core/arrays.js";
import { activity, changeAt, fitUnits, orderUnits, rankBySpan, spanScores } from "../../static/js/core/units.js";

const mat = (rows) => matrix(rows.length, rows[0]?.length ?? 0, Float32Array.from(rows.flat()));

// Steps as rows, units as columns.
const m = mat([
  [1, -2, 0],
  [3, 0, 0.5],
  [-1, 2, 0.5],
]);

test("activity is the mean |value| per unit", () => {
  const a = activity(m);
  assert.ok(a instanceof Float64Array);
  assert.deepEqual(Array.from(a), [5 / 3, 4 / 3, 1 / 3]);
  assert.deepEqual(Array.from(activity(matrix(0, 3))), [0, 0, 0]);
});

test("changeAt: |m[t] − m[t−1]|, and from the zero state at t = 0", () => {
  assert.deepEqual(Array.from(changeAt(m, 0)), [1, 2, 0]);
  assert.deepEqual(Array.from(changeAt(m, 1)), [2, 2, 0.5]);
  assert.deepEqual(Array.from(changeAt(m, 2)), [4, 2, 0]);
  assert.throws(() => changeAt(m, 3), RangeError);
  assert.throws(() => changeAt(matrix(0, 3), 0), RangeError);
});

test("orderUnits sorts by score descending, ties by lower index", () => {
  const scores = [0.1, 0.9, 0.5, 0.9, -1];
  assert.deepEqual(orderUnits({ H: 5, scores }), [1, 3, 2, 0, 4]);
  assert.deepEqual(orderUnits({ H: 5 }), [0, 1, 2, 3, 4]);
  assert.deepEqual(orderUnits({ H: 3, scores: [NaN, 1, 2] }), [2, 1, 0]);
  assert.deepEqual(orderUnits({ H: 0 }), []);
});

test("orderUnits puts pins first, deduplicated, ignoring units out of range", () => {
  const scores = [0.1, 0.9, 0.5, 0.9, -1];
  assert.deepEqual(orderUnits({ H: 5, scores, pinned: [4, 2, 4, 7, -1, 1.5] }), [4, 2, 1, 3, 0]);
  assert.deepEqual(orderUnits({ H: 5, pinned: [3] }), [3, 0, 1, 2, 4]);
});

test("orderUnits cuts to topN in total but keeps every pin", () => {
  const scores = [0.1, 0.9, 0.5, 0.9, -1];
  assert.deepEqual(orderUnits({ H: 5, scores, topN: 2 }), [1, 3]);
  assert.deepEqual(orderUnits({ H: 5, scores, pinned: [4, 2], topN: 3 }), [4, 2, 1]);
  assert.deepEqual(orderUnits({ H: 5, scores, pinned: [4, 2], topN: 1 }), [4, 2]);
  assert.deepEqual(orderUnits({ H: 5, scores, topN: 0 }), []);
  assert.deepEqual(orderUnits({ H: 2, topN: 10 }), [0, 1]);
});

// 5 tokens × 4 units. Unit 0 is high everywhere, units 1 and 3 only on tokens 1..2, unit 2 is low there.
const spans = mat([
  [2, 0, 0.5, 0],
  [2, 1, 0.5, 1],
  [2, 1, 0, 1],
  [2, 0, 0.5, 0],
  [2, 0, 0.5, 0],
]);

test("spanScores: mean inside minus mean outside", () => {
  // unit 2: inside (0.5 + 0) / 2 = 0.25, outside 0.5 → −0.25
  assert.deepEqual(Array.from(spanScores(spans, 1, 2)), [0, 1, -0.25, 1]);
  assert.deepEqual(Array.from(spanScores(spans, 2, 1)), [0, 1, -0.25, 1]);
  // one token: outside means over tokens 1..4 are [2, 0.5, 0.375, 0.5]
  assert.deepEqual(Array.from(spanScores(spans, 0, 0)), [0, -0.5, 0.125, -0.5]);
});

test("spanScores over every token is the inside mean", () => {
  assert.deepEqual(Array.from(spanScores(spans, 0, 4)), [2, 0.4, 0.4, 0.4]);
  assert.deepEqual(Array.from(spanScores(spans, 4, 0)), [2, 0.4, 0.4, 0.4]);
});

test("rankBySpan finds the units active inside the span", () => {
  assert.deepEqual(rankBySpan(spans, 1, 2, 2), [
    { unit: 1, score: 1, inside: 1, outside: 0 },
    { unit: 3, score: 1, inside: 1, outside: 0 },
  ]);
  assert.deepEqual(rankBySpan(spans, 2, 1, 10).map((r) => r.unit), [1, 3, 0, 2]);
  assert.deepEqual(rankBySpan(spans, 1, 2, 4)[3], { unit: 2, score: -0.25, inside: 0.25, outside: 0.5 });
  assert.deepEqual(rankBySpan(spans, 0, 4, 1), [{ unit: 0, score: 2, inside: 2, outside: null }]);
  assert.deepEqual(rankBySpan(spans, 1, 2, 0), []);
});

test("span search refuses tokens out of range, and any span when T = 0", () => {
  assert.throws(() => spanScores(spans, 0, 5), RangeError);
  assert.throws(() => rankBySpan(spans, -1, 2, 3), RangeError);
  assert.throws(() => spanScores(matrix(0, 3), 0, 0), RangeError);
});

test("fitUnits keeps pinned, selected and named units first, then the most active up to the capacity", () => {
  const act = [0.5, 3, 0.1, 2, 2, Number.NaN, 9];
  assert.deepEqual(fitUnits({ H: 7, capacity: 4, named: [2], activity: act }), [2, 6, 1, 3]);
  // Ties go to the lower index; NaN is least active.
  assert.deepEqual(fitUnits({ H: 7, capacity: 7, activity: act }), [6, 1, 3, 4, 0, 2, 5]);
  assert.deepEqual(fitUnits({ H: 7, capacity: 3, pinned: [5], selected: 0, named: [2, 0], activity: act }),
    [5, 0, 2]);
  // Never fewer than the units that must stay, even past the capacity; out-of-range ones are ignored.
  assert.deepEqual(fitUnits({ H: 7, capacity: 1, pinned: [4, 9], named: [2, -1], activity: act }), [4, 2]);
});
