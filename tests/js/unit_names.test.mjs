// unit_names.js: what a model's named units carry, as heatmap row labels.
import assert from "node:assert/strict";
import test from "node:test";

import { carriesLabel, unitNames } from "../../static/js/core/unit_names.js";

test("card keys read as words; unknown keys with spaces", () => {
  assert.equal(carriesLabel("inside_string"), "inside a string");
  assert.equal(carriesLabel("new_thing"), "new thing");
});

test("a layer's named units, several names joined, weak ones with a question mark", () => {
  const notable = [
    { layer: 0, unit: 3, carries: "tense" },
    { layer: 0, unit: 3, carries: "cuisine", weak: true },
    { layer: 0, unit: 7, carries: "bracket_depth", weak: true },
    { layer: 1, unit: 3, carries: "line_position" },
  ];
  assert.deepEqual([...unitNames(notable, 0)], [[3, "tense / cuisine?"], [7, "bracket depth?"]]);
  assert.deepEqual([...unitNames(notable, 1)], [[3, "position in the line"]]);
  assert.deepEqual([...unitNames(undefined, 0)], []);
});
