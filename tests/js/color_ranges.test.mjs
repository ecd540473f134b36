// static/js/core/color_ranges.js: per-unit, percentile and shared colour ranges and their words.
// Run: node --test tests/js/color_ranges.test.mjs
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  BLOCK, BINS, DEFAULT_SCALE_MODE, PERCENTILE, UNIT_FLOOR, blockStats, colourRanges, colourWords, countBeyond,
  groupOf, quantileOf, rangeNumber, rowRangeOf, scaleModeOf, scaleWords, unitPeaks,
} from "../../static/js/core/color_ranges.js";
import { niceCeil } from "../../static/js/core/views.js";
import { GRU, LSTM, RNN } from "./cells.mjs";

// Every quantity of the LSTM's, and the vanilla RNN's pre-activation a: the panels these tests draw.
const CELL = { ...LSTM, panels: { ...LSTM.panels, a: RNN.panels.a } };

/** A (T, H) matrix whose unit u at step t is f(t, u). */
function matrixOf(T, H, f) {
  const data = new Float32Array(T * H);
  for (let t = 0; t < T; t++) for (let u = 0; u < H; u++) data[t * H + u] = f(t, u);
  return { T, H, data };
}

/** A deterministic pseudo-random number in [0, 1) (a small LCG): tests see the same numbers every run. */
function lcg(seed) {
  let x = seed >>> 0;
  return () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x / 2 ** 32;
  };
}

/** The exact p-quantile of |value| (the rank-⌈p·n⌉ smallest of the finite values). */
function exactQuantile(values, p) {
  const sorted = Array.from(values).filter(Number.isFinite).map(Math.abs).sort((a, b) => a - b);
  return sorted[Math.max(1, Math.ceil(p * sorted.length)) - 1];
}

const LEDGER = ["kept", "forgotten", "written"];

test("the default mode is one range per row; unknown modes fall back to it", () => {
  assert.equal(DEFAULT_SCALE_MODE, "unit");
  assert.equal(scaleModeOf(undefined), "unit");
  assert.equal(scaleModeOf("nonsense"), "unit");
  assert.equal(scaleModeOf("robust"), "robust");
  assert.deepEqual(groupOf(CELL, "written", ["kept", "written", "c", "f"]), ["kept", "written"]);
  assert.deepEqual(groupOf(CELL, "c", ["kept", "written", "c"]), ["c"]);
});

test("unit mode: each row spans ± its unit's largest |value| over the group's panels, rounded up", () => {
  // Unit 0 lives at ±15, unit 1 at ±1.7 in kept and ±0.4 in written, unit 2 at 0.9 only in forgotten.
  const matrices = {
    kept: matrixOf(5, 3, (t, u) => [15 * Math.sin(t), 1.7 * (t % 2 ? -1 : 1), 0][u]),
    forgotten: matrixOf(5, 3, (t, u) => (u === 2 ? 0.9 * (t === 3 ? -1 : 0.1) : 0)),
    written: matrixOf(5, 3, (t, u) => (u === 1 ? 0.4 : 0)),
  };
  const { ranges } = colourRanges({ cell: CELL, keys: LEDGER, matrices, mode: "unit" });
  const largest0 = Math.max(...Array.from({ length: 5 }, (_, t) => Math.abs(Math.fround(15 * Math.sin(t)))));
  const expected = [niceCeil(largest0), niceCeil(Math.fround(1.7)), niceCeil(Math.fround(0.9))];
  assert.deepEqual(expected, [15, 1.8, 1]);
  for (const key of LEDGER) {
    assert.equal(ranges[key].mode, "unit");
    assert.deepEqual(Array.from(ranges[key].perUnit), expected, key);
    assert.deepEqual(ranges[key].group, LEDGER);
    assert.equal(ranges[key].perUnit, ranges.kept.perUnit); // one scale for the ledger
  }
  assert.equal(ranges.kept.zmax, 15); // the colour bar's reference: the largest row
  // Rows follow `units`: row 0 shows unit 1, row 1 unit 0.
  assert.deepEqual(rowRangeOf(ranges.kept, [1, 0], 0), { zmin: -1.8, zmax: 1.8 });
  assert.deepEqual(rowRangeOf(ranges.kept, [1, 0], 1), { zmin: -15, zmax: 15 });
});

