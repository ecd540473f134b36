// node --test tests/js/step_numbers.test.mjs
// A hand-made /api/step response of an LSTM for H = 2; every expected number below is worked out in a
// comment. The equations are the server's (the LSTM's cell_spec, tests/js/fixtures/cells.json) filled in.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  checkStep,
  evaluate,
  formatNumber,
  formatTerm,
  ledgerRows,
  segmentsText,
  stepEquations,
  stepNumbers,
} from "../../static/js/core/step_numbers.js";
import { LSTM } from "./cells.mjs";

// Unit 0: i pre = 0.5 + (−0.25) + 0.1 = 0.35,  σ(0.35) = 0.586617578917330
//         f pre = 1.0 + 0.5 + 0.5 = 2.0,       σ(2)    = 0.880797077977882
//         g pre = −0.3 + (−0.2) + 0 = −0.5,    tanh(−0.5) = −0.462117157260010
//         o pre = 0 + 0 + 0 = 0,               σ(0)    = 0.5
//         c_prev = 0.4: kept = 0.880797… × 0.4 = 0.352318831191153
//                       forgotten = (1 − 0.880797…) × 0.4 = 0.047681168808847
//                       written = 0.586617… × (−0.462117…) = −0.271086047968026
//         c = 0.352318… + (−0.271086…) = 0.081232783223127, tanh(c) = 0.081054574906116
//         h = 0.5 × 0.081054… = 0.040527287453058
// Unit 1: i pre = 0.25 + 0.25 + 0.5 = 1,       σ(1)    = 0.731058578630005
//         f pre = −1 + (−0.5) + (−0.5) = −2,   σ(−2)   = 0.119202922022118
//         g pre = 1 + 0.5 + 0.5 = 2,           tanh(2) = 0.964027580075817
//         o pre = −0.1 + 0.3 + 0.2 = 0.4,      σ(0.4)  = 0.598687660112452
//         c_prev = −1.5: kept = 0.119202… × (−1.5) = −0.178804383033176
//                        forgotten = (1 − 0.119202…) × (−1.5) = −1.321195616966824
//                        written = 0.731058… × 0.964027… = 0.704760632450350
//         c = −0.178804… + 0.704760… = 0.525956249417174, tanh(c) = 0.482283964611033
//         h = 0.598687… × 0.482283… = 0.288737458282736
const STEP = {
  model: "hand",
  version: "0000",
  step: 3,
  layer: 0,
  token: { text: "had", id: 7, start: 10, end: 13 },
  h_prev: [0.2, -0.6],
  c_prev: [0.4, -1.5],
  gates: {
    i: { input: [0.5, 0.25], recurrent: [-0.25, 0.25], bias: [0.1, 0.5], preactivation: [0.35, 1.0],
      value: [0.5866175789173301, 0.7310585786300049] },
    f: { input: [1.0, -1.0], recurrent: [0.5, -0.5], bias: [0.5, -0.5], preactivation: [2.0, -2.0],
      value: [0.8807970779778823, 0.11920292202211755] },
    g: { input: [-0.3, 1.0], recurrent: [-0.2, 0.5], bias: [0.0, 0.5], preactivation: [-0.5, 2.0],
      value: [-0.46211715726000974, 0.9640275800758169] },
    o: { input: [0.0, -0.1], recurrent: [0.0, 0.3], bias: [0.0, 0.2], preactivation: [0.0, 0.4],
      value: [0.5, 0.598687660112452] },
  },
  c: [0.08123278322312688, 0.5259562494171737],
  h: [0.040527287453057795, 0.2887374582827361],
  activations: { i: "sigmoid", f: "sigmoid", g: "tanh", o: "sigmoid" },
  values: {
    kept: [0.352318831191153, -0.178804383033176],
    forgotten: [0.047681168808847, -1.321195616966824],
    written: [-0.271086047968026, 0.70476063245035],
    tanh_c: [0.081054574906116, 0.482283964611033],
  },
};
const numbers = (step, u) => stepNumbers(step, u, LSTM);

const close = (actual, expected, tol = 1e-12) =>
  assert.ok(Math.abs(actual - expected) <= tol, `${actual} is not ${expected}`);

