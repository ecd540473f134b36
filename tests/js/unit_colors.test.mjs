// Pure helpers of static/js/core/colors.js. Run: node --test tests/js/unit_colors.test.mjs
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  DIVERGING,
  VIRIDIS,
  cssGradient,
  divergingColor,
  readableTextColor,
  scaleColor,
  sequentialColor,
  textSegments,
} from "../../static/js/core/colors.js";

function rgbOf(hex) {
  const n = parseInt(hex.slice(1), 16);
  return `rgb(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255})`;
}

function joined(segments) {
  return segments.map((s) => s.text).join("");
}

test("scaleColor hits every stop exactly and interpolates halfway between two", () => {
  for (const stops of [VIRIDIS, DIVERGING]) {
    for (const [pos, hex] of stops) assert.equal(scaleColor(stops, pos), rgbOf(hex));
  }
  const black = [[0, "#000000"], [1, "#ffffff"]];
  assert.equal(scaleColor(black, 0.5), "rgb(128, 128, 128)");
  assert.equal(scaleColor(black, -3), "rgb(0, 0, 0)");
  assert.equal(scaleColor(black, 7), "rgb(255, 255, 255)");
});

test("divergingColor is centred on zero and scaled by maxAbs", () => {
  assert.equal(divergingColor(0, 5), rgbOf("#f7f7f7"));
  assert.equal(divergingColor(5, 5), rgbOf("#67001f"));
  assert.equal(divergingColor(-5, 5), rgbOf("#053061"));
  assert.equal(divergingColor(2.5, 5), scaleColor(DIVERGING, 0.75));
  assert.equal(divergingColor(-2.5, 5), scaleColor(DIVERGING, 0.25));
  assert.equal(divergingColor(0.5, 1), divergingColor(2.5, 5));
});

test("divergingColor clamps past maxAbs and survives maxAbs 0 and non-finite values", () => {
  assert.equal(divergingColor(50, 5), rgbOf("#67001f"));
  assert.equal(divergingColor(-50, 5), rgbOf("#053061"));
  assert.equal(divergingColor(3, 0), rgbOf("#f7f7f7"));
  assert.equal(divergingColor(Number.NaN, 1), "transparent");
  assert.equal(divergingColor(Infinity, 1), "transparent");
});

test("sequentialColor runs along Viridis from 0 to 1 and clamps outside", () => {
  assert.equal(sequentialColor(0), rgbOf("#440154"));
  assert.equal(sequentialColor(1), rgbOf("#fde725"));
  assert.equal(sequentialColor(-0.2), rgbOf("#440154"));
  assert.equal(sequentialColor(1.2), rgbOf("#fde725"));
  assert.equal(sequentialColor(Number.NaN), "transparent");
});

test("readableTextColor puts white on dark colours and dark text on light ones", () => {
  assert.equal(readableTextColor(sequentialColor(0)), "#ffffff");
  assert.equal(readableTextColor(sequentialColor(1)), "#1f2328");
  assert.equal(readableTextColor(divergingColor(-1, 1)), "#ffffff");
  assert.equal(readableTextColor(divergingColor(0, 1)), "#1f2328");
  assert.equal(readableTextColor("transparent"), "#1f2328");
});

test("cssGradient lists every stop in order", () => {
  const css = cssGradient(DIVERGING);
  assert.ok(css.startsWith("linear-gradient(to right, #053061 0.0%"));
  assert.ok(css.endsWith("#67001f 100.0%)"));
});

test("textSegments keeps the whitespace between word tokens as untinted segments", () => {
  const text = "Today, I  need\na loan.";
  const tokens = [
    { text: "Today", start: 0, end: 5 }, { text: ",", start: 5, end: 6 }, { text: "I", start: 7, end: 8 },
    { text: "need", start: 10, end: 14 }, { text: "a", start: 15, end: 16 }, { text: "loan", start: 17, end: 21 },
    { text: ".", start: 21, end: 22 },
  ];
  const segments = textSegments(text, tokens);
  assert.equal(joined(segments), text);
  assert.deepEqual(segments, [
    { text: "Today", t: 0 }, { text: ",", t: 1 }, { text: " ", t: null }, { text: "I", t: 2 },
    { text: "  ", t: null }, { text: "need", t: 3 }, { text: "\n", t: null }, { text: "a", t: 4 },
    { text: " ", t: null }, { text: "loan", t: 5 }, { text: ".", t: 6 },
  ]);
});

test("textSegments counts code points, not UTF-16 units: emoji and combining marks", () => {
  // "🙂" is two UTF-16 units, one code point; "é" here is "e" + U+0301, two code points.
  const text = "a🙂 cafe\u0301 👍🏽!";
  const chars = Array.from(text);
  const tokens = chars.map((ch, k) => ({ text: ch, start: k, end: k + 1 })).filter((tok) => tok.text !== " ");
  const segments = textSegments(text, tokens);
  assert.equal(joined(segments), text);
  assert.deepEqual(segments.slice(0, 3), [{ text: "a", t: 0 }, { text: "🙂", t: 1 }, { text: " ", t: null }]);
  assert.deepEqual(segments.filter((s) => s.t !== null).map((s) => s.text), tokens.map((tok) => tok.text));

  const words = [{ start: 0, end: 2 }, { start: 3, end: 8 }, { start: 9, end: 11 }, { start: 11, end: 12 }];
  const wordSegments = textSegments(text, words);
  assert.equal(joined(wordSegments), text);
  assert.deepEqual(wordSegments.map((s) => s.text), ["a🙂", " ", "cafe\u0301", " ", "👍🏽", "!"]);
});

test("textSegments covers the text exactly even with leading, trailing and skipped characters", () => {
  const text = "  hi there  ";
  const segments = textSegments(text, [{ start: 2, end: 4 }, { start: 5, end: 10 }]);
  assert.equal(joined(segments), text);
  assert.deepEqual(segments.map((s) => s.t), [null, 0, null, 1, null]);
  assert.deepEqual(textSegments("", []), []);
  assert.deepEqual(textSegments("abc", []), [{ text: "abc", t: null }]);
});

test("textSegments clamps offsets past the text and never repeats an overlapped character", () => {
  const text = "abcdef";
  const segments = textSegments(text, [{ start: 0, end: 4 }, { start: 2, end: 5 }, { start: 5, end: 99 }]);
  assert.equal(joined(segments), text);
  assert.deepEqual(segments, [{ text: "abcd", t: 0 }, { text: "e", t: 1 }, { text: "f", t: 2 }]);
});

test("maxAbsOf takes the largest magnitude among finite values", async () => {
  const { maxAbsOf } = await import("../../static/js/core/colors.js");
  assert.equal(maxAbsOf([0.5, -2.25, Number.NaN, 1]), 2.25);
  assert.equal(maxAbsOf([]), 0);
});