test("unit mode: a silent unit is scaled to a floor, so its quantisation noise stays pale", () => {
  const matrices = { c: matrixOf(4, 2, (t, u) => (u === 0 ? 20 : 1e-4 * t)) };
  const { ranges } = colourRanges({ cell: CELL, keys: ["c"], matrices, mode: "unit" });
  assert.equal(ranges.c.perUnit[1], niceCeil(20 * UNIT_FLOOR));
  const zeros = colourRanges({ cell: CELL, keys: ["c"], matrices: { c: matrixOf(3, 2, () => 0) }, mode: "unit" }).ranges.c;
  assert.deepEqual(Array.from(zeros.perUnit), [1, 1]); // all zero: a usable ±1
});

test("gate and tanh panels keep their fixed ranges in every mode", () => {
  const matrices = {
    f: matrixOf(3, 2, () => 0.5), g: matrixOf(3, 2, () => 0.3), h: matrixOf(3, 2, () => -0.2),
    kept: matrixOf(3, 2, () => 7),
  };
  for (const mode of ["unit", "robust", "shared"]) {
    const { ranges } = colourRanges({ cell: CELL, keys: ["f", "g", "h", "kept"], matrices, mode });
    assert.deepEqual([ranges.f.mode, ranges.f.zmin, ranges.f.zmax, ranges.f.perUnit], ["fixed", 0, 1, null]);
    assert.deepEqual([ranges.g.mode, ranges.g.zmin, ranges.g.zmax], ["fixed", -1, 1]);
    assert.deepEqual([ranges.h.mode, ranges.h.zmin, ranges.h.zmax], ["fixed", -1, 1]);
    assert.equal(ranges.kept.mode, mode);
    assert.deepEqual(rowRangeOf(ranges.f, [1, 0], 1), { zmin: 0, zmax: 1 });
  }
});

test("shared mode: the group's largest |value| rounded up, as the page did first", () => {
  const matrices = {
    kept: matrixOf(3, 2, (t, u) => (u ? -2.6 : 1)),
    forgotten: matrixOf(3, 2, () => 3.01),
    written: matrixOf(3, 2, () => 0.5),
    c: matrixOf(3, 2, () => 1234),
  };
  const { ranges } = colourRanges({ cell: CELL, keys: [...LEDGER, "c"], matrices, mode: "shared" });
  for (const key of LEDGER) assert.deepEqual([ranges[key].zmin, ranges[key].zmax], [-3.5, 3.5], key);
  assert.deepEqual([ranges.c.zmin, ranges.c.zmax, ranges.c.perUnit, ranges.c.clipped], [-1500, 1500, null, 0]);
});

test("robust mode: the 99th percentile of |value| over the group, rounded up; the cells past it counted", () => {
  // 20 steps × 10 units: every value 1 or smaller, but unit 3 of kept runs away to 60 at 4 steps.
  const random = lcg(7);
  const kept = matrixOf(20, 10, (t, u) => (u === 3 && t >= 16 ? 60 : random() * 2 - 1));
  const written = matrixOf(20, 10, () => random() * 0.4 - 0.2);
  const matrices = { kept, forgotten: matrixOf(20, 10, () => 0), written };
  const { ranges } = colourRanges({ cell: CELL, keys: LEDGER, matrices, mode: "robust" });
  const all = [...kept.data, ...matrices.forgotten.data, ...written.data];
  const limit = ranges.kept.zmax;
  assert.ok(limit >= exactQuantile(all, PERCENTILE) && limit <= 1.25 * 1.125 * exactQuantile(all, PERCENTILE), `${limit}`);
  assert.equal(limit, niceCeil(limit)); // a nice number
  assert.ok(limit < 2, "one runaway unit does not set the range");
  for (const key of LEDGER) assert.deepEqual([ranges[key].mode, ranges[key].zmin, ranges[key].zmax], ["robust", -limit, limit]);
  const beyond = (m) => Array.from(m.data).filter((v) => Math.abs(v) > limit).length;
  assert.equal(ranges.kept.clipped, beyond(kept));
  assert.ok(ranges.kept.clipped >= 4);
  assert.equal(ranges.written.clipped, 0);
  assert.equal(ranges.forgotten.clipped, 0);
});

