// The numbers of one step for one unit, and the equations that explain them, for any cell. The server
// describes the cell (/api/models `cell_spec`): its gates in reading order with their activations, then its
// state updates (`equations`) and its memory ledger (`ledger`) as lists of segments. /api/step answers with
// each gate's pre-activation split into input (W_ih·x_t), recurrent (W_hh·h_{t−1}) and bias (b_ih + b_hh), its
// value, the states before and after, and the other numbers the equations name (`values`). For an LSTM:
//
//     f_t = σ(input + recurrent + bias)      i_t, g_t (tanh), o_t alike
//     c_t = f_t ⊙ c_{t−1} + i_t ⊙ g_t        h_t = o_t ⊙ tanh(c_t)
//     kept = f_t ⊙ c_{t−1}, forgotten = (1 − f_t) ⊙ c_{t−1}, written = i_t ⊙ g_t
//
// and a GRU's h_t = (1 − z_t) ⊙ n_t + z_t ⊙ h_{t−1} is filled in the same way. Pure and DOM-free: the view
// renders what these functions return.
//
// Segments: a string is text ("f_t" marks a subscript, "c_{t−1}" a longer one); the server's {ref: NAME}
// and {ref: NAME, term: true} name a number of the /api/step answer, which `fill` turns into {value} and
// {value, term: true} (a number that follows an operator). NAME: "z.value" (a gate's part: input,
// recurrent, bias, preactivation, value), a state ("h", "c") or a state before the step ("h_prev",
// "c_prev"), else an entry of the answer's `values` ("kept", "tanh_c").
import { tokenPlace } from "./tokens.js";

const MINUS = "\u2212";

export function sigmoid(x) {
  return 1 / (1 + Math.exp(-x));
}

const clip01 = (x) => Math.min(1, Math.max(0, x));

/** The activations /api/step names (app/engine/lstm.py's names): Keras models may use a hard σ, whose
 *  slope differs between Keras 3 (1/6) and Keras 2 (0.2). */
export const ACTIVATIONS = {
  sigmoid: { name: "σ", fn: sigmoid },
  hard_sigmoid: { name: "hard σ", fn: (x) => clip01(x / 6 + 0.5) },
  hard_sigmoid_keras2: { name: "hard σ", fn: (x) => clip01(0.2 * x + 0.5) },
  tanh: { name: "tanh", fn: Math.tanh },
};

/** The activation called `name` ({name: how the equations write it, fn}); throws for an unknown one. */
export function activationOf(name) {
  const act = ACTIVATIONS[name];
  if (!act) throw new Error(`unknown activation ${name}`);
  return act;
}

/** The panel title of `key` when the cell has such a panel, else the key: "forget gate f — what is kept". */
function labelOf(cell, key) {
  const p = cell?.panels?.[key];
  return p ? `${p.title} ${p.symbol} — ${p.plain}` : key;
}

/** The names of the states before and after the step: h_prev, c_prev, h, c for an LSTM. */
function stateNames(cell) {
  return cell.states.flatMap((s) => [`${s}_prev`, s]);
}

/**
 * Unit u's numbers at one step of the cell, from the /api/step JSON (each array holds H numbers):
 * {u, H, x: {t, layer, text, id}, gates: {gate: {input, recurrent, bias, pre, value, activation}} in the
 * cell's reading order, numbers: {h_prev, c_prev, h, c, ...values}}.
 * x describes the step's input x_t: the token, or (layer > 0) the layer below's h_t at that token. A gate's
 * activation is the answer's (`activations`), else the cell spec's.
 */
export function stepNumbers(step, u, cell) {
  const H = step[cell.states[0]].length;
  if (!Number.isInteger(u) || u < 0 || u >= H) {
    throw new RangeError(`unit ${u} is out of range: this layer has units 0 to ${H - 1}`);
  }
  const gates = {};
  for (const gate of cell.gates) {
    const parts = step.gates[gate];
    gates[gate] = {
      input: parts.input[u],
      recurrent: parts.recurrent[u],
      bias: parts.bias[u],
      pre: parts.preactivation[u],
      value: parts.value[u],
      activation: step.activations?.[gate] ?? cell.activations?.[gate],
    };
  }
  const numbers = {};
  for (const name of stateNames(cell)) numbers[name] = step[name]?.[u];
  for (const [name, values] of Object.entries(step.values ?? {})) numbers[name] = values[u];
  return { u, H, x: { t: step.step, layer: step.layer, text: step.token.text, id: step.token.id }, gates, numbers };
}