test("stepNumbers picks unit 0's parts, states and values, the gates in the cell's reading order", () => {
  const n = numbers(STEP, 0);
  assert.equal(n.u, 0);
  assert.equal(n.H, 2);
  assert.deepEqual(n.x, { t: 3, layer: 0, text: "had", id: 7 });
  assert.deepEqual(Object.keys(n.gates), ["f", "i", "g", "o"]);
  assert.deepEqual(n.gates.i, { input: 0.5, recurrent: -0.25, bias: 0.1, pre: 0.35, value: 0.5866175789173301,
    activation: "sigmoid" });
  assert.deepEqual(n.gates.f, { input: 1.0, recurrent: 0.5, bias: 0.5, pre: 2.0, value: 0.8807970779778823,
    activation: "sigmoid" });
  assert.equal(n.gates.g.value, -0.46211715726000974);
  assert.equal(n.gates.g.activation, "tanh");
  assert.equal(n.gates.o.pre, 0);
  assert.deepEqual(n.numbers, { h_prev: 0.2, h: 0.040527287453057795, c_prev: 0.4, c: 0.08123278322312688,
    kept: 0.352318831191153, forgotten: 0.047681168808847, written: -0.271086047968026, tanh_c: 0.081054574906116 });
});

test("stepNumbers reads unit 1, whose old memory is negative", () => {
  const n = numbers(STEP, 1);
  assert.equal(n.numbers.c_prev, -1.5);
  assert.equal(n.numbers.h_prev, -0.6);
  assert.equal(n.gates.f.pre, -2);
  close(n.numbers.kept + n.numbers.forgotten, n.numbers.c_prev);
});

test("stepNumbers refuses a unit outside 0..H−1", () => {
  assert.throws(() => numbers(STEP, 2), /unit 2 is out of range: this layer has units 0 to 1/);
  assert.throws(() => numbers(STEP, -1), RangeError);
  assert.throws(() => numbers(STEP, 0.5), RangeError);
});

test("formatNumber rounds to 3 decimals with a real minus sign", () => {
  assert.equal(formatNumber(0.5866175789173301), "0.587");
  assert.equal(formatNumber(-1.203), "\u22121.203");
  assert.equal(formatNumber(2), "2.000");
  assert.equal(formatNumber(-0.0004), "0.000");
  assert.equal(formatNumber(0.123456, 5), "0.12346");
  assert.equal(formatNumber(-Infinity), "\u2212∞");
  assert.equal(formatNumber(NaN), "NaN");
});

test("formatTerm parenthesises negatives only", () => {
  assert.equal(formatTerm(-1.203), "(\u22121.203)");
  assert.equal(formatTerm(0.977), "0.977");
  assert.equal(formatTerm(-0.0001), "0.000");
});

test("the equations read like the notation, with unit 0's numbers", () => {
  const lines = stepEquations(numbers(STEP, 0), LSTM).map(
    (eq) => [eq.lhs, ...eq.steps.map(segmentsText)].join(" = "),
  );
  assert.deepEqual(lines, [
    "f_t = σ(input + recurrent + bias) = σ(1.000 + 0.500 + 0.500) = σ(2.000) = 0.881",
    "i_t = σ(input + recurrent + bias) = σ(0.500 + (−0.250) + 0.100) = σ(0.350) = 0.587",
    "g_t = tanh(input + recurrent + bias) = tanh(−0.300 + (−0.200) + 0.000) = tanh(−0.500) = −0.462",
    "o_t = σ(input + recurrent + bias) = σ(0.000 + 0.000 + 0.000) = σ(0.000) = 0.500",
    "c_t = f_t ⊙ c_{t−1} + i_t ⊙ g_t = 0.881 × 0.400 + 0.587 × (−0.462) = 0.352 + (−0.271) = 0.081",
    "h_t = o_t ⊙ tanh(c_t) = 0.500 × tanh(0.081) = 0.500 × 0.081 = 0.041",
  ]);
});

test("the equations carry full-precision values for the view's titles", () => {
  const [f, , , , c] = stepEquations(numbers(STEP, 1), LSTM);
  assert.equal(f.key, "f");
  assert.equal(f.label, "forget gate f — what is kept");
  assert.equal(f.result, 0.11920292202211755);
  assert.deepEqual(c.steps[1][2], { value: -1.5, term: true });
  assert.equal(segmentsText(c.steps[1]), "0.119 × (−1.500) + 0.731 × 0.964");
  assert.equal(segmentsText(c.steps[2]), "−0.179 + 0.705");
});

