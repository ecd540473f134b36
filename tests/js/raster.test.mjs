// static/js/core/raster.js: colour tables and heatmap pixels. Run: node --test tests/js/raster.test.mjs
import assert from "node:assert/strict";
import { test } from "node:test";

import { DIVERGING, VIRIDIS, scaleColor } from "../../static/js/core/colors.js";
import { TABLE_STEPS, colorTable, fillRaster, scaleOf, sharedSteps } from "../../static/js/core/raster.js";
import { LSTM } from "./cells.mjs";

/** The r, g, b, a bytes of a table entry (the table is bytes read as Uint32 in platform order). */
function rgba(table, k) {
  return Array.from(new Uint8Array(table.buffer, 4 * k, 4));
}

function rgbaOf(hex) {
  const n = parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255, 255];
}

function stopAt(stops, pos) {
  return stops.find(([p]) => p === pos)[1];
}

/** The pixels that table entries `ks` would give. */
function colours(table, ks) {
  return ks.map((k) => table[k]);
}

test("a table starts, centres and ends exactly on the scale's stops", () => {
  for (const stops of [DIVERGING, VIRIDIS]) {
    const table = colorTable(stops);
    assert.equal(table.length, TABLE_STEPS + 2);
    assert.deepEqual(rgba(table, 0), rgbaOf(stops[0][1]));
    assert.deepEqual(rgba(table, TABLE_STEPS), rgbaOf(stops.at(-1)[1]));
    assert.deepEqual(rgba(table, TABLE_STEPS + 1), [0, 0, 0, 0]); // non-finite values: transparent
  }
  assert.deepEqual(rgba(colorTable(DIVERGING), TABLE_STEPS / 2), rgbaOf(stopAt(DIVERGING, 0.5))); // zero is white
});

test("zmin, zmid and zmax take the first, middle and last colours of their panel's scale", () => {
  const cases = [["kept", { zmin: -4, zmax: 4 }, DIVERGING], ["f", { zmin: 0, zmax: 1 }, VIRIDIS]];
  for (const [key, zrange, stops] of cases) {
    assert.equal(scaleOf(LSTM.panels[key]), stops);
    const table = colorTable(stops);
    const mid = (zrange.zmin + zrange.zmax) / 2;
    const m = { T: 3, H: 1, data: Float32Array.from([zrange.zmin, mid, zrange.zmax]) };
    const pixels = new Uint32Array(3);
    fillRaster(pixels, m, [0], zrange, table);
    const bytes = Array.from(new Uint8Array(pixels.buffer));
    assert.deepEqual(bytes.slice(0, 4), rgbaOf(stops[0][1]), key);
    assert.deepEqual(bytes.slice(8, 12), rgbaOf(stops.at(-1)[1]), key);
    // The middle: Viridis has no stop at 0.5, so it is interpolated (colors.js computes it independently).
    assert.equal(`rgb(${bytes.slice(4, 7).join(", ")})`, scaleColor(stops, 0.5), key);
  }
  assert.equal(scaleColor(DIVERGING, 0.5), "rgb(247, 247, 247)");
});

test("colours between stops are interpolated in RGB, as Plotly does", () => {
  const table = colorTable([[0, "#000000"], [1, "#ff8000"]]);
  assert.deepEqual(rgba(table, TABLE_STEPS / 2), [128, 64, 0, 255]);
  assert.deepEqual(rgba(table, TABLE_STEPS / 4), [64, 32, 0, 255]);
});

test("rows follow the units' order and columns the tokens", () => {
  // T = 2 steps, H = 3 units; value = 10·t + u, on a scale 0..20.
  const m = { T: 2, H: 3, data: Float32Array.from([0, 1, 2, 10, 11, 12]) };
  const table = colorTable(VIRIDIS);
  const pixels = new Uint32Array(3 * 2);
  fillRaster(pixels, m, [2, 0, 1], { zmin: 0, zmax: 20 }, table);
  const k = (v) => Math.round((v / 20) * TABLE_STEPS);
  assert.deepEqual(Array.from(pixels), colours(table, [k(2), k(12), k(0), k(10), k(1), k(11)]));
  const fewer = new Uint32Array(2);
  fillRaster(fewer, m, [1], { zmin: 0, zmax: 20 }, table); // a top-N cut: one row
  assert.deepEqual(Array.from(fewer), colours(table, [k(1), k(11)]));
});

test("values past the range take the end colours; NaN is transparent", () => {
  const m = { T: 5, H: 1, data: Float32Array.from([-7, 7, NaN, -Infinity, Infinity]) };
  const table = colorTable(DIVERGING);
  const pixels = new Uint32Array(5);
  fillRaster(pixels, m, [0], { zmin: -1, zmax: 1 }, table);
  assert.deepEqual(Array.from(pixels), colours(table, [0, TABLE_STEPS, TABLE_STEPS + 1, 0, TABLE_STEPS]));
});

