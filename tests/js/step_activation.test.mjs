// node --test tests/js/step_activation.test.mjs
// The step view honours /api/step's `activations`: Keras models may use a hard σ, and their gate values
// must then check out against clip(x/6 + ½) (Keras 3) or clip(0.2x + ½) (Keras 2).
import assert from "node:assert/strict";
import { test } from "node:test";

import { activationOf, checkStep, segmentsText, stepEquations, stepNumbers } from "../../static/js/core/step_numbers.js";
import { LSTM } from "./cells.mjs";

// One unit, H = 1. Pre-activations: i 1.5, f −4, g 0.5, o 0; c_prev 0.8.
// Keras 3 hard σ: i = 1.5/6 + ½ = 0.75, f = clip(−4/6 + ½) = 0, o = 0.5
// Keras 2 hard σ: i = 0.3 + ½ = 0.8,    f = clip(−0.8 + ½) = 0,    o = 0.5
// g = tanh(0.5) = 0.46211715726000974; c = f·c_prev + i·g; h = o·tanh(c)
const G = Math.tanh(0.5);
function hardStep(recurrent, i) {
  const c = 0 * 0.8 + i * G;
  return {
    step: 0, layer: 0, recurrent_activation: recurrent,
    activations: { i: recurrent, f: recurrent, g: "tanh", o: recurrent },
    token: { text: "a", id: 1, start: 0, end: 1 },
    h_prev: [0.1], c_prev: [0.8],
    gates: {
      i: { input: [1], recurrent: [0.25], bias: [0.25], preactivation: [1.5], value: [i] },
      f: { input: [-3], recurrent: [-0.5], bias: [-0.5], preactivation: [-4], value: [0] },
      g: { input: [0.5], recurrent: [0], bias: [0], preactivation: [0.5], value: [G] },
      o: { input: [0], recurrent: [0], bias: [0], preactivation: [0], value: [0.5] },
    },
    c: [c],
    h: [0.5 * Math.tanh(c)],
    values: { kept: [0], forgotten: [0.8], written: [i * G], tanh_c: [Math.tanh(c)] },
  };
}

test("activationOf knows the σ, the two hard σ and tanh, and refuses others", () => {
  assert.equal(activationOf("sigmoid").fn(0), 0.5);
  assert.equal(activationOf("hard_sigmoid").fn(1.5), 0.75);
  assert.equal(activationOf("hard_sigmoid_keras2").fn(1.5), 0.8);
  assert.equal(activationOf("hard_sigmoid").fn(-4), 0);
  assert.equal(activationOf("hard_sigmoid_keras2").fn(9), 1);
  assert.equal(activationOf("tanh").name, "tanh");
  assert.equal(activationOf("hard_sigmoid").name, "hard σ");
  assert.throws(() => activationOf("relu"), /unknown activation relu/);
});

test("a Keras 3 hard-σ step checks out, and says hard σ in its equations", () => {
  const n = stepNumbers(hardStep("hard_sigmoid", 0.75), 0, LSTM);
  assert.equal(n.gates.i.activation, "hard_sigmoid");
  assert.deepEqual(checkStep(n, LSTM), []);
  const [f, i] = stepEquations(n, LSTM);
  assert.equal(segmentsText(i.steps[2]), "hard σ(1.500)");
  assert.equal(segmentsText(f.steps[0]), "hard σ(input + recurrent + bias)");
});

test("a Keras 2 hard-σ step checks out with the 0.2 slope only", () => {
  assert.deepEqual(checkStep(stepNumbers(hardStep("hard_sigmoid_keras2", 0.8), 0, LSTM), LSTM), []);
  const wrongSlope = checkStep(stepNumbers(hardStep("hard_sigmoid", 0.8), 0, LSTM), LSTM);
  assert.match(wrongSlope[0], /^i: value 0\.8 ≠ hard σ\(1\.5\) = 0\.75/);
});

test("a step without `activations` takes the cell spec's (σ for the LSTM's gates)", () => {
  const step = hardStep("sigmoid", 0.75);
  delete step.activations;
  const n = stepNumbers(step, 0, LSTM);
  assert.equal(n.gates.i.activation, "sigmoid");
  const problems = checkStep(n, LSTM);
  assert.match(problems[0], /^f: value 0 ≠ σ\(-4\)/); // the gates in the cell's reading order: f, i, g, o
  assert.match(problems[1], /^i: value 0\.75 ≠ σ\(1\.5\)/);
});
