// node --test tests/js/step_activation.test.mjs
// The step view honours /api/step's recurrent_activation: Keras models may use a hard σ, and their
// gate values must then check out against clip(x/6 + ½) (Keras 3) or clip(0.2x + ½) (Keras 2).
import assert from "node:assert/strict";
import { test } from "node:test";

import { activation, checkStep, segmentsText, stepEquations, stepNumbers } from "../../static/js/step_numbers.js";

// One unit, H = 1. Pre-activations: i 1.5, f −4, g 0.5, o 0; c_prev 0.8.
// Keras 3 hard σ: i = 1.5/6 + ½ = 0.75, f = clip(−4/6 + ½) = 0, o = 0.5
// Keras 2 hard σ: i = 0.3 + ½ = 0.8,    f = clip(−0.8 + ½) = 0,    o = 0.5
// g = tanh(0.5) = 0.46211715726000974; c = f·c_prev + i·g; h = o·tanh(c)
const G = Math.tanh(0.5);
function hardStep(recurrent, i) {
  const c = 0 * 0.8 + i * G;
  return {
    step: 0, layer: 0, recurrent_activation: recurrent,
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
  };
}

test("activation picks the model's σ for i, f, o and tanh for g", () => {
  assert.equal(activation("i").fn(0), 0.5);
  assert.equal(activation("f", "hard_sigmoid").fn(1.5), 0.75);
  assert.equal(activation("o", "hard_sigmoid_keras2").fn(1.5), 0.8);
  assert.equal(activation("o", "hard_sigmoid").fn(-4), 0);
  assert.equal(activation("i", "hard_sigmoid_keras2").fn(9), 1);
  assert.equal(activation("g", "hard_sigmoid").name, "tanh");
  assert.throws(() => activation("i", "relu"), /unknown recurrent activation relu/);
});

test("a Keras 3 hard-σ step checks out, and says hard σ in its equations", () => {
  const n = stepNumbers(hardStep("hard_sigmoid", 0.75), 0);
  assert.equal(n.recurrent_activation, "hard_sigmoid");
  assert.deepEqual(checkStep(n), []);
  const [f, i] = stepEquations(n);
  assert.equal(segmentsText(i.steps[2]), "hard σ(1.500)");
  assert.equal(segmentsText(f.steps[0]), "hard σ(input + recurrent + bias)");
});

test("a Keras 2 hard-σ step checks out with the 0.2 slope only", () => {
  assert.deepEqual(checkStep(stepNumbers(hardStep("hard_sigmoid_keras2", 0.8), 0)), []);
  const wrongSlope = checkStep(stepNumbers(hardStep("hard_sigmoid", 0.8), 0));
  assert.match(wrongSlope[0], /^i: value 0\.8 ≠ hard σ\(1\.5\) = 0\.75/);
});

test("a step without recurrent_activation is read as sigmoid", () => {
  const step = hardStep("sigmoid", 0.75);
  delete step.recurrent_activation;
  const n = stepNumbers(step, 0);
  assert.equal(n.recurrent_activation, "sigmoid");
  assert.match(checkStep(n)[0], /^i: value 0\.75 ≠ σ\(1\.5\)/);
});
