// The model card's words (model_card.js's pure part): sentences, not keys; short lists, not array dumps;
// one line per notable unit. Exact wording is checked on small inline cards of both schemas (old: minimal
// pairs with sign_consistency; new: partial r, weak), since the bundled cards are retrained from time to
// time; the bundled cards themselves are only checked to read as words.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { test } from "node:test";

import {
  accuracyLine, accuracySentence, formatNumber, isWeak, label, lectureLine, machineText, modelSummary,
  spanSentence, studentsSentence, summariseList, trainingFacts, unitLine, unitSentence, vocabularySentence,
} from "../../static/js/core/card_words.js";
import { GRU, LSTM, RNN } from "./cells.mjs";

const MODELS = new URL("../../models/", import.meta.url);
const readCard = (id) => JSON.parse(readFileSync(new URL(`${id}.json`, MODELS), "utf8"));
const bundled = readdirSync(MODELS).filter((f) => f.endsWith(".json")).map((f) => readCard(f.slice(0, -5)));

// ---- Inline cards ----

const OLD_NOTE = "c is higher after a present-time opener (need) than after a past-time opener (had), across the words "
  + "up to the prediction";
/** An old-schema lesson card (as models/lesson.json was before the partial-r evaluation). */
const oldLesson = {
  id: "lesson", cell: "lstm", tokenizer: { kind: "word", lowercase: true },
  sizes: { vocab_size: 305, embedding_size: 32, hidden_size: 64, num_layers: 1 },
  notable_units: [
    { layer: 0, unit: 2, mean_delta_c: 4.6135, sign_consistency: 1.0, positions: 1669, carries: "tense", pairs: 112,
      note: OLD_NOTE },
    { layer: 0, unit: 63, mean_delta_c: -1.57, sign_consistency: 0.9184, positions: 968, carries: "cuisine", pairs: 73,
      note: "c is higher after an Italian food than after an Indian food, across the words up to the prediction" },
  ],
};
const oldRnn = {
  id: "lesson-rnn", cell: "rnn", nonlinearity: "tanh", tokenizer: { kind: "word" },
  sizes: { vocab_size: 305, hidden_size: 100, num_layers: 1 },
  notable_units: [{ layer: 0, unit: 29, mean_delta_h: 1.8838, sign_consistency: 0.9964, positions: 1669, carries: "tense",
    pairs: 112, note: OLD_NOTE.replace(/^c/, "h") }],
};

const newNote = (q, high, low, r, weak) => `${q} is higher ${high} than ${low} on sentences in frames the model never `
  + `saw (partial r = ${r}, controlling for the words since the cue and the position${weak ? "; weak" : ""})`;
const PRESENT = "after a present-time word (need)";
const PAST = "after a past-time word (had)";
/** A new-schema lesson card: two units per property, best first, partial r, weak flags. */
const newLesson = {
  id: "lesson", cell: "lstm", tokenizer: { kind: "word", lowercase: true },
  sizes: { vocab_size: 6605, embedding_size: 32, hidden_size: 64, num_layers: 1 },
  notable_units: [
    { layer: 0, unit: 7, carries: "tense", partial_correlation: 0.8123, weak: false, mean_delta_c: 3.912,
      positions: 32216, note: newNote("c", PRESENT, PAST, "+0.81") },
    { layer: 0, unit: 21, carries: "tense", partial_correlation: 0.0595, weak: true, mean_delta_c: 0.3089,
      positions: 32216, note: newNote("c", PRESENT, PAST, "+0.06", true) },
    { layer: 0, unit: 0, carries: "cuisine", partial_correlation: -0.6018, weak: false, mean_delta_c: -1.3796,
      positions: 10995, note: newNote("c", "after an Italian food", "after an Indian food", "-0.60") },
  ],
};
const newRnnUnit = { layer: 0, unit: 5, carries: "tense", partial_correlation: -0.52, weak: false, mean_delta_h: -1.2,
  positions: 32216, note: newNote("h", PAST, PRESENT, "-0.52") };
