// "Memory that lasts": the pure pieces. What the panel asks for (plan), what its status line says, and
// the Plotly figures built from /api/retention answers and the real model cards.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import { plan, statusLine } from "../../static/js/core/retention_plan.js";
import {
  CELL_COLORS, beyondRuns, cellColors, curveFigure, curveTitle, heatmapFigure, keepGate, keepWords, modelLabel,
  spanCommands, spanFigure,
} from "../../static/js/core/retention_figures.js";
import { SPAN_MODELS } from "../../static/js/core/retention_plan.js";
import { GRU, LSTM, RNN } from "./cells.mjs";

const readCard = (id) => JSON.parse(readFileSync(new URL(`../../models/${id}.json`, import.meta.url), "utf8"));
const lstm = { id: "lesson", version: "v1", cell: "lstm", cell_spec: LSTM, num_layers: 1 };
const rnn = { id: "lesson-rnn", version: "v2", cell: "rnn", cell_spec: RNN, num_layers: 1 };
const gru = { id: "lesson-gru", version: "v3", cell: "gru", cell_spec: GRU, num_layers: 1 };
const tokens = (...texts) => texts.map((text, t) => ({ text, id: t }));
const A = { model: lstm, text: "Today , I need .", tokens: tokens("Today", ",", "I", "need", ".") };

test("plan asks nothing, and says why, until there is a step with later tokens", () => {
  assert.match(plan({ a: null }).message, /Type some text/);
  assert.match(plan({ a: { ...A, tokens: tokens("Today") }, step: 0 }).message, /at least two tokens/);
  assert.match(plan({ a: A, step: null }).message, /Click a token/);
  assert.match(plan({ a: A, step: 4 }).message, /^“\.” is the last token: nothing comes after it/);
  const p = plan({ a: A, step: 0, layer: 3 });
  assert.equal(p.subjects.length, 1);
  assert.equal(p.subjects[0].layer, 0); // clamped to the model's layers
  assert.equal(p.step, 0);
});

test("a second model joins; a second text on the same model does not; keys change with what is asked", () => {
  const B = { ...A, model: rnn };
  assert.deepEqual(plan({ a: A, b: B, step: 1 }).subjects.map((s) => s.model.id), ["lesson", "lesson-rnn"]);
  assert.deepEqual(plan({ a: A, b: { ...A, text: "Last year" }, step: 1 }).subjects.map((s) => s.model.id),
    ["lesson"]);
  const short = { ...B, tokens: tokens("Today", ",") };
  const p = plan({ a: A, b: short, step: 2 });
  assert.equal(p.subjects.length, 1);
  assert.match(p.notes[0], /lesson-rnn \(RNN\): its text has no token after token 3\./); // step 2, counted from 1
  const key = (input) => plan(input).subjects[0].key;
  assert.notEqual(key({ a: A, step: 1 }), key({ a: A, step: 2 }));
  assert.notEqual(key({ a: A, step: 1 }), key({ a: { ...A, text: "Today , I had ." }, step: 1 }));
  assert.notEqual(key({ a: A, step: 1 }), key({ a: { ...A, model: { ...lstm, version: "v9" } }, step: 1 }));
});

