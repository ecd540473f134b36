// The numbers of one step for one unit, and the equations that explain them (DESIGN.md's notation):
//
//     f_t = σ(W_f·[h_{t-1}, x_t] + b_f)      i_t = σ(W_i·[h_{t-1}, x_t] + b_i)
//     g_t = tanh(W_g·[h_{t-1}, x_t] + b_g)   o_t = σ(W_o·[h_{t-1}, x_t] + b_o)
//     c_t = f_t ⊙ c_{t-1} + i_t ⊙ g_t        h_t = o_t ⊙ tanh(c_t)
//     kept = f_t ⊙ c_{t-1}, forgotten = (1 − f_t) ⊙ c_{t-1}, written = i_t ⊙ g_t
//
// /api/step splits each pre-activation into input (W_ih·x_t), recurrent (W_hh·h_{t−1}) and
// bias (b_ih + b_hh). Pure and DOM-free: the view renders what these functions return.
// Equations are lists of segments: a string is text ("f_t" marks a subscript, "c_{t−1}" a longer
// one), `{value}` is a number and `{value, term: true}` a number that follows an operator.

export const GATES = ["f", "i", "g", "o"]; // the order the equations are read in

// Plain-word names, the same as the heatmaps' titles.
export const LABELS = {
  f: "forget gate f — what is kept",
  i: "input gate i — how much is written",
  g: "candidate g — what could be written",
  o: "output gate o — what is exposed",
  c: "cell state c — memory",
  h: "hidden state h — output",
};

const MINUS = "\u2212";

export function sigmoid(x) {
  return 1 / (1 + Math.exp(-x));
}

const clip01 = (x) => Math.min(1, Math.max(0, x));

// The σ of the gates i, f, o by /api/step's `recurrent_activation` (app/engine/lstm.py's names): Keras
// models may use a hard σ, whose slope differs between Keras 3 (1/6) and Keras 2 (0.2).
export const RECURRENT_ACTIVATIONS = {
  sigmoid: { name: "σ", fn: sigmoid },
  hard_sigmoid: { name: "hard σ", fn: (x) => clip01(x / 6 + 0.5) },
  hard_sigmoid_keras2: { name: "hard σ", fn: (x) => clip01(0.2 * x + 0.5) },
};

/** The model's σ for the gates i, f, o; tanh for the candidate g. */
export function activation(gate, recurrent = "sigmoid") {
  if (gate === "g") return { name: "tanh", fn: Math.tanh };
  const act = RECURRENT_ACTIVATIONS[recurrent];
  if (!act) throw new Error(`unknown recurrent activation ${recurrent}`);
  return act;
}

/**
 * Unit u's numbers at one step, from the /api/step JSON (each array holds H numbers):
 * {u, H, x: {t, layer, text, id}, gates: {i, f, g, o: {input, recurrent, bias, pre, value}},
 *  c_prev, h_prev, kept, forgotten, written, c, h, tanh_c, recurrent_activation}.
 * x describes the step's input x_t: the token, or (layer > 0) the layer below's h_t at that token.
 */
export function stepNumbers(step, u) {
  const H = step.c.length;
  if (!Number.isInteger(u) || u < 0 || u >= H) {
    throw new RangeError(`unit ${u} is out of range: this layer has units 0 to ${H - 1}`);
  }
  const gates = {};
  for (const gate of ["i", "f", "g", "o"]) {
    const parts = step.gates[gate];
    gates[gate] = {
      input: parts.input[u],
      recurrent: parts.recurrent[u],
      bias: parts.bias[u],
      pre: parts.preactivation[u],
      value: parts.value[u],
    };
  }
  const { i, f, g } = gates;
  const c_prev = step.c_prev[u];
  const c = step.c[u];
  return {
    u,
    H,
    x: { t: step.step, layer: step.layer, text: step.token.text, id: step.token.id },
    gates,
    c_prev,
    h_prev: step.h_prev[u],
    kept: f.value * c_prev,
    forgotten: (1 - f.value) * c_prev,
    written: i.value * g.value,
    c,
    h: step.h[u],
    tanh_c: Math.tanh(c),
    recurrent_activation: step.recurrent_activation ?? "sigmoid",
  };
}

