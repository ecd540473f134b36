// Any cell's step from its spec (core/step_numbers.js): a GRU's and a vanilla RNN's /api/step answers worked
// out by hand, their gate equations, the server's equations and ledger filled in with one unit's numbers, and
// the consistency check.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  checkStep, ledgerRows, refValue, segmentsText, stepEquations, stepNumbers,
} from "../../static/js/core/step_numbers.js";
import { GRU, RNN } from "./cells.mjs";

// A GRU of H = 2 (PyTorch's nn.GRU: h_t = (1 − z) ⊙ n + z ⊙ h_{t−1}), by hand:
// unit 0: r pre = −0.5 + (−0.25) + (−0.25) = −1   r = σ(−1) = 0.2689414213699951
//         z pre = 0.5 + (−0.5) + 0 = 0             z = σ(0)  = 0.5
//         n pre = −0.5 + (−0.2) + (−0.1) = −0.8    n = tanh(−0.8) = −0.6640367702678491
//         h_prev = 0.25: kept = 0.5 × 0.25 = 0.125, forgotten = (1 − 0.5) × 0.25 = 0.125
//                        written = (1 − 0.5) × (−0.66403…) = −0.33201838513392457
//         h = −0.33201… + 0.125 = −0.20701838513392457
// unit 1: r pre = 0.5 + (−0.25) + 0.25 = 0.5       r = σ(0.5) = 0.6224593312018546
//         z pre = 1 + 0.5 + 0.5 = 2                z = σ(2)   = 0.8807970779778823
//         n pre = 0.3 + (−0.2) + 0.4 = 0.5         n = tanh(0.5) = 0.46211715726000974
//           (its recurrent part is r ⊙ (W_hn·h_{t−1}): the server's split, checked only as a sum)
//         h_prev = −0.6: kept = 0.88079… × (−0.6) = −0.5284782467867294
//                        forgotten = (1 − 0.88079…) × (−0.6) = −0.0715217532132706
//                        written = (1 − 0.88079…) × 0.46211… = 0.05508571546194763
//         h = 0.05508… + (−0.52847…) = −0.47339253132478176
const GRU_STEP = {
  model: "hand-gru", version: "0000", cell: "gru", step: 4, layer: 0, num_steps: 9, num_layers: 1,
  recurrent_activation: "sigmoid", reset_after: true,
  token: { text: "need", id: 7, start: 20, end: 24 },
  h_prev: [0.25, -0.6],
  gates: {
    r: { input: [-0.5, 0.5], recurrent: [-0.25, -0.25], bias: [-0.25, 0.25], preactivation: [-1, 0.5],
      value: [0.2689414213699951, 0.6224593312018546] },
    z: { input: [0.5, 1], recurrent: [-0.5, 0.5], bias: [0, 0.5], preactivation: [0, 2],
      value: [0.5, 0.8807970779778823] },
    n: { input: [-0.5, 0.3], recurrent: [-0.2, -0.2], bias: [-0.1, 0.4], preactivation: [-0.8, 0.5],
      value: [-0.6640367702678491, 0.46211715726000974] },
  },
  activations: { r: "sigmoid", z: "sigmoid", n: "tanh" },
  h: [-0.20701838513392457, -0.47339253132478176],
  values: {
    kept: [0.125, -0.5284782467867294],
    forgotten: [0.125, -0.0715217532132706],
    written: [-0.33201838513392457, 0.05508571546194763],
  },
};

test("a GRU's numbers: its gates in reading order z, r, n, its one state before and after, its values", () => {
  const n = stepNumbers(GRU_STEP, 1, GRU);
  assert.equal(n.H, 2);
  assert.deepEqual(Object.keys(n.gates), ["z", "r", "n"]);
  assert.deepEqual(n.gates.z, { input: 1, recurrent: 0.5, bias: 0.5, pre: 2, value: 0.8807970779778823,
    activation: "sigmoid" });
  assert.equal(n.gates.n.activation, "tanh");
  assert.deepEqual(n.numbers, { h_prev: -0.6, h: -0.47339253132478176, kept: -0.5284782467867294,
    forgotten: -0.0715217532132706, written: 0.05508571546194763 });
  assert.equal(refValue(n, "z.value"), 0.8807970779778823);
  assert.equal(refValue(n, "n.preactivation"), 0.5);
  assert.equal(refValue(n, "h_prev"), -0.6);
});

test("a GRU's equations: the gates by their activations, then h_t = (1 − z) ⊙ n + z ⊙ h_{t−1} with unit 1's numbers", () => {
  const equations = stepEquations(stepNumbers(GRU_STEP, 1, GRU), GRU);
  const lines = equations.map((eq) => [eq.lhs, ...eq.steps.map(segmentsText)].join(" = "));
  assert.deepEqual(lines, [
    "z_t = σ(input + recurrent + bias) = σ(1.000 + 0.500 + 0.500) = σ(2.000) = 0.881",
    "r_t = σ(input + recurrent + bias) = σ(0.500 + (−0.250) + 0.250) = σ(0.500) = 0.622",
    "n_t = tanh(input + recurrent + bias) = tanh(0.300 + (−0.200) + 0.400) = tanh(0.500) = 0.462",
    "h_t = (1 − z_t) ⊙ n_t + z_t ⊙ h_{t−1} = (1 − 0.881) × 0.462 + 0.881 × (−0.600) = 0.055 + (−0.528) = −0.473",
  ]);
  assert.deepEqual(equations.map((eq) => eq.label), ["update gate z — what is kept",
    "reset gate r — how much of h the candidate reads", "candidate n — what could be written",
    "hidden state h — memory and output"]);
  const h = equations.at(-1);
  assert.equal(h.result, -0.47339253132478176); // the server's h, full precision
  assert.deepEqual(h.steps[1].filter((s) => typeof s !== "string").map((s) => s.value),
    [0.8807970779778823, 0.46211715726000974, 0.8807970779778823, -0.6]);
});