test("the histogram's quantile is within its bin (1/8 octave) of the exact one", () => {
  const random = lcg(3);
  for (const spread of [1, 4, 12]) {
    const m = matrixOf(300, 7, () => (random() - 0.5) * Math.exp(random() * spread));
    m.data[5] = NaN; // left out
    const stats = blockStats(m, { peaks: false, histogram: true });
    for (const p of [0.5, 0.9, PERCENTILE, 1]) {
      const exact = exactQuantile(m.data, p);
      const estimate = quantileOf(stats.total, p);
      assert.ok(Math.abs(estimate - exact) <= 0.125 * exact + 1e-12, `${spread} ${p}: ${estimate} vs ${exact}`);
    }
  }
  assert.equal(quantileOf(new Uint32Array(BINS), PERCENTILE), 0); // nothing counted
});

test("countBeyond counts |value| > limit exactly: Infinity counts, NaN and the limit itself do not", () => {
  const m = { T: 2, H: 4, data: Float32Array.from([1.5, -1.5, 1.5000001, -Infinity, NaN, 0, -2, Infinity]) };
  assert.equal(countBeyond(m, 1.5).total, 4);
  assert.equal(countBeyond(m, 10).total, 2);
});

test("blockStats and countBeyond re-read only the blocks after the steps kept, with the same result", () => {
  const random = lcg(11);
  const H = 5;
  const T = 3 * BLOCK + 17;
  const before = matrixOf(T, H, () => random() * 8 - 4);
  // The next text keeps the first 2·BLOCK + 3 steps and changes the rest (and grows).
  const keep = 2 * BLOCK + 3;
  const after = matrixOf(T + 40, H, (t, u) => (t < keep ? before.data[t * H + u] : random() * 3 - 1.5));
  const previous = blockStats(before, { histogram: true });
  const incremental = blockStats(after, { histogram: true, previous, keep });
  const full = blockStats(after, { histogram: true });
  assert.deepEqual(incremental.peaks, full.peaks);
  assert.deepEqual(incremental.hist, full.hist);
  assert.deepEqual(incremental.total, full.total);
  assert.deepEqual(unitPeaks(incremental), unitPeaks(full));
  const counted = countBeyond(after, 1, { previous: countBeyond(before, 1), keep });
  assert.deepEqual(counted, countBeyond(after, 1));
  assert.equal(countBeyond(after, 2, { previous: countBeyond(before, 1), keep }).total, countBeyond(after, 2).total);
  // A shorter text (a deletion) keeps only whole blocks before its end.
  const shorter = { T: BLOCK + 2, H, data: after.data.subarray(0, (BLOCK + 2) * H) };
  assert.deepEqual(blockStats(shorter, { previous: full, keep: BLOCK + 2 }).peaks, blockStats(shorter).peaks);
});

test("colourRanges with the previous cache gives the same ranges as from scratch, in every mode", () => {
  const random = lcg(5);
  const H = 6;
  const whole = (T) => Object.fromEntries(LEDGER.map((key) => [key, matrixOf(T, H, () => (random() - 0.5) * 6)]));
  const before = whole(150);
  const after = Object.fromEntries(LEDGER.map((key) => {
    const data = new Float32Array(170 * H);
    data.set(before[key].data.subarray(0, 140 * H));
    for (let k = 140 * H; k < data.length; k++) data[k] = (random() - 0.5) * 9;
    return [key, { T: 170, H, data }];
  }));
  for (const mode of ["unit", "robust", "shared"]) {
    const first = colourRanges({ cell: CELL, keys: LEDGER, matrices: before, mode });
    const next = colourRanges({ cell: CELL, keys: LEDGER, matrices: after, mode, cache: first.cache, keep: 140 });
    const scratch = colourRanges({ cell: CELL, keys: LEDGER, matrices: after, mode });
    assert.deepEqual(next.ranges, scratch.ranges, mode);
  }
});