/** x with `digits` decimals and a real minus sign; a value that rounds to zero shows as 0.000. */
export function formatNumber(x, digits = 3) {
  if (Number.isNaN(x)) return "NaN";
  if (!Number.isFinite(x)) return x > 0 ? "∞" : `${MINUS}∞`;
  const text = x.toFixed(digits);
  if (Number(text) === 0) return (0).toFixed(digits);
  return text.replace("-", MINUS);
}

/** A number that follows an operator: negatives in parentheses, "+ (−1.203)". */
export function formatTerm(x, digits = 3) {
  const text = formatNumber(x, digits);
  return text.startsWith(MINUS) ? `(${text})` : text;
}

/** Read the segments as one line of text (what the view shows, rounded). */
export function segmentsText(segments) {
  return segments
    .map((s) => (typeof s === "string" ? s : s.term ? formatTerm(s.value) : formatNumber(s.value)))
    .join("");
}

const num = (value) => ({ value });
const term = (value) => ({ value, term: true });

function gateEquation(gate, p, recurrent) {
  const act = activation(gate, recurrent).name;
  return {
    key: gate,
    label: LABELS[gate],
    lhs: `${gate}_t`,
    // Each entry is one "= ..." step; the view keeps a step on one line and wraps between steps.
    steps: [
      [`${act}(input + recurrent + bias)`],
      [`${act}(`, num(p.input), " + ", term(p.recurrent), " + ", term(p.bias), ")"],
      [`${act}(`, num(p.pre), ")"],
      [num(p.value)],
    ],
    result: p.value,
  };
}

/** The six equations with unit u's numbers: [{key, label, lhs, steps: [segments], result}]. */
export function stepEquations(n) {
  const { i, f, g, o } = n.gates;
  return [
    ...GATES.map((gate) => gateEquation(gate, n.gates[gate], n.recurrent_activation)),
    {
      key: "c",
      label: LABELS.c,
      lhs: "c_t",
      steps: [
        ["f_t ⊙ c_{t−1} + i_t ⊙ g_t"],
        [num(f.value), " × ", term(n.c_prev), " + ", term(i.value), " × ", term(g.value)],
        [num(n.kept), " + ", term(n.written)],
        [num(n.c)],
      ],
      result: n.c,
    },
    {
      key: "h",
      label: LABELS.h,
      lhs: "h_t",
      steps: [
        ["o_t ⊙ tanh(c_t)"],
        [num(o.value), " × tanh(", num(n.c), ")"],
        [num(o.value), " × ", term(n.tanh_c)],
        [num(n.h)],
      ],
      result: n.h,
    },
  ];
}

/** The memory ledger of unit u: [{key, label, formula, steps, value}], c_{t−1} first, c_t last. */
export function ledgerRows(n) {
  const { i, f, g } = n.gates;
  return [
    { key: "c_prev", label: "memory before", formula: "c_{t−1}", steps: [], value: n.c_prev },
    { key: "kept", label: "kept", formula: "f_t ⊙ c_{t−1}",
      steps: [[num(f.value), " × ", term(n.c_prev)]], value: n.kept },
    { key: "forgotten", label: "forgotten", formula: "(1 − f_t) ⊙ c_{t−1}",
      steps: [["(1 − ", num(f.value), ") × ", term(n.c_prev)]], value: n.forgotten },
    { key: "written", label: "written", formula: "i_t ⊙ g_t",
      steps: [[num(i.value), " × ", term(g.value)]], value: n.written },
    { key: "c", label: "memory after", formula: "kept + written",
      steps: [[num(n.kept), " + ", term(n.written)]], value: n.c },
  ];
}

function near(actual, expected, tol) {
  return Math.abs(actual - expected) <= tol * Math.max(1, Math.abs(expected));
}

/**
 * Inconsistencies in a stepNumbers result, as sentences (an empty list when all is well). The
 * tolerance is absolute for numbers up to 1 and relative above; float32 sums stay far inside 1e-4.
 */
