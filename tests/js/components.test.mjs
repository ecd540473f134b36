// "Kinds of memory": the pure pieces (static/js/core/components_figures.js). The row labels, the unit buttons'
// words, the peaks and the reconstruction error in words, the order of the components, the states a cell
// offers (from its cell_spec), and the k-row Plotly heatmap built from an /api/components answer.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  DEFAULT_K, K_CHOICES, componentsFigure, errorSentence, ordered, peaksWords, percent, quantityChoices, quantityOf,
  quantityWords, refusalWords, requestKey, rowLabel, shareWords, statesOf, unitButtons,
} from "../../static/js/core/components_figures.js";
import { GRU, LSTM, RNN } from "./cells.mjs";

// The lecture's sentence, as /api/components answers it for `lesson`, k = 2 (rounded; tokens abridged to five).
const ANSWER = {
  model: "lesson", cell: "lstm", layer: 0, quantity: "c", memory: "c", k: 2, hidden_size: 64,
  tokens: ["a", "loan", ".", "<b>", " "].map((text, t) => ({ text, id: t, start: t, end: t + 1 })),
  components: [
    { activation: [0, 2, 8, 4, 0], share: 0.313,
      top_units: [{ unit: 21, sign: "-", loading: 0.352 }, { unit: 11, sign: "+", loading: 0.31 }],
      peaks: [{ step: 2, text: ".", activation: 8 }, { step: 3, text: "<b>", activation: 4 },
        { step: 1, text: "loan", activation: 2 }] },
    { activation: [5, 0, 0, 0, 1], share: 0.687,
      top_units: [{ unit: 3, sign: "+", loading: 0.329 }],
      peaks: [{ step: 0, text: "a", activation: 5 }, { step: 4, text: " ", activation: 1 }] },
  ],
  reconstruction_error: 0.1621086453065765,
};

test("k: 2 to 6, 4 by default", () => {
  assert.deepEqual(K_CHOICES, [2, 3, 4, 5, 6]);
  assert.equal(DEFAULT_K, 4);
});

test("percentages for people: whole percents, and a little above 0 is not 0", () => {
  assert.equal(percent(0.313), "31 %");
  assert.equal(percent(0.1621), "16 %");
  assert.equal(percent(1), "100 %");
  assert.equal(percent(0), "0 %");
  assert.equal(percent(0.003), "< 1 %");
  assert.equal(percent(Number.NaN), "? %");
});

test("components come largest share first; equal shares keep their order", () => {
  assert.deepEqual(ordered(ANSWER.components).map((c) => c.share), [0.687, 0.313]);
  const tie = [{ share: 0.5, id: "a" }, { share: 0.2, id: "b" }, { share: 0.5, id: "c" }];
  assert.deepEqual(ordered(tie).map((c) => c.id), ["a", "c", "b"]);
  assert.deepEqual(ordered(undefined), []);
});

test("a row's label is its number and its share", () => {
  assert.equal(rowLabel({ share: 0.313 }, 0), "1 · 31 %");
  assert.equal(rowLabel({ share: 0.238 }, 1), "2 · 24 %");
});

test("unit buttons: the unit and an arrow, the direction in words on hover", () => {
  const buttons = unitButtons(ANSWER.components[0], { cell: LSTM, quantity: "c" });
  assert.deepEqual(buttons.map((b) => b.text), ["unit 21 ↓", "unit 11 ↑"]);
  assert.deepEqual(buttons.map((b) => b.unit), [21, 11]);
  assert.match(buttons[0].title, /^unit 21: this pattern pushes the memory c down \(loading 0\.35\)/);
  assert.match(buttons[1].title, /pushes the memory c up/);
  const h = unitButtons(ANSWER.components[0], { cell: LSTM, quantity: "h" });
  assert.match(h[0].title, /pushes the hidden state h down/); // the LSTM's h is not its memory
  assert.match(unitButtons(ANSWER.components[1], { cell: GRU, quantity: "h" })[0].title, /pushes the memory h up/);
  assert.deepEqual(unitButtons({}, {}), []);
});

test("peaks in words, strongest first, whitespace made visible", () => {
  assert.equal(peaksWords(ANSWER.components[0].peaks), "strongest at “.”, “<b>”, “loan”");
  assert.equal(peaksWords(ANSWER.components[1].peaks), "strongest at “a”, “␣”");
  assert.equal(peaksWords([]), "");
});

