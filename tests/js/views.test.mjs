// core/views.js: views, panels, titles, ranges and orders of any cell, read from its spec (the server's
// cell_spec); a view a cell lacks falls back to its first.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  ORDER_KEYS, cellOf, memoryOf, niceCeil, orderLabels, panelRanges, panelTitle, recordedOf, sharedQuantities,
  spanQuantity, viewOf, viewPanels, viewsOf,
} from "../../static/js/core/views.js";
import { CELLS, GRU, LSTM, RNN } from "./cells.mjs";

test("the default view of the LSTM answers what is kept, forgotten and written in three heatmaps", () => {
  assert.deepEqual(viewPanels(LSTM, ""), ["kept", "forgotten", "written"]);
  for (const cell of Object.values(CELLS)) {
    assert.ok(viewsOf(cell).length >= 1, cell.name);
    for (const view of viewsOf(cell)) for (const key of view.panels) assert.ok(cell.panels[key], `${cell.name} ${key}`);
  }
  assert.equal(cellOf({ cell_spec: GRU }), GRU);
});

test("each cell's views come from its spec: the GRU's z · r · n, h and ledger; the RNN's one view", () => {
  assert.deepEqual(viewsOf(GRU).map((v) => v.id), ["memory", "gates", "states", "all"]);
  assert.deepEqual(viewPanels(GRU, "gates"), ["z", "r", "n"]);
  assert.deepEqual(viewPanels(GRU, "states"), ["h"]);
  assert.deepEqual(viewPanels(GRU, "memory"), ["kept", "forgotten", "written"]);
  assert.equal(viewsOf(GRU)[1].label, "Gates: z · r · n");
  assert.deepEqual(viewsOf(RNN).map((v) => [v.id, v.panels]), [["hidden", ["h", "a"]]]);
});

test("a view the cell lacks falls back to the cell's first view", () => {
  assert.equal(viewOf(RNN, "gates"), "hidden"); // a link made on an LSTM, opened on a vanilla RNN
  assert.deepEqual(viewPanels(RNN, "gates"), ["h", "a"]);
  assert.equal(viewOf(LSTM, "hidden"), "memory"); // and back
  assert.equal(viewOf(GRU, "gates"), "gates");
  assert.equal(viewOf(GRU, ""), "memory"); // no view chosen: the first
  assert.equal(viewOf(GRU, "nonsense"), "memory");
  assert.equal(viewOf(null, "gates"), null);
});

test("titles put plain words first and the symbol beside them, each cell its own", () => {
  assert.equal(panelTitle(LSTM, "f"), "forget gate f — what is kept");
  assert.equal(panelTitle(LSTM, "written"), "written memory i⊙g — what is added");
  assert.equal(panelTitle(GRU, "z"), "update gate z — what is kept");
  assert.equal(panelTitle(GRU, "written"), "written memory (1−z)⊙n — what is added");
  assert.equal(panelTitle(GRU, "h"), "hidden state h — memory and output");
  assert.throws(() => panelTitle(RNN, "c"), /the vanilla RNN has no quantity "c"/);
});

test("kept, forgotten and written form one group (the memory = kept + written); c and a have their own", () => {
  for (const cell of [LSTM, GRU]) {
    assert.deepEqual(["kept", "forgotten", "written"].map((key) => cell.panels[key].group), ["ledger", "ledger", "ledger"]);
  }
  assert.notEqual(LSTM.panels.c.group, "ledger");
  assert.equal(RNN.panels.a.group, undefined);
});

test("the memory and the quantities a cell records come from its spec", () => {
  assert.deepEqual([memoryOf(LSTM), memoryOf(GRU), memoryOf(RNN)], ["c", "h", "h"]);
  assert.deepEqual([spanQuantity(LSTM), spanQuantity(GRU), spanQuantity(RNN)], ["h", "h", "h"]);
  assert.deepEqual(recordedOf(LSTM), ["i", "f", "g", "o", "c", "h"]);
  assert.deepEqual(recordedOf(GRU), ["r", "z", "n", "h"]);
  assert.deepEqual(recordedOf(RNN), ["h", "a"]);
  assert.deepEqual(sharedQuantities(LSTM, LSTM), ["c", "h", "f", "i", "g", "o"]);
  assert.deepEqual(sharedQuantities(LSTM, RNN), ["h"]);
  assert.deepEqual(sharedQuantities(LSTM, GRU), ["h"]);
  assert.deepEqual(sharedQuantities(GRU, RNN), ["h"]);
  assert.deepEqual(sharedQuantities(GRU, GRU), ["h", "z", "r", "n"]);
});

