// "Gates at their limits": the pure pieces. Which columns (the training snapshots, then the finished model)
// the panel asks for, the gate rows taken from the answers, the counts in words and in hover text, the small
// plots with the selected unit drawn on top, the explanation and the command, and a vanilla RNN's answer.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  COLORS, TRAINED, cellFigure, columnsOf, countsParts, countsWords, evalCommand, explanation, gateRows, hoverText,
  kindOf, plan, rowTitle, statusLine, unitCounts,
} from "../../static/js/core/saturation_figures.js";
import { GRU, LSTM, RNN } from "./cells.mjs";

const model = (id, extra = {}) => ({ id, version: `v-${id}`, cell: "lstm", cell_spec: LSTM, num_layers: 1, ...extra });
const SERVED = [model("lesson"), model("lesson-step1000"), model("lesson-gru", { cell: "gru", cell_spec: GRU }),
  model("lesson-step0"), model("lesson-step100"), model("lesson-rnn", { cell: "rnn", cell_spec: RNN })];
const tokens = (n) => Array.from({ length: n }, (_, t) => ({ text: `w${t}`, id: t }));

/** A /api/saturation gate over T steps from per-unit counts of closed and open steps. */
function gateOf(title, symbol, closed, open, T) {
  const left = closed.map((n) => n / T);
  const right = open.map((n) => n / T);
  const mostly = (xs) => xs.filter((x) => x > 0.5).length;
  return {
    title, symbol, left, right, mostly_left: mostly(left), mostly_right: mostly(right),
    neither: left.length - mostly(left) - mostly(right),
  };
}

const T = 19;
const ANSWER = {
  model: "lesson", cell: "lstm", layer: 0, num_steps: T, hidden_size: 4, threshold: 0.1,
  thresholds: { left: 0.1, right: 0.9 }, mostly: 0.5,
  gates: {
    i: gateOf("input gate", "i", [0, 0, 12, 1], [15, 3, 2, 1], T),
    f: gateOf("forget gate", "f", [0, 3, 0, 1], [19, 12, 0, 1], T),
    o: gateOf("output gate", "o", [10, 0, 0, 0], [0, 0, 0, 0], T),
  },
};

test("the columns are the snapshots in step order, then the finished model, whichever of them is on screen", () => {
  const columns = columnsOf(SERVED, "lesson");
  assert.deepEqual(columns.map((c) => c.id), ["lesson-step0", "lesson-step100", "lesson-step1000", "lesson"]);
  assert.deepEqual(columns.map((c) => c.label), ["step 0", "step 100", "step 1,000", TRAINED]);
  assert.deepEqual(columns.map((c) => c.current), [false, false, false, true]);
  const fromSnapshot = columnsOf(SERVED, "lesson-step100");
  assert.deepEqual(fromSnapshot.map((c) => c.id), columns.map((c) => c.id));
  assert.deepEqual(fromSnapshot.map((c) => c.current), [false, true, false, false]);
});

test("a model without snapshots is one column, named by its id", () => {
  assert.deepEqual(columnsOf(SERVED, "lesson-gru"), [{ id: "lesson-gru", label: "lesson-gru", step: null, final: true,
    current: true }]);
  // A snapshot whose finished model is not served stands alone too (a one-column list is no lesson).
  assert.deepEqual(columnsOf([model("x-step5")], "x-step5").map((c) => c.id), ["x-step5"]);
});

test("plan asks nothing without text, else one column per model with its layer and a key per question", () => {
  assert.match(plan(null, SERVED).message, /Type some text/);
  assert.match(plan({ shown: { model: SERVED[0], text: "", tokens: [] } }, SERVED).message, /no tokens/);
  const shown = { model: SERVED[0], text: "Today I need", tokens: tokens(3) };
  const p = plan({ shown, layer: 0, unit: 2 }, SERVED);
  assert.equal(p.columns.length, 4);
  assert.equal(p.unit, 2);
  assert.equal(new Set(p.columns.map((c) => c.key)).size, 4);
  assert.ok(p.columns.every((c) => c.key.includes("Today I need") && c.model.id === c.id));
  const other = plan({ shown: { ...shown, text: "Last year I" }, layer: 0, unit: 2 }, SERVED);
  assert.ok(other.columns.every((c, k) => c.key !== p.columns[k].key)); // a new text: new questions
  // The layer is clamped to each model's layers.
  const twoLayers = model("deep", { num_layers: 2 });
  const deep = plan({ shown: { ...shown, model: twoLayers }, layer: 5 }, [twoLayers]);
  assert.equal(deep.columns[0].layer, 1);
  assert.equal(plan({ shown, layer: 3 }, SERVED).columns[0].layer, 0);
});

