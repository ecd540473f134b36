// node --test tests/js/step_numbers.test.mjs
// A hand-made /api/step response for H = 2; every expected number below is worked out in a comment.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  checkStep,
  formatNumber,
  formatTerm,
  ledgerRows,
  segmentsText,
  stepEquations,
  stepNumbers,
} from "../../static/js/step_numbers.js";

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
};

const close = (actual, expected, tol = 1e-12) =>
  assert.ok(Math.abs(actual - expected) <= tol, `${actual} is not ${expected}`);

test("stepNumbers picks unit 0's parts and derives the ledger", () => {
  const n = stepNumbers(STEP, 0);
  assert.equal(n.u, 0);
  assert.equal(n.H, 2);
  assert.deepEqual(n.x, { t: 3, layer: 0, text: "had", id: 7 });
  assert.deepEqual(n.gates.i, { input: 0.5, recurrent: -0.25, bias: 0.1, pre: 0.35, value: 0.5866175789173301 });
  assert.deepEqual(n.gates.f, { input: 1.0, recurrent: 0.5, bias: 0.5, pre: 2.0, value: 0.8807970779778823 });
  assert.equal(n.gates.g.value, -0.46211715726000974);
  assert.equal(n.gates.o.pre, 0);
  assert.equal(n.c_prev, 0.4);
  assert.equal(n.h_prev, 0.2);
  close(n.kept, 0.352318831191153);
  close(n.forgotten, 0.047681168808847);
  close(n.written, -0.271086047968026);
  assert.equal(n.c, 0.08123278322312688);
  close(n.tanh_c, 0.081054574906116);
  assert.equal(n.h, 0.040527287453057795);
});

test("stepNumbers reads unit 1, whose old memory is negative", () => {
  const n = stepNumbers(STEP, 1);
  assert.equal(n.c_prev, -1.5);
  assert.equal(n.h_prev, -0.6);
  assert.equal(n.gates.f.pre, -2);
  close(n.kept, -0.178804383033176);
  close(n.forgotten, -1.321195616966824);
  close(n.written, 0.70476063245035);
  close(n.kept + n.forgotten, n.c_prev);
  close(n.tanh_c, 0.482283964611033);
});

test("stepNumbers refuses a unit outside 0..H−1", () => {
  assert.throws(() => stepNumbers(STEP, 2), /unit 2 is out of range: this layer has units 0 to 1/);
  assert.throws(() => stepNumbers(STEP, -1), RangeError);
  assert.throws(() => stepNumbers(STEP, 0.5), RangeError);
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
  const lines = stepEquations(stepNumbers(STEP, 0)).map(
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
  const [f, , , , c] = stepEquations(stepNumbers(STEP, 1));
  assert.equal(f.key, "f");
  assert.equal(f.label, "forget gate f — what is kept");
  assert.equal(f.result, 0.11920292202211755);
  assert.deepEqual(c.steps[1][2], { value: -1.5, term: true });
  assert.equal(segmentsText(c.steps[1]), "0.119 × (−1.500) + 0.731 × 0.964");
  assert.equal(segmentsText(c.steps[2]), "−0.179 + 0.705");
});

test("the ledger lists old memory, kept, forgotten, written and new memory", () => {
  const rows = ledgerRows(stepNumbers(STEP, 1));
  assert.deepEqual(rows.map((r) => r.key), ["c_prev", "kept", "forgotten", "written", "c"]);
  assert.deepEqual(rows.map((r) => formatNumber(r.value)), ["−1.500", "−0.179", "−1.321", "0.705", "0.526"]);
  assert.equal(segmentsText(rows[2].steps[0]), "(1 − 0.119) × (−1.500)");
});

test("checkStep finds nothing wrong with a consistent step", () => {
  assert.deepEqual(checkStep(stepNumbers(STEP, 0)), []);
  assert.deepEqual(checkStep(stepNumbers(STEP, 1)), []);
});

test("checkStep catches a deliberately inconsistent step", () => {
  const broken = structuredClone(STEP);
  broken.gates.f.value[0] = 0.9; // σ(2) is 0.8808, and c no longer equals kept + written
  broken.gates.g.preactivation[1] = 2.5; // 1 + 0.5 + 0.5 is 2
  broken.h[1] = 0.3; // o × tanh(c) is 0.2887
  const unit0 = checkStep(stepNumbers(broken, 0));
  assert.equal(unit0.length, 2);
  assert.match(unit0[0], /^f: value 0\.9 ≠ σ\(2\)/);
  assert.match(unit0[1], /^c: /);
  const unit1 = checkStep(stepNumbers(broken, 1));
  assert.equal(unit1.length, 3);
  assert.match(unit1[0], /^g: pre-activation 2\.5 ≠ input \+ recurrent \+ bias = 2$/);
  assert.match(unit1[1], /^g: value .* ≠ tanh\(2\.5\)/);
  assert.match(unit1[2], /^h: 0\.3 ≠ o × tanh\(c\)/);
});

test("checkStep respects its tolerance and reports missing numbers", () => {
  const n = stepNumbers(STEP, 0);
  const nudged = { ...n, c: n.c + 5e-5 };
  assert.deepEqual(checkStep(nudged), []);
  const strict = checkStep(nudged, 1e-6);
  assert.equal(strict.length, 2);
  assert.match(strict[0], /^c: /);
  assert.match(strict[1], /^h: /); // tanh of the nudged c no longer gives h
  assert.deepEqual(checkStep({ ...n, h: null }), ["some numbers are missing or not finite"]);
});
