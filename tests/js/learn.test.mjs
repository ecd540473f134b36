// Checkpoints of a model's training snapshots, from the /api/models list.
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { test } from "node:test";

import { caption, checkpointsOf } from "../../static/js/core/checkpoints.js";

const MODELS = new URL("../../models/", import.meta.url);
const cards = readdirSync(MODELS).filter((f) => f.endsWith(".json"))
  .map((f) => JSON.parse(readFileSync(new URL(f, MODELS), "utf8")));

test("snapshots sort by step (numerically) and the final model comes last", () => {
  const models = [{ id: "lesson" }, { id: "lesson-step1000" }, { id: "untrained" }, { id: "lesson-step0" },
    { id: "lesson-step100" }, { id: "lesson-step20" }];
  assert.deepEqual(checkpointsOf(models), [
    { id: "lesson-step0", step: 0, label: "step 0", final: false },
    { id: "lesson-step20", step: 20, label: "step 20", final: false },
    { id: "lesson-step100", step: 100, label: "step 100", final: false },
    { id: "lesson-step1000", step: 1000, label: "step 1,000", final: false },
    { id: "lesson", step: null, label: "final", final: true },
  ]);
});

test("the final model is labelled with its step count when known", () => {
  const list = checkpointsOf({ models: [{ id: "lesson" }, { id: "lesson-step0" }] }, "lesson", { lesson: 8000 });
  assert.deepEqual(list.at(-1), { id: "lesson", step: 8000, label: "step 8,000", final: true });
});

test("other models and look-alike ids are left out; the base name is matched literally", () => {
  const models = [{ id: "lesson2-step5" }, { id: "lesson-step" }, { id: "lesson-stepx" }, { id: "my.model-step3" },
    { id: "myxmodel-step4" }];
  assert.deepEqual(checkpointsOf(models), []);
  assert.deepEqual(checkpointsOf(models, "my.model").map((c) => c.id), ["my.model-step3"]);
  assert.deepEqual(checkpointsOf([]), []);
  assert.deepEqual(checkpointsOf(undefined), []);
});

test("the bundled snapshots are lesson's, and their ids agree with their cards", () => {
  const steps = Object.fromEntries(cards.map((c) => [c.id, c.provenance?.steps]));
  const list = checkpointsOf(cards, "lesson", steps);
  assert.deepEqual(list.map((c) => c.label), ["step 0", "step 100", "step 1,000", "step 16,000"]);
  for (const { id, step } of list) {
    const card = cards.find((c) => c.id === id);
    assert.equal(card.provenance.steps, step, id);
    if (id !== "lesson") assert.equal(card.snapshot_of, "lesson", id);
  }
});

test("the caption says how far training had got", () => {
  assert.equal(caption({ step: 100 }), "the same text through the gates after 100 training steps");
  assert.equal(caption({ step: 1000 }), "the same text through the gates after 1,000 training steps");
  assert.equal(caption({ step: 1 }), "the same text through the gates after 1 training step");
  assert.match(caption({ step: 0 }), /after 0 training steps: the weights are still random/);
  assert.equal(caption({ step: 8000, final: true }),
    "the same text through the gates after 8,000 training steps: the finished model");
  assert.equal(caption({ step: null, final: true }), "the same text through the gates of the finished model");
  assert.equal(caption(undefined), "");
});
