import assert from "node:assert/strict";
import { test } from "node:test";

import { plotlyText, xTicks } from "../../static/js/core/plot_axes.js";

// xTicks as it was before it stepped through the ticks: filter every index, count code points with
// Array.from. The current one must give the same answers.
function xTicksByFilter(labels, width) {
  const room = Math.max(width - 130, 20);
  const upright = labels.every((label) => Array.from(label).length <= 2);
  const slanted = !upright && labels.length * 34 <= room;
  const every = Math.max(1, Math.ceil((labels.length * (upright ? 16 : 20)) / room));
  const tickvals = Array.from({ length: labels.length }, (_, k) => k).filter((t) => t % every === 0);
  return { tickvals, ticktext: tickvals.map((t) => plotlyText(labels[t])), tickangle: upright ? 0 : slanted ? -45 : -90 };
}

const chars = (n) => Array.from({ length: n }, (_, k) => "abcdefghij␣↵"[k % 12]);

test("char tokens stand upright; every label fits, or every n-th label when they do not", () => {
  assert.deepEqual(xTicks(chars(5), 400), { tickvals: [0, 1, 2, 3, 4], ticktext: ["a", "b", "c", "d", "e"], tickangle: 0 });
  // 2,000 labels of 16 px in 430 - 130 = 300 px: every 107th.
  const { tickvals, tickangle } = xTicks(chars(2000), 430);
  assert.equal(tickangle, 0);
  assert.deepEqual(tickvals, Array.from({ length: 19 }, (_, k) => 107 * k));
});

test("longer labels slant when there is room, else stand vertical; labels are escaped", () => {
  assert.deepEqual(xTicks(["Today", "<b>", "loan"], 400),
    { tickvals: [0, 1, 2], ticktext: ["Today", "&lt;b&gt;", "loan"], tickangle: -45 });
  const many = Array.from({ length: 300 }, (_, k) => `word${k}`);
  const ticks = xTicks(many, 530); // 300 × 20 px in 400 px: every 15th, vertical
  assert.equal(ticks.tickangle, -90);
  assert.deepEqual(ticks.tickvals, Array.from({ length: 20 }, (_, k) => 15 * k));
});

test("two characters are counted as code points: a surrogate pair is one, a lone surrogate one", () => {
  const cases = [
    [["😀😀"], 0], // 4 code units, 2 code points
    [["😀a"], 0],
    [["😀😀a"], -45], // 3 code points
    [["ab😀"], -45],
    [["\ud800\ud800"], 0], // lone leading surrogates: one point each
    [["\udc00\udc00\udc00"], -45], // three lone trailing surrogates: three points
    [["\ud83d"], 0],
    [["e\u0301x"], -45], // a combining accent is a code point of its own
    [["abc"], -45],
    [[""], 0],
  ];
  for (const [labels, angle] of cases) assert.equal(xTicks(labels, 400).tickangle, angle, JSON.stringify(labels));
});

test("the same ticks as filtering every index, for any length and width", () => {
  const words = ["a", "ab", "abc", "😀", "😀😀", "😀😀😀", "\ud800x", "↵", "<", "word"];
  for (const n of [0, 1, 2, 7, 40, 333, 2000]) {
    for (const width of [0, 100, 150, 420, 777, 1280, 4000]) {
      const upright = chars(n);
      assert.deepEqual(xTicks(upright, width), xTicksByFilter(upright, width), `${n} chars at ${width}`);
      const mixed = Array.from({ length: n }, (_, k) => words[(k * 7) % words.length]);
      assert.deepEqual(xTicks(mixed, width), xTicksByFilter(mixed, width), `${n} mixed at ${width}`);
    }
  }
});
