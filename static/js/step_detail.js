// The step detail: for token t and unit u of a layer, "why this number" — the six equations with
// this step's numbers, the memory ledger, colah's cell diagram annotated with the values (drawn by
// step_diagram.js), and the next-token predictions. A view: it never fetches and never reads the
// URL. Text from the server (tokens) goes in through textContent only. Steps count from 0 as in the API;
// people read them from 1, as the player and the token strip say them ("Token 13 of 19").
import {
  checkRnnStep, checkStep, formatNumber, formatTerm, ledgerRows, rnnEquation, rnnStepNumbers, stepEquations,
  stepNumbers,
} from "./step_numbers.js";
import { createCellDiagram, SUBSCRIPT } from "./step_diagram.js";
import { displayToken, tokenPlace } from "./tokens.js";

const HTML_NS = "http://www.w3.org/1999/xhtml";
const DEFAULT_EMPTY = "Pick a token and a unit to see how this step's numbers come about.";

/** The panel's heading: "Token 13 of 19 · “I” · unit 2 · layer 1" for the 0-based step t = 12 of T = 19
 *  (T null: "Token 13 · …"), token the display text, layer 0-based (shown 1-based, as the layer menu). */
export function stepHeading({ t, T = null, token, unit, layer }) {
  return `${tokenPlace(t, T, { capital: true })} · “${token}” · unit ${unit} · layer ${layer + 1}`;
}

