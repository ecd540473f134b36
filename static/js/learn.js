// "Watch it learn": the same text through snapshots of one model taken during training (ids
// `BASE-stepN`, e.g. lesson-step0, lesson-step100), then the finished model. checkpointsOf() is
// pure; createLearnSlider() is a view that only reports which checkpoint was picked.

const NUMBER = new Intl.NumberFormat("en-US");
let instances = 0; // for unique element ids

function escapeRegExp(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * models: the /api/models list (entries with `id`; the {models: [...]} answer itself is accepted
 * too). steps: optional map id -> training steps (a card's provenance.steps), used for the final
 * model. Returns [{id, step, label, final}] sorted by step, the finished `base` model last (its step
 * null and its label "final" when unknown). Only the models that exist are returned: an empty list
 * when there is nothing to show.
 */
export function checkpointsOf(models, base = "lesson", steps = {}) {
  const list = Array.isArray(models) ? models : models?.models ?? [];
  const pattern = new RegExp(`^${escapeRegExp(base)}-step(\\d+)$`);
  const snapshots = [];
  let final = null;
  for (const { id } of list) {
    const match = pattern.exec(id);
    if (match) {
      const step = Number(match[1]);
      snapshots.push({ id, step, label: `step ${NUMBER.format(step)}`, final: false });
    } else if (id === base) {
      const known = Number.isFinite(steps?.[id]) ? steps[id] : null;
      final = { id, step: known, label: known === null ? "final" : `step ${NUMBER.format(known)}`, final: true };
    }
  }
  snapshots.sort((a, b) => a.step - b.step);
  return final ? [...snapshots, final] : snapshots;
}

/** "the same text through the gates after 100 training steps", and what that means at either end. */
export function caption(checkpoint) {
  if (!checkpoint) return "";
  const { step, final } = checkpoint;
  if (step === null) return "the same text through the gates of the finished model";
  const plural = step === 1 ? "step" : "steps";
  const text = `the same text through the gates after ${NUMBER.format(step)} training ${plural}`;
  if (final) return `${text}: the finished model`;
  return step === 0 ? `${text}: the weights are still random` : text;
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/**
 * View: render({checkpoints, index}); event (bind) "checkpoint" (index into checkpoints), from the
 * slider or a click on a tick label. Hidden when there are fewer than two checkpoints.
 */
export function createLearnSlider(container) {
  const handlers = {};
  const emit = (event, value) => (handlers[event] ?? []).forEach((fn) => fn(value));
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
    bind(event, handler) {
      (handlers[event] ??= []).push(handler);
    },
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