test("a GRU's memory ledger: h before, kept, forgotten, written, h after", () => {
  const rows = ledgerRows(stepNumbers(GRU_STEP, 0, GRU), GRU);
  assert.deepEqual(rows.map((r) => [r.key, r.label, r.value]), [
    ["h_prev", "memory before", 0.25], ["kept", "kept", 0.125], ["forgotten", "forgotten", 0.125],
    ["written", "written", -0.33201838513392457], ["h", "memory after", -0.20701838513392457]]);
  assert.deepEqual(rows.map((r) => r.steps.map(segmentsText)), [[], ["0.500 × 0.250"], ["(1 − 0.500) × 0.250"],
    ["(1 − 0.500) × (−0.664)"], ["0.125 + (−0.332)"]]);
  assert.equal(rows[1].formula, "z_t ⊙ h_{t−1}");
});

test("a consistent GRU step checks out; a wrong h, a wrong gate and a wrong sum are each reported", () => {
  for (const u of [0, 1]) assert.deepEqual(checkStep(stepNumbers(GRU_STEP, u, GRU), GRU), []);
  const broken = structuredClone(GRU_STEP);
  broken.h[1] = -0.4; // (1 − z) n + z h_prev is −0.4734
  broken.gates.r.value[0] = 0.3; // σ(−1) is 0.2689
  broken.gates.n.preactivation[0] = -0.9; // −0.5 − 0.2 − 0.1 is −0.8
  const one = checkStep(stepNumbers(broken, 1, GRU), GRU);
  assert.deepEqual(one.map((p) => p.split(":")[0]), ["h", "h", "h"]);
  assert.match(one[0], /^h: -0\.4 ≠ \(1 − 0\.881\) × 0\.462 \+ 0\.881 × \(−0\.600\) = -0\.4733925/);
  assert.match(one[1], /^h: -0\.4 ≠ 0\.055 \+ \(−0\.528\) = /);
  assert.match(one[2], /^h: -0\.4 ≠ −0\.528 \+ 0\.055 = /); // the ledger's memory after
  const zero = checkStep(stepNumbers(broken, 0, GRU), GRU);
  assert.match(zero[0], /^r: value 0\.3 ≠ σ\(-1\) = 0\.2689/);
  assert.match(zero[1], /^n: pre-activation -0\.9 ≠ input \+ recurrent \+ bias = -0\.7999/);
  assert.match(zero[2], /^n: value -0\.664\d* ≠ tanh\(-0\.9\)/);
});

// A vanilla RNN of H = 2, unit 1: a = 0.5 + (−0.25) + 0.1 = 0.35, h = tanh(0.35).
const RNN_STEP = {
  cell: "rnn", step: 3, layer: 0, token: { text: "need", id: 7 }, h_prev: [0.2, -0.4], h: [0.1, Math.tanh(0.35)],
  nonlinearity: "tanh", activations: { h: "tanh" }, values: {},
  gates: { h: { input: [0, 0.5], recurrent: [0, -0.25], bias: [0, 0.1], preactivation: [0, 0.35],
    value: [0.1, Math.tanh(0.35)] } },
};

test("a vanilla RNN's step is one equation, h_t = tanh(input + recurrent + bias), and no ledger", () => {
  const n = stepNumbers(RNN_STEP, 1, RNN);
  assert.deepEqual([n.gates.h.input, n.gates.h.recurrent, n.gates.h.bias, n.gates.h.pre, n.numbers.h_prev, n.H],
    [0.5, -0.25, 0.1, 0.35, -0.4, 2]);
  const [eq, ...rest] = stepEquations(n, RNN);
  assert.deepEqual(rest, []);
  assert.equal(eq.lhs, "h_t");
  assert.equal(eq.label, "hidden state h — its only memory");
  assert.equal(segmentsText(eq.steps[1]), "tanh(0.500 + (−0.250) + 0.100)");
  assert.equal(eq.result, Math.tanh(0.35));
  assert.deepEqual(ledgerRows(n, RNN), []);
  assert.throws(() => stepNumbers(RNN_STEP, 2, RNN), /units 0 to 1/);
});

test("an RNN step that does not add up is reported", () => {
  assert.deepEqual(checkStep(stepNumbers(RNN_STEP, 1, RNN), RNN), []);
  const bad = structuredClone(RNN_STEP);
  bad.gates.h.value[1] = 0.9;
  assert.match(checkStep(stepNumbers(bad, 1, RNN), RNN).join(), /^h: value 0\.9 ≠ tanh\(0\.35\)/);
});
