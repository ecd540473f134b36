// The guided tour, built from the real lesson model card; its token indices are checked against a
// re-implementation of app/tokenizer.py's word tokenizer.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import { LECTURE, RNN_MODEL, notableUnit, tourSteps } from "../../static/js/tour.js";

const card = JSON.parse(readFileSync(new URL("../../models/lesson.json", import.meta.url), "utf8"));
const rnnCard = JSON.parse(readFileSync(new URL(`../../models/${RNN_MODEL}.json`, import.meta.url), "utf8"));

// app/tokenizer.py's _WORD, in JavaScript: Python's Unicode \w is [\p{L}\p{N}_], \d is \p{Nd}.
const MARKS = "\\u0300-\\u036f\\u1ab0-\\u1aff\\u1dc0-\\u1dff\\u20d0-\\u20ff\\ufe20-\\ufe2f";
const W = `\\p{L}\\p{N}_${MARKS}`;
const WORD = new RegExp(
  "\\p{Nd}+(?:[.,]\\p{Nd}+)*"
  + `|(?![\\p{Nd}_])[\\p{L}\\p{N}][${W}]*(?:['’][${W}]+)*`
  + `|[^\\s${MARKS}][${MARKS}]*`,
  "gu",
);
const words = (text) => Array.from(text.matchAll(WORD), (m) => m[0]);

test("the word splitter agrees with the tokenizer's documented cases", () => {
  assert.deepEqual(words("Bhavin's 1,000 shouldn't, 3.14!"), ["Bhavin's", "1,000", "shouldn't", ",", "3.14", "!"]);
  assert.deepEqual(words("café e\u0301t\u00e9 _x"), ["café", "e\u0301t\u00e9", "_", "x"]);
});

test("the tour's sentences are the lecture's, exactly", () => {
  assert.deepEqual(card.examples.slice(0, 4), [LECTURE.tensePresent, LECTURE.tensePast, LECTURE.cuisineOne,
    LECTURE.cuisineTwo]);
  const evaluated = new Set(card.evaluation.lecture.map((e) => e.text));
  for (const text of Object.values(LECTURE)) assert.ok(evaluated.has(text), text);
  for (const step of tourSteps(card)) assert.ok(Object.values(LECTURE).includes(step.text), step.title);
});

test("units come from the card: tense unit 2, the most consistent cuisine unit 12", () => {
  assert.equal(notableUnit(card, "tense").unit, 2);
  assert.equal(notableUnit(card, "cuisine").unit, 12);
  assert.equal(notableUnit(card, "colour"), null);
  assert.equal(notableUnit({}, "tense"), null);
  const steps = tourSteps(card);
  assert.deepEqual(steps.map((s) => s.unit), [null, 2, 2, 2, 12, 12, 2, 2, 2, 2, 2]);
  assert.match(steps[2].body, /^Unit 2 holds the tense/);
  assert.match(steps[2].body, /on average 4\.6 higher after a present-time opener/);
});

test("every step is complete: a title, 1–3 sentences, a known view, indices in range", () => {
  const steps = tourSteps(card);
  assert.equal(steps.length, 11);
  for (const s of steps) {
    assert.ok(s.title.length > 0);
    const sentences = s.body.split(/(?<=[.!?])\s+(?=[A-Z“])/);
    assert.ok(sentences.length >= 1 && sentences.length <= 3, `${s.title}: ${sentences.length} sentences`);
    assert.ok(["memory", "gates", "states"].includes(s.view), s.title);
    const T = words(s.text).length;
    for (const t of [s.step, ...s.highlight].filter((t) => t !== null)) {
      assert.ok(Number.isInteger(t) && t >= 0 && t < T, `${s.title}: token ${t} of ${T}`);
    }
    assert.equal(s.layer === null, s.unit === null);
  }
});