test("the orders name the cell's memory", () => {
  assert.deepEqual(ORDER_KEYS, ["index", "activity", "change", "span"]);
  assert.equal(orderLabels(LSTM).activity, "activity over the text (mean |c|)");
  assert.equal(orderLabels(GRU).activity, "activity over the text (mean |h|)");
  assert.equal(orderLabels(RNN).change, "change at the selected step (|Δh|)");
  assert.equal(orderLabels(LSTM).span, "match to the selected span (h high inside, low outside)");
});

test("gates span 0..1, tanh values -1..1, signed panels share a symmetric range per group", () => {
  const ranges = panelRanges(LSTM, ["f", "g", "kept", "forgotten", "written", "c"],
    { f: 0.9, g: 0.7, kept: 2.5, forgotten: 0.5, written: 0.8, c: 4 });
  assert.deepEqual(ranges.f, { zmin: 0, zmax: 1 });
  assert.deepEqual(ranges.g, { zmin: -1, zmax: 1 });
  assert.deepEqual(ranges.kept, { zmin: -2.5, zmax: 2.5 });
  assert.deepEqual(ranges.forgotten, ranges.kept); // both are parts of c_{t-1}: one scale
  assert.deepEqual(ranges.written, ranges.kept); // c = kept + written: the memory ledger shares one scale
  assert.deepEqual(ranges.c, { zmin: -4, zmax: 4 });
  assert.deepEqual(panelRanges(LSTM, ["written"], { written: 0.8 }).written, { zmin: -0.8, zmax: 0.8 }); // alone
  const gru = panelRanges(GRU, ["z", "n", "h", "kept"], { z: 0.5, n: 0.5, h: 0.9, kept: 0.7 });
  assert.deepEqual([gru.z, gru.n, gru.h, gru.kept], [{ zmin: 0, zmax: 1 }, { zmin: -1, zmax: 1 }, { zmin: -1, zmax: 1 },
    { zmin: -0.7, zmax: 0.7 }]);
});

test("a signed range is the group's largest |value| rounded up to a nice number", () => {
  const ranges = panelRanges(LSTM, ["f", "g", "kept", "forgotten", "written", "c"],
    { f: 0.93, g: 0.71, kept: 2.6, forgotten: 3.01, written: 0.81, c: 1234 });
  assert.deepEqual(ranges.f, { zmin: 0, zmax: 1 }); // fixed scales are not rounded
  assert.deepEqual(ranges.g, { zmin: -1, zmax: 1 });
  assert.deepEqual(ranges.kept, { zmin: -3.5, zmax: 3.5 }); // the group's largest, forgotten's 3.01
  assert.deepEqual(ranges.forgotten, ranges.kept);
  assert.deepEqual(ranges.written, ranges.kept);
  assert.deepEqual(ranges.c, { zmin: -1500, zmax: 1500 });
  assert.deepEqual(panelRanges(RNN, ["a"], { a: 0.0123 }).a, { zmin: -0.015, zmax: 0.015 });
});

test("an all-zero signed panel still gets a usable range", () => {
  assert.deepEqual(panelRanges(LSTM, ["c"], { c: 0 }).c, { zmin: -1, zmax: 1 });
  assert.deepEqual(panelRanges(LSTM, ["c"], {}).c, { zmin: -1, zmax: 1 });
});

test("niceCeil rounds up to s × 10^k, at most 25 % up, and keeps nice numbers as they are", () => {
  const cases = [[1, 1], [1.01, 1.2], [1.2, 1.2], [1.21, 1.5], [1.51, 1.8], [1.81, 2], [2.01, 2.5],
    [2.6, 3], [3.1, 3.5], [3.6, 4], [4.1, 5], [5.5, 6], [6.5, 7], [7.5, 8], [8.01, 10], [9.99, 10],
    [0.3, 0.3], [0.31, 0.35], [0.05, 0.05], [0.0123, 0.015], [999.9, 1000], [1000, 1000], [1234, 1500],
    [123456, 150000], [1e-7, 1e-7]];
  for (const [x, nice] of cases) assert.equal(niceCeil(x), nice, String(x));
  for (const x of [0, -2, NaN, Infinity]) assert.ok(Object.is(niceCeil(x), x), String(x));
  for (let x = 1e-4; x < 1e5; x *= 1.0137) {
    const nice = niceCeil(x);
    assert.ok(nice >= x && nice <= 1.25 * x * (1 + 1e-12), `${x} -> ${nice}`);
    assert.equal(niceCeil(nice), nice); // a nice number rounds to itself
  }
});

test("a largest value growing step by step changes the rounded range only now and then", () => {
  // A long text's |c| growing from 1 to 200 over 2,000 keystrokes: 13 nice numbers a decade, 30 changes in all.
  let changes = 0;
  let last = niceCeil(1);
  for (let t = 1; t <= 2000; t++) {
    const nice = niceCeil(1 + (199 * t) / 2000);
    if (nice !== last) changes += 1;
    last = nice;
  }
  assert.equal(changes, 30);
});
