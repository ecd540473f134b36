// The step detail: for token t and unit u of a layer, "why this number" — the six equations with
// this step's numbers, the memory ledger, colah's cell diagram annotated with the values, and the
// next-token predictions. A view: it never fetches and never reads the URL. Text from the server
// (tokens) goes in through textContent only.
import {
  checkStep, formatNumber, formatTerm, LABELS, ledgerRows, stepEquations, stepNumbers,
} from "./step_numbers.js";
import { divergingColor, readableTextColor, sequentialColor } from "./colors.js";
import { displayToken } from "./tokens.js";

const HTML_NS = "http://www.w3.org/1999/xhtml";
// "f_t" and "c_{t−1}": the capture is the subscript, so split() alternates text and subscripts.
const SUBSCRIPT = /_(\{[^}]*\}|[^\s{(])/;
const DEFAULT_EMPTY = "Pick a token and a unit to see how this step's numbers come about.";

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
        chunk.append("= ");
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
        chunk.append("= ");
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

// ---- The cell diagram (after colah's "Understanding LSTM Networks"), inline SVG in a 700×410 box.

const SVG_NS = "http://www.w3.org/2000/svg";
const X = { f: 180, i: 275, g: 370, o: 470, out: 560, start: 84, end: 620, right: 696 };
const Y = { cell: 70, tanh: 140, write: 190, out: 222, box: 258, boxBottom: 314, bus: 360 };
const BOX = { w: 80, h: 56 };
const MAX_LABEL_CHARS = 24; // of the token under x_t, so that it stays inside the viewBox
let markerCount = 0; // marker ids must be unique in the page, even with two panels

function svg(tag, attrs, parent) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
  if (parent) parent.append(node);
  return node;
}

/** SVG text; "c_{t−1}" subscripts become smaller tspans lowered by `drop` user units. */
function svgMath(parent, attrs, text) {
  const node = svg("text", attrs, parent);
  fillMath(node, text);
  return node;
}

function fillMath(node, text, drop = 5) {
  node.replaceChildren();
  text.split(SUBSCRIPT).forEach((part, k) => {
    if (part === "") return;
    const sub = k % 2 === 1;
    const span = svg("tspan", sub ? { dy: drop, class: "cell-sub" } : k > 0 ? { dy: -drop } : {}, node);
    span.textContent = sub ? part.replace(/^\{|\}$/g, "") : part;
  });
}

/** A gate box's fill, on the heatmaps' scales (Viridis for σ in 0..1, RdBu for tanh in −1..1). */
function gateTint(gate, value) {
  const fill = gate === "g" ? divergingColor(value, 1) : sequentialColor(value);
  return { fill, ink: readableTextColor(fill) };
}