test("ranges come from the whole text: an animation's first steps are coloured on the final scale", () => {
  const whole = { c: matrixOf(10, 2, (t, u) => (u ? 1 : t * 1.5)) }; // unit 0 grows to 13.5
  const { ranges } = colourRanges({ cell: CELL, keys: ["c"], matrices: whole, mode: "unit" });
  const { ranges: early } = colourRanges({
    cell: CELL, keys: ["c"], matrices: { c: { T: 3, H: 2, data: whole.c.data.subarray(0, 6) } }, mode: "unit",
  });
  assert.equal(ranges.c.perUnit[0], 15);
  assert.equal(early.c.perUnit[0], 3); // what the first steps alone would give: a different colour for 3
});

test("the colours and the scale are said in words", () => {
  assert.match(colourWords(CELL, "kept"), /red: positive memory kept · blue: negative memory kept · pale: little kept/);
  assert.match(colourWords(CELL, "forgotten"), /pale: nothing erased/);
  assert.match(colourWords(CELL, "forgotten"), /the sign of the memory erased \(blue is not “less forgotten”\)/);
  assert.match(colourWords(CELL, "written"), /red: pushes c up · blue: pushes c down/);
  assert.match(colourWords(CELL, "c"), /red: positive memory · blue: negative memory · pale: near 0/);
  assert.match(colourWords(CELL, "a"), /red: positive/);
  for (const key of ["f", "i", "o"]) assert.match(colourWords(CELL, key), /yellow: open ≈ 1.*purple: closed ≈ 0/);
  for (const key of ["g", "h"]) assert.match(colourWords(CELL, key), /red: \+1 · blue: −1 · white: 0/);
  // A GRU's written memory pushes its memory, h; its gates say what they do in their own words.
  assert.match(colourWords(GRU, "written"), /red: pushes h up · blue: pushes h down/);
  assert.match(colourWords(GRU, "z"), /yellow: open ≈ 1 · purple: closed ≈ 0 \(what is kept\)/);
  assert.match(colourWords(GRU, "h"), /red: \+1 · blue: −1/);

  const group = LEDGER;
  assert.equal(scaleWords({ mode: "unit", zmin: -15, zmax: 15, group }), "Each row on its own range.");
  assert.equal(scaleWords({ mode: "shared", zmin: -15, zmax: 15, group: ["c"] }), "±15 for every row.");
  assert.equal(scaleWords({ mode: "shared", zmin: -15, zmax: 15, group }),
    "±15 for every row, one scale for kept · forgotten · written.");
  assert.equal(scaleWords({ mode: "robust", zmin: -12, zmax: 12, clipped: 31, group: ["c"] }),
    "±12 for every row: 99th percentile; 31 cells beyond it drawn at the ends.");
  assert.match(scaleWords({ mode: "robust", zmin: -1.2, zmax: 1.2, clipped: 1, group }), /1 cell beyond it/);
  assert.equal(scaleWords({ mode: "fixed", zmin: 0, zmax: 1, group: ["f"] }), "Fixed: 0 to 1.");
  assert.deepEqual([0.035, 1.8, 15, 1500, 0.3].map(rangeNumber), ["0.035", "1.8", "15", "1500", "0.3"]);
});

test("2,000 tokens × 256 units: the ranges of three panels stay cheap, and cheaper after a keystroke (times printed)", () => {
  const random = lcg(1);
  const T = 2000;
  const H = 256;
  const matrices = Object.fromEntries(LEDGER.map((key) => [key, matrixOf(T, H, () => (random() - 0.5) * 8)]));
  for (const mode of ["unit", "robust"]) {
    let full = Infinity;
    let append = Infinity;
    for (let rep = 0; rep < 5; rep++) {
      const t0 = performance.now();
      const first = colourRanges({ cell: CELL, keys: LEDGER, matrices, mode });
      const t1 = performance.now();
      colourRanges({ cell: CELL, keys: LEDGER, matrices, mode, cache: first.cache, keep: T - 1 });
      full = Math.min(full, t1 - t0);
      append = Math.min(append, performance.now() - t1);
    }
    console.log(`# colourRanges ${mode}, 3 × ${T} × ${H}: ${full.toFixed(2)} ms from scratch,`
      + ` ${append.toFixed(2)} ms after a keystroke`);
  }
});
