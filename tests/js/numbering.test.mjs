// People count tokens from 1; the API and the page's step t count from 0. Every person-facing token
// number of the token strip (tokens.js), the span bar (controls.js), the step detail (step_detail.js)
// and the tinted text (unit_text.js) goes through these functions: "token 13 of 19", like the player.
import assert from "node:assert/strict";
import { test } from "node:test";

import { stepHeading } from "../../static/js/core/step_numbers.js";
import {
  chipTitle, spanHint, spanLabel, spanPlace, spanResultTitle, tokenNumber, tokenPlace, tokenReadout,
} from "../../static/js/core/tokens.js";

// The lecture's tense sentence under the lesson model's word tokenizer: 19 tokens, "I" is step 12.
const TENSE = "Today , due to my current job situation and family conditions , I need to take a loan .";
const TOKENS = TENSE.split(" ").map((text, id) => ({ text, id }));

test("the lecture's sentence has 19 tokens and 'I' is step 12, token 13", () => {
  assert.equal(TOKENS.length, 19);
  assert.equal(TOKENS[12].text, "I");
  assert.equal(tokenNumber(12), 13);
  assert.equal(tokenNumber(0), 1);
});

test("a token's place is 1-based, with 'of T' when the length is known", () => {
  assert.equal(tokenPlace(12, 19), "token 13 of 19");
  assert.equal(tokenPlace(18, 19), "token 19 of 19"); // the player's words for its last frame
  assert.equal(tokenPlace(0, 1), "token 1 of 1");
  assert.equal(tokenPlace(12), "token 13");
  assert.equal(tokenPlace(12, null), "token 13");
  assert.equal(tokenPlace(12, 19, { capital: true }), "Token 13 of 19");
});

test("a span's place is 1-based and inclusive; one token is 'token k'", () => {
  assert.equal(spanPlace({ start: 2, end: 7 }), "tokens 3–8");
  assert.equal(spanPlace({ start: 0, end: 13 }), "tokens 1–14");
  assert.equal(spanPlace({ start: 4, end: 4 }), "token 5");
});

test("the step detail's heading names the token 1-based, of T, and the layer 1-based", () => {
  assert.equal(stepHeading({ t: 12, T: 19, token: "I", unit: 2, layer: 0 }), "Token 13 of 19 · “I” · unit 2 · layer 1");
  // Units are the model's own numbers (unit 0 stays unit 0); an unknown length drops "of T".
  assert.equal(stepHeading({ t: 0, token: "Today", unit: 0, layer: 1 }), "Token 1 · “Today” · unit 0 · layer 2");
  // "Token 1 of" must not be a prefix of "Token 13 of": tests match the heading by its text.
  assert.ok(!stepHeading({ t: 12, T: 19, token: "I", unit: 0, layer: 0 }).includes("Token 1 of"));
});

test("a chip's title is 1-based and says what a click does", () => {
  assert.equal(chipTitle({ t: 12, id: 7 }), "token 13: id 7 · click: select · shift+click: select a span");
  assert.equal(chipTitle({ t: 0, id: 1, unknown: true }),
    "token 1: id 1 (not in the vocabulary: read as the unknown token) · click: select · shift+click: select a span");
});

test("the span bar's label is 1-based and quotes the span's text, cut at 60 characters", () => {
  assert.equal(spanLabel({ start: 2, end: 7 }, TOKENS), "Span: tokens 3–8 “due to my current job situation”");
  assert.equal(spanLabel({ start: 12, end: 12 }, TOKENS), "Span: token 13 “I”");
  const long = spanLabel({ start: 0, end: 18 }, TOKENS);
  assert.ok(long.startsWith("Span: tokens 1–19 “Today , due"), long);
  assert.ok(long.endsWith("…”"), long);
  assert.equal(long.length, "Span: tokens 1–19 “".length + 57 + "…”".length); // 57 characters and an ellipsis
});

test("the span bar says what to do next: how to select a span, then which tap comes", () => {
  assert.match(spanHint({}, null, TOKENS), /shift\+click.*Select a span/);
  assert.equal(spanHint({}, { start: 2, end: 7 }, TOKENS), null); // a span: its label instead
  assert.match(spanHint({ phase: "first", start: null }, null, TOKENS), /tap the first token/);
  assert.match(spanHint({ phase: "first" }, { start: 2, end: 7 }, TOKENS), /tap the first token/);
  assert.equal(spanHint({ phase: "last", start: 2 }, null, TOKENS), "Span: now tap the last token (from token 3 “due”)");
  assert.equal(spanHint({ phase: "last", start: null }, null, TOKENS), "Span: now tap the last token");
});

test("a span result's title names the span 1-based", () => {
  assert.equal(spanResultTitle({ inside: 0.51234, outside: -0.1 }, { start: 2, end: 7 }),
    "mean h inside tokens 3–8: 0.512, outside: -0.100");
  assert.equal(spanResultTitle({ inside: 0.5, outside: null }, { start: 0, end: 18 }), "mean h inside tokens 1–19: 0.500");
});

test("the tinted text's readout names the token 1-based, of T", () => {
  assert.equal(tokenReadout({ t: 12, T: 19, text: "I", tint: "c", value: 0.12345 }), "token 13 of 19 · “I” · c = 0.123");
  assert.equal(tokenReadout({ t: 0, T: 2, text: " ", tint: "f", value: Number.NaN }), "token 1 of 2 · “␣” · f = —");
});
