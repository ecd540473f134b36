// The guided tour, built from the real lesson model card; its token indices are checked against a
// re-implementation of app/tokenizer.py's word tokenizer.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import {
  LECTURE, RNN_MODEL, forgetsFrom, notableUnit, spanWords, tenseEvidence, tourSteps,
} from "../../static/js/core/tour_steps.js";

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

// Units of an old card (minimal pairs: sign_consistency, mean Δc) and of a new one (partial r, weak).
const oldCard = { notable_units: [
  { layer: 0, unit: 2, mean_delta_c: 4.6135, sign_consistency: 1.0, carries: "tense" },
  { layer: 0, unit: 20, mean_delta_c: 4.1595, sign_consistency: 0.9862, carries: "tense" },
  { layer: 0, unit: 63, mean_delta_c: -1.57, sign_consistency: 0.9184, carries: "cuisine" },
  { layer: 0, unit: 12, mean_delta_c: 0.9677, sign_consistency: 1.0, carries: "cuisine" },
  { layer: 0, unit: 59, mean_delta_c: -0.9092, sign_consistency: 1.0, carries: "cuisine" },
] };
const newCard = { notable_units: [
  // Listed best first by the card, but the first is weak: the tour takes the strong one.
  { layer: 0, unit: 21, carries: "tense", partial_correlation: 0.9, weak: true, mean_delta_c: 0.3 },
  { layer: 0, unit: 7, carries: "tense", partial_correlation: 0.6, weak: false, mean_delta_c: 3.9 },
  { layer: 0, unit: 8, carries: "tense", partial_correlation: -0.81, weak: false, mean_delta_c: -2.1 },
  { layer: 0, unit: 0, carries: "cuisine", partial_correlation: -0.1, weak: true, mean_delta_c: -0.4 },
  { layer: 0, unit: 16, carries: "cuisine", partial_correlation: 0.07, weak: true, mean_delta_c: 1.5 },
] };

test("an old card's unit: the most consistent, then the largest mean Δc", () => {
  assert.equal(notableUnit(oldCard, "tense").unit, 2);
  assert.equal(notableUnit(oldCard, "cuisine").unit, 12);
  assert.equal(notableUnit(oldCard, "colour"), null);
  assert.equal(notableUnit({}, "tense"), null);
  assert.equal(notableUnit(undefined, "tense"), null);
  const steps = tourSteps(oldCard);
  assert.deepEqual(steps.map((s) => s.unit), [null, 2, 2, 2, 12, 12, 2, 2, 2, 2, 2, null, null]);
  assert.match(steps[2].body, /^Unit 2 holds the tense/);
  assert.match(steps[2].body, /On the training texts its c is on average 4\.6 higher after a present-time opener/);
});

test("a new card's unit: never a weak one while a strong one exists, then the largest |partial r|", () => {
  assert.equal(notableUnit(newCard, "tense").unit, 8); // |−0.81| > 0.6; unit 21 is weak
  assert.equal(notableUnit(newCard, "cuisine").unit, 0); // all weak: the strongest of them
  const steps = tourSteps(newCard);
  assert.deepEqual(steps.map((s) => s.unit), [null, 8, 8, 8, 0, 0, 8, 8, 8, 8, 8, null, null]);
  assert.match(steps[2].body, /^Unit 8 holds the tense/);
  assert.match(steps[2].body, / On sentences it never saw, its c follows the tense: partial r\u00a0=\u00a00\.81, lower after a present-time word than after a past one\.$/);
  assert.doesNotMatch(steps[2].body, /mean|sign|undefined|NaN/);
  // A weak unit (when there is no other) is said to be weak.
  assert.match(tenseEvidence(newCard.notable_units[0]), /follows the tense only weakly: partial r\u00a0=\u00a00\.90, higher/);
  // A unit with neither figure says nothing more.
  assert.equal(tenseEvidence({ unit: 3, carries: "tense" }), "");
  assert.equal(tenseEvidence(null), "");
});

test("the bundled card's units: one it lists for the lesson, not weak if it lists a strong one", () => {
  for (const carries of ["tense", "cuisine"]) {
    const listed = card.notable_units.filter((u) => u.carries === carries);
    const chosen = notableUnit(card, carries);
    assert.ok(listed.includes(chosen), carries);
    if (listed.some((u) => u.weak !== true)) assert.notEqual(chosen.weak, true, carries);
  }
  const tense = notableUnit(card, "tense").unit;
  const cuisine = notableUnit(card, "cuisine").unit;
  const steps = tourSteps(card);
  assert.deepEqual(steps.map((s) => s.unit), [null, tense, tense, tense, cuisine, cuisine, tense, tense, tense, tense, tense, null, null]);
  assert.match(steps[2].body, new RegExp(`^Unit ${tense} holds the tense`));
  assert.doesNotMatch(steps[2].body, /undefined|NaN/);
});

