// core/search_results.js: "Find more like this" in words and numbers (docs/search.md, "In the page").
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  AT_END, AT_START, CONTEXT, LIMIT, STRIPE_PX, documentsOf, indexWords, listWords, matchedTokens, noIndexWords,
  openState, resultFacts, resultTitle, searchHint, searchKey, searchParams, sharedWords, stripeGradients,
  summaryWords, unitLabel, unitRanges, windowLabel, windowTokens,
} from "../../static/js/core/search_results.js";
import { divergingColor } from "../../static/js/core/colors.js";

const INDEX = { tokens: 127682, documents: 3000, corpus: "lesson", about: "the lesson test split", quantity: "c", layers: 1 };

/** A result as /api/search gives it: its window's tokens and, per unit, values. */
function result({ rank = 1, doc = 1, source = `lesson test document ${doc}`, start, end, wstart, tokens, values,
  overlap = 2, chars = [0, 9] }) {
  return { rank, document: doc, source, start, end, length: end - start, overlap, chars, text: "",
    window: { start: wstart, end: wstart + tokens.length, tokens, values } };
}

const A = result({ rank: 1, doc: 1, start: 23, end: 26, wstart: 23, tokens: ["Years", "ago", ",", "my", "parents"],
  values: [[1, 2, 0.5, 0, -1], [0.1, 0.2, 0.3, 0.4, 0.5]] });
const B = result({ rank: 2, doc: 19, start: 746, end: 749, wstart: 745, tokens: ["A", "decade", "ago", ",", "so"],
  values: [[0, 1, 1, 1, 0], [-2, 0, 0, 0, 0]] });
const C = result({ rank: 3, doc: 52, start: 2077, end: 2080, wstart: 2070,
  tokens: ["x", "x", "x", "x", "x", "x", "Well", "last", "year", ","], values: [[0, 0, 0, 0, 0, 0, 0, 1, 1, 1], [0, 0, 0, 0, 0, 0, 0, 0, 0, 0]] });
const MATCH = { model: "lesson", mode: "match", layer: 0, quantity: "c", units: [47, 61], threshold: 0.3,
  index: INDEX, derived: { text: "Last year", units: [] }, results: [A, B, C] };

test("a span asks for a match from the text (end exclusive), a unit for its top values", () => {
  assert.deepEqual(searchParams({ model: "lesson", layer: 0, text: "Last year, …", span: { start: 0, end: 1 },
    mode: "match" }), { model: "lesson", layer: 0, limit: LIMIT, context: CONTEXT, mode: "match", text: "Last year, …",
    start: 0, end: 2 });
  assert.deepEqual(searchParams({ model: "python", unit: 184, mode: "top", context: 30 }),
    { model: "python", layer: 0, limit: LIMIT, context: 30, mode: "top", unit: 184 });
  assert.equal(searchKey({ a: 1, b: 2 }), searchKey({ b: 2, a: 1 }));
  assert.notEqual(searchKey({ unit: 1 }), searchKey({ unit: 2 }));
});

test("units are named as the card names them; lists read as English", () => {
  const names = new Map([[47, "tense"]]);
  assert.equal(unitLabel(47, names), "47 (tense)");
  assert.equal(unitLabel(61, names), "61");
  assert.equal(listWords(["a"]), "a");
  assert.equal(listWords(["a", "b", "c"]), "a, b and c");
  assert.equal(indexWords(INDEX), "127,682 tokens (3,000 texts) of the lesson corpus");
  assert.equal(indexWords({ ...INDEX, corpus: "files", documents: 1 }), "127,682 tokens (1 text) of the indexed files");
});

test("the summary says how many, over what, and which units (named)", () => {
  const words = summaryWords(MATCH, new Map([[47, "tense"]]));
  assert.equal(words.headline, "3 matches for “Last year”");
  assert.match(words.detail, /^Searched 127,682 tokens \(3,000 texts\) of the lesson corpus for places where the 2 units on \(c ≥ 0\.3\) at every token of “Last year” and off just before it are on again: 47 \(tense\) and 61\. All 3 have all 2 on/);
  const partial = summaryWords({ ...MATCH, derived: null, results: [A, { ...B, overlap: 1 }] });
  assert.equal(partial.headline, "2 matches for units 47 and 61");
  assert.match(partial.detail, /1 of them have all 2 on/);
  const top = summaryWords({ ...MATCH, mode: "top", units: [47], threshold: null, results: [A] }, new Map([[47, "tense"]]));
  assert.equal(top.headline, "Where unit 47 (tense) fires: 1 place");
  assert.match(top.detail, /^Its 1 highest value of c in 127,682 tokens/);
  assert.equal(summaryWords({ ...MATCH, results: [] }).headline, "0 matches for “Last year”");
});