test("the gate rows come from the answers, in their order, whatever the cell", () => {
  assert.deepEqual(gateRows([ANSWER]).map((r) => [r.gate, r.title, r.symbol]),
    [["i", "input gate", "i"], ["f", "forget gate", "f"], ["o", "output gate", "o"]]);
  const gru = { gates: { r: { title: "reset gate", symbol: "r" }, z: { title: "update gate", symbol: "z" } } };
  assert.deepEqual(gateRows([gru]).map((r) => r.gate), ["r", "z"]);
  assert.deepEqual(gateRows([{ gates: {}, note: "no gates" }]), []);
  assert.deepEqual(gateRows([{ gates: {} }, ANSWER]).map((r) => r.gate), ["i", "f", "o"]);
  // The row's words: the gate's title and symbol, and what the cell spec says it decides.
  assert.deepEqual(rowTitle(gateRows([ANSWER])[1], LSTM), { title: "forget gate f", plain: LSTM.panels.f.plain });
  assert.deepEqual(rowTitle({ gate: "q", title: "new gate", symbol: "q" }, null), { title: "new gate q", plain: "" });
});

test("the counts: in words from the answer, and per unit from the fractions × the steps, rounded", () => {
  const f = ANSWER.gates.f;
  assert.equal(countsWords(f), "2 of 4 mostly open · 0 mostly closed · 2 neither");
  assert.deepEqual(countsParts(f).map((p) => p.kind), ["open", "closed", "neither"]);
  assert.deepEqual(unitCounts(f, 1, T), { closed: 3, open: 12 });
  assert.equal(hoverText(f, 1, T), "unit 1: closed on 3 of 19 steps, open on 12");
  assert.equal(hoverText(gateOf("forget gate", "f", [0], [1], 1), 0, 1), "unit 0: closed on 0 of 1 step, open on 1");
  // Fractions n/T are not exact in floating point: every count comes back whole.
  for (let n = 0; n <= 97; n++) assert.equal(unitCounts(gateOf("g", "g", [n], [0], 97), 0, 97).closed, n);
  assert.deepEqual([0, 1, 2, 3].map((u) => kindOf(f, u)), ["open", "open", "neither", "neither"]);
  assert.equal(kindOf(ANSWER.gates.o, 0), "closed");
});

test("a small plot: one dot per unit at (closed, open), its hover in words, the diagonal and the axes 0..1", () => {
  const fig = cellFigure({ answer: ANSWER, gate: "f", unit: null, width: 280 });
  assert.equal(fig.data.length, 1);
  const [dots] = fig.data;
  assert.deepEqual(dots.x, ANSWER.gates.f.left);
  assert.deepEqual(dots.y, ANSWER.gates.f.right);
  assert.deepEqual(dots.customdata, [0, 1, 2, 3]);
  assert.equal(dots.hovertext[1], "unit 1:<br>closed on 3 of 19 steps,<br>open on 12");
  assert.equal(dots.hovertext[3], "unit 3:<br>closed on 1 of 19 steps,<br>open on 1");
  assert.deepEqual(dots.marker.color, [COLORS.open, COLORS.open, COLORS.neither, COLORS.neither]);
  const diagonal = fig.layout.shapes.find((s) => s.type === "line");
  assert.deepEqual([diagonal.x0, diagonal.y0, diagonal.x1, diagonal.y1], [0, 1, 1, 0]);
  for (const axis of [fig.layout.xaxis, fig.layout.yaxis]) {
    assert.ok(axis.range[0] < 0 && axis.range[0] > -0.1 && axis.range[1] > 1 && axis.range[1] < 1.1);
    assert.deepEqual(axis.tickvals, [0, 0.5, 1]);
  }
  assert.match(fig.layout.xaxis.title.text, /closed/);
  assert.match(fig.layout.yaxis.title.text, /open/);
  // Units on one dot: hover names one and says how many more are under it.
  const crowd = { ...ANSWER, gates: { f: gateOf("forget gate", "f", [0, 0, 0], [0, 0, 5], T) } };
  const { hovertext } = cellFigure({ answer: crowd, gate: "f" }).data[0];
  assert.equal(hovertext[0], "unit 0:<br>closed on 0 of 19 steps,<br>open on 0<br>(1 more unit here)");
  assert.equal(hovertext[2], "unit 2:<br>closed on 0 of 19 steps,<br>open on 5");
});