/** A new-schema character-model unit (as in models/python.json). */
const bracketUnit = { layer: 0, unit: 205, carries: "bracket_depth", partial_correlation: 0.4824, correlation: 0.68,
  weak: false, note: "c follows bracket depth on 60,000 held-out characters (partial r = +0.48, controlling for inside "
    + "string, indentation, line position; r = +0.68)" };
const stringUnit = { layer: 0, unit: 9, carries: "inside_string", partial_correlation: -0.2458, correlation: -0.2455,
  weak: true, note: "c follows inside string on 60,000 held-out characters (partial r = -0.25, controlling for bracket "
    + "depth, indentation, line position; r = -0.25; weak)" };

// ---- Notable units ----

test("an old minimal-pair unit is one sentence: what its memory does, by how much, how reliably", () => {
  assert.equal(unitLine(oldLesson.notable_units[0], oldLesson, LSTM), "Unit 2 — tense: its memory c is 4.6 higher after a "
    + "present-time opener (need) than after a past-time one (had) (same sign at 100% of 1,669 positions in 112 "
    + "sentence pairs)");
  assert.match(unitLine(oldLesson.notable_units[1], oldLesson, LSTM), /^Unit 63 — cuisine: its memory c is 1\.6 higher after an Italian food than after an Indian one \(same sign at 91\.8%/);
  // A vanilla RNN's memory is h, its only state (its cell_spec says so); a GRU's too.
  assert.match(unitSentence(oldRnn.notable_units[0], RNN), /^its state h \(its only memory\) is 1\.9 higher after a present-time/);
  assert.match(unitSentence(oldRnn.notable_units[0], GRU), /^its state h \(its only memory\) is 1\.9 higher/);
  assert.match(unitSentence({ unit: 3, carries: "tense", partial_correlation: 0.4 }, GRU), /^its state h \(its only memory\) rises/);
  assert.match(unitSentence({ unit: 3, carries: "tense", partial_correlation: 0.4 }, LSTM), /^its memory c rises/);
});

test("a new lesson unit says where it was measured and its partial r, the same way round as its words", () => {
  const [best, weak, cuisine] = newLesson.notable_units;
  assert.equal(unitLine(best, newLesson, LSTM), "Unit 7 — tense: its memory c is 3.9 higher after a present-time word (need) "
    + "than after a past-time one (had) on sentences in frames the model never saw (partial\u00a0r\u00a0=\u00a00.81 over "
    + "32,216 positions, controlling for the words since the cue and the position)");
  // Weak: said in words, and never "sign" or "pairs" (the new schema has none).
  assert.match(unitLine(weak, newLesson, LSTM), /^Unit 21 — tense \(weak\): its memory c is 0\.31 higher .*partial\u00a0r\u00a0=\u00a00\.06 /);
  assert.equal(isWeak(weak), true);
  assert.equal(isWeak(best), false);
  assert.equal(isWeak({ weak: "yes" }), false);
  // Δc < 0: the words say "higher after an Italian food"; r is turned to match (it agrees with the words).
  assert.match(unitSentence(cuisine, LSTM), /higher after an Italian food than after an Indian one on sentences .*\(partial\u00a0r\u00a0=\u00a00\.60 /);
  // … and a partial r that disagrees with Δ says so by its sign.
  assert.match(unitSentence({ ...cuisine, partial_correlation: 0.2 }, LSTM), /partial\u00a0r\u00a0=\u00a0−0\.20/);
  assert.match(unitSentence(newRnnUnit, RNN), /^its state h \(its only memory\) is 1\.2 higher after a past-time word \(had\) than after a present-time one \(need\) on sentences in frames the model never saw \(partial\u00a0r\u00a0=\u00a00\.52 /);
  for (const unit of newLesson.notable_units) assert.doesNotMatch(unitLine(unit, newLesson, LSTM), /same sign|pairs|undefined|NaN|\+0/);
});

test("an old correlated unit says which way its memory goes, with r and over how much text", () => {
  const unit = { layer: 0, unit: 144, carries: "inside_string", correlation: -0.5514,
    note: "c correlates with being inside a string literal (r = -0.55 over 20,000 held-out characters)" };
  assert.equal(unitLine(unit, {}), "Unit 144 — inside a string: its memory c is lower inside a string "
    + "(r\u00a0=\u00a0−0.55 over 20,000 held-out characters)");
  // An unknown signal still reads as words.
  assert.equal(unitSentence({ unit: 1, carries: "quote_count", correlation: -0.3 }, {}), "its memory c falls as quote count rises (r\u00a0=\u00a0−0.30)");
  // A unit of a model with several layers names its layer.
  assert.match(unitLine({ unit: 4, layer: 1, carries: "tense" }, { sizes: { num_layers: 2 } }), /^Unit 4 of layer 2 — tense/);
});

test("a new correlated unit: direction by its partial r, then partial r, what it controlled for, and r", () => {
  assert.equal(unitLine(bracketUnit, {}), "Unit 205 — bracket depth: its memory c rises the deeper the brackets nest "
    + "(partial\u00a0r\u00a0=\u00a00.48 over 60,000 held-out characters, controlling for inside a string, indentation, "
    + "position in the line; r\u00a0=\u00a00.68)");
  assert.match(unitLine(stringUnit, {}), /^Unit 9 — inside a string \(weak\): its memory c is lower inside a string \(partial\u00a0r\u00a0=\u00a0−0\.25 .*; r\u00a0=\u00a0−0\.25\)$/);
  // Partial r decides the direction when it and r disagree.
  assert.match(unitSentence({ ...bracketUnit, partial_correlation: -0.45 }, {}), /falls the deeper the brackets nest/);
});

test("every unit of every bundled card reads as words, whatever its schema", () => {
  for (const card of bundled) {
    for (const unit of card.notable_units ?? []) {
      const line = unitLine(unit, card);
      assert.match(line, /^Unit \d+/, `${card.id}: ${line}`);
      assert.doesNotMatch(line, /_|correlation|carries|undefined|NaN|null/, `${card.id}: ${line}`);
      assert.equal(line.includes("(weak)"), unit.weak === true, `${card.id}: ${line}`);
    }
  }
});

// ---- Words, numbers, lists ----

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
  for (const card of bundled) {
    for (const curve of Object.values(card.evaluation?.memory_span ?? {})) {
      if (Array.isArray(curve?.accuracy)) assert.doesNotMatch(summariseList(curve.accuracy), /in all|(, 1){10}/);
    }
  }
});

// ---- Summary and training ----

test("the summary is a sentence, the cell said from its spec", () => {
  assert.equal(modelSummary(oldLesson, LSTM), "A word-level LSTM with sigmoid gates: 1 layer of 64 units, 305 tokens "
    + "in its vocabulary, lowercased.");
  assert.match(modelSummary(oldRnn, RNN), /^A word-level vanilla RNN \(tanh\): 1 layer of 100 units/);
  assert.match(modelSummary(readCard("lesson"), LSTM), /^A word-level LSTM with sigmoid gates: 1 layer of \d+ units, [\d,]+ tokens/);
  assert.match(modelSummary(readCard("lesson-rnn"), RNN), /^A word-level vanilla RNN \(tanh\): 1 layer of \d+ units/);
  assert.match(modelSummary(readCard("python"), LSTM), /^A character-level LSTM/);
  const gruCard = { id: "g", cell: "gru", tokenizer: { kind: "word" }, sizes: { num_layers: 1, hidden_size: 64 } };
  assert.equal(modelSummary(gruCard, GRU), "A word-level GRU with sigmoid gates: 1 layer of 64 units.");
  const hard = { ...LSTM, activations: { ...LSTM.activations, i: "hard_sigmoid", f: "hard_sigmoid", o: "hard_sigmoid" } };
  assert.equal(modelSummary({}, hard), "An LSTM with hard sigmoid gates."); // the cell's own article
  assert.equal(modelSummary({}, GRU), "A GRU with sigmoid gates.");
});

test("the training is said in facts; what is not said is still shown", () => {
  const prov = { corpus: "the CPython standard library", characters: { train: 7658105, valid: 403059 },
    python_version: "3.11.7", steps: 15000, run_steps: 16000, batch_size: 32, seq_len: 100, lr: 0.002, lr_final: 0.0001,
    seed: 0, wall_time_s: 3485.9, train_loss: 1.0587434, valid_loss: 1.1948890, loss_unit: "nats per token" };
  const { facts, others } = trainingFacts(prov);
  const said = Object.fromEntries(facts);
  assert.equal(said.training, "15,000 steps, each on 32 sequences of 100 tokens (of a 16,000-step run)");
  assert.equal(said["learning rate"], "0.002, falling to 0.0001");
  assert.equal(said.time, "58 min 6 s");
  assert.equal(said.text, "7,658,105 characters to train on, 403,059 held out to validate");
  assert.match(said.loss, /^1\.059 nats per token on the training text, 1\.195 on held-out text \(perplexity 2\.88 and 3\.30\)$/);
  assert.deepEqual(others.map(([key]) => key), ["python_version", "seed"]); // still shown, by the generic layout
  // A known key with a value of an unexpected kind is not said, so it is shown as it is: nothing disappears.
  const odd = trainingFacts({ steps: "many", batch_size: 32, lr: "adaptive", lr_final: 0.1, loss_unit: 5, clip: null,
    train_loss: 0.5, machine: "a laptop" });
  assert.deepEqual(odd.others.map(([key]) => key), ["steps", "batch_size", "lr", "lr_final", "loss_unit", "clip", "machine"]);
  assert.deepEqual(odd.facts, [["loss", "0.500 on the training text"]]);
});

test("the machine it was trained on is one line; NumPy and Python only where they differ", () => {
  const machine = { cpu: "AMD EPYC", cpus: 2, system: "Linux-6.18.44-x86_64-with-glibc2.36",
    blas: "scipy-openblas 0.3.31", blas_threads: 1, numpy: "2.4.6", python: "3.11.7" };
  const prov = { numpy: "2.4.6", python: "3.11.7", machine };
  const said = Object.fromEntries(trainingFacts(prov).facts);
  assert.equal(said.machine, "AMD EPYC (2 CPUs), Linux-6.18.44-x86_64-with-glibc2.36, BLAS scipy-openblas 0.3.31 on 1 thread");
  assert.equal(said.software, "NumPy 2.4.6, Python 3.11.7");
  assert.deepEqual(trainingFacts(prov).others, []);
  assert.equal(machineText({ cpus: 1, blas_threads: 4, numpy: "2.0", gpu: "none" }, { numpy: "1.26" }),
    "1 CPU, 4 BLAS threads, NumPy 2.0, gpu none");
  assert.equal(machineText({ cpu: "x", cpus: "two" }), "x, cpus two"); // an odd value is still said
});

// ---- Evaluation ----

test("accuracies, lecture lines and memory spans are sentences", () => {
  const by = Object.fromEntries([2, 4, 5, 29].map((d) => [String(d), 1]));
  assert.equal(accuracySentence({ accuracy: 1, n: 1000, by_distance: by }), "100% right, of 1,000 held-out test cases; "
    + "100% at every distance from 2 to 29 words between cue and prediction");
  assert.match(accuracySentence({ accuracy: 0.988, n: 1000, by_distance: { ...by, 25: 0.75 } }),
    /the lowest is 75% \(at 25 words\)$/);
  assert.equal(lectureLine({ text: "Today, I need to take a loan.", cue: "Today", expected: "need", predicted: "need",
    correct: true, distance: 2, prob: 0.99692 }), "✓ “Today, I need to take a loan.” — 2 words after “Today”, it predicts "
    + "“need” (99.7%)");
  assert.match(lectureLine({ text: "x", cue: "c", expected: "need", predicted: "had", correct: false, prob: 0.35 }),
    /^✗ “x” — after “c”, it predicts “had”, not “need” \(“need” at 35%\)$/);
  // A student's sentence has no cue.
  assert.equal(lectureLine({ text: "y", expected: "had", predicted: "need", correct: false, prob: 0.4682 }),
    "✗ “y” — it predicts “need”, not “had” (“had” at 46.8%)");
  const distances = [0, 1, 2, 3, 4, 5, 10, 20, 40, 60, 80, 100];
  const inRange = distances.map((d) => d <= 80);
  assert.equal(spanSentence({ training_range: [0, 80], in_training_range: inRange, accuracy: distances.map(() => 1),
    chance: 0.5 }, distances), "within the trained 0 to 80 filler words: 100%; beyond, up to 100 words: 100%; chance is 50%");
  const falling = distances.map((d) => (d <= 60 ? 1 : 0.25));
  assert.match(spanSentence({ training_range: [0, 60], in_training_range: distances.map((d) => d <= 60),
    accuracy: falling, chance: 1 / 7 }, distances), /^within the trained 0 to 60 filler words: 100%; beyond, up to 100 words: 25%; chance is 14\.3%$/);
});

test("held-out frames and held-out words are said apart, each in one line", () => {
  const acc = (accuracy) => ({ accuracy, n: 500, by_distance: { 6: accuracy } });
  const frames = { tense: acc(0.972), cuisine: acc(0.92), cuisine_two_person: acc(0.88) };
  assert.equal(accuracyLine("On sentence frames it never saw", frames),
    "On sentence frames it never saw: tense 97.2%, cuisine 92%, two people 88%");
  assert.equal(accuracyLine("With openers and names it never saw", { tense: acc(0.5), note: "x", colour: acc(1) }),
    "With openers and names it never saw: tense 50%, colour 100%");
  assert.equal(accuracyLine("Lead", {}), "Lead");
});

test("students' sentences and the vocabulary are sentences", () => {
  const row = (correct) => ({ text: "t", expected: "need", predicted: correct ? "need" : "had", correct, prob: 0.5 });
  assert.equal(studentsSentence({ accuracy: 0.8889, n: 27, predictions: [...Array(24).fill(row(true)),
    ...Array(3).fill(row(false))] }), "Students' own sentences: 24 of 27 right");
  assert.equal(studentsSentence({ accuracy: 0.5, n: 10 }), "Students' own sentences: 5 of 10 right");
  assert.equal(studentsSentence({ accuracy: 0.5 }), "Students' own sentences: 50% right");
  const vocabulary = { known: 0.9907, word_tokens: 861, sentences: 79, unknown: ["aunt's", "barks", "paella"],
    source: "app/corpora/student_sentences.txt", size: 6605 };
  assert.equal(vocabularySentence(vocabulary), "Knows 99.1% of the 861 words in 79 everyday student sentences "
    + "(vocabulary of 6,605 tokens); unknown: aunt's, barks, paella");
  assert.equal(vocabularySentence({ known: 1, unknown: [] }), "Knows 100% of the words in everyday student sentences; none unknown");
  const many = vocabularySentence({ known: 0.5, unknown: Array.from({ length: 25 }, (_, k) => `w${k}`) });
  assert.match(many, /; unknown: w0, w1, .*w19 and 5 more$/);
});

test("the pure sentences of every bundled card's evaluation never say undefined or NaN", () => {
  for (const card of bundled) {
    const evaluation = card.evaluation ?? {};
    const words = [];
    for (const value of Object.values(evaluation)) {
      if (value && typeof value.accuracy === "number" && "n" in value) words.push(accuracySentence(value));
    }
    if (evaluation.heldout_words) words.push(accuracyLine("With openers and names it never saw", evaluation.heldout_words));
    if (evaluation.students) words.push(studentsSentence(evaluation.students));
    if (typeof evaluation.vocabulary?.known === "number") words.push(vocabularySentence(evaluation.vocabulary));
    for (const row of Array.isArray(evaluation.lecture) ? evaluation.lecture : []) words.push(lectureLine(row));
    if (card.provenance && typeof card.provenance === "object") words.push(...trainingFacts(card.provenance).facts.flat());
    for (const text of words) assert.doesNotMatch(text, /undefined|NaN/, `${card.id}: ${text}`);
  }
});

// ---- The dialog, on a minimal stand-in DOM (text only ever goes in as textContent) ----

class FakeNode {
  constructor(tag) {
    Object.assign(this, { tagName: tag, children: [], className: "", dataset: {}, attributes: {}, listeners: {} });
    this.text = "";
    this.classList = { add: (name) => { this.className = `${this.className} ${name}`.trim(); } };
  }
  append(...items) { this.children.push(...items.map((x) => (x instanceof FakeNode ? x : String(x)))); }
  replaceChildren(...items) { this.children = []; this.append(...items); }
  set textContent(value) { this.children = []; this.text = String(value); }
  get textContent() { return this.text + this.children.map((c) => (typeof c === "string" ? c : c.textContent)).join(""); }
  setAttribute(key, value) { this.attributes[key] = value; }
  addEventListener(event, fn) { this.listeners[event] = fn; }
  showModal() { this.open = true; }
  close() { this.open = false; }
  *walk() { yield this; for (const c of this.children) if (c instanceof FakeNode) yield* c.walk(); }
}

async function openCard(card) {
  globalThis.Node = FakeNode;
  globalThis.document = { createElement: (tag) => new FakeNode(tag) };
  const { createModelCard } = await import("../../static/js/views/model_card.js");
  const dialog = new FakeNode("dialog");
  createModelCard(dialog).open(card);
  return dialog;
}

test("the dialog marks weak units and says held-out frames, held-out words, students and vocabulary", async () => {
  const acc = (accuracy) => ({ accuracy, n: 100, by_distance: { 6: accuracy, 7: 1 } });
  const card = {
    ...newLesson,
    provenance: { steps: 1000, numpy: "2.4.6", python: "3.11.7", machine: { cpu: "AMD EPYC", cpus: 2 } },
    evaluation: {
      split: "held-out frames", tense: acc(0.97), cuisine: acc(0.92), cuisine_two_person: acc(0.88),
      heldout_words: { tense: acc(0.9), cuisine: acc(0.8), cuisine_two_person: acc(0.7) },
      students: { accuracy: 0.5, n: 2, source: "students.txt", predictions: [
        { text: "<b>Today</b> I need to go.", expected: "need", predicted: "need", correct: true, prob: 0.9 },
        { text: "Yesterday I had to go.", expected: "had", predicted: "need", correct: false, prob: 0.4 }] },
      vocabulary: { known: 0.99, word_tokens: 861, sentences: 79, unknown: ["paella"], source: "s.txt", size: 6605 },
      brand_new: { something: 1 },
    },
  };
  const dialog = await openCard(card);
  const nodes = [...dialog.walk()];
  const text = dialog.textContent;
  const units = nodes.filter((n) => n.className.split(" ").includes("card-unit"));
  assert.deepEqual(units.map((n) => n.className.includes("unit-weak")), [false, true, false]);
  assert.deepEqual(nodes.filter((n) => n.className.includes("unit-weak-tag")).map((n) => n.textContent), ["weak"]);
  assert.match(text, /On sentence frames it never saw: tense 97%, cuisine 92%, two people 88%/);
  assert.match(text, /With openers and names it never saw: tense 90%, cuisine 80%, two people 70%/);
  assert.match(text, /Students' own sentences: 1 of 2 right/);
  assert.match(text, /“<b>Today<\/b> I need to go\.”/); // as text, never markup
  assert.match(text, /Knows 99% of the 861 words in 79 everyday student sentences/);
  assert.match(text, /AMD EPYC \(2 CPUs\)/);
  assert.match(text, /brand new/); // an unknown key is still shown
  assert.doesNotMatch(text, /undefined|NaN|\[object/);
});

test("the dialog still lays out an old card and every bundled card", async () => {
  const old = await openCard({ ...oldLesson, evaluation: { tense: { accuracy: 1, n: 10, by_distance: { 2: 1 } },
    lecture_all_correct: true, lecture: [] } });
  assert.match(old.textContent, /tense \(need or had\)100% right, of 10 held-out test cases/);
  assert.doesNotMatch(old.textContent, /never saw|weak/);
  for (const card of bundled) assert.doesNotMatch((await openCard(card)).textContent, /undefined|NaN|\[object/, card.id);
});