function cellDiagram(parent) {
  const root = svg("svg", { viewBox: "0 0 700 410", class: "step-cell-svg", role: "img" }, parent);
  const arrow = `step-arrow-${++markerCount}`;
  const marker = svg("marker", { id: arrow, viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7,
    markerHeight: 7, orient: "auto-start-reverse" }, svg("defs", {}, root));
  svg("path", { d: "M0 0 L10 5 L0 10 z", class: "cell-arrow" }, marker);

  const wire = (d, arrowHead = false) => {
    const path = svg("path", { d, class: "cell-wire" }, root);
    if (arrowHead) path.setAttribute("marker-end", `url(#${arrow})`);
  };
  wire(`M${X.start} ${Y.cell} H${X.end}`, true); // the cell state, c_{t−1} -> c_t
  wire(`M${X.f} ${Y.box} V${Y.cell}`);
  wire(`M${X.i} ${Y.box} V${Y.write} H${X.g}`);
  wire(`M${X.g} ${Y.box} V${Y.cell}`);
  wire(`M${X.o} ${Y.box} V${Y.out} H${X.out}`);
  wire(`M${X.out} ${Y.cell} V${Y.out}`);
  wire(`M${X.out} ${Y.out} V${Y.bus} H${X.end}`, true); // h_t
  wire(`M${X.start} ${Y.bus} H${X.o}`); // [h_{t−1}, x_t] to every gate
  wire(`M120 410 V${Y.bus}`); // x_t from below
  for (const gate of ["f", "i", "g", "o"]) wire(`M${X[gate]} ${Y.bus} V${Y.boxBottom}`);

  const node = (x, y, symbol, cls) => {
    const group = svg("g", { class: `cell-node ${cls}` }, root);
    svg("circle", { cx: x, cy: y, r: 15 }, group);
    svg("text", { x, y: y + 6, class: "cell-node-symbol" }, group).textContent = symbol;
    return svg("title", {}, group);
  };
  const nodeTitles = {
    kept: node(X.f, Y.cell, "×", "cell-node-forget"),
    c: node(X.g, Y.cell, "+", "cell-node-add"),
    written: node(X.g, Y.write, "×", "cell-node-write"),
    h: node(X.out, Y.out, "×", "cell-node-out"),
  };
  const squash = svg("g", { class: "cell-node cell-node-tanh" }, root);
  svg("ellipse", { cx: X.out, cy: Y.tanh, rx: 32, ry: 17 }, squash);
  svg("text", { x: X.out, y: Y.tanh + 6, class: "cell-node-symbol" }, squash).textContent = "tanh";
  const tanhTitle = svg("title", {}, squash);

  const boxes = {};
  for (const gate of ["f", "i", "g", "o"]) {
    const group = svg("g", { class: "cell-gate" }, root);
    const rect = svg("rect", { x: X[gate] - BOX.w / 2, y: Y.box, width: BOX.w, height: BOX.h, rx: 6 }, group);
    const symbol = svg("text", { x: X[gate], y: Y.box + 21, class: "cell-gate-symbol" }, group);
    symbol.textContent = gate === "g" ? "tanh" : "σ";
    const value = svg("text", { x: X[gate], y: Y.box + 45, class: "cell-gate-value" }, group);
    svgMath(root, { x: X[gate] - 8, y: Y.box - 14, class: "cell-label cell-end" }, `${gate}_t`);
    boxes[gate] = { rect, symbol, value, title: svg("title", {}, group) };
  }

  const text = (x, y, cls) => svg("text", { x, y, class: cls }, root);
  svgMath(root, { x: 8, y: Y.cell - 4, class: "cell-label" }, "c_{t−1}");
  svgMath(root, { x: X.right, y: Y.cell - 4, class: "cell-label cell-end" }, "c_t");
  svgMath(root, { x: 8, y: Y.bus - 4, class: "cell-label" }, "h_{t−1}");
  svgMath(root, { x: X.right, y: Y.bus - 4, class: "cell-label cell-end" }, "h_t");
  const values = {
    c_prev: text(8, Y.cell + 22, "cell-value"),
    c: text(X.right, Y.cell + 22, "cell-value cell-end"),
    h: text(X.right, Y.bus + 22, "cell-value cell-end"),
    units: text(8, Y.bus + 22, "cell-note"),
    kept: text((X.f + X.g) / 2, Y.cell - 10, "cell-note cell-middle"),
    written: text(X.g + 10, Y.write - 50, "cell-note"),
    tanh_c: text(X.out + 38, Y.tanh + 6, "cell-note"),
  };
  const input = svg("text", { x: 130, y: 404, class: "cell-label" }, root);

  return {
    update(n, { token, layer }) {
      for (const gate of ["f", "i", "g", "o"]) {
        const { value } = n.gates[gate];
        const { fill, ink } = gateTint(gate, value);
        const box = boxes[gate];
        box.rect.style.fill = fill;
        box.symbol.style.fill = ink;
        box.value.style.fill = ink;
        box.value.textContent = formatNumber(value);
        box.title.textContent = `${LABELS[gate]}: ${value}`;
      }
      values.c_prev.textContent = formatNumber(n.c_prev);
      values.c.textContent = formatNumber(n.c);
      values.h.textContent = formatNumber(n.h);
      values.units.textContent = `all ${n.H} units`;
      values.kept.textContent = `kept ${formatNumber(n.kept)}`;
      values.written.textContent = `written ${formatNumber(n.written)}`;
      values.tanh_c.textContent = formatNumber(n.tanh_c);
      nodeTitles.kept.textContent = `kept = f ⊙ c(t−1) = ${n.kept}; forgotten = ${n.forgotten}`;
      nodeTitles.written.textContent = `written = i ⊙ g = ${n.written}`;
      nodeTitles.c.textContent = `c(t) = kept + written = ${n.c}`;
      nodeTitles.h.textContent = `h(t) = o ⊙ tanh(c(t)) = ${n.h}`;
      tanhTitle.textContent = `tanh(c(t)) = ${n.tanh_c}`;
      // Layer 0 reads the token; a higher layer reads the layer below's h at the same step.
      if (layer > 0) {
        fillMath(input, `x_t = h_t of layer ${layer}`);
      } else {
        fillMath(input, "x_t "); // ends in plain text, so the token tspan needs no shift back
        // User text: never parsed for subscripts; cut so that it stays inside the picture.
        const chars = Array.from(token);
        const cut = chars.length > MAX_LABEL_CHARS;
        const shown = cut ? `${chars.slice(0, MAX_LABEL_CHARS - 1).join("")}…` : token;
        svg("tspan", {}, input).textContent = `“${shown}”`;
      }
      root.setAttribute("aria-label", `LSTM cell, unit ${n.u}: c(t−1) ${formatNumber(n.c_prev)}, `
        + `f ${formatNumber(n.gates.f.value)}, i ${formatNumber(n.gates.i.value)}, `
        + `g ${formatNumber(n.gates.g.value)}, o ${formatNumber(n.gates.o.value)}, `
        + `c(t) ${formatNumber(n.c)}, h(t) ${formatNumber(n.h)}`);
    },
  };
}

