// The memory ledger against a 2×2 example worked by hand.
import assert from "node:assert/strict";
import { test } from "node:test";

import { matrix } from "../../static/js/arrays.js";
import { ledger } from "../../static/js/ledger.js";

const mat = (rows) => matrix(rows.length, rows[0]?.length ?? 0, Float32Array.from(rows.flat()));
const rows = (m) => Array.from({ length: m.T }, (_, t) => Array.from(m.data.subarray(t * m.H, (t + 1) * m.H)));

// T = 2 steps, H = 2 units, c_{-1} = [2, -4].
//   t0: kept = f⊙c_{-1} = [0.5·2, 0.25·−4] = [1, −1]; forgotten = [0.5·2, 0.75·−4] = [1, −3];
//       written = i⊙g = [1·0.5, 0.5·−1] = [0.5, −0.5]; c_0 = kept + written = [1.5, −1.5]
//   t1: kept = [1·1.5, 0.5·−1.5] = [1.5, −0.75]; forgotten = [0·1.5, 0.5·−1.5] = [0, −0.75];
//       written = [0.5·−0.5, 0.25·1] = [−0.25, 0.25]; c_1 = [1.25, −0.5]
const layer = {
  f: mat([[0.5, 0.25], [1, 0.5]]),
  i: mat([[1, 0.5], [0.5, 0.25]]),
  g: mat([[0.5, -1], [-0.5, 1]]),
  c: mat([[1.5, -1.5], [1.25, -0.5]]),
};

test("ledger of a 2×2 layer with an initial cell state", () => {
  const { kept, forgotten, written } = ledger(layer, [2, -4]);
  assert.deepEqual(rows(kept), [[1, -1], [1.5, -0.75]]);
  assert.deepEqual(rows(forgotten), [[1, -3], [0, -0.75]]);
  assert.deepEqual(rows(written), [[0.5, -0.5], [-0.25, 0.25]]);
  for (const m of [kept, forgotten, written]) {
    assert.equal(m.T, 2);
    assert.equal(m.H, 2);
    assert.ok(m.data instanceof Float32Array);
  }
});

test("kept + written is c_t and kept + forgotten is c_{t-1}", () => {
  const { kept, forgotten, written } = ledger(layer, [2, -4]);
  assert.deepEqual(Array.from(kept.data, (v, k) => v + written.data[k]), [1.5, -1.5, 1.25, -0.5]);
  assert.deepEqual(Array.from(kept.data, (v, k) => v + forgotten.data[k]), [2, -4, 1.5, -1.5]);
});

test("without c0 the state before the first step is zero", () => {
  // c_0 = written_0 = [0.5, −0.5]; t1: kept = [1·0.5, 0.5·−0.5], forgotten = [0·0.5, 0.5·−0.5].
  const zeroStart = { ...layer, c: mat([[0.5, -0.5], [0.25, 0]]) };
  const { kept, forgotten, written } = ledger(zeroStart);
  assert.deepEqual(rows(kept), [[0, 0], [0.5, -0.25]]);
  assert.deepEqual(rows(forgotten), [[0, 0], [0, -0.25]]);
  assert.deepEqual(rows(written), [[0.5, -0.5], [-0.25, 0.25]]);
});

test("products are rounded once to float32, as NumPy's float32 ledger", () => {
  // f = float32(0.3), c_{-1} = 3: numpy gives kept 0.9000000357627869, forgotten 2.0999999046325684.
  const one = { f: mat([[0.3]]), i: mat([[0.3]]), g: mat([[0.1]]), c: mat([[0]]) };
  const { kept, forgotten, written } = ledger(one, [3]);
  assert.equal(kept.data[0], 0.9000000357627869);
  assert.equal(forgotten.data[0], 2.0999999046325684);
  assert.equal(written.data[0], Math.fround(Math.fround(0.3) * Math.fround(0.1)));
});

test("T = 0 gives empty matrices of H units", () => {
  const empty = matrix(0, 3);
  const { kept, forgotten, written } = ledger({ f: empty, i: empty, g: empty, c: empty }, [1, 2, 3]);
  for (const m of [kept, forgotten, written]) assert.deepEqual([m.T, m.H, m.data.length], [0, 3, 0]);
});

test("ledger refuses mismatched shapes and a c0 of the wrong length", () => {
  assert.throws(() => ledger({ ...layer, g: mat([[1, 2]]) }), /g is 1×2, c is 2×2/);
  assert.throws(() => ledger(layer, [1, 2, 3]), /c0 has 3 values/);
});
