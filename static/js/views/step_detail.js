// The step detail: for token t and unit u of a layer, "why this number" — the cell's equations with this
// step's numbers, its memory ledger, its cell diagram after colah's annotated with the values (drawn by
// step_diagram.js), and the next-token predictions. Any cell: what it computes comes from its spec
// (/api/models `cell_spec`: gates, activations, equations, ledger, diagram), never from its name. A view: it
// never fetches and never reads the URL. Text from the server (tokens) goes in through textContent only.
// Steps count from 0 as in the API; people read them from 1, as the player and the token strip say them
// ("Token 13 of 19").
import {
  checkStep, formatNumber, formatTerm, ledgerRows, stepEquations, stepHeading, stepNumbers,
} from "../core/step_numbers.js";
import { displayToken, tokenPlace } from "../core/tokens.js";
import { createEvents, el } from "./dom.js";
import { createCellDiagram, SUBSCRIPT } from "./step_diagram.js";

const DEFAULT_EMPTY = "Pick a token and a unit to see how this step's numbers come about.";

/** Append "f_t ⊙ c_{t−1}" to parent with the subscripts as <sub> elements. */
function appendMath(parent, text) {
  for (const [k, part] of text.split(SUBSCRIPT).entries()) {
    if (k % 2 === 0) parent.append(part);
    else el("sub", "", part.replace(/^\{|\}$/g, ""), parent);
  }
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
        else spans.push(el("span", "num", undefined, parent));
      }
    }
    segments.filter((s) => typeof s !== "string").forEach((s, k) => setNumber(spans[k], s));
  };
}

function createEquation(list) {
  const item = el("li", "step-eq", undefined, list);
  const label = el("div", "step-eq-label", undefined, item);
  const line = el("div", "step-eq-line", undefined, item);
  const lhs = el("span", "step-eq-lhs", undefined, line);
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
        const chunk = el("span", last ? "step-eq-chunk step-eq-result" : "step-eq-chunk", undefined, line);
        chunk.append("=\u00a0"); // "=" never ends a line
        return segmentLine(chunk);
      });
    }
    eq.steps.forEach((segments, k) => chunks[k](segments));
  };
}