test("T = 0 fills nothing and throws nothing", () => {
  const pixels = new Uint32Array(0);
  fillRaster(pixels, { T: 0, H: 4, data: new Float32Array(0) }, [0, 1, 2, 3], { zmin: 0, zmax: 1 },
    colorTable(VIRIDIS));
  assert.equal(pixels.length, 0);
});

test("a pixel buffer too small for U × T is refused", () => {
  const m = { T: 2, H: 2, data: new Float32Array(4) };
  assert.throws(() => fillRaster(new Uint32Array(3), m, [0, 1], { zmin: 0, zmax: 1 }, colorTable(VIRIDIS)),
    RangeError);
});

test("an append colours only its new columns, and the result equals a full fill", () => {
  const H = 3;
  const values = (T) => Float32Array.from({ length: T * H }, (_, k) => Math.sin(k));
  const before = { T: 4, H, data: values(4) };
  const after = { T: 6, H, data: values(6) };
  const units = [2, 0];
  const zrange = { zmin: -1, zmax: 1 };
  const table = colorTable(DIVERGING);
  const width = 8; // rows with room to grow
  const incremental = new Uint32Array(units.length * width);
  fillRaster(incremental, before, units, zrange, table, { width });
  const from = sharedSteps(before, after);
  assert.equal(from, 4);
  fillRaster(incremental, after, units, zrange, table, { from, width });
  const full = new Uint32Array(units.length * width);
  fillRaster(full, after, units, zrange, table, { width });
  assert.deepEqual(incremental, full);
  assert.throws(() => fillRaster(new Uint32Array(12), after, units, zrange, table, { width: 5 }), RangeError);
});

test("sharedSteps finds the first token that changed, bit for bit", () => {
  const a = { T: 3, H: 2, data: Float32Array.from([1, 2, 3, NaN, 5, 6]) };
  assert.equal(sharedSteps(a, { T: 4, H: 2, data: Float32Array.from([1, 2, 3, NaN, 5, 6, 7, 8]) }), 3);
  assert.equal(sharedSteps(a, { T: 3, H: 2, data: Float32Array.from([1, 2, 3, NaN, 5, 7]) }), 2);
  assert.equal(sharedSteps(a, { T: 2, H: 2, data: Float32Array.from([0, 2, 3, NaN]) }), 0);
  assert.equal(sharedSteps(a, { T: 1, H: 2, data: Float32Array.from([1, 2]) }), 1); // a deletion
  assert.equal(sharedSteps(a, { T: 2, H: 3, data: new Float32Array(6) }), 0);
  const view = { T: 2, H: 2, data: a.data.subarray(2, 6) }; // a view at an offset
  assert.equal(sharedSteps(view, { T: 2, H: 2, data: Float32Array.from([3, NaN, 5, 6]) }), 2);
});

test("each row on its own range: row r spans ± halfRanges[units[r]]", () => {
  // Unit 0 at ±15, unit 1 at ±1.5: 1.5 is the end colour in unit 1's row and a pale one in unit 0's.
  const m = { T: 3, H: 2, data: Float32Array.from([15, 1.5, 0, -1.5, 1.5, 0]) };
  const table = colorTable(DIVERGING);
  const pixels = new Uint32Array(2 * 3);
  const halfRanges = Float64Array.from([15, 1.5]);
  fillRaster(pixels, m, [1, 0], { zmin: -15, zmax: 15 }, table, { halfRanges });
  const k = (v, half) => Math.round(((v + half) / (2 * half)) * TABLE_STEPS);
  assert.deepEqual(Array.from(pixels), colours(table, [TABLE_STEPS, 0, TABLE_STEPS / 2, TABLE_STEPS, k(0, 15), k(1.5, 15)]));
  // On one shared ±15 scale unit 1's row would be nearly white.
  const shared = new Uint32Array(6);
  fillRaster(shared, m, [1, 0], { zmin: -15, zmax: 15 }, table);
  assert.deepEqual(Array.from(shared.subarray(0, 3)), colours(table, [k(1.5, 15), k(-1.5, 15), k(0, 15)]));
});

test("only the rows asked for are filled, so a row whose range changed is recoloured alone", () => {
  const H = 3;
  const m = { T: 4, H, data: Float32Array.from({ length: 4 * H }, (_, k) => Math.cos(k)) };
  const units = [0, 1, 2];
  const table = colorTable(DIVERGING);
  const before = Float64Array.from([1, 1, 1]);
  const after = Float64Array.from([1, 2, 1]); // unit 1's range doubled
  const pixels = new Uint32Array(units.length * 4);
  fillRaster(pixels, m, units, { zmin: -1, zmax: 1 }, table, { halfRanges: before });
  fillRaster(pixels, m, units, { zmin: -1, zmax: 1 }, table, { halfRanges: after, rows: [1] });
  const full = new Uint32Array(units.length * 4);
  fillRaster(full, m, units, { zmin: -1, zmax: 1 }, table, { halfRanges: after });
  assert.deepEqual(pixels, full);
});
