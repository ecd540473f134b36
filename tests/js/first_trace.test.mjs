// first_trace.js: the first screen's trace request, asked for before main.js has loaded, and when its answer
// stands for main.js's own request (main.js takes it; tests/page/test_browser_first_trace.py: one request).
import assert from "node:assert/strict";
import { test } from "node:test";

import { answers, firstRequest, takeFirstTrace } from "../../static/js/first_trace.js";
import { defaults } from "../../static/js/core/state.js";
import { requestFor } from "../../static/js/core/trace_store.js";
import { GRU, LSTM } from "./cells.mjs";

const lesson = { id: "lesson", version: "a".repeat(12), cell_spec: LSTM, has_decoder: true, num_layers: 1 };
const deep = { id: "python", version: "b".repeat(12), cell_spec: LSTM, has_decoder: true, num_layers: 2 };
const gru = { id: "lesson-gru", version: "c".repeat(12), cell_spec: GRU, has_decoder: false, num_layers: 1 };
const MODELS = new Map([lesson, deep, gru].map((m) => [m.id, m]));
const PAGE = { defaultModel: "lesson", defaultText: "Today , I need a loan .", maxChars: 100, salt: "0".repeat(32) };
const link = (over = {}) => ({ ...defaults(), ...over });

test("the default view's panels and the memory, in the cell's order, for the link's model, text and layer", () => {
  assert.deepEqual(firstRequest(link(), MODELS, PAGE), {
    model: "lesson", text: PAGE.defaultText, top_k: 5, encoding: "u1", quantities: "c,kept,forgotten,written",
    layer: 0, salt: PAGE.salt,
  });
  const p = firstRequest(link({ model: "python", text: "def f():", layer: 7, view: "gates" }), MODELS, PAGE);
  assert.equal(p.model, "python");
  assert.equal(p.text, "def f():");
  assert.equal(p.layer, 1); // the model's last layer
  assert.equal(p.quantities, "i,f,g,o,c");
  const g = firstRequest(link({ model: "lesson-gru", span: { start: 0, end: 1 } }), MODELS, PAGE);
  assert.equal(g.top_k, 0); // no decoder
  assert.deepEqual(g.quantities.split(",").sort(), ["h", "kept", "forgotten", "written"].sort());
  assert.equal(firstRequest(link({ model: "gone" }), MODELS, PAGE).model, "lesson"); // as main.js: the default
});

test("no first request where the first screen is not one trace of the link's text", () => {
  assert.equal(firstRequest(link({ mode: "tour" }), MODELS, PAGE), null);
  assert.equal(firstRequest(link({ mode: "learn" }), MODELS, PAGE), null);
  assert.equal(firstRequest(link({ compare: "Last year , I had a loan ." }), MODELS, PAGE), null);
  assert.equal(firstRequest(link({ text: "x".repeat(101) }), MODELS, PAGE), null); // over max_chars
  assert.equal(firstRequest(link(), MODELS, { ...PAGE, defaultText: "" }), null);
});

test("its answer stands for main.js's request of the same or fewer quantities, nothing else", () => {
  const asked = firstRequest(link(), MODELS, PAGE);
  const want = { model: lesson, text: PAGE.defaultText, layer: 0, unit: null, encoding: "u1", topK: 5 };
  const mine = (quantities) => requestFor(null, { ...want, quantities }, PAGE.salt);
  assert.ok(answers(asked, mine(["kept", "forgotten", "written"])));
  assert.ok(answers(asked, mine(["c", "kept", "forgotten", "written"])));
  assert.ok(!answers(asked, mine(["kept", "forgotten", "written", "h"])));
  assert.ok(!answers(asked, requestFor(null, { ...want, text: "Today", quantities: ["c"] }, PAGE.salt)));
  assert.ok(!answers(asked, requestFor(null, { ...want, encoding: "f4", quantities: ["c"] }, PAGE.salt)));
  assert.ok(!answers(asked, { ...mine(["c"]), since: 2 }));
  assert.ok(!answers(asked, mine(["c"]).salt === asked.salt ? { ...mine(["c"]), salt: "1".repeat(32) } : null));
});

test("in Node (no document) nothing is asked for, and nothing is there to take", () => {
  assert.equal(takeFirstTrace(firstRequest(link(), MODELS, PAGE)), null);
});