function el(tag, className, parent, text) {
  const node = document.createElementNS(HTML_NS, tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  if (parent) parent.append(node);
  return node;
}

/** Append "f_t ⊙ c_{t−1}" to parent with the subscripts as <sub> elements. */
function appendMath(parent, text) {
  for (const [k, part] of text.split(SUBSCRIPT).entries()) {
    if (k % 2 === 0) parent.append(part);
    else el("sub", "", parent, part.replace(/^\{|\}$/g, ""));
  }
}

function numberSpan(parent) {
  return el("span", "num", parent);
}

function setNumber(span, segment) {
  span.textContent = segment.term ? formatTerm(segment.value) : formatNumber(segment.value);
  span.title = String(segment.value);
}

// Builds an equation's markup once (strings stay, numbers become spans) and updates the spans.
function segmentLine(parent) {
  let spans = null;
  return (segments) => {
    if (spans === null) {
      spans = [];
      for (const s of segments) {
        if (typeof s === "string") appendMath(parent, s);
        else spans.push(numberSpan(parent));
      }
    }
    segments.filter((s) => typeof s !== "string").forEach((s, k) => setNumber(spans[k], s));
  };
}

function createEquation(list) {
  const item = el("li", "step-eq", list);
  const label = el("div", "step-eq-label", item);
  const line = el("div", "step-eq-line", item);
  const lhs = el("span", "step-eq-lhs", line);
  let chunks = null;
  return (eq) => {
    label.textContent = eq.label;
    item.dataset.quantity = eq.key;
    if (chunks === null) {
      appendMath(lhs, eq.lhs);
      chunks = eq.steps.map((_, k) => {
        // One "= ..." step never breaks; a long equation wraps at the spaces between steps.
        line.append(" ");
        const last = k === eq.steps.length - 1;
        const chunk = el("span", last ? "step-eq-chunk step-eq-result" : "step-eq-chunk", line);
        chunk.append("=\u00a0"); // "=" never ends a line
        return segmentLine(chunk);
      });
    }
    eq.steps.forEach((segments, k) => chunks[k](segments));
  };
}

function createLedgerRow(list) {
  const row = el("li", "step-ledger-row", list);
  const words = el("div", "step-ledger-words", row);
  const name = el("span", "step-ledger-name", words);
  const formula = el("span", "step-ledger-formula", words);
  const value = el("span", "num step-ledger-value", row);
  const track = el("div", "step-bar-track step-bar-signed", row);
  const bar = el("div", "step-bar", track);
  let updates = null;
  return (entry, scale) => {
    row.dataset.quantity = entry.key;
    if (updates === null) {
      name.textContent = entry.label;
      appendMath(el("span", "step-eq-chunk", formula), entry.formula);
      updates = entry.steps.map(() => {
        formula.append(" ");
        const chunk = el("span", "step-eq-chunk", formula);
        chunk.append("=\u00a0"); // "=" never ends a line
        return segmentLine(chunk);
      });
    }
    entry.steps.forEach((segments, k) => updates[k](segments));
    setNumber(value, { value: entry.value });
    // A diverging bar from the centre: positive to the right (red), negative to the left (blue).
    const half = scale > 0 ? (50 * Math.min(Math.abs(entry.value), scale)) / scale : 0;
    bar.style.width = `${half}%`;
    bar.style.left = entry.value >= 0 ? "50%" : `${50 - half}%`;
    bar.classList.toggle("step-bar-negative", entry.value < 0);
  };
}

function percent(prob) {
  return prob < 0.0005 ? "<0.1 %" : `${(prob * 100).toFixed(1)} %`;
}

function renderPredictions(list, note, predictions) {
  if (predictions === null) {
    list.replaceChildren();
    note.textContent = "";
    return;
  }
  note.textContent = predictions?.length ? "" : "no predictions for this step";
  list.replaceChildren(...(predictions ?? []).map(({ token, prob }) => {
    const item = el("li", "step-prediction");
    el("span", "step-prediction-token", item, displayToken(token));
    const track = el("div", "step-bar-track", item);
    el("div", "step-bar step-bar-prob", track).style.width = `${Math.max(0, Math.min(1, prob)) * 100}%`;
    el("span", "num step-prediction-prob", item, percent(prob)).title = String(prob);
    return item;
  }));
}

/**
 * View over a container element: render({step, unit, layer, predictions, numSteps}) shows unit
 * `unit` of the /api/step JSON `step`; `predictions` is [{token, prob}] after this step, or null
 * when the model has no decoder; `layer` (0-based, default step.layer) is shown 1-based like the
 * page's layer menu; `numSteps` (optional) disables "next token" on the last one. clear(message)
 * shows a message instead. bind("select-step", fn) and bind("select-unit", fn) hear the panel's
 * ◀ ▶ buttons: fn gets the 0-based step or unit asked for.
 */
export function createStepDetail(container) {
  const root = el("section", "step-detail", container);
  const head = el("div", "step-head", root);
  const heading = el("h3", "step-heading", head);
  const nav = el("div", "step-nav", head);
  nav.setAttribute("role", "group");
  nav.setAttribute("aria-label", "Move to another token or unit");
  const buttons = [
    ["step", -1, "◀ token"], ["step", 1, "token ▶"], ["unit", -1, "◀ unit"], ["unit", 1, "unit ▶"],
  ].map(([key, delta, text]) => {
    const button = el("button", "step-nav-button", nav, text);
    button.type = "button";
    return { key, delta, button };
  });
  const empty = el("p", "step-empty", root);
  empty.setAttribute("role", "status");
  const warning = el("p", "step-warning", root);
  warning.setAttribute("role", "alert");

  // The picture and the memory first (on the left, or on top in a narrow panel), then the maths.
  const body = el("div", "step-body", root);
  const pictures = el("div", "step-col", body);
  const figure = el("figure", "step-cell", pictures);
  const diagram = createCellDiagram(figure);
  const caption = el("figcaption", "step-note", figure);
  el("h4", "step-subheading", pictures, "Memory ledger");
  const ledgerList = el("ol", "step-ledger", pictures);
  const ledger = Array.from({ length: 5 }, () => createLedgerRow(ledgerList));

  const maths = el("div", "step-col", body);
  el("h4", "step-subheading", maths, "Why these numbers");
  const equationList = el("ol", "step-equations", maths);
  const equations = Array.from({ length: 6 }, () => createEquation(equationList));
  const legend = el("p", "step-note", maths);
  legend.append("input = W·x", el("sub", "", null, "t"), " (");
  const inputSource = el("span", "", legend);
  legend.append("), recurrent = W·h", el("sub", "", null, "t−1"), " (from the previous step), bias = b. "
    + "Rounded to 3 decimals: hover a number for its full value.");
  // A vanilla RNN (cell "rnn") has no gates and no cell: one equation, and a note on what it lacks.
  const rnnBody = el("div", "step-col step-rnn", root);
  el("h4", "step-subheading", rnnBody, "Why this number");
  const rnnList = el("ol", "step-equations", rnnBody);
  const rnnEq = createEquation(rnnList);
  const rnnNote = el("p", "step-note", rnnBody);
  const predictionsHeading = el("h4", "step-subheading", maths);
  const predictionList = el("ol", "step-predictions", maths);
  const predictionNote = el("p", "step-note", maths);


  const handlers = { "select-step": [], "select-unit": [] };
  let current = null;
  for (const { key, delta, button } of buttons) {
    button.addEventListener("click", () => {
      if (current === null) return;
      for (const handler of handlers[`select-${key}`]) handler(current[key] + delta);
    });
  }

  function show(showBody, rnn = false) {
    body.hidden = !showBody;
    for (const node of [pictures, ...maths.children]) {
      if (![predictionsHeading, predictionList, predictionNote].includes(node)) node.hidden = rnn;
    }
    rnnBody.hidden = !showBody || !rnn;
    nav.hidden = !showBody;
    empty.hidden = showBody;
    if (!showBody) warning.hidden = true;
  }

  function render({ step, unit, layer = step.layer, predictions = null, numSteps }) {
    const rnn = step.cell === "rnn";
    const n = rnn ? rnnStepNumbers(step, unit) : stepNumbers(step, unit);
    const t = step.step;
    const token = `“${displayToken(step.token.text)}”`;
    current = { step: t, unit };
    heading.textContent = stepHeading({ t, T: numSteps ?? null, token: displayToken(step.token.text), unit, layer });
    heading.dataset.step = String(t); // 0-based, as the API's: a hook for tests and tools
    heading.dataset.unit = String(unit);
    const limits = { step: [0, numSteps === undefined ? Infinity : numSteps - 1], unit: [0, n.H - 1] };
    for (const { key, delta, button } of buttons) {
      const target = current[key] + delta;
      button.disabled = target < limits[key][0] || target > limits[key][1];
      button.title = button.disabled ? "" : key === "step" ? tokenPlace(target, numSteps ?? null) : `unit ${target}`;
    }

    if (rnn) {
      rnnEq(rnnEquation(n));
      rnnNote.textContent = `A vanilla RNN has no gates and no cell state: h is all it carries, and `
        + `hₜ₋₁ = ${formatNumber(n.h_prev)} enters only through W·hₜ₋₁, squashed by tanh at every step. `
        + "Rounded to 3 decimals: hover a number for its full value.";
    } else {
      stepEquations(n).forEach((eq, k) => equations[k](eq));
      const rows = ledgerRows(n);
      const scale = Math.max(...rows.map((r) => Math.abs(r.value)));
      rows.forEach((entry, k) => ledger[k](entry, scale));
    }

    const problems = rnn ? checkRnnStep(n) : checkStep(n);
    warning.hidden = problems.length === 0;
    warning.textContent = problems.length
      ? `These numbers do not add up, which should never happen: ${problems.join("; ")}.` : "";

    inputSource.textContent = layer > 0 ? `from layer ${layer}, the layer below` : "from the token";
    if (!rnn) diagram.update(n, { token: displayToken(step.token.text), layer });
    caption.textContent = `Unit ${unit} inside the cell (after colah's diagram). Boxes are tinted by their `
      + "value: σ gates from 0 (dark) to 1 (yellow), the tanh candidate from −1 (blue) to 1 (red).";
    predictionsHeading.textContent = `Next token after ${token}`;
    // A model without a decoder predicts nothing: its predictions section is hidden, not left empty.
    for (const node of [predictionsHeading, predictionList, predictionNote]) node.hidden = predictions === null;
    renderPredictions(predictionList, predictionNote, predictions);
    if (rnn) rnnBody.append(predictionsHeading, predictionList, predictionNote);
    else maths.append(predictionsHeading, predictionList, predictionNote);
    show(true, rnn);
  }

  function clear(message = DEFAULT_EMPTY) {
    current = null;
    heading.textContent = "Step detail";
    delete heading.dataset.step;
    delete heading.dataset.unit;
    empty.textContent = message;
    show(false);
  }

  function bind(event, handler) {
    if (!(event in handlers)) throw new Error(`unknown event ${event}: use one of ${Object.keys(handlers)}`);
    handlers[event].push(handler);
  }

  clear();
  return { render, clear, bind };
}
