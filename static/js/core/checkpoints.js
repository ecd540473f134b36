// "Watch it learn": the same text through snapshots of one model taken during training (ids
// `BASE-stepN`, e.g. lesson-step0, lesson-step100), then the finished model. Pure: the checkpoints and
// their captions (views/learn.js is the slider that only reports which checkpoint was picked).

/** An integer with thousands separators ("12,000"), as Intl.NumberFormat("en-US") writes it: without Intl,
 *  whose first use costs the first screen 30–40 ms (ICU's data loaded). */
function grouped(n) {
  return String(n).replace(/\B(?=(\d{3})+$)/g, ",");
}

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
      snapshots.push({ id, step, label: `step ${grouped(step)}`, final: false });
    } else if (id === base) {
      const known = Number.isFinite(steps?.[id]) ? steps[id] : null;
      final = { id, step: known, label: known === null ? "final" : `step ${grouped(known)}`, final: true };
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
  const text = `the same text through the gates after ${grouped(step)} training ${plural}`;
  if (final) return `${text}: the finished model`;
  return step === 0 ? `${text}: the weights are still random` : text;
}
