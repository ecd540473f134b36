// decodeSpec and the matrix accessors against small hand-written examples.
import assert from "node:assert/strict";
import { test } from "node:test";

import { at, column, decodeSpec, extent, matrix, maxAbs, row, unitRows } from "../../static/js/core/arrays.js";

const f4 = (values, shape) => ({
  dtype: "f4",
  bdata: Buffer.from(new Float32Array(values).buffer).toString("base64"),
  shape,
});

// Steps as rows: t0 = [0.5, -1], t1 = [2, 0.25].
const m = decodeSpec(f4([0.5, -1, 2, 0.25], "2,2"));

test("decodeSpec reads a T,H spec time-major", () => {
  assert.equal(m.T, 2);
  assert.equal(m.H, 2);
  assert.ok(m.data instanceof Float32Array);
  assert.deepEqual(Array.from(m.data), [0.5, -1, 2, 0.25]);
  const wide = decodeSpec(f4([0.5, -1, 2, 0.25], "1,4"));
  assert.equal(at(wide, 0, 3), 0.25);
});

test("decodeSpec reads little-endian float32 bytes", () => {
  // 00 00 80 3f is 1.0 little-endian; 0.1 is stored as the nearest float32.
  assert.deepEqual(Array.from(decodeSpec({ dtype: "f4", bdata: "AACAPw==", shape: "1,1" }).data), [1]);
  assert.equal(decodeSpec(f4([0.1], "1,1")).data[0], 0.10000000149011612);
});

test("decodeSpec accepts T = 0", () => {
  const empty = decodeSpec({ dtype: "f4", bdata: "", shape: "0,3" });
  assert.equal(empty.T, 0);
  assert.equal(empty.H, 3);
  assert.equal(empty.data.length, 0);
  assert.deepEqual(unitRows(empty, [2, 0]).map((r) => r.length), [0, 0]);
  assert.deepEqual(extent(empty), { min: 0, max: 0 });
  assert.equal(maxAbs(empty), 0);
});

test("decodeSpec refuses other dtypes, shapes and byte counts with a clear message", () => {
  assert.throws(() => decodeSpec({ ...f4([1], "1,1"), dtype: "f8" }), /dtype "f4"/);
  assert.throws(() => decodeSpec(f4([1, 2, 3, 4], [2, 2])), /shape "T,H"/);
  assert.throws(() => decodeSpec(f4([1, 2, 3, 4], "4")), /shape "T,H"/);
  assert.throws(() => decodeSpec(f4([1, 2, 3, 4], "2,2,1")), /shape "T,H"/);
  assert.throws(() => decodeSpec(f4([1, 2, 3, 4], "3,2")), /needs 24 bytes/);
  assert.throws(() => decodeSpec({ dtype: "f4", bdata: "!!!!", shape: "1,1" }), /base64/);
  assert.throws(() => decodeSpec(null), /typed-array spec/);
});

test("at, column and row index time-major data", () => {
  assert.equal(at(m, 0, 1), -1);
  assert.equal(at(m, 1, 0), 2);
  assert.deepEqual(Array.from(column(m, 0)), [0.5, 2]);
  assert.deepEqual(Array.from(column(m, 1)), [-1, 0.25]);
  assert.deepEqual(Array.from(row(m, 1)), [2, 0.25]);
  assert.ok(column(m, 0) instanceof Float32Array);
  assert.ok(row(m, 0) instanceof Float32Array);
});

test("accessors refuse steps and units out of range", () => {
  assert.throws(() => at(m, 2, 0), RangeError);
  assert.throws(() => at(m, 0, 2), RangeError);
  assert.throws(() => column(m, -1), RangeError);
  assert.throws(() => row(m, 2), RangeError);
  assert.throws(() => unitRows(m, [0, 5]), RangeError);
});

test("unitRows gives units × tokens in the given order", () => {
  assert.deepEqual(unitRows(m, [1, 0]).map((r) => Array.from(r)), [[-1, 0.25], [0.5, 2]]);
  assert.deepEqual(unitRows(m, []), []);
});

test("extent and maxAbs", () => {
  assert.deepEqual(extent(m), { min: -1, max: 2 });
  assert.equal(maxAbs(m), 2);
  assert.equal(maxAbs(matrix(1, 2, new Float32Array([-3, 1]))), 3);
});

test("matrix checks its sizes", () => {
  assert.deepEqual(Array.from(matrix(2, 1).data), [0, 0]);
  assert.throws(() => matrix(2, 2, new Float32Array(3)), /Float32Array of 4/);
  assert.throws(() => matrix(-1, 2), /whole sizes/);
});

test("where the browser has Uint8Array.fromBase64, decodeSpec reads through it, to the same numbers", () => {
  const values = new Float32Array([0.5, -1.25, 3e-8, Number.NaN, 7, -0]);
  const bdata = Buffer.from(values.buffer).toString("base64");
  const u1 = { dtype: "u1", shape: "2,3", lo: -1.5, hi: 2.5, bdata: Buffer.from([0, 1, 127, 128, 254, 255]).toString("base64") };
  const f4 = { dtype: "f4", shape: "2,3", bdata };
  const before = [decodeSpec(f4), decodeSpec(u1)];
  const calls = [];
  Uint8Array.fromBase64 = (text) => {
    calls.push(text);
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text)) throw new SyntaxError("bad");
    return new Uint8Array(Buffer.from(text, "base64"));
  };
  try {
    const after = [decodeSpec(f4), decodeSpec(u1)];
    assert.equal(calls.length, 2);
    for (let k = 0; k < 2; k++) {
      assert.deepEqual(new Uint32Array(after[k].data.buffer), new Uint32Array(before[k].data.buffer)); // bit for bit
    }
    assert.throws(() => decodeSpec({ ...f4, bdata: "a$b" }), /bdata is not valid base64/);
  } finally {
    delete Uint8Array.fromBase64;
  }
});

test("u1 bytes decode to lo + q·(hi − lo)/255 rounded to float32, bit for bit", () => {
  const bytes = Uint8Array.from({ length: 256 }, (_, q) => q);
  const spec = { dtype: "u1", shape: "16,16", lo: -0.7310585, hi: 0.9933072, bdata: Buffer.from(bytes).toString("base64") };
  const { data } = decodeSpec(spec);
  const step = (spec.hi - spec.lo) / 255;
  for (let q = 0; q < 256; q++) assert.ok(Object.is(data[q], Math.fround(spec.lo + q * step)), `q = ${q}`);
});