test("steps select and highlight the words they talk about", () => {
  const steps = tourSteps(card);
  const at = (s, t) => words(s.text)[t];
  const marked = (s) => s.highlight.map((t) => at(s, t));
  assert.deepEqual([steps[0].text, steps[0].view, steps[0].step], [LECTURE.tensePresent, "memory", null]);

  assert.equal(steps[1].view, "gates");
  assert.equal(marked(steps[1]).join(" "), "Today due to my current job situation and family conditions");

  assert.equal(steps[2].text, LECTURE.tensePresent);
  assert.equal(at(steps[2], steps[2].step), "I");
  assert.equal(steps[2].step, 12);
  assert.deepEqual(marked(steps[2]), ["Today", "I", "need"]);

  assert.equal(steps[3].text, LECTURE.tensePast);
  assert.equal(at(steps[3], steps[3].step), "I");
  assert.deepEqual(marked(steps[3]), ["Last", "year", "I", "had"]);

  assert.equal(steps[4].text, LECTURE.cuisineOne);
  assert.equal(at(steps[4], steps[4].step), "samosa");
  assert.deepEqual(marked(steps[4]), ["samosa", "Indian"]);

  assert.equal(steps[5].text, LECTURE.cuisineTwo);
  assert.equal(steps[5].view, "memory");
  assert.equal(at(steps[5], steps[5].step), "pasta");
  assert.deepEqual(marked(steps[5]), ["pasta", "and", "cheese", "Italian"]);
  assert.ok(words(steps[5].text).includes("Bhavin's") && words(steps[5].text).includes("shouldn't"));

  assert.equal(steps[6].title, "Your turn");
});

test("without notable units the tour still works, selecting no unit and naming none", () => {
  const steps = tourSteps({ notable_units: [] });
  assert.equal(steps.length, 11);
  for (const s of steps) {
    assert.equal(s.unit, null);
    assert.doesNotMatch(s.body, /unit \d|Unit \d|undefined|null/, s.title);
  }
  assert.deepEqual(tourSteps(undefined).map((s) => s.title), steps.map((s) => s.title));
});

test("the RNN vs LSTM chapter comes after the first seven steps, so links to those keep their index", () => {
  const steps = tourSteps(card);
  assert.deepEqual(steps.slice(0, 7).map((s) => s.retention), Array(7).fill(undefined));
  assert.equal(steps[6].title, "Your turn");
  const chapter = steps.slice(7);
  assert.deepEqual(chapter.map((s) => s.retention), ["kept", "kept", "curve", "span"]);
  assert.deepEqual(chapter.map((s) => s.compareModel), [undefined, undefined, RNN_MODEL, RNN_MODEL]);
  assert.equal(rnnCard.id, RNN_MODEL);
  assert.equal(rnnCard.cell, "rnn");
});

test("the chapter shows the long clause from “Today” with the tense unit selected", () => {
  const [intro, kept, curve] = tourSteps(card).slice(7);
  const at = (s, t) => words(s.text)[t];
  assert.equal(intro.text, LECTURE.tensePresent);
  assert.equal(at(intro, intro.step), "Today");
  assert.equal(intro.highlight.map((t) => at(intro, t)).join(" "),
    "Today due to my current job situation and family conditions need");
  assert.equal(kept.unit, notableUnit(card, "tense").unit);
  assert.match(kept.body, /Unit 2's row stays bright, above 0\.99 at “need”/);
  assert.match(curve.body, /‖∂c_t\/∂c_s‖ for the LSTM, ‖∂h_t\/∂h_s‖ for lesson-rnn/);
});

test("what the memory-span step says is what the two cards measured", () => {
  const span = (c, task) => c.evaluation.memory_span[task];
  const { distances } = card.evaluation.memory_span;
  const lstmTense = span(card, "tense");
  assert.deepEqual(lstmTense.training_range, [0, 25]);
  assert.equal(Math.max(...distances), 40);
  assert.ok(lstmTense.accuracy.every((a) => a === 1), "the LSTM gets the tense right out to 40 words");
  assert.ok(Math.min(...span(rnnCard, "tense").accuracy) < 1, "the RNN slips");
  for (const c of [card, rnnCard]) assert.deepEqual(span(c, "cuisine").training_range, [2, 3]);
  const rnnCuisine = span(rnnCard, "cuisine");
  const at8 = distances.indexOf(8);
  const p = rnnCuisine.chance;
  const chanceLevel = (a, k) => a <= p + 3 * Math.sqrt((p * (1 - p)) / rnnCuisine.n[k]); // within 3σ of guessing
  assert.ok(rnnCuisine.accuracy.every((a, k) => k < at8 || chanceLevel(a, k)), "RNN at chance from 8 words on");
  const lstmCuisine = span(card, "cuisine");
  const beyond = lstmCuisine.accuracy.filter((a, k) => a !== null && distances[k] > 3);
  assert.ok(beyond.every((a) => a < 0.5), "the LSTM loses the cuisine too beyond its training range");
  assert.ok(beyond.every((a) => a > lstmCuisine.chance), "… but stays above chance");
  assert.match(tourSteps(card)[10].body, /past the 25 it trained on/);
});
