// The player's buttons (core/player.js is the controller they drive): a view that only reports what the
// person pressed.
import { MAX_SPEED, MIN_SPEED, clampSpeed } from "../core/player.js";
import { createEvents, el } from "./dom.js";

// Glyphs every common system font has (DejaVu, Segoe UI Symbol, Apple Symbols): ⏮ and ⏸ are missing
// from many Linux installs and would show as empty boxes on a school laptop.
const ICONS = { start: "|◀", back: "◀", play: "▶", pause: "❚❚", forward: "▶|" };

function button(label, action, ariaLabel) {
  const b = el("button", "player-button", label);
  b.type = "button";
  b.dataset.action = action;
  b.setAttribute("aria-label", ariaLabel);
  b.title = ariaLabel;
  return b;
}

/**
 * View: buttons |◀ (first token), ◀ (step back), ▶/❚❚ (play/pause, aria-pressed while playing),
 * ▶| (step forward), "token k of n" and a speed slider.
 * render({k, length, playing, speed}); events (bind): "toggle" (), "step" (−1 | +1),
 * "seek" (k), "speed" (1..10). Built once; render only updates it.
 */
export function createPlayerControls(container) {
  const { emit, bind } = createEvents(["toggle", "step", "seek", "speed"]);

  const start = button(ICONS.start, "start", "Back to the first token");
  const back = button(ICONS.back, "back", "Step back one token");
  const play = button(ICONS.play, "toggle", "Play");
  const forward = button(ICONS.forward, "forward", "Step forward one token");
  play.classList.add("player-play");
  play.setAttribute("aria-pressed", "false");

  const speedLabel = el("label", "player-speed");
  const speedText = el("span", null, "Speed");
  const speed = el("input");
  speed.type = "range";
  speed.min = String(MIN_SPEED);
  speed.max = String(MAX_SPEED);
  speed.step = "1";
  speedLabel.append(speedText, speed);

  const position = el("output", "player-position");

  const buttons = el("div", "player-buttons");
  buttons.setAttribute("role", "group");
  buttons.setAttribute("aria-label", "Play the text token by token");
  buttons.append(start, back, play, forward);

  const root = el("div", "player");
  root.append(buttons, position, speedLabel);
  container.replaceChildren(root);

  buttons.addEventListener("click", (event) => {
    const b = event.target.closest("button[data-action]");
    if (!b) return;
    if (b.dataset.action === "toggle") emit("toggle");
    else if (b.dataset.action === "start") emit("seek", 1);
    else emit("step", b.dataset.action === "back" ? -1 : 1);
  });
  speed.addEventListener("input", () => emit("speed", Number(speed.value)));

  return {
    bind,
    render({ k, length, playing, speed: s }) {
      play.textContent = playing ? ICONS.pause : ICONS.play;
      play.setAttribute("aria-pressed", String(Boolean(playing)));
      play.setAttribute("aria-label", playing ? "Pause" : "Play");
      play.title = playing ? "Pause" : "Play";
      for (const b of [start, back, play, forward]) b.disabled = !length;
      position.textContent = length ? `token ${k} of ${length}` : "no tokens yet";
      speed.value = String(clampSpeed(s));
      speed.setAttribute("aria-valuetext", `${speed.value} of ${MAX_SPEED}`);
    },
  };
}
