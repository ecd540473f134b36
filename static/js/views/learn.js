// "Watch it learn": the slider over a model's training snapshots (core/checkpoints.js lists them).
import { caption } from "../core/checkpoints.js";
import { createEvents, el } from "./dom.js";

let instances = 0; // for unique element ids

/**
 * View: render({checkpoints, index}); event (bind) "checkpoint" (index into checkpoints), from the
 * slider or a click on a tick label. Hidden when there are fewer than two checkpoints.
 */
export function createLearnSlider(container) {
  const { emit, bind } = createEvents(["checkpoint"]);
  let checkpoints = [];

  // The tick labels sit under the range input, beside its label: so the label points at the input
  // by id rather than wrapping it (a label may not hold the tick buttons).
  const id = `learn-range-${++instances}`;
  const label = el("label", "learn-title", "Watch it learn");
  label.htmlFor = id;
  const input = el("input", "learn-range");
  input.id = id;
  input.type = "range";
  input.min = "0";
  input.step = "1";
  const ticks = el("div", "learn-ticks");
  const track = el("div", "learn-track");
  track.append(input, ticks);
  const note = el("p", "learn-caption");
  const root = el("section", "learn");
  root.setAttribute("aria-label", "Watch it learn: the model during training");
  root.append(label, track, note);
  container.replaceChildren(root);

  input.addEventListener("input", () => emit("checkpoint", Number(input.value)));
  ticks.addEventListener("click", (event) => {
    const b = event.target.closest("button[data-index]");
    if (b) emit("checkpoint", Number(b.dataset.index));
  });

  // Each label sits under the slider's thumb position for its checkpoint (teach.css reads --at).
  function tick(checkpoint, index, list) {
    const b = el("button", "learn-tick", checkpoint.label);
    b.type = "button";
    b.dataset.index = String(index);
    b.style.setProperty("--at", String(index / (list.length - 1)));
    return b;
  }

  return {
    bind,
    render({ checkpoints: list, index }) {
      root.hidden = list.length < 2;
      if (root.hidden) return;
      if (list !== checkpoints) {
        checkpoints = list;
        input.max = String(list.length - 1);
        ticks.replaceChildren(...list.map(tick));
      }
      const i = Math.min(Math.max(index ?? list.length - 1, 0), list.length - 1);
      input.value = String(i);
      input.setAttribute("aria-valuetext", list[i].label);
      ticks.querySelectorAll(".learn-tick").forEach((b, n) => b.setAttribute("aria-current", String(n === i)));
      note.textContent = caption(list[i]);
    },
  };
}