test("the ledger lists old memory, kept, forgotten, written and new memory", () => {
  const rows = ledgerRows(numbers(STEP, 1), LSTM);
  assert.deepEqual(rows.map((r) => r.key), ["c_prev", "kept", "forgotten", "written", "c"]);
  assert.deepEqual(rows.map((r) => formatNumber(r.value)), ["−1.500", "−0.179", "−1.321", "0.705", "0.526"]);
  assert.equal(segmentsText(rows[2].steps[0]), "(1 − 0.119) × (−1.500)");
});

test("checkStep finds nothing wrong with a consistent step", () => {
  assert.deepEqual(checkStep(numbers(STEP, 0), LSTM), []);
  assert.deepEqual(checkStep(numbers(STEP, 1), LSTM), []);
});

test("a filled step reads back as arithmetic; a symbolic one does not", () => {
  const [, , , , c, h] = stepEquations(numbers(STEP, 0), LSTM);
  assert.equal(evaluate(c.steps[0]), null); // f_t ⊙ c_{t−1} + i_t ⊙ g_t
  close(evaluate(c.steps[1]), 0.8807970779778823 * 0.4 + 0.5866175789173301 * -0.46211715726000974);
  close(evaluate(h.steps[1]), 0.5 * Math.tanh(0.08123278322312688)); // o × tanh(c)
  assert.equal(evaluate(["(1 − ", { value: 0.25 }, ") × ", { value: -2, term: true }]), -1.5);
  assert.equal(evaluate(["1 +"]), null);
});

test("checkStep catches a deliberately inconsistent step", () => {
  const broken = structuredClone(STEP);
  broken.gates.f.value[0] = 0.9; // σ(2) is 0.8808, and c no longer equals f × c_prev + i × g
  broken.gates.g.preactivation[1] = 2.5; // 1 + 0.5 + 0.5 is 2
  broken.h[1] = 0.3; // o × tanh(c) is 0.2887
  const unit0 = checkStep(numbers(broken, 0), LSTM);
  assert.equal(unit0.length, 4, unit0.join("; "));
  assert.match(unit0[0], /^f: value 0\.9 ≠ σ\(2\)/);
  assert.match(unit0[1], /^c: 0\.0812\d* ≠ 0\.900 × 0\.400 \+ 0\.587 × \(−0\.462\) = 0\.0889/);
  assert.match(unit0[2], /^kept: 0\.3523\d* ≠ 0\.900 × 0\.400 = 0\.36/); // the ledger, from the server's values
  assert.match(unit0[3], /^forgotten: /);
  const unit1 = checkStep(numbers(broken, 1), LSTM);
  assert.equal(unit1.length, 4, unit1.join("; "));
  assert.match(unit1[0], /^g: pre-activation 2\.5 ≠ input \+ recurrent \+ bias = 2$/);
  assert.match(unit1[1], /^g: value .* ≠ tanh\(2\.5\)/);
  assert.match(unit1[2], /^h: 0\.3 ≠ 0\.599 × tanh\(0\.526\) = 0\.2887/);
  assert.match(unit1[3], /^h: 0\.3 ≠ 0\.599 × 0\.482 = /);
});

test("checkStep respects its tolerance and reports missing numbers", () => {
  const nudged = structuredClone(STEP);
  nudged.c[0] += 5e-5;
  assert.deepEqual(checkStep(numbers(nudged, 0), LSTM), []);
  const strict = checkStep(numbers(nudged, 0), LSTM, 1e-6);
  assert.deepEqual(strict.map((p) => p.split(":")[0]), ["c", "c", "h"]); // both sums that give c; tanh of c
  const missing = structuredClone(STEP);
  missing.h[0] = null;
  assert.deepEqual(checkStep(numbers(missing, 0), LSTM), ["some numbers are missing or not finite"]);
  const noValues = structuredClone(STEP);
  delete noValues.values.tanh_c;
  assert.deepEqual(checkStep(numbers(noValues, 0), LSTM), ["some numbers are missing or not finite"]);
});
