// A vanilla RNN's step numbers and equation (step_numbers.js), against a step worked out by hand.
import assert from "node:assert/strict";
import { test } from "node:test";

import { checkRnnStep, rnnEquation, rnnStepNumbers } from "../../static/js/step_numbers.js";

// Unit 1 of a 2-unit layer: a = 0.5 + (−0.25) + 0.1 = 0.35, h = tanh(0.35).
const STEP = {
  cell: "rnn", step: 3, layer: 0, token: { text: "need", id: 7 }, h_prev: [0.2, -0.4], h: [0.1, Math.tanh(0.35)],
  gates: { h: { input: [0, 0.5], recurrent: [0, -0.25], bias: [0, 0.1], preactivation: [0, 0.35],
    value: [0.1, Math.tanh(0.35)] } },
};

test("the numbers of one unit", () => {
  const n = rnnStepNumbers(STEP, 1);
  assert.deepEqual([n.input, n.recurrent, n.bias, n.pre, n.h_prev, n.H], [0.5, -0.25, 0.1, 0.35, -0.4, 2]);
  assert.equal(n.h, Math.tanh(0.35));
  assert.throws(() => rnnStepNumbers(STEP, 2), /units 0 to 1/);
});

test("the equation reads tanh(input + recurrent + bias) and ends at h", () => {
  const eq = rnnEquation(rnnStepNumbers(STEP, 1));
  assert.equal(eq.lhs, "h_t");
  assert.deepEqual(eq.steps[1].filter((s) => typeof s !== "string").map((s) => s.value), [0.5, -0.25, 0.1]);
  assert.equal(eq.result, Math.tanh(0.35));
});

test("a step that does not add up is reported", () => {
  assert.deepEqual(checkRnnStep(rnnStepNumbers(STEP, 1)), []);
  const bad = structuredClone(STEP);
  bad.gates.h.value[1] = 0.9;
  assert.match(checkRnnStep(rnnStepNumbers(bad, 1)).join(), /tanh/);
});
