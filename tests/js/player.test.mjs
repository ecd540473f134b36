// The play / pause / step controller, driven by fake timers so no test waits.
import assert from "node:assert/strict";
import { test } from "node:test";

import { createPlayer, delayFor } from "../../static/js/core/player.js";

/** Fake setTimeout/clearTimeout: run() fires the pending timer, as if its delay had passed. */
function fakeTimers() {
  let next = 1;
  const pending = new Map(); // handle -> {fn, ms}
  return {
    setTimer: (fn, ms) => {
      pending.set(next, { fn, ms });
      return next++;
    },
    clearTimer: (handle) => pending.delete(handle),
    get count() {
      return pending.size;
    },
    get delay() {
      return [...pending.values()].at(-1)?.ms;
    },
    run() {
      const [handle, { fn }] = [...pending.entries()][0];
      pending.delete(handle);
      fn();
    },
  };
}

function setup(length, options = {}) {
  const timers = fakeTimers();
  const frames = [];
  const player = createPlayer({ length, onFrame: (k, playing) => frames.push([k, playing]), ...timers, ...options });
  return { player, timers, frames };
}

test("the delay runs from 1,200 ms per token at speed 1 to 80 ms at speed 10, always faster", () => {
  assert.equal(delayFor(1), 1200);
  assert.equal(delayFor(10), 80);
  for (let s = 2; s <= 10; s++) assert.ok(delayFor(s) < delayFor(s - 1), `speed ${s}`);
  assert.equal(delayFor(0), 1200); // clamped
  assert.equal(delayFor(42), 80);
});

test("a new player shows the whole text and does not call onFrame", () => {
  const { player, frames } = setup(5);
  assert.deepEqual(player.state, { k: 5, length: 5, playing: false, speed: 3, delay: delayFor(3) });
  assert.deepEqual(frames, []);
});

test("play from the end restarts at 1 and frames advance one per timer until the end, which stops", () => {
  const { player, timers, frames } = setup(4);
  player.play();
  assert.deepEqual(frames, [[1, true]]);
  assert.equal(timers.count, 1);
  timers.run();
  timers.run();
  assert.deepEqual(frames, [[1, true], [2, true], [3, true]]);
  timers.run();
  assert.deepEqual(frames.at(-1), [4, false]);
  assert.equal(timers.count, 0, "no timer left after the end");
  assert.equal(player.state.playing, false);
  player.play(); // replay
  assert.deepEqual(frames.at(-1), [1, true]);
});

test("pause stops the frames; play resumes from where it paused", () => {
  const { player, timers, frames } = setup(6);
  player.seek(2);
  player.toggle();
  timers.run();
  assert.deepEqual(frames.slice(-2), [[2, true], [3, true]]);
  player.toggle();
  assert.deepEqual(frames.at(-1), [3, false]);
  assert.equal(timers.count, 0);
  player.pause(); // already paused: nothing new
  assert.equal(frames.length, 4);
  player.play();
  timers.run();
  assert.deepEqual(frames.slice(-2), [[3, true], [4, true]]);
});

test("step and seek clamp to 1..length; step pauses, seek keeps playing", () => {
  const { player, timers, frames } = setup(5);
  player.step(1);
  assert.equal(player.state.k, 5);
  assert.deepEqual(frames, [], "stepping past the end changes nothing");
  player.step(-10);
  assert.deepEqual(frames.at(-1), [1, false]);
  player.seek(99);
  assert.deepEqual(frames.at(-1), [5, false]);
  player.seek(-3);
  assert.deepEqual(frames.at(-1), [1, false]);
  player.seek(2.6);
  assert.equal(player.state.k, 3);

  player.play();
  player.seek(2);
  assert.deepEqual(frames.at(-1), [2, true]);
  assert.equal(timers.count, 1, "one timer, not two");
  player.step(); // default delta 1
  assert.deepEqual(frames.at(-1), [3, false]);
  assert.equal(timers.count, 0);
});

test("speed changes the delay, also for the token already waiting", () => {
  const { player, timers } = setup(10, { speed: 1 });
  player.seek(1);
  player.play();
  assert.equal(timers.delay, 1200);
  player.setSpeed(10);
  assert.equal(timers.count, 1);
  assert.equal(timers.delay, 80);
  player.setSpeed(0);
  assert.equal(player.state.speed, 1);
  timers.run();
  assert.equal(timers.delay, 1200);
});

test("a new text length: a player showing everything keeps showing everything, else k is clamped", () => {
  const { player, frames } = setup(5);
  player.setLength(8);
  assert.deepEqual(frames.at(-1), [8, false]);
  player.seek(6);
  player.setLength(3);
  assert.deepEqual(frames.at(-1), [3, false]);
  player.setLength(0);
  assert.deepEqual(frames.at(-1), [0, false]);
  player.play();
  assert.equal(player.state.playing, false, "nothing to play in an empty text");
});

test("a one-token text has nothing to animate", () => {
  const { player, timers, frames } = setup(1);
  player.play();
  assert.deepEqual(frames, []);
  assert.equal(timers.count, 0);
});