export function checkStep(n, tol = 1e-4) {
  const problems = [];
  const finite = [n.c_prev, n.h_prev, n.c, n.h, n.kept, n.written,
    ...Object.values(n.gates).flatMap(Object.values)];
  if (!finite.every(Number.isFinite)) {
    problems.push("some numbers are missing or not finite");
    return problems;
  }
  for (const gate of ["i", "f", "g", "o"]) {
    const p = n.gates[gate];
    const act = activation(gate, n.recurrent_activation);
    const sum = p.input + p.recurrent + p.bias;
    if (!near(p.pre, sum, tol)) {
      problems.push(`${gate}: pre-activation ${p.pre} ≠ input + recurrent + bias = ${sum}`);
    }
    if (!near(p.value, act.fn(p.pre), tol)) {
      problems.push(`${gate}: value ${p.value} ≠ ${act.name}(${p.pre}) = ${act.fn(p.pre)}`);
    }
  }
  const { i, f, g } = n.gates;
  if (!near(n.kept, f.value * n.c_prev, tol)) {
    problems.push(`kept: ${n.kept} ≠ f × c_prev = ${f.value * n.c_prev}`);
  }
  if (!near(n.written, i.value * g.value, tol)) {
    problems.push(`written: ${n.written} ≠ i × g = ${i.value * g.value}`);
  }
  if (!near(n.c, n.kept + n.written, tol)) {
    problems.push(`c: ${n.c} ≠ kept + written = ${n.kept + n.written}`);
  }
  const h = n.gates.o.value * Math.tanh(n.c);
  if (!near(n.h, h, tol)) problems.push(`h: ${n.h} ≠ o × tanh(c) = ${h}`);
  return problems;
}

// ---- A vanilla RNN's step (cell "rnn"): h_t = tanh(a_t), a_t = W_ih·x_t + W_hh·h_{t−1} + b ----

/**
 * Unit u's numbers of a vanilla RNN's /api/step answer (cell "rnn": one entry `gates.h`).
 * @param {object} step the /api/step JSON
 * @param {number} u 0 ≤ u < H
 * @returns {{u: number, H: number, h_prev: number, input: number, recurrent: number, bias: number,
 *   pre: number, h: number}}
 */
export function rnnStepNumbers(step, u) {
  const H = step.h.length;
  if (!Number.isInteger(u) || u < 0 || u >= H) {
    throw new RangeError(`unit ${u} is out of range: this layer has units 0 to ${H - 1}`);
  }
  const p = step.gates.h;
  return {
    u, H, h_prev: step.h_prev[u], input: p.input[u], recurrent: p.recurrent[u], bias: p.bias[u],
    pre: p.preactivation[u], h: p.value[u],
  };
}

/** The RNN's one equation, in the format of stepEquations: h_t = tanh(input + recurrent + bias). */
export function rnnEquation(n) {
  return {
    key: "h",
    label: "hidden state h — everything a vanilla RNN carries to the next step",
    lhs: "h_t",
    steps: [
      ["tanh(W·x_t + W·h_{t−1} + b)"],
      ["tanh(", num(n.input), " + ", term(n.recurrent), " + ", term(n.bias), ")"],
      ["tanh(", num(n.pre), ")"],
      [num(n.h)],
    ],
    result: n.h,
  };
}

/** What does not add up in an RNN step: the parts summing to a, and h = tanh(a). [] when all do. */
export function checkRnnStep(n, tol = 1e-4) {
  const values = [n.h_prev, n.input, n.recurrent, n.bias, n.pre, n.h];
  if (!values.every(Number.isFinite)) return ["some numbers are missing or not finite"];
  const problems = [];
  if (Math.abs(n.input + n.recurrent + n.bias - n.pre) > tol * (1 + Math.abs(n.pre))) {
    problems.push("input + recurrent + bias differs from the pre-activation");
  }
  if (Math.abs(Math.tanh(n.pre) - n.h) > tol) problems.push("tanh of the pre-activation differs from h");
  return problems;
}