test("the status line names the step (as people count tokens), its token, the models and a window cut short", () => {
  const p = plan({ a: A, b: { ...A, model: rnn }, step: 1 });
  const answer = (window) => ({ step: 1, token: { text: "," }, window });
  const answers = new Map([[p.subjects[0].key, answer(3)], [p.subjects[1].key, answer(3)]]);
  assert.equal(statusLine(p.subjects, answers), "From s = token 2 of 5, “,”, of lesson (LSTM), over the next 3 "
    + "tokens; beside it lesson-rnn (RNN) on the same text.");
  answers.set(p.subjects[0].key, answer(1));
  assert.match(statusLine(p.subjects.slice(0, 1), answers), /next 1 token \(of 3: the most this model's Jacobian/);
});

test("titles put plain words first and the maths beside them, from each cell's memory and keeping gate", () => {
  assert.equal(keepGate(LSTM), "f");
  assert.equal(keepGate(GRU), "z");
  assert.equal(keepGate(RNN), null); // no gate keeps a vanilla RNN's memory
  assert.equal(keepWords(RNN), null);
  assert.equal(keepWords(LSTM).titles.kept, "what is still there from step s — ∏ f");
  assert.equal(keepWords(LSTM).titles.written, "what step s wrote, as it survives — i_s⊙g_s·∏ f");
  assert.deepEqual(keepWords(GRU).symbols, { kept: "∏ z", written: "(1−z_s)⊙n_s·∏ z" });
  assert.equal(keepWords(GRU).toggle.written, "written at s · (1−z)⊙n·∏ z");
  assert.equal(curveTitle([RNN]), "how strongly the memory h_t still depends on h_s — ‖∂h_t/∂h_s‖");
  assert.equal(curveTitle([LSTM]), "how strongly the memory c_t still depends on c_s — ‖∂c_t/∂c_s‖ (dotted: h, "
    + "‖∂h_t/∂h_s‖)");
  assert.match(curveTitle([LSTM, RNN]), /memory at s — ‖∂c_t\/∂c_s‖ \(LSTM\) · ‖∂h_t\/∂h_s‖ \(RNN\)$/);
  assert.match(curveTitle([LSTM, GRU, RNN]), /‖∂c_t\/∂c_s‖ \(LSTM\) · ‖∂h_t\/∂h_s‖ \(GRU, RNN\)$/);
  assert.equal(curveTitle([GRU, GRU]), "how strongly the memory h_t still depends on h_s — ‖∂h_t/∂h_s‖");
  assert.equal(modelLabel({ id: "x" }), "x"); // a model entry without a cell: just its id
  assert.equal(modelLabel(gru), "lesson-gru (GRU)");
  assert.equal(modelLabel({ id: "y", cell: "new", cell_spec: { title: "minimal GRU" } }), "y (minimal GRU)");
});

test("each kind of cell has its colour, a second model of it another, an unknown kind one of the palette", () => {
  const [a, b, c] = cellColors(["lstm", "rnn", "gru"]);
  assert.deepEqual([a, b, c], [CELL_COLORS.lstm, CELL_COLORS.rnn, CELL_COLORS.gru]);
  const colors = cellColors(["lstm", "lstm", "mystery", "mystery", undefined]);
  assert.equal(new Set(colors).size, 5);
  assert.equal(colors[0], CELL_COLORS.lstm);
  assert.deepEqual(SPAN_MODELS, ["lesson", "lesson-rnn", "lesson-gru"]);
});

test("the heatmap is units × later tokens, its values the answer's, labels escaped", () => {
  const W = 3;
  const H = 2;
  const data = Float32Array.from([0.9, 0.5, 0.8, 0.25, 0.7, 0.125]); // time-major (W, H)
  const labels = ["s", "<b>x</b>", "a&b", "y"];
  const { data: traces, layout } = heatmapFigure({ values: { T: W, H, data }, steps: [1, 2, 3], labels, show: "kept",
    unit: 1, cell: LSTM });
  const [trace] = traces;
  assert.deepEqual(trace.x, [1, 2, 3]);
  assert.deepEqual(trace.y, [0, 1]);
  assert.deepEqual(trace.z.map((row) => row.map((v) => Math.fround(v))),
    [[0.9, 0.8, 0.7].map(Math.fround), [0.5, 0.25, 0.125]]);
  assert.deepEqual([trace.zmin, trace.zmax], [0, 1]);
  // Hovers name each token escaped and numbered for people (x stays the API's 0-based step).
  assert.deepEqual(trace.text[0], ["“&lt;b&gt;x&lt;/b&gt;”, token 2 of 4", "“a&amp;b”, token 3 of 4",
    "“y”, token 4 of 4"]);
  assert.ok(layout.xaxis.ticktext.every((t) => !t.includes("<b>")));
  assert.equal(layout.xaxis.title.text, "later tokens t (2–4 of 4)");
  assert.doesNotMatch(trace.hovertemplate, /%\{x\}/);
  assert.deepEqual([layout.shapes[0].y0, layout.shapes[0].y1], [0.5, 1.5]); // the selected unit's row
  const written = heatmapFigure({ values: { T: 1, H: 2, data: Float32Array.from([-0.4, 0.2]) }, steps: [1],
    labels, show: "written", cell: LSTM }).data[0];
  assert.deepEqual([written.zmin, written.zmax], [-Math.fround(0.4), Math.fround(0.4)]);
  assert.match(written.hovertemplate, /i_s⊙g_s·∏ f/);
  const kept = heatmapFigure({ values: { T: 1, H: 2, data: Float32Array.from([0.4, 0.2]) }, steps: [1], labels,
    show: "kept", cell: GRU }).data[0];
  assert.match(kept.hovertemplate, /∏ z = /);
  assert.equal(kept.colorbar.title.text, "∏ z");
});

test("the curve chart draws the memory of each model, and an LSTM's h dotted, on a log axis", () => {
  const answerL = { steps: [1, 2], memory: "c", memory_jacobian_norm: [5, 4], jacobian_norm: [2, 0.5], cell: "lstm" };
  const answerR = { steps: [1, 2], memory: "h", memory_jacobian_norm: [4, 0.2], jacobian_norm: [4, 0.2], cell: "rnn" };
  const labels = ["Today", ",", "<i>"];
  const { data, layout } = curveFigure({ series: [{ model: lstm, answer: answerL, labels },
    { model: { ...rnn, title: "<script>" }, answer: answerR, labels }] });
  assert.equal(layout.yaxis.type, "log");
  assert.deepEqual(data.map((d) => d.name), ["lesson (LSTM): ‖∂c_t/∂c_s‖", "lesson (LSTM): ‖∂h_t/∂h_s‖",
    "lesson-rnn (RNN): ‖∂h_t/∂h_s‖"]);
  assert.deepEqual(data.map((d) => d.y), [[5, 4], [2, 0.5], [4, 0.2]]);
  assert.equal(data[1].line.dash, "dot");
  assert.deepEqual(data[0].customdata, ["“,”, token 2 of 3", "“&lt;i&gt;”, token 3 of 3"]);
  assert.ok(data.every((d) => !d.hovertemplate.includes("%{x}"))); // no 0-based step reaches a person
  assert.equal(layout.xaxis.title.text, "later tokens t (2–3 of 3)");
  assert.notEqual(data[0].line.color, data[2].line.color);
});

test("beyond-training runs are the stretches of false", () => {
  assert.deepEqual(beyondRuns([true, true, false, false, true, false]), [[2, 3], [5, 5]]);
  assert.deepEqual(beyondRuns([false, false, true, true, false]), [[0, 1], [4, 4]]);
  assert.deepEqual(beyondRuns([]), []);
});

test("the memory-span chart has the four curves of the two cards, shading beyond training, and the commands", () => {
  const cards = [readCard("lesson"), readCard("lesson-rnn")];
  const { data, layout } = spanFigure(cards);
  assert.equal(data.length, 4);
  assert.deepEqual(data.map((d) => [d.name, d.xaxis]), [["lesson (LSTM)", "x"], ["lesson-rnn (RNN)", "x"],
    ["lesson (LSTM)", "x2"], ["lesson-rnn (RNN)", "x2"]]);
  assert.deepEqual(data[0].y, cards[0].evaluation.memory_span.tense.accuracy);
  assert.deepEqual(data[3].y, cards[1].evaluation.memory_span.cuisine.accuracy); // nulls stay gaps
  assert.deepEqual(data.map((d) => d.showlegend), [true, true, false, false]);
  const shaded = layout.shapes.filter((s) => s.type === "rect").map((s) => [s.xref, s.x0, s.x1]);
  // Trained on 0–80 (tense) and 0–60 (cuisine), measured at 0–5 and every 5 words to 100: the shading starts
  // halfway between the last trained distance and the next measured one.
  assert.deepEqual(shaded, [["x", 82.5, 100.5], ["x2", 62.5, 100.5]]);
  const chance = layout.shapes.filter((s) => s.type === "line").map((s) => s.y0);
  assert.deepEqual(chance, [0.5, 0.1429]);
  assert.deepEqual(spanCommands(cards), ["lstm-viz eval lesson --memory-span --write-card",
    "lstm-viz eval lesson-rnn --memory-span --write-card"]);
  assert.deepEqual(spanFigure([{ id: "x", evaluation: {} }]).data, []);
  // On a phone the two panels stack, each on its own y axis, and the chart is taller.
  const narrow = spanFigure(cards, { width: 350 });
  assert.deepEqual(narrow.data.map((d) => [d.xaxis, d.yaxis]), [["x", "y"], ["x", "y"], ["x2", "y2"], ["x2", "y2"]]);
  assert.deepEqual([narrow.layout.xaxis.domain, narrow.layout.xaxis2.domain], [[0, 1], [0, 1]]);
  assert.ok(narrow.layout.height > layout.height);
  assert.deepEqual(narrow.layout.shapes.filter((s) => s.type === "rect").map((s) => s.yref),
    ["y domain", "y2 domain"]);
});

test("a GRU's curve is its memory h alone: no dotted second curve", () => {
  const answer = { steps: [1, 2], memory: "h", memory_jacobian_norm: [0.9, 0.8], jacobian_norm: [0.9, 0.8], cell: "gru" };
  const { data } = curveFigure({ series: [{ model: gru, answer, labels: ["a", "b", "c"] }] });
  assert.deepEqual(data.map((d) => d.name), ["lesson-gru (GRU): ‖∂h_t/∂h_s‖"]);
  assert.equal(data[0].line.color, CELL_COLORS.gru);
});

test("two models of the same cell get different colours", () => {
  const answer = { steps: [1], memory: "h", memory_jacobian_norm: [1], jacobian_norm: [1] };
  const { data } = curveFigure({ series: [{ model: rnn, answer, labels: [] },
    { model: { ...rnn, id: "other" }, answer, labels: [] }] });
  assert.notEqual(data[0].line.color, data[1].line.color);
});

test("a card's markup never reaches the memory-span chart: training ranges are numbers or left out", () => {
  const evil = "<a href=\"https://example.com\" target=\"_blank\">click</a>";
  const card = structuredClone(readCard("lesson"));
  const span = card.evaluation.memory_span;
  span.tense.training_range = [0, evil];
  span.cuisine.training_range = evil;
  card.id = evil;
  const { data, layout } = spanFigure([card]);
  const texts = [...layout.annotations.map((a) => a.text), ...data.flatMap((d) => [d.name, d.hovertemplate])];
  for (const text of texts) assert.ok(!text.includes("<a"), text);
  const titles = layout.annotations.filter((a) => a.text.startsWith("<b>")).map((a) => a.text);
  assert.equal(titles.length, 2);
  for (const title of titles) assert.ok(!title.includes("trained on"), title); // not numbers: left out
  const good = spanFigure([readCard("lesson")]).layout.annotations.filter((a) => a.text.startsWith("<b>"));
  assert.ok(good.every((a) => /trained on \d+–\d+/.test(a.text)));
});
