// Annotation tracks (static/js/core/tracks.js): the top-1 prediction right or wrong per token, spelled as the
// tokenizer spells it; and for a character model the text read as Python: columns across newlines, bracket
// depth (brackets in strings and comments not counted), strings with escapes and triple quotes, indentation.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  TRACKS, computeTracks, correctness, describeCell, readCode, spelled, trackIds, trackKey,
} from "../../static/js/core/tracks.js";

const chars = (text) => Array.from(text);
const charTokens = (text) => chars(text).map((ch, n) => ({ text: ch, id: ch.codePointAt(0) % 50, start: n, end: n + 1 }));
const top = (...words) => words.map((w) => (w === null ? [] : [{ token: w, prob: 0.5 }, { token: "zz", prob: 0.1 }]));

test("which tracks a model gets follows from its tokenizer and its decoder, never its id", () => {
  assert.deepEqual(trackIds({ id: "lesson", tokenizer: "word", has_decoder: true }), ["correct"]);
  assert.deepEqual(trackIds({ id: "python", tokenizer: "char", has_decoder: true }),
    ["correct", "depth", "string", "indent", "column"]);
  assert.deepEqual(trackIds({ id: "python", tokenizer: "char", has_decoder: false }),
    ["depth", "string", "indent", "column"]);
  assert.deepEqual(trackIds({ id: "python", tokenizer: "word", has_decoder: false }), []);
  for (const id of trackIds({ tokenizer: "char", has_decoder: true })) assert.ok(TRACKS[id].label);
});

test("a token is spelled as the vocabulary holds it: lower-cased, or the unknown token", () => {
  const spelling = { lowercase: true, unk: "<unk>", unkId: 0 };
  assert.equal(spelled({ text: "Last", id: 7 }, spelling), "last");
  assert.equal(spelled({ text: "Dhaval", id: 0 }, spelling), "<unk>");
  assert.equal(spelled({ text: "Last", id: 7 }, { lowercase: false, unk: null, unkId: null }), "Last");
});

test("right or wrong: the top-1 prediction after token t − 1 against token t", () => {
  const tokens = [
    { text: "Last", id: 5 }, { text: "year", id: 6 }, { text: ",", id: 2 }, { text: "I", id: 9 },
    { text: "Had", id: 10 }, { text: "Zog", id: 0 }, { text: "!", id: 0 },
  ];
  // After "Last": "year" ✓; after "year": "." ✗; after ",": "i" ✓ (lower-cased); after "I": "had" ✓;
  // after "Had": "<unk>" ✓ (Zog is unknown); after "Zog": "." ✗ ("!" is unknown, read as <unk>).
  const predictions = top("year", ".", "i", "had", "<unk>", ".", "the");
  const spelling = { lowercase: true, unk: "<unk>", unkId: 0 };
  const { values, top1 } = correctness(tokens, predictions, spelling);
  assert.deepEqual(values, [null, true, false, true, true, true, false]);
  assert.deepEqual(top1, [null, "year", ".", "i", "had", "<unk>", "."]);
  // A case-keeping tokenizer: "i" is not "I".
  assert.deepEqual(correctness(tokens, predictions, { lowercase: false, unk: "<unk>", unkId: 0 }).values,
    [null, true, false, false, false, true, false]);
  // Spelling not known yet: nothing said, the predictions still named.
  assert.deepEqual(correctness(tokens, predictions, null).values, new Array(7).fill(null));
  // No decoder; a step without predictions.
  assert.deepEqual(correctness(tokens, null, spelling).values, new Array(7).fill(null));
  assert.deepEqual(correctness(tokens.slice(0, 3), top("year", null), spelling).values, [null, true, null]);
});

test("columns count from 0 at each line's start; a newline ends the line it is in", () => {
  const { column, indent } = readCode(chars("ab\ncd\n\n  e\n"));
  assert.deepEqual([...column], [0, 1, 2, 0, 1, 2, 0, 0, 1, 2, 3]);
  assert.deepEqual([...indent], [0, 0, 0, 0, 0, 0, 0, 2, 2, 2, 2]);
  const tabs = readCode(chars("\tx\n    y"));
  assert.deepEqual([...tabs.indent], [1, 1, 1, 4, 4, 4, 4, 4]);
});

test("bracket depth: an opener at the depth it opens, a closer at the depth it closes, never below 0", () => {
  const text = "f(a[1], {b})) + (";
  const { depth } = readCode(chars(text));
  //            f  (  a  [  1  ]  ,  ␣  {  b  }  )  )  ␣  +  ␣  (
  const want = [0, 1, 1, 2, 2, 2, 1, 1, 2, 2, 2, 1, 0, 0, 0, 0, 1];
  assert.deepEqual([...depth], want);
});

test("brackets and quotes inside strings and comments do not count; escapes stay in the string", () => {
  const text = "def f(a, b):\n    return g(a, [b, 'x)'])\n";
  const { depth, string } = readCode(chars(text));
  const at = (s) => text.indexOf(s);
  const strStart = at("'x)'");
  for (let t = 0; t < text.length; t++) {
    assert.equal(string[t], t >= strStart && t < strStart + 4 ? 1 : 0, `string at ${t} ${JSON.stringify(text[t])}`);
  }
  assert.deepEqual([...depth.slice(strStart, strStart + 4)], [2, 2, 2, 2]); // ')' inside does not close
  assert.equal(depth[at("])")], 2);
  assert.equal(depth[at("])") + 1], 1);
  assert.equal(depth[text.length - 1], 0);
  assert.equal(depth[at("(a, b)")], 1);
  assert.equal(depth[at(":")], 0);

  const escaped = 's = "a\\"(b" + (c)'; // s = "a\"(b" + (c)
  const e = readCode(chars(escaped));
  const close = escaped.indexOf('b"') + 1;
  assert.deepEqual([...e.string].map((v, t) => (v ? escaped[t] : "")).join(""), '"a\\"(b"');
  assert.equal(e.string[close + 1], 0);
  assert.equal(e.depth[escaped.indexOf("(c")], 1);
  assert.equal(e.depth[escaped.length - 1], 1);

  const comment = "x = (1  # don't ) count\ny = 2)\n";
  const c = readCode(chars(comment));
  assert.ok([...c.string].every((v) => v === 0)); // the apostrophe in the comment opens no string
  assert.equal(c.depth[comment.indexOf(") count")], 1);
  assert.equal(c.depth[comment.indexOf("2)") + 1], 1);
  assert.equal(c.depth[comment.length - 1], 0);
});

