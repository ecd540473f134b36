// Play / pause / step through a text token by token, for a classroom: the heatmaps grow one column
// at a time. The pure controller (no DOM, driven by injectable timers so Node's tests need not wait);
// views/player.js is the view of buttons that only reports what the person pressed.

export const MIN_SPEED = 1;
export const MAX_SPEED = 10;
const SLOWEST_MS = 1200; // delay per token at speed 1
const FASTEST_MS = 80; // delay per token at speed 10

/** Milliseconds per token for speed 1..10, geometric so each notch feels the same step faster:
 *  delay(s) = 1200 · (80 / 1200)^((s − 1) / 9), i.e. 1200, 885, 652, 481, … 80. */
export function delayFor(speed) {
  const s = clampSpeed(speed);
  return Math.round(SLOWEST_MS * (FASTEST_MS / SLOWEST_MS) ** ((s - MIN_SPEED) / (MAX_SPEED - MIN_SPEED)));
}

export function clampSpeed(speed) {
  const s = Math.round(Number(speed));
  return Number.isFinite(s) ? Math.min(Math.max(s, MIN_SPEED), MAX_SPEED) : MIN_SPEED;
}

/**
 * A frame is k, the number of revealed tokens: 1..length (0 only for an empty text). A new player
 * shows the whole text (k = length); playing from the last frame restarts at 1; playing stops by
 * itself at the last frame. onFrame(k, playing) is called whenever k or playing changes (a speed
 * change alone does not redraw anything). step() pauses, because a person stepping wants control;
 * seek() keeps playing from the new frame.
 */
export function createPlayer({
  length, speed = 3, onFrame = () => {}, setTimer = setTimeout, clearTimer = clearTimeout,
}) {
  const toLength = (value) => Math.max(0, Math.floor(Number(value) || 0));
  let n = toLength(length);
  let k = n;
  let playing = false;
  let s = clampSpeed(speed);
  let timer = null;

  const clampFrame = (frame) => (n === 0 ? 0 : Math.min(Math.max(Math.round(frame), 1), n));

  function stopTimer() {
    if (timer !== null) clearTimer(timer);
    timer = null;
  }

  function schedule() {
    stopTimer();
    timer = setTimer(tick, delayFor(s));
  }

  function tick() {
    timer = null;
    if (!playing) return;
    k = Math.min(k + 1, n);
    if (k >= n) playing = false;
    else schedule();
    onFrame(k, playing);
  }

  /** Set frame and playing; report only a real change. */
  function set(frame, play) {
    const changed = frame !== k || play !== playing;
    k = frame;
    playing = play;
    if (playing) schedule();
    else stopTimer();
    if (changed) onFrame(k, playing);
  }

  const player = {
    play() {
      if (n === 0 || playing) return;
      const from = k >= n ? 1 : k;
      set(from, from < n);
    },
    pause() {
      if (playing) set(k, false);
    },
    toggle() {
      if (playing) player.pause();
      else player.play();
    },
    step(delta = 1) {
      set(clampFrame(k + delta), false);
    },
    seek(frame) {
      const target = clampFrame(frame);
      set(target, playing && target < n);
    },
    /** A new text: a player showing the whole text keeps showing it; otherwise k is clamped. */
    setLength(length) {
      const wasAll = k === n;
      n = toLength(length);
      const target = wasAll && !playing ? n : clampFrame(k);
      set(target, playing && target < n);
    },
    setSpeed(speed) {
      s = clampSpeed(speed);
      if (playing) schedule(); // the next token comes after the new delay
    },
    get state() {
      return { k, length: n, playing, speed: s, delay: delayFor(s) };
    },
  };
  return player;
}
