import assert from "node:assert/strict";
import { test } from "node:test";

import { DEFAULT_VIEW, PANELS, VIEWS, panelRanges, panelTitle } from "../../static/js/views.js";

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

test("gates span 0..1, tanh values -1..1, signed panels share a symmetric range per group", () => {
  const ranges = panelRanges(["f", "g", "kept", "forgotten", "written", "c"],
    { f: 0.9, g: 0.7, kept: 2.5, forgotten: 0.5, written: 0.8, c: 4 });
  assert.deepEqual(ranges.f, { zmin: 0, zmax: 1 });
  assert.deepEqual(ranges.g, { zmin: -1, zmax: 1 });
  assert.deepEqual(ranges.kept, { zmin: -2.5, zmax: 2.5 });
  assert.deepEqual(ranges.forgotten, ranges.kept); // both are parts of c_{t-1}: one scale
  assert.deepEqual(ranges.written, { zmin: -0.8, zmax: 0.8 }); // i⊙g alone would vanish on kept's scale
  assert.deepEqual(ranges.c, { zmin: -4, zmax: 4 });
});

test("an all-zero signed panel still gets a usable range", () => {
  assert.deepEqual(panelRanges(["c"], { c: 0 }).c, { zmin: -1, zmax: 1 });
});