const PARTS = { preactivation: "pre" };

/** The number a segment's ref names, for the unit of `n` (stepNumbers); undefined when there is none. */
export function refValue(n, name) {
  const dot = name.indexOf(".");
  if (dot < 0) return n.numbers[name];
  const part = name.slice(dot + 1);
  return n.gates[name.slice(0, dot)]?.[PARTS[part] ?? part];
}

/** Segments with the numbers filled in: {ref, term} -> {value, term}. */
export function fill(segments, n) {
  return segments.map((s) => (typeof s === "string" ? s : s.term ? { value: refValue(n, s.ref), term: true }
    : { value: refValue(n, s.ref) }));
}

/** x with `digits` decimals and a real minus sign; a value that rounds to zero shows as 0.000. */
export function formatNumber(x, digits = 3) {
  if (x === undefined || x === null || Number.isNaN(x)) return "NaN";
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

/** A gate's equation: "f_t = σ(input + recurrent + bias) = σ(1.000 + 0.500 + 0.500) = σ(2.000) = 0.881". */
export function gateEquation(gate, n, cell) {
  const p = n.gates[gate];
  const act = activationOf(p.activation).name;
  return {
    key: gate,
    label: labelOf(cell, gate),
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

/**
 * The step's equations with unit u's numbers: each gate's (in the cell's reading order), then the cell's
 * state updates filled in: [{key, label, lhs, steps: [segments], result}].
 */
export function stepEquations(n, cell) {
  return [
    ...cell.gates.map((gate) => gateEquation(gate, n, cell)),
    ...(cell.equations ?? []).map((eq) => ({
      key: eq.key, label: labelOf(cell, eq.key), lhs: eq.lhs, steps: eq.steps.map((s) => fill(s, n)),
      result: refValue(n, eq.result),
    })),
  ];
}

/** The memory ledger of unit u, the cell's rows filled in: [{key, label, formula, steps, value}] (none for
 *  a cell without a ledger). */
export function ledgerRows(n, cell) {
  return (cell.ledger ?? []).map((row) => ({
    key: row.key, label: row.label, formula: row.formula, steps: row.steps.map((s) => fill(s, n)),
    value: refValue(n, row.result),
  }));
}

// ---- Reading a filled step back as arithmetic, to check it ----

const FUNCTIONS = { tanh: Math.tanh, σ: sigmoid, exp: Math.exp };

/** The tokens of a filled step: numbers, operators, parentheses and known function names; null when it
 *  holds anything else (a symbolic step such as "f_t ⊙ c_{t−1}"). */
function tokensOf(segments) {
  const out = [];
  for (const s of segments) {
    if (typeof s !== "string") {
      out.push({ number: s.value });
      continue;
    }
    const re = /\s+|(\d+(?:\.\d+)?)|([+\-−×*/()])|([a-zσ]+)|(.)/gu;
    for (const m of s.matchAll(re)) {
      if (m[1] !== undefined) out.push({ number: Number(m[1]) });
      else if (m[2] !== undefined) out.push({ op: m[2] === "−" ? "-" : m[2] === "×" ? "*" : m[2] });
      else if (m[3] !== undefined) {
        if (!(m[3] in FUNCTIONS)) return null;
        out.push({ fn: m[3] });
      } else if (m[4] !== undefined) return null;
    }
  }
  return out;
}

/** The value of a filled step read as arithmetic (+ − × / and tanh, σ, exp), or null when it is symbolic
 *  or does not parse. Every number of a step has its full value here, not the rounded one shown. */
export function evaluate(segments) {
  const tokens = tokensOf(segments);
  if (!tokens || !tokens.some((t) => "number" in t)) return null;
  let k = 0;
  const peek = () => tokens[k];
  const isOp = (op) => peek()?.op === op;
  function primary() {
    const t = tokens[k++];
    if (!t) throw new Error("ends early");
    if ("number" in t) return t.number;
    if (t.fn) {
      if (!isOp("(")) throw new Error("a function without (");
      k++;
      const v = sum();
      if (!isOp(")")) throw new Error("no )");
      k++;
      return FUNCTIONS[t.fn](v);
    }
    if (t.op === "(") {
      const v = sum();
      if (!isOp(")")) throw new Error("no )");
      k++;
      return v;
    }
    if (t.op === "-") return -primary();
    throw new Error(`unexpected ${t.op}`);
  }
  function product() {
    let v = primary();
    while (isOp("*") || isOp("/")) v = tokens[k++].op === "*" ? v * primary() : v / primary();
    return v;
  }
  function sum() {
    let v = product();
    while (isOp("+") || isOp("-")) v = tokens[k++].op === "+" ? v + product() : v - product();
    return v;
  }
  try {
    const v = sum();
    return k === tokens.length ? v : null;
  } catch {
    return null;
  }
}

function near(actual, expected, tol) {
  return Math.abs(actual - expected) <= tol * Math.max(1, Math.abs(expected));
}

/**
 * Inconsistencies in a step, as sentences (an empty list when all is well): every gate's parts sum to its
 * pre-activation and its activation of that gives its value; every equation's and ledger row's steps that
 * are arithmetic give its result. n: stepNumbers(step, u, cell). The tolerance is absolute for numbers up
 * to 1 and relative above; float32 sums stay far inside 1e-4.
 */
export function checkStep(n, cell, tol = 1e-4) {
  const gateNumbers = Object.values(n.gates).flatMap((p) => [p.input, p.recurrent, p.bias, p.pre, p.value]);
  const equations = stepEquations(n, cell);
  const rows = ledgerRows(n, cell);
  const named = [...equations.flatMap((eq) => [eq.result, ...eq.steps.flat()]),
    ...rows.flatMap((row) => [row.value, ...row.steps.flat()])]
    .map((s) => (typeof s === "string" ? 0 : typeof s === "object" && s !== null ? s.value : s));
  if (![...gateNumbers, ...named].every(Number.isFinite)) return ["some numbers are missing or not finite"];
  const problems = [];
  for (const [gate, p] of Object.entries(n.gates)) {
    let act;
    try {
      act = activationOf(p.activation);
    } catch (e) {
      problems.push(`${gate}: ${e.message}`);
      continue;
    }
    const sum = p.input + p.recurrent + p.bias;
    if (!near(p.pre, sum, tol)) problems.push(`${gate}: pre-activation ${p.pre} ≠ input + recurrent + bias = ${sum}`);
    if (!near(p.value, act.fn(p.pre), tol)) {
      problems.push(`${gate}: value ${p.value} ≠ ${act.name}(${p.pre}) = ${act.fn(p.pre)}`);
    }
  }
  const said = new Set();
  // The gates' own equations are checked above; the cell's state updates and its ledger here.
  const checks = [...equations.slice(cell.gates.length).map((eq) => [eq.key, eq.result, eq.steps]),
    ...rows.map((row) => [row.key, row.value, row.steps])];
  for (const [key, result, steps] of checks) {
    for (const segments of steps) {
      const v = evaluate(segments);
      if (v === null || near(result, v, tol)) continue;
      const problem = `${key}: ${result} ≠ ${segmentsText(segments)} = ${v}`;
      if (!said.has(problem)) problems.push(problem);
      said.add(problem);
    }
  }
  return problems;
}

/** The step detail's heading: "Token 13 of 19 · “I” · unit 2 · layer 1" for the 0-based step t = 12 of
 *  T = 19 (T null: "Token 13 · …"), token the display text, layer 0-based (shown 1-based, as the layer menu). */
export function stepHeading({ t, T = null, token, unit, layer }) {
  return `${tokenPlace(t, T, { capital: true })} · “${token}” · unit ${unit} · layer ${layer + 1}`;
}
