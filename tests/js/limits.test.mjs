// The page's check of the server's limits: characters, a lower bound on tokens, and the refused text.
import assert from "node:assert/strict";
import { test } from "node:test";

import { overLimit, tokensAtLeast } from "../../static/js/core/limits.js";

const limits = { max_chars: 20, max_tokens: 5 };
const word = { id: "lesson", tokenizer: "word" };
const char = { id: "shakespeare", tokenizer: "char" };

test("a char tokenizer counts code points; a word tokenizer at least the runs of non-space characters", () => {
  assert.equal(tokensAtLeast("a 😀b", "char"), 4); // one code point for the emoji, not two UTF-16 units
  assert.equal(tokensAtLeast("Today, I need it.", "word"), 4); // the tokenizer makes 6: a lower bound
  assert.equal(tokensAtLeast("  \n\t ", "word"), 0);
  // A run of combining marks alone starts no token (app/tokenizer.py _MARKS); after a letter it is part of it.
  assert.equal(tokensAtLeast("\u0301\u0301 e\u0301", "word"), 1);
});

test("over max_chars, surely over max_tokens, or the refused text with more after it: not sent", () => {
  assert.equal(overLimit({ text: "short", model: word, limits }), null);
  assert.match(overLimit({ text: "x".repeat(21), model: word, limits }), /21 characters; the limit is max_chars = 20/);
  assert.match(overLimit({ text: "a b c d e f", model: word, limits }), /at least 6 tokens .*max_tokens = 5/);
  assert.match(overLimit({ text: "abcdef", model: char, limits }), /at least 6 tokens for model 'shakespeare'/);
  const refused = { model: "lesson", text: "a,b,c", message: "text has 5 tokens" };
  assert.equal(overLimit({ text: "a,b,c,d", model: word, limits, refused }), "text has 5 tokens");
  assert.equal(overLimit({ text: "a,b", model: word, limits, refused }), null); // shortened: send it
  assert.equal(overLimit({ text: "a,b,c,d", model: { ...word, id: "other" }, limits, refused }), null);
});
