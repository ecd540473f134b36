import assert from "node:assert/strict";
import { test } from "node:test";

import { DEFAULT_VIEW, PANELS, VIEWS, niceCeil, panelRanges, panelTitle } from "../../static/js/views.js";

test("the default view answers what is kept, forgotten and written in three heatmaps", () => {
  assert.deepEqual(VIEWS[DEFAULT_VIEW].panels, ["kept", "forgotten", "written"]);
  for (const view of Object.values(VIEWS)) {
    for (const key of view.panels) assert.ok(PANELS[key], key);
  }
});

test("titles put plain words first and the symbol beside them", () => {
  assert.equal(panelTitle("f"), "forget gate f — what is kept");
  assert.equal(panelTitle("written"), "written memory i⊙g — what is added");
});

test("kept, forgotten and written form one group (c = kept + written); c and a have their own", () => {
  assert.deepEqual(["kept", "forgotten", "written"].map((key) => PANELS[key].group), ["ledger", "ledger", "ledger"]);
  assert.notEqual(PANELS.c.group, "ledger");
  assert.equal(PANELS.a.group, undefined);
});

test("gates span 0..1, tanh values -1..1, signed panels share a symmetric range per group", () => {
  const ranges = panelRanges(["f", "g", "kept", "forgotten", "written", "c"],
    { f: 0.9, g: 0.7, kept: 2.5, forgotten: 0.5, written: 0.8, c: 4 });
  assert.deepEqual(ranges.f, { zmin: 0, zmax: 1 });
  assert.deepEqual(ranges.g, { zmin: -1, zmax: 1 });
  assert.deepEqual(ranges.kept, { zmin: -2.5, zmax: 2.5 });
  assert.deepEqual(ranges.forgotten, ranges.kept); // both are parts of c_{t-1}: one scale
  assert.deepEqual(ranges.written, ranges.kept); // c = kept + written: the memory ledger shares one scale
  assert.deepEqual(ranges.c, { zmin: -4, zmax: 4 });
  assert.deepEqual(panelRanges(["written"], { written: 0.8 }).written, { zmin: -0.8, zmax: 0.8 }); // alone
});

test("a signed range is the group's largest |value| rounded up to a nice number", () => {
  const ranges = panelRanges(["f", "g", "kept", "forgotten", "written", "c"],
    { f: 0.93, g: 0.71, kept: 2.6, forgotten: 3.01, written: 0.81, c: 1234 });
  assert.deepEqual(ranges.f, { zmin: 0, zmax: 1 }); // fixed scales are not rounded
  assert.deepEqual(ranges.g, { zmin: -1, zmax: 1 });
  assert.deepEqual(ranges.kept, { zmin: -3.5, zmax: 3.5 }); // the group's largest, forgotten's 3.01
  assert.deepEqual(ranges.forgotten, ranges.kept);
  assert.deepEqual(ranges.written, ranges.kept);
  assert.deepEqual(ranges.c, { zmin: -1500, zmax: 1500 });
  assert.deepEqual(panelRanges(["a"], { a: 0.0123 }).a, { zmin: -0.015, zmax: 0.015 });
});

test("an all-zero signed panel still gets a usable range", () => {
  assert.deepEqual(panelRanges(["c"], { c: 0 }).c, { zmin: -1, zmax: 1 });
  assert.deepEqual(panelRanges(["c"], {}).c, { zmin: -1, zmax: 1 });
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
