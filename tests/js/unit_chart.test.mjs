// The unit chart's figure (core/unit_figure.js chartFigure): tokens numbered for people on the x axis (1..T),
// the hover's title "token 3 of 4", the selected step's line at its number; its lines and panels from the
// model's cell spec.
import assert from "node:assert/strict";
import { test } from "node:test";

import { chartFigure, chartLines } from "../../static/js/core/unit_figure.js";
import { GRU, LSTM, RNN } from "./cells.mjs";

test("x counts tokens from 1, the hover says 'token n of T', the selected step sits on its token", () => {
  const labels = ["Today", ",", "I", "<b>"];
  const series = { f: [0.1, 0.2, 0.3, 0.4], c: [1, -2, 3, 0], h: [0, 0.1, 0.2, 0.3] };
  const { data, layout } = chartFigure(series, labels, 2, 800, LSTM);
  for (const trace of data) assert.deepEqual(trace.x, [1, 2, 3, 4]);
  assert.equal(layout.xaxis.unifiedhovertitle.text, "token %{x} of 4");
  assert.deepEqual(layout.xaxis.range, [0.5, 4.5]);
  assert.deepEqual(layout.xaxis.tickvals, [1, 2, 3, 4]);
  assert.equal(layout.xaxis.ticktext[3], "&lt;b&gt;"); // escaped: Plotly reads labels as markup
  assert.equal(layout.shapes[0].x0, 3); // step 2 (0-based) is token 3
  assert.deepEqual(chartFigure(series, labels, null, 800, LSTM).layout.shapes, []);
});

test("an LSTM's lines: the gates on top, c in the middle, g dotted and h below, as before", () => {
  assert.deepEqual(chartLines(LSTM).map((l) => [l.name, l.panel]), [["f forget", "gates"], ["i input", "gates"],
    ["o output", "gates"], ["c cell", "signed"], ["g candidate", "values"], ["h hidden", "values"]]);
  const series = Object.fromEntries(["i", "f", "g", "o", "c", "h"].map((q) => [q, [0.5, -3]]));
  const { layout } = chartFigure(series, ["a", "b"], null, 800, LSTM);
  assert.deepEqual([layout.yaxis.domain, layout.yaxis2.domain, layout.yaxis3.domain], [[0.7, 1], [0.37, 0.63], [0, 0.3]]);
  assert.deepEqual([layout.yaxis.title.text, layout.yaxis2.title.text, layout.yaxis3.title.text], ["gates", "c", "g, h"]);
  assert.ok(Math.abs(layout.yaxis2.range[1] - 3.3) < 1e-9); // the largest |c|, and room
});

test("a GRU's lines: z and r on top, h and the dotted candidate n below, no middle panel", () => {
  assert.deepEqual(chartLines(GRU).map((l) => [l.name, l.panel, l.dash ?? "solid"]), [["z update", "gates", "solid"],
    ["r reset", "gates", "solid"], ["h hidden", "values", "solid"], ["n candidate", "values", "dot"]]);
  const series = { r: [0.2, 0.4], z: [0.9, 0.8], n: [0.1, -0.5], h: [0.3, 0.2] };
  const { data, layout } = chartFigure(series, ["a", "b"], 0, 800, GRU);
  assert.deepEqual(data.map((d) => d.name).filter(Boolean), ["z update", "r reset", "h hidden", "n candidate"]);
  assert.deepEqual([layout.yaxis.domain, layout.yaxis3.domain], [[0.45, 1], [0, 0.4]]);
  assert.equal(layout.yaxis2.visible, false);
  assert.equal(layout.xaxis.anchor, "y3");
});

test("a vanilla RNN's lines: h and a, a in the middle and h below; no gates", () => {
  assert.deepEqual(chartLines(RNN).map((l) => [l.name, l.panel]), [["h hidden", "values"], ["a pre-activation", "signed"]]);
  const { layout } = chartFigure({ h: [0.1], a: [0.2] }, ["a"], null, 800, RNN);
  assert.equal(layout.yaxis.visible, false);
  assert.deepEqual([layout.yaxis2.domain, layout.yaxis2.title.text], [[0.45, 1], "a"]);
  assert.deepEqual([layout.yaxis3.domain, layout.yaxis3.title.text], [[0, 0.4], "h"]);
});