test("what they share: tokens at the match once per match, the tokens just before and after, most frequent first", () => {
  const shared = sharedWords([A, B, C]);
  // at: A has Years ago ,; B decade ago ,; C last year , — "," in 3, "ago" in 2, then the rest in the order seen.
  assert.deepEqual(shared.at, [{ token: ",", count: 3 }, { token: "ago", count: 2 }, { token: "Years", count: 1 },
    { token: "decade", count: 1 }, { token: "last", count: 1 }, { token: "year", count: 1 }]);
  assert.deepEqual(shared.before, [{ token: AT_START, count: 1 }, { token: "A", count: 1 }, { token: "Well", count: 1 }]);
  assert.deepEqual(shared.after, [{ token: "my", count: 1 }, { token: "so", count: 1 }, { token: AT_END, count: 1 }]);
  const twice = result({ start: 0, end: 3, wstart: 0, tokens: ["ha", "ha", "ha"], values: [[0, 0, 0]] });
  assert.deepEqual(sharedWords([twice]).at, [{ token: "ha", count: 1 }]);
  assert.equal(sharedWords([A, B, C], { top: 2 }).at.length, 2);
});

test("a window's tokens know which are the match's", () => {
  assert.deepEqual(windowTokens(B).map((t) => [t.text, t.position, t.match]), [["A", 745, false],
    ["decade", 746, true], ["ago", 747, true], [",", 748, true], ["so", 749, false]]);
  assert.deepEqual(matchedTokens(A), ["Years", "ago", ","]);
  assert.deepEqual(matchedTokens(C), ["last", "year", ","]);
});

test("each unit's stripes on its own scale over all the results, in the order searched", () => {
  assert.deepEqual(unitRanges([A, B], [47, 61]), [2, 2]);
  assert.deepEqual(unitRanges([A], [47, 61]), [2, 0.5]);
  const gradients = stripeGradients(A, [2, 0.5]);
  assert.equal(gradients.length, A.window.tokens.length);
  assert.equal(gradients[1], `linear-gradient(to bottom, ${divergingColor(2, 2)} 0px ${STRIPE_PX}px, `
    + `${divergingColor(0.2, 0.5)} ${STRIPE_PX}px ${2 * STRIPE_PX}px)`);
});

test("a character model's window keeps its spaces; a word model's shows them", () => {
  assert.equal(windowLabel(" "), "␣");
  assert.equal(windowLabel(" ", { chars: true }), " ");
  assert.equal(windowLabel("\n", { chars: true }), "↵");
  assert.equal(windowLabel("x", { chars: true }), "x");
});

test("a result's link names its source, and where in it when results share one", () => {
  assert.equal(resultTitle(A, [A, B]), "lesson test document 1");
  const p = { ...A, source: "stdlib (last 5%)", chars: [12344, 12345] };
  const q = { ...B, source: "stdlib (last 5%)" };
  assert.equal(resultTitle(p, [p, q]), "stdlib (last 5%), character 12,345");
  assert.equal(resultFacts(A, MATCH), "2 of 2 units on · 3 tokens");
  assert.equal(resultFacts({ ...A, value: 18.213 }, { ...MATCH, mode: "top" }), "c = 18.21");
});

test("opening a result: its text, the match as the span (both ends included) and the searched units", () => {
  const doc = { document: 19, start: 745, end: 790, text: "A decade ago, so." };
  assert.deepEqual(openState(B, doc, MATCH, { version: "7ff771cc8711" }), {
    model: "lesson", version: "7ff771cc8711", text: "A decade ago, so.", span: { start: 1, end: 3 }, step: 1,
    unit: 47, layer: 0, pinned: [47, 61],
  });
  assert.equal(openState(B, doc, MATCH, { maxChars: 5 }), null);
  assert.equal(openState(B, undefined, MATCH), null);
  assert.deepEqual(documentsOf([A, B, { ...C, document: 1 }]), [1, 19]);
});

test("without an index, words saying how to get one; with one, what to select", () => {
  const words = noIndexWords("lesson-gru");
  assert.match(words, /lstm-viz index lesson-gru/);
  assert.match(words, /same --data-dir/);
  assert.match(searchHint({ span: null, unit: null }), /shift\+click/);
  assert.equal(searchHint({ span: { start: 0, end: 1 }, unit: 3 }), null);
});
