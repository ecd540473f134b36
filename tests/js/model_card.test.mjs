// The model card's words (model_card.js's pure part) over the bundled cards: sentences, not keys; short
// lists, not array dumps; one line per notable unit.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import {
  accuracySentence, formatNumber, label, lectureLine, modelSummary, spanSentence, summariseList, trainingFacts,
  unitLine, unitSentence,
} from "../../static/js/model_card.js";

const readCard = (id) => JSON.parse(readFileSync(new URL(`../../models/${id}.json`, import.meta.url), "utf8"));
const lesson = readCard("lesson");
const python = readCard("python");
const rnn = readCard("lesson-rnn");

test("a minimal-pair unit is one sentence: what its memory does, by how much, how reliably", () => {
  assert.equal(unitLine(lesson.notable_units[0], lesson), "Unit 2 — tense: its memory c is 4.6 higher after a "
    + "present-time opener (need) than after a past-time one (had) (same sign at 100% of 1,669 positions in 112 "
    + "sentence pairs)");
  const cuisine = lesson.notable_units.find((u) => u.unit === 63);
  assert.equal(cuisine.mean_delta_c < 0, true);
  assert.match(unitLine(cuisine, lesson), /^Unit 63 — cuisine: its memory c is 1\.6 higher after an Italian food than after an Indian one \(same sign at 91\.8%/);
  // A vanilla RNN's memory is h.
  assert.match(unitSentence(rnn.notable_units[0], rnn), /^its state h \(its only memory\) is 1\.9 higher after a present-time/);
});

test("a correlated unit says which way its memory goes, with r and over how much text", () => {
  assert.equal(unitLine(python.notable_units[0], python), "Unit 144 — inside a string: its memory c is lower inside "
    + "a string (r\u00a0=\u00a0−0.55 over 20,000 held-out characters)");
  const lines = python.notable_units.map((u) => unitLine(u, python));
  for (const line of lines) assert.doesNotMatch(line, /_|correlation|carries/);
  assert.match(lines.find((l) => l.startsWith("Unit 205 — bracket depth")), /rises the deeper the brackets nest \(r\u00a0=\u00a00\.68/);
  // An unknown signal still reads as words.
  assert.equal(unitSentence({ unit: 1, carries: "quote_count", correlation: -0.3 }, {}), "its memory c falls as quote count rises (r\u00a0=\u00a0−0.30)");
  // A unit of a model with several layers names its layer.
  assert.match(unitLine({ unit: 4, layer: 1, carries: "tense" }, { sizes: { num_layers: 2 } }), /^Unit 4 of layer 2 — tense/);
});

test("keys read as words", () => {
  assert.equal(label("inside_string"), "inside a string");
  assert.equal(label("bracket_depth"), "bracket depth");
  assert.equal(label("source_sha256"), "source sha256");
  assert.equal(label("lstm.bias_ih_l0"), "lstm.bias_ih_l0"); // a tensor name stays as written
  assert.equal(formatNumber(-1.57), "−1.57");
  assert.equal(formatNumber(0.0001), "0.0001");
});

test("lists are summarised, never dumped", () => {
  assert.equal(summariseList(Array(41).fill(true)), "41 of 41 yes");
  assert.equal(summariseList([true, false, true]), "2 of 3 yes");
  assert.equal(summariseList(Array.from({ length: 41 }, (_, k) => k)), "0, 1, 2, 3, 4 and 36 more (0 to 40)");
  assert.equal(summariseList([0, 25]), "0, 25");
  assert.equal(summariseList([]), "none");
  const long = summariseList(lesson.evaluation.memory_span.tense.accuracy);
  assert.doesNotMatch(long, /in all|(, 1){10}/);
});

test("the summary, the training and the evaluation are sentences", () => {
  assert.equal(modelSummary(lesson), "A word-level LSTM with sigmoid gates: 1 layer of 64 units, 305 tokens in its "
    + "vocabulary, lowercased.");
  assert.match(modelSummary(rnn), /^A word-level vanilla RNN \(tanh\): 1 layer of 100 units/);
  assert.match(modelSummary(python), /^A character-level LSTM/);
  const { facts, others } = trainingFacts(python.provenance);
  const said = Object.fromEntries(facts);
  assert.equal(said.training, "15,000 steps, each on 32 sequences of 100 tokens (of a 16,000-step run)");
  assert.equal(said["learning rate"], "0.002, falling to 0.0001");
  assert.equal(said.time, "58 min 6 s");
  assert.equal(said.text, "7,658,105 characters to train on, 403,059 held out to validate");
  assert.match(said.loss, /^1\.059 nats per token on the training text, 1\.195 on held-out text \(perplexity 2\.88 and 3\.30\)$/);
  assert.deepEqual(others.map(([key]) => key), ["python_version", "seed"]); // still shown, by the generic layout
  // A known key with a value of an unexpected kind is not said, so it is shown as it is: nothing disappears.
  const odd = trainingFacts({ steps: "many", batch_size: 32, lr: "adaptive", lr_final: 0.1, loss_unit: 5, clip: null,
    train_loss: 0.5 });
  assert.deepEqual(odd.others.map(([key]) => key), ["steps", "batch_size", "lr", "lr_final", "loss_unit", "clip"]);
  assert.deepEqual(odd.facts, [["loss", "0.500 on the training text"]]);
  assert.equal(accuracySentence(lesson.evaluation.tense), "100% right, of 1,000 held-out test cases; 100% at every "
    + "distance from 2 to 29 words between cue and prediction");
  assert.match(accuracySentence(rnn.evaluation.tense), /the lowest is 75% \(at 25 words\)$/);
  assert.equal(lectureLine(lesson.evaluation.lecture[0]), "✓ “Today, due to my current job situation and family "
    + "conditions, I need to take a loan.” — 12 words after “Today”, it predicts “need” (99.7%)");
  assert.match(lectureLine({ text: "x", cue: "c", expected: "need", predicted: "had", correct: false, prob: 0.35 }),
    /^✗ “x” — after “c”, it predicts “had”, not “need” \(“need” at 35%\)$/);
  const span = lesson.evaluation.memory_span;
  assert.equal(spanSentence(span.tense, span.distances), "within the trained 0 to 25 filler words: 100%; beyond, up "
    + "to 40 words: 100%; chance is 50%");
  assert.match(spanSentence(span.cuisine, span.distances), /^within the trained 2 to 3 filler words: 100%; beyond, up to 40 words: 28\.5% on average \(lowest 17\.5%, at 29 words\)/);
});