function createLedgerRow(list) {
  const row = el("li", "step-ledger-row", undefined, list);
  const words = el("div", "step-ledger-words", undefined, row);
  const name = el("span", "step-ledger-name", undefined, words);
  const formula = el("span", "step-ledger-formula", undefined, words);
  const value = el("span", "num step-ledger-value", undefined, row);
  const track = el("div", "step-bar-track step-bar-signed", undefined, row);
  const bar = el("div", "step-bar", undefined, track);
  let updates = null;
  return (entry, scale, last) => {
    row.dataset.quantity = entry.key;
    row.classList.toggle("step-ledger-total", last); // the memory after the step: ruled off above
    if (updates === null) {
      name.textContent = entry.label;
      appendMath(el("span", "step-eq-chunk", undefined, formula), entry.formula);
      updates = entry.steps.map(() => {
        formula.append(" ");
        const chunk = el("span", "step-eq-chunk", undefined, formula);
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

function renderPredictions(list, note, predictions, explain) {
  if (predictions === null) {
    list.replaceChildren();
    note.textContent = "";
    return;
  }
  note.textContent = predictions?.length ? "" : "no predictions for this step";
  list.replaceChildren(...(predictions ?? []).map(({ token, prob }) => {
    const item = el("li", "step-prediction");
    // The word is a button: "why this one?" tints the words before it by how much they pushed toward it.
    const why = el("button", "step-prediction-token", displayToken(token), item);
    why.type = "button";
    why.title = `why “${displayToken(token)}”? tint the words by how much they pushed toward it`;
    why.addEventListener("click", () => explain(token));
    const track = el("div", "step-bar-track", undefined, item);
    el("div", "step-bar step-bar-prob", undefined, track).style.width = `${Math.max(0, Math.min(1, prob)) * 100}%`;
    el("span", "num step-prediction-prob", percent(prob), item).title = String(prob);
    return item;
  }));
}

/** "A vanilla (tanh) RNN: h_t = …, no gates, h is its only memory." from the cell's description. */
function describe(cell) {
  const text = cell.description ?? "";
  return text ? `${text[0].toUpperCase()}${text.slice(1)}.` : "";
}

/**
 * View over a container element: render({step, unit, layer, predictions, numSteps, cell}) shows unit
 * `unit` of the /api/step JSON `step` of a model whose cell spec is `cell` (/api/models `cell_spec`);
 * `predictions` is [{token, prob}] after this step, or null when the model has no decoder; `layer`
 * (0-based, default step.layer) is shown 1-based like the page's layer menu; `numSteps` (optional)
 * disables "next token" on the last one. clear(message) shows a message instead. bind("select-step", fn)
 * and bind("select-unit", fn) hear the panel's ◀ ▶ buttons: fn gets the 0-based step or unit asked for;
 * bind("explain", fn) a click on a predicted token: fn gets the token.
 */
export function createStepDetail(container) {
  const events = createEvents(["select-step", "select-unit", "explain"]);
  const root = el("section", "step-detail", undefined, container);
  const head = el("div", "step-head", undefined, root);
  const heading = el("h3", "step-heading", undefined, head);
  const nav = el("div", "step-nav", undefined, head);
  nav.setAttribute("role", "group");
  nav.setAttribute("aria-label", "Move to another token or unit");
  const buttons = [
    ["step", -1, "◀ token"], ["step", 1, "token ▶"], ["unit", -1, "◀ unit"], ["unit", 1, "unit ▶"],
  ].map(([key, delta, text]) => {
    const button = el("button", "step-nav-button", text, nav);
    button.type = "button";
    return { key, delta, button };
  });
  const empty = el("p", "step-empty", undefined, root);
  empty.setAttribute("role", "status");
  const warning = el("p", "step-warning", undefined, root);
  warning.setAttribute("role", "alert");

  // The picture and the memory first (on the left, or on top in a narrow panel), then the maths.
  const body = el("div", "step-body", undefined, root);
  const pictures = el("div", "step-col step-pictures", undefined, body);
  const figure = el("figure", "step-cell", undefined, pictures);
  const caption = el("figcaption", "step-note", undefined, figure);
  const ledgerHeading = el("h4", "step-subheading", "Memory ledger", pictures);
  const ledgerList = el("ol", "step-ledger", undefined, pictures);

  const maths = el("div", "step-col step-maths", undefined, body);
  const mathsHeading = el("h4", "step-subheading", "Why these numbers", maths);
  const equationList = el("ol", "step-equations", undefined, maths);
  const cellNote = el("p", "step-note step-cell-note", undefined, maths); // a cell without a picture, in words
  const legend = el("p", "step-note", undefined, maths);
  legend.append("input = W·x", el("sub", "", "t"), " (");
  const inputSource = el("span", "", undefined, legend);
  legend.append("), recurrent = W·h", el("sub", "", "t−1"), " (from the previous step), bias = b. ");
  const partsNote = el("span", "", undefined, legend); // the cell's own reading of the split (cell_spec.parts_note)
  legend.append(" Rounded to 3 decimals: hover a number for its full value.");
  const predictionsHeading = el("h4", "step-subheading", undefined, maths);
  const predictionList = el("ol", "step-predictions", undefined, maths);
  const predictionNote = el("p", "step-note", undefined, maths);

  // What is built for the cell drawn last: its equations' and ledger's rows and its diagram, rebuilt for
  // another cell (a model of another kind, or other activations).
  let built = null; // {spec, equations: [update], ledger: [update], diagram}
  function build(spec) {
    if (built && built.spec === spec) return built;
    equationList.replaceChildren();
    ledgerList.replaceChildren();
    figure.replaceChildren(caption);
    partsNote.textContent = spec.parts_note ?? "";
    const count = spec.gates.length + (spec.equations ?? []).length;
    const diagram = createCellDiagram(figure, spec.diagram);
    if (diagram) figure.prepend(figure.lastChild); // the picture above its caption
    built = {
      spec,
      equations: Array.from({ length: count }, () => createEquation(equationList)),
      ledger: Array.from({ length: (spec.ledger ?? []).length }, () => createLedgerRow(ledgerList)),
      diagram,
    };
    root.dataset.cell = spec.name;
    return built;
  }

  let current = null;
  for (const { key, delta, button } of buttons) {
    button.addEventListener("click", () => {
      if (current !== null) events.emit(`select-${key}`, current[key] + delta);
    });
  }

  function show(showBody) {
    body.hidden = !showBody;
    nav.hidden = !showBody;
    empty.hidden = showBody;
    if (!showBody) warning.hidden = true;
  }

  function render({ step, unit, layer = step.layer, predictions = null, numSteps, cell }) {
    const parts = build(cell);
    const n = stepNumbers(step, unit, cell);
    const t = step.step;
    const token = displayToken(step.token.text);
    current = { step: t, unit };
    heading.textContent = stepHeading({ t, T: numSteps ?? null, token, unit, layer });
    heading.dataset.step = String(t); // 0-based, as the API's: a hook for tests and tools
    heading.dataset.unit = String(unit);
    const limits = { step: [0, numSteps === undefined ? Infinity : numSteps - 1], unit: [0, n.H - 1] };
    for (const { key, delta, button } of buttons) {
      const target = current[key] + delta;
      button.disabled = target < limits[key][0] || target > limits[key][1];
      button.title = button.disabled ? "" : key === "step" ? tokenPlace(target, numSteps ?? null) : `unit ${target}`;
    }

    const equations = stepEquations(n, cell);
    equations.forEach((eq, k) => parts.equations[k](eq));
    mathsHeading.textContent = equations.length === 1 ? "Why this number" : "Why these numbers";
    const rows = ledgerRows(n, cell);
    const scale = Math.max(0, ...rows.map((r) => Math.abs(r.value)));
    rows.forEach((entry, k) => parts.ledger[k](entry, scale, k === rows.length - 1));
    ledgerHeading.hidden = ledgerList.hidden = rows.length === 0;

    const problems = checkStep(n, cell);
    warning.hidden = problems.length === 0;
    warning.textContent = problems.length
      ? `These numbers do not add up, which should never happen: ${problems.join("; ")}.` : "";

    inputSource.textContent = layer > 0 ? `from layer ${layer}, the layer below` : "from the token";
    figure.hidden = !parts.diagram;
    pictures.hidden = !parts.diagram && rows.length === 0;
    if (parts.diagram) {
      parts.diagram.update(n, { token, layer, cell });
      caption.textContent = `Unit ${unit} inside the cell (after colah's diagram). ${parts.diagram.caption}`;
    }
    // Without a picture, the cell in words and the state it starts from.
    cellNote.hidden = Boolean(parts.diagram);
    if (!parts.diagram) {
      cellNote.replaceChildren();
      appendMath(cellNote, `${describe(cell)} Before this step: `);
      cell.states.forEach((s, k) => {
        appendMath(cellNote, `${k ? ", " : ""}${s}_{t−1} = `);
        setNumber(el("span", "num", undefined, cellNote), { value: n.numbers[`${s}_prev`] });
      });
      cellNote.append(".");
    }
    predictionsHeading.textContent = `Next token after “${token}”`;
    // A model without a decoder predicts nothing: its predictions section is hidden, not left empty.
    for (const node of [predictionsHeading, predictionList, predictionNote]) node.hidden = predictions === null;
    renderPredictions(predictionList, predictionNote, predictions, (token) => events.emit("explain", token));
    show(true);
  }

  function clear(message = DEFAULT_EMPTY) {
    current = null;
    heading.textContent = "Step detail";
    delete heading.dataset.step;
    delete heading.dataset.unit;
    empty.textContent = message;
    show(false);
  }

  clear();
  return { render, clear, bind: events.bind };
}