test("every step is complete: a title, 1–3 sentences, a known view, indices in range", () => {
  const steps = tourSteps(card);
  assert.equal(steps.length, 13);
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
  assert.equal(steps.length, 13);
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
  const chapter = steps.slice(7, 11);
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
  assert.match(kept.body, new RegExp(`Unit ${kept.unit}'s row stays bright, still about 0\\.8 at “need”`));
  assert.match(curve.body, /‖∂c_t\/∂c_s‖ for the LSTM, ‖∂h_t\/∂h_s‖ for lesson-rnn/);
});

test("what the memory-span step says is what the two cards measured", () => {
  const curve = (accuracy, range, chance) => ({ accuracy, chance, training_range: range,
    in_training_range: [0, 10, 50, 90].map((d) => d <= range[1]) });
  const lstm = { evaluation: { memory_span: { distances: [0, 10, 50, 90],
    tense: curve([1, 1, 0.98, 0.7], [0, 80], 0.5), cuisine: curve([1, 0.96, 0.97, 0.4], [0, 60], 1 / 7) } } };
  const rnn = { evaluation: { memory_span: { distances: [0, 10, 50, 90],
    tense: curve([0.9, 0.55, 0.5, 0.52], [0, 80], 0.5), cuisine: curve([0.6, 0.3, 0.2, 0.1], [0, 60], 1 / 7) } } };
  assert.equal(spanWords(lstm, rnn), "The LSTM gets the tense at least 98\u00a0% of the time out to the 80 words "
    + "it trained on, and the cuisine at least 96\u00a0% of the time out to the 60 words it trained on. The RNN, "
    + "trained on the same sentences with more units, guesses the tense at chance from 10 words on and guesses "
    + "the cuisine at chance from 50 words on.");
  assert.equal(forgetsFrom(rnn.evaluation.memory_span.tense, [0, 10, 50, 90]), 10);
  assert.equal(forgetsFrom({ accuracy: [0.5, 0.9], chance: 0.5 }, [0, 10]), null, "back above chance: not forgotten");
  assert.equal(spanWords({}, rnn), "");
  assert.match(spanWords(lstm, null), /^The LSTM gets the tense at least 98/);
  // The step reads the bundled cards' own curves.
  const body = tourSteps(card, rnnCard).find((s) => s.retention === "span").body;
  assert.ok(body.includes(spanWords(card, rnnCard)) && spanWords(card, rnnCard).length > 0);
});

test("the tense step says which way the card's unit goes", () => {
  const unit = (r) => ({ notable_units: [{ layer: 0, unit: 5, carries: "tense", partial_correlation: r, weak: false }] });
  const say = (r) => tourSteps(unit(r)).find((s) => s.title === "One unit remembers the tense").body;
  assert.match(say(-0.9), /turns negative at “Today” and stays negative up to “I”/);
  assert.match(say(0.9), /turns positive at “Today” and stays positive up to “I”/);
  assert.match(tourSteps(unit(-0.9)).find((s) => s.title === "Your turn").body, /unit 5 turn positive/);
  assert.match(say(-0.9), /lower after a present-time word than after a past one/);
});

test("the step before the last asks why “had”: the words before it tinted by occlusion, “Last year” marked", () => {
  const last = tourSteps(card).at(-2);
  const at = (t) => words(last.text)[t];
  assert.equal(last.text, LECTURE.tensePast);
  assert.equal(at(last.step), "I");
  assert.equal(at(last.step + 1), last.why);
  assert.equal(last.whyMethod, "occlusion");
  assert.deepEqual(last.highlight.map(at), ["Last", "year"]);
  assert.equal(last.retention, undefined);
});

test("the last step opens the Train panel with the RNN vs LSTM race, and says what to watch", async () => {
  const { PRESETS } = await import("../../static/js/core/train_plan.js");
  const steps = tourSteps(card);
  const last = steps.at(-1);
  assert.equal(steps.indexOf(last), 12); // appended: tour=11 is still "Why “had”?"
  assert.equal(steps[11].title, "Why “had”?");
  assert.equal(last.train, "race30");
  assert.deepEqual(PRESETS[last.train].config.cells, ["rnn", "lstm"]);
  assert.equal(PRESETS[last.train].label, "RNN vs LSTM, 30 words apart");
  assert.match(last.body, /▶ Play/);
  assert.match(last.body, /chance/);
  assert.equal(steps.filter((s) => s.train).length, 1);
});