function percent(prob) {
  return prob < 0.0005 ? "<0.1 %" : `${(prob * 100).toFixed(1)} %`;
}

function renderPredictions(list, note, predictions) {
  if (predictions === null) {
    list.replaceChildren();
    note.textContent = "this model has no decoder";
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
  const diagram = cellDiagram(figure);
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

  function show(showBody) {
    body.hidden = !showBody;
    nav.hidden = !showBody;
    empty.hidden = showBody;
    if (!showBody) warning.hidden = true;
  }

  function render({ step, unit, layer = step.layer, predictions = null, numSteps }) {
    const n = stepNumbers(step, unit);
    const t = step.step;
    const token = `“${displayToken(step.token.text)}”`;
    current = { step: t, unit };
    heading.textContent = `Step ${t} · token ${token} · unit ${unit} · layer ${layer + 1}`;
    const limits = { step: [0, numSteps === undefined ? Infinity : numSteps - 1], unit: [0, n.H - 1] };
    for (const { key, delta, button } of buttons) {
      const target = current[key] + delta;
      button.disabled = target < limits[key][0] || target > limits[key][1];
    }

    stepEquations(n).forEach((eq, k) => equations[k](eq));
    const rows = ledgerRows(n);
    const scale = Math.max(...rows.map((r) => Math.abs(r.value)));
    rows.forEach((entry, k) => ledger[k](entry, scale));

    const problems = checkStep(n);
    warning.hidden = problems.length === 0;
    warning.textContent = problems.length
      ? `These numbers do not add up, which should never happen: ${problems.join("; ")}.` : "";

    inputSource.textContent = layer > 0 ? `from layer ${layer}, the layer below` : "from the token";
    diagram.update(n, { token: displayToken(step.token.text), layer });
    caption.textContent = `Unit ${unit} inside the cell (after colah's diagram). Boxes are tinted by their `
      + "value: σ gates from 0 (dark) to 1 (yellow), the tanh candidate from −1 (blue) to 1 (red).";
    predictionsHeading.textContent = `Next token after ${token}`;
    renderPredictions(predictionList, predictionNote, predictions);
    show(true);
  }

  function clear(message = DEFAULT_EMPTY) {
    current = null;
    heading.textContent = "Step detail";
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
