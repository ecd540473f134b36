// Which tokens a long text's strip shows (static/js/core/tokens.js): a window of at most STRIP_WINDOW chips,
// starting at a multiple of 100, that shows the end while typing there and a selected step elsewhere.
import assert from "node:assert/strict";
import test from "node:test";

import { STRIP_WINDOW, endWindow, windowAround } from "../../static/js/core/tokens.js";

test("all tokens fit up to the window's size; past it the window shows the end", () => {
  assert.equal(STRIP_WINDOW, 400);
  for (const T of [0, 1, 399, 400]) assert.equal(endWindow(T), 0);
  assert.equal(endWindow(401), 100); // tokens 100..400: 301 chips
  assert.equal(endWindow(500), 100); // 400 chips
  assert.equal(endWindow(2000), 1600);
  for (let T = 401; T <= 2000; T++) {
    const w = endWindow(T);
    assert.equal(w % 100, 0);
    assert.ok(T - w <= STRIP_WINDOW && T - w > STRIP_WINDOW - 100, `${T}: ${w}`);
  }
});

test("typing at the end moves the window once per 100 tokens, so a keystroke mostly appends a chip", () => {
  let moves = 0;
  for (let T = 401; T <= 2000; T++) moves += endWindow(T) !== endWindow(T - 1);
  assert.equal(moves, 16);
});

test("a selected step gets a window around it, within the text", () => {
  for (const [t, T] of [[0, 2000], [5, 2000], [1000, 2000], [1999, 2000], [1234, 1500], [450, 500]]) {
    const w = windowAround(t, T);
    assert.ok(w <= t && t < w + STRIP_WINDOW, `${t} of ${T}: ${w}`);
    assert.ok(w >= 0 && w <= endWindow(T) && w % 100 === 0);
  }
  assert.equal(windowAround(1000, 2000), 800); // about as many before as after
  assert.equal(windowAround(10, 2000), 0);
  assert.equal(windowAround(1990, 2000), 1600);
  assert.equal(windowAround(50, 300), 0); // a short text: all of it
});