test("the reconstruction error as one sentence", () => {
  assert.equal(errorSentence({ k: 4, error: 0.1621, cell: LSTM, quantity: "c" }),
    "These 4 patterns rebuild the memory c to within 16 %.");
  assert.equal(errorSentence({ k: 1, error: 0.288, cell: LSTM, quantity: "h" }),
    "This 1 pattern rebuilds the hidden state h to within 29 %.");
  assert.equal(errorSentence({ k: 3, error: 0.001, cell: GRU, quantity: "h" }),
    "These 3 patterns rebuild the memory h almost exactly (within < 1 %).");
});

test("the server's refusal reads as a sentence", () => {
  const detail = "the text has 3 tokens for model 'lesson', fewer than k = 4 components: send a longer text or use k ≤ 3";
  assert.equal(refusalWords(detail), `T${detail.slice(1)}.`);
  assert.equal(refusalWords("Done."), "Done.");
  assert.match(refusalWords(""), /^The server could not/);
});

test("the states a cell offers come from its cell_spec, its memory first", () => {
  assert.deepEqual(statesOf(LSTM), ["c", "h"]);
  assert.deepEqual(statesOf(GRU), ["h"]);
  assert.deepEqual(statesOf(RNN), ["h"]);
  assert.deepEqual(quantityChoices(LSTM).map((c) => [c.value, c.text]), [["c", "c · cell state"], ["h", "h · hidden state"]]);
  assert.deepEqual(quantityChoices(GRU), []); // one state: no switch
  assert.equal(quantityOf(LSTM, null), "c");
  assert.equal(quantityOf(LSTM, "h"), "h");
  assert.equal(quantityOf(GRU, "c"), "h"); // a choice the new model's cell lacks falls back to its memory
  assert.equal(quantityWords(LSTM, "c"), "the memory c");
  assert.equal(quantityWords(RNN, "h"), "the memory h");
});

test("a request's key changes with each thing the answer depends on", () => {
  const ask = { model: "lesson", text: "a loan.", layer: 0, quantity: "c", k: 4 };
  const keys = new Set([ask, { ...ask, model: "lesson-gru" }, { ...ask, text: "a loan" }, { ...ask, layer: 1 },
    { ...ask, quantity: "h" }, { ...ask, k: 3 }].map(requestKey));
  assert.equal(keys.size, 6);
  assert.equal(requestKey({ ...ask }), requestKey(ask));
});

test("the figure: one row per component, largest share on top, each row from 0 to its own strongest", () => {
  const labels = ANSWER.tokens.map((t) => t.text.replace(" ", "␣"));
  const fig = componentsFigure({ answer: ANSWER, labels, step: 2, width: 800 });
  const [heat] = fig.data;
  assert.equal(heat.type, "heatmap");
  assert.deepEqual(heat.z, [[1, 0, 0, 0, 0.2], [0, 0.25, 1, 0.5, 0]]);
  assert.deepEqual(heat.x, [0, 1, 2, 3, 4]);
  assert.deepEqual(fig.layout.yaxis.ticktext, ["1 · 69 %", "2 · 31 %"]);
  assert.equal(fig.layout.yaxis.autorange, "reversed");
  // the tokens label the columns, escaped (Plotly reads labels as HTML)
  assert.ok(fig.layout.xaxis.ticktext.includes("&lt;b&gt;"));
  assert.match(heat.text[1][2], /^pattern 2 · 31 % · “\.”, token 3 of 5<br>strength 8\.00$/);
  assert.match(heat.text[1][1], /strength 2\.00 \(25 % of its strongest\)/);
  assert.ok(!JSON.stringify(fig).includes("<b>")); // no token reaches Plotly unescaped
  // the selected step outlined, none without one
  assert.deepEqual(fig.layout.shapes.map((s) => [s.x0, s.x1, s.name]), [[1.5, 2.5, "selected"]]);
  assert.deepEqual(componentsFigure({ answer: ANSWER, labels, step: null }).layout.shapes, []);
  assert.deepEqual(componentsFigure({ answer: ANSWER, labels, step: 9 }).layout.shapes, []);
  // taller with more rows
  const more = { ...ANSWER, components: [...ANSWER.components, ...ANSWER.components] };
  assert.ok(componentsFigure({ answer: more, labels }).layout.height > fig.layout.height);
});

test("a component that is never on is drawn white, not divided by zero", () => {
  const off = { ...ANSWER, components: [{ ...ANSWER.components[0], activation: [0, 0, 0, 0, 0] }] };
  const fig = componentsFigure({ answer: off, labels: ["a", "b", "c", "d", "e"] });
  assert.deepEqual(fig.data[0].z, [[0, 0, 0, 0, 0]]);
});

test("a share in words, for the row's label's hover", () => {
  assert.equal(shareWords({ share: 0.313 }, { cell: LSTM, quantity: "c" }),
    "this pattern carries 31 % of the memory c as the patterns rebuild it");
});