test("a quote after a string prefix opens a string; an apostrophe inside a word does not", () => {
  const text = "x = rb'(' + f\"{a}\" # don't\nI don't (know) O'Brien's";
  const { string, depth } = readCode(chars(text));
  assert.equal([...string].map((v, t) => (v ? text[t] : "")).join(""), "'('\"{a}\"");
  assert.equal(depth[text.indexOf("(know") + 1], 1);
  assert.equal(depth[text.length - 1], 0);
});

test("triple-quoted strings span lines; a one-quote string ends unclosed at its line's end", () => {
  const text = 'a = """x\n(y"""\nb = \'open\nc = (1)';
  const { string, depth } = readCode(chars(text));
  const inside = [...string].map((v, t) => (v ? text[t] : "")).join("");
  assert.equal(inside, '"""x\n(y"""\'open');
  assert.equal(depth[text.indexOf("(y")], 0);
  assert.equal(string[text.indexOf("c =")], 0);
  assert.equal(depth[text.indexOf("(1)") + 1], 1);
  const empty = readCode(chars("''+('')"));
  assert.deepEqual([...empty.string], [1, 1, 0, 0, 1, 1, 0]);
  assert.deepEqual([...empty.depth], [0, 0, 0, 1, 1, 1, 1]);
});

test("computeTracks: one value per token, counts with their largest, legends in words", () => {
  const text = "if (a):\n  b['(']\n";
  const tokens = charTokens(text);
  const predictions = tokens.map((tok, t) => [{ token: tokens[t + 1]?.text ?? "\n", prob: 0.9 }]);
  predictions[2] = [{ token: "x", prob: 0.9 }]; // after " " it guessed "x", not "("
  const model = { tokenizer: "char", has_decoder: true, unk_id: null };
  const tracks = computeTracks({ model, tokens, predictions }, { lowercase: false, unk: null });
  assert.deepEqual(tracks.map((tr) => tr.id), ["correct", "depth", "string", "indent", "column"]);
  for (const tr of tracks) assert.equal(tr.values.length, tokens.length);
  const byId = Object.fromEntries(tracks.map((tr) => [tr.id, tr]));
  assert.deepEqual(byId.correct.values.slice(0, 5), [null, true, true, false, true]);
  assert.equal(byId.depth.max, 1);
  assert.deepEqual(byId.depth.words, { low: "0", high: "1" });
  assert.equal(byId.column.max, 8);
  assert.deepEqual(byId.string.values.map((v, t) => (v ? text[t] : "")).join(""), "'('");
  assert.equal(byId.depth.values[text.indexOf("'(") + 1], 1); // the "(" in the string: b[ only
  assert.equal(byId.correct.kind, "binary");
  assert.equal(byId.depth.kind, "count");
  assert.equal(trackKey(tracks).length, 5);
  // A word model: only `correct`; no decoder: nothing.
  const words = computeTracks({ model: { tokenizer: "word", has_decoder: true, unk_id: 0 }, tokens: tokens.slice(0, 2),
    predictions: predictions.slice(0, 2) }, null);
  assert.deepEqual(words.map((tr) => [tr.id, tr.values]), [["correct", [null, null]]]);
  assert.deepEqual(computeTracks({ model: { tokenizer: "word", has_decoder: false }, tokens, predictions: null }), []);
});

test("a cell's hover line: the token counted from 1, what the track says there", () => {
  const tokens = [{ text: "I", id: 1 }, { text: "had", id: 2 }, { text: " ", id: 3 }];
  const correct = { id: "correct", values: [null, true, false], top1: [null, "had", "x"] };
  assert.equal(describeCell(correct, 1, tokens), "token 2 “had”: top-1 prediction was “had” ✓");
  assert.equal(describeCell(correct, 2, tokens), "token 3 “␣”: top-1 prediction was “x” ✗");
  assert.equal(describeCell(correct, 0, tokens), "token 1 “I”: the first token, nothing predicts it");
  assert.equal(describeCell({ id: "depth", values: [0, 2, 0] }, 1, tokens), "token 2 “had”: bracket depth 2");
  assert.equal(describeCell({ id: "string", values: [false, true, false] }, 1, tokens), "token 2 “had”: inside a string");
  assert.equal(describeCell({ id: "indent", values: [1, 1, 1] }, 0, tokens), "token 1 “I”: its line is indented 1 space");
  assert.equal(describeCell({ id: "column", values: [0, 1, 2] }, 2, tokens), "token 3 “␣”: column 2 of its line");
});

test("O(T): a long text is read in one pass", () => {
  const text = "x = f([1, 2], 'a(b')  # c\n".repeat(4000);
  const started = performance.now();
  const { depth } = readCode(chars(text));
  assert.equal(depth.length, text.length);
  assert.ok(performance.now() - started < 1000);
});
