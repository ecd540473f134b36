// The unit chart's figure (core/unit_figure.js chartFigure): tokens numbered for people on the x axis (1..T),
// the hover's title "token 3 of 4", the selected step's line at its number; its lines and panels from the
// model's cell spec.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  dashPattern, layoutUnitChart, legendAt, pxOfX, pxOfY, stepAt, xOfPx, zoomRange,
} from "../../static/js/core/unit_chart_layout.js";
import { chartFigure, chartLines, stepShapes } from "../../static/js/core/unit_figure.js";
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

// ---- The chart's canvas layout (core/unit_chart_layout.js) ----

const measure = (text, font) => text.length * Number(/(\d+)px/.exec(font)[1]) * 0.5; // half an em per character

function lstmScene(options = {}) {
  const labels = ["Today", ",", "I", "need", "a", "loan"];
  const series = Object.fromEntries(["i", "f", "g", "o", "c", "h"].map((q, k) => [q, labels.map((_, t) => (t - k) / 6)]));
  const figure = chartFigure(series, labels, 2, 800, LSTM);
  return { figure, labels, scene: layoutUnitChart({ figure, labels, width: 800, height: 440, measure, ...options }) };
}

test("the layout stacks the figure's panels under its legend, each with its ticks and title", () => {
  const { scene } = lstmScene();
  assert.deepEqual(scene.legend.map((e) => e.name), ["f forget", "i input", "o output", "c cell", "g candidate", "h hidden"]);
  assert.ok(scene.legend.every((e) => e.y + e.h <= scene.plot.y), "the legend sits above the plot");
  assert.deepEqual(scene.panels.map((p) => p.title), ["gates", "c", "g, h"]);
  const [gates, signed, values] = scene.panels;
  assert.ok(gates.y >= scene.plot.y && gates.y + gates.h < signed.y && signed.y + signed.h < values.y);
  assert.ok(values.y + values.h <= scene.plot.y + scene.plot.h + 1e-9);
  assert.deepEqual(gates.ticks.map((t) => t.text), ["0", "0.5", "1"]);
  assert.deepEqual(values.ticks.map((t) => t.text), ["−1", "0", "1"]); // a true minus sign, as Plotly writes it
  assert.ok(gates.ticks[0].y > gates.ticks[2].y, "0 below 1");
  assert.equal(gates.zero, null); // the gates have no zero line
  assert.ok(Math.abs(values.zero - pxOfY(values, 0)) < 1e-9);
  assert.deepEqual(scene.traces.map((t) => [t.name, scene.panels[t.panel].title]), [["f forget", "gates"],
    ["i input", "gates"], ["o output", "gates"], ["c cell", "c"], ["g candidate", "g, h"], ["h hidden", "g, h"]]);
  assert.ok(scene.traces.every((t) => t.marker)); // six tokens: lines and markers, as the figure says
  assert.deepEqual(scene.xTicks.map((t) => t.text), ["Today", ",", "I", "need", "a", "loan"]);
});

test("x maps tokens to pixels and back: a point selects the nearest token, inside the plot only", () => {
  const { scene } = lstmScene();
  const { plot } = scene;
  assert.ok(Math.abs(pxOfX(scene, 0.5) - plot.x) < 1e-9 && Math.abs(pxOfX(scene, 6.5) - (plot.x + plot.w)) < 1e-9);
  for (let t = 0; t < 6; t++) {
    assert.equal(stepAt(scene, pxOfX(scene, t + 1), plot.y + 5), t);
    assert.ok(Math.abs(xOfPx(scene, pxOfX(scene, t + 1)) - (t + 1)) < 1e-9);
  }
  assert.equal(stepAt(scene, pxOfX(scene, 3.4), plot.y + plot.h / 2), 2);
  assert.equal(stepAt(scene, plot.x - 2, plot.y + 5), null);
  assert.equal(stepAt(scene, plot.x + 5, plot.y - 2), null);
  const entry = scene.legend[3];
  assert.equal(legendAt(scene, entry.x + 2, entry.y + entry.h / 2).name, "c cell");
  assert.equal(legendAt(scene, 799, 439), null);
});

test("a legend click's hidden lines, and a zoom: fewer lines, fewer tokens, the whole range kept as a bound", () => {
  const { scene } = lstmScene({ hidden: new Set(["c cell"]) });
  assert.ok(!scene.traces.some((t) => t.name === "c cell"));
  assert.equal(scene.legend.find((e) => e.name === "c cell").hidden, true);
  assert.deepEqual(scene.panels.map((p) => p.title), ["gates", "c", "g, h"]); // the panel stays
  const full = lstmScene().scene;
  const range = zoomRange(full, pxOfX(full, 1.6), pxOfX(full, 4.4));
  assert.ok(Math.abs(range[0] - 1.6) < 1e-9 && Math.abs(range[1] - 4.4) < 1e-9);
  assert.equal(zoomRange(full, pxOfX(full, 2), pxOfX(full, 2.5)), null); // less than a token: no zoom
  const wide = zoomRange(full, full.plot.x - 50, full.plot.x + full.plot.w + 50);
  assert.deepEqual(wide, [0.5, 6.5]);
  const zoomed = lstmScene({ xRange: range }).scene;
  assert.deepEqual(zoomed.xTicks.map((t) => t.text), [",", "I", "need"]); // tokens 2–4, at x = 2, 3, 4
  assert.equal(stepAt(zoomed, zoomed.plot.x + 1, zoomed.plot.y + 1), 1); // clamped to the tokens in view
});

test("slanted token labels are cut to their band; dashes follow Plotly's", () => {
  const labels = Array.from({ length: 80 }, (_, t) => `token-with-a-long-name-${t}`);
  const series = { h: labels.map(() => 0.5) };
  const figure = chartFigure(series, labels, null, 600, RNN);
  const scene = layoutUnitChart({ figure, labels, width: 600, height: 440, measure });
  assert.ok(scene.xTicks.length > 0 && scene.xTicks.length < 80);
  assert.ok(scene.xTicks.every((t) => t.angle === -45 && measure(t.text, "400 15px x") <= 440 * 0.25 / Math.SQRT1_2));
  assert.ok(scene.xTicks.some((t) => t.text.endsWith("…")));
  assert.ok(scene.plot.h > 200);
  assert.deepEqual(dashPattern("solid", 2), []);
  assert.deepEqual(dashPattern("dot", 2.25), [3, 3]);
  assert.deepEqual(dashPattern("dash", 2), [9, 9]);
  assert.equal(layoutUnitChart({ figure, labels, width: 0, height: 440, measure }), null);
});

test("stepShapes is the figure's selected line", () => {
  assert.deepEqual(stepShapes(2, 4), chartFigure({ h: [0, 0, 0, 0] }, ["a", "b", "c", "d"], 2, 800, RNN).layout.shapes);
  assert.deepEqual(stepShapes(null, 4), []);
  assert.deepEqual(stepShapes(4, 4), []);
});