test("the selected unit is drawn on top, larger and outlined, named beside its dot, in every plot", () => {
  for (const gate of ["i", "f", "o"]) {
    const fig = cellFigure({ answer: ANSWER, gate, unit: 1, width: 280 });
    assert.equal(fig.data.length, 2);
    const [dots, selected] = fig.data;
    assert.deepEqual(selected.x, [ANSWER.gates[gate].left[1]]);
    assert.deepEqual(selected.y, [ANSWER.gates[gate].right[1]]);
    assert.deepEqual(selected.customdata, [1]);
    assert.deepEqual(selected.text, ["unit 1"]);
    assert.ok(selected.marker.size > dots.marker.size);
    assert.equal(selected.marker.line.color, COLORS.selected);
  }
  // A unit the layer does not have is not drawn.
  assert.equal(cellFigure({ answer: ANSWER, gate: "f", unit: 9 }).data.length, 1);
});

test("narrow plots (a phone) get short axis titles and smaller dots", () => {
  const narrow = cellFigure({ answer: ANSWER, gate: "f", width: 150 });
  const wide = cellFigure({ answer: ANSWER, gate: "f", width: 300 });
  assert.equal(narrow.layout.xaxis.title.text, "closed");
  assert.equal(wide.layout.xaxis.title.text, "steps closed (< 0.1)");
  assert.equal(wide.layout.yaxis.title.text, "steps open (> 0.9)");
  assert.ok(narrow.data[0].marker.size < wide.data[0].marker.size);
  assert.ok(narrow.layout.height <= wide.layout.height);
});

test("the status line, the explanation and the command follow the columns and the cell", () => {
  const shown = { model: SERVED[0], text: "Today I need", tokens: tokens(3) };
  const p = plan({ shown, layer: 0 }, SERVED);
  assert.equal(statusLine(p, { numSteps: 19 }),
    "Over this text's 19 steps: lesson and its 3 training snapshots, in training order (lesson on screen).");
  const learning = plan({ shown: { ...shown, model: SERVED[4] }, layer: 0 }, SERVED);
  assert.equal(statusLine(learning, { numSteps: 19 }),
    "Over this text's 19 steps: lesson and its 3 training snapshots, in training order (lesson-step100 on screen).");
  assert.equal(evalCommand(learning), "lstm-viz eval lesson --saturation --snapshots");
  assert.equal(evalCommand(p), "lstm-viz eval lesson --saturation --snapshots");
  const gru = plan({ shown: { ...shown, model: SERVED[2] }, layer: 0 }, SERVED);
  assert.equal(statusLine(gru, { numSteps: 3 }), "Over this text's 3 steps: lesson-gru.");
  assert.equal(evalCommand(gru), "lstm-viz eval lesson-gru --saturation");
  const deep = model("deep", { num_layers: 2 });
  const second = plan({ shown: { ...shown, model: deep }, layer: 1 }, [deep]);
  assert.equal(evalCommand(second), "lstm-viz eval deep --saturation --layer 1");
  assert.match(statusLine(second), /layer 2 of 2/);
  // The keeping gate and the memory come from the cell spec: f and c for an LSTM, z and h for a GRU.
  const lstmWords = explanation({ cell: LSTM, numSteps: 19, snapshots: 3 }).join(" ");
  assert.match(lstmWords, /19 steps/);
  assert.match(lstmWords, /forget gate f decides what is kept/);
  assert.match(lstmWords, /keeps its memory c/);
  assert.match(lstmWords, /step 0/);
  const gruWords = explanation({ cell: GRU, numSteps: 5 }).join(" ");
  assert.match(gruWords, /update gate z/);
  assert.match(gruWords, /keeps its memory h/);
  assert.doesNotMatch(gruWords, /step 0/); // no snapshots, no words about them
  assert.doesNotMatch(explanation({ cell: RNN, numSteps: 5 }).join(" "), /decides what is kept/);
});
