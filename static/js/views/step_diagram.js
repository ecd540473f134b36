// The cell diagrams of the step detail, after colah's "Understanding LSTM Networks": one cell as inline SVG
// in a 700×410 box, its gate boxes tinted on the heatmaps' scales and its states and products labelled with
// this step's numbers. A cell's spec names its diagram (`cell_spec.diagram`: "lstm", "gru" or null), and
// DIAGRAMS maps that name to its drawer; a cell without one (a vanilla RNN) has no picture. Built once,
// then updated; user text (the token) goes in through textContent only.
import { activationOf, formatNumber } from "../core/step_numbers.js";
import { divergingColor, readableTextColor, sequentialColor } from "../core/colors.js";

// "f_t" and "c_{t−1}": the capture is the subscript, so split() alternates text and subscripts.
// Exported so that step_detail.js reads the equations' notation the same way.
export const SUBSCRIPT = /_(\{[^}]*\}|[^\s{(])/;

const SVG_NS = "http://www.w3.org/2000/svg";
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

/** A gate box's fill, on the heatmaps' scales: Viridis for a gate in 0..1, RdBu for a tanh value in −1..1. */
function gateTint(cell, gate, value) {
  const fill = cell.panels[gate]?.scale === "gate" ? sequentialColor(value) : divergingColor(value, 1);
  return { fill, ink: readableTextColor(fill) };
}

/** "forget gate f — what is kept", as the heatmaps title a quantity. */
function titleOf(cell, key) {
  const p = cell.panels[key];
  return p ? `${p.title} ${p.symbol} — ${p.plain}` : key;
}

/** The parts every diagram has: the svg, its arrow marker, wires, nodes, gate boxes and the x_t label. */
function canvas(parent, kind) {
  const root = svg("svg", { viewBox: "0 0 700 410", class: `step-cell-svg step-cell-${kind}`, role: "img" }, parent);
  root.dataset.diagram = kind;
  const arrow = `step-arrow-${++markerCount}`;
  const marker = svg("marker", { id: arrow, viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7,
    markerHeight: 7, orient: "auto-start-reverse" }, svg("defs", {}, root));
  svg("path", { d: "M0 0 L10 5 L0 10 z", class: "cell-arrow" }, marker);

  const wire = (d, arrowHead = false) => {
    const path = svg("path", { d, class: "cell-wire" }, root);
    if (arrowHead) path.setAttribute("marker-end", `url(#${arrow})`);
    return path;
  };
  const node = (x, y, symbol, cls, r = 15) => {
    const group = svg("g", { class: `cell-node ${cls}` }, root);
    svg("circle", { cx: x, cy: y, r }, group);
    svg("text", { x, y: y + 6, class: "cell-node-symbol" }, group).textContent = symbol;
    return svg("title", {}, group);
  };
  const gateBox = (gate, x, y) => {
    const group = svg("g", { class: "cell-gate" }, root);
    group.dataset.gate = gate;
    const rect = svg("rect", { x: x - BOX.w / 2, y, width: BOX.w, height: BOX.h, rx: 6 }, group);
    const symbol = svg("text", { x, y: y + 21, class: "cell-gate-symbol" }, group);
    const value = svg("text", { x, y: y + 45, class: "cell-gate-value" }, group);
    svgMath(root, { x: x - 8, y: y - 14, class: "cell-label cell-end" }, `${gate}_t`);
    return { rect, symbol, value, title: svg("title", {}, group) };
  };
  const text = (x, y, cls) => svg("text", { x, y, class: cls }, root);
  const input = svg("text", { x: 130, y: 404, class: "cell-label" }, root);

  /** Tint a gate's box and write its activation and value. */
  function paintGate(box, cell, gate, p) {
    const { fill, ink } = gateTint(cell, gate, p.value);
    box.rect.style.fill = fill;
    box.symbol.style.fill = ink;
    box.value.style.fill = ink;
    box.symbol.textContent = activationOf(p.activation).name;
    box.value.textContent = formatNumber(p.value);
    box.title.textContent = `${titleOf(cell, gate)}: ${p.value}`;
  }

  /** Layer 0 reads the token; a higher layer reads the layer below's h at the same step. */
  function paintInput(token, layer) {
    if (layer > 0) {
      fillMath(input, `x_t = h_t of layer ${layer}`);
      return;
    }
    fillMath(input, "x_t "); // ends in plain text, so the token tspan needs no shift back
    // User text: never parsed for subscripts; cut so that it stays inside the picture.
    const chars = Array.from(token);
    const cut = chars.length > MAX_LABEL_CHARS;
    const shown = cut ? `${chars.slice(0, MAX_LABEL_CHARS - 1).join("")}…` : token;
    svg("tspan", {}, input).textContent = `“${shown}”`;
  }

  return { root, wire, node, gateBox, text, paintGate, paintInput, math: (attrs, t) => svgMath(root, attrs, t) };
}

/**
 * An LSTM cell: c_{t−1} along the top through the forget gate's × and the write's +, h_{t−1} and x_t along
 * the bottom into the four gates, h_t out through o ⊙ tanh(c_t). update(n, {token, layer, cell}) shows the
 * numbers `n` of step_numbers.js's stepNumbers(); `token` (display text) labels x_t on layer 0, while a
 * higher `layer` (0-based) reads the layer below's h.
 */
function lstmDiagram(parent) {
  const X = { f: 180, i: 275, g: 370, o: 470, out: 560, start: 84, end: 620, right: 696 };
  const Y = { cell: 70, tanh: 140, write: 190, out: 222, box: 258, boxBottom: 314, bus: 360 };
  const d = canvas(parent, "lstm");
  d.wire(`M${X.start} ${Y.cell} H${X.end}`, true); // the cell state, c_{t−1} -> c_t
  d.wire(`M${X.f} ${Y.box} V${Y.cell}`);
  d.wire(`M${X.i} ${Y.box} V${Y.write} H${X.g}`);
  d.wire(`M${X.g} ${Y.box} V${Y.cell}`);
  d.wire(`M${X.o} ${Y.box} V${Y.out} H${X.out}`);
  d.wire(`M${X.out} ${Y.cell} V${Y.out}`);
  d.wire(`M${X.out} ${Y.out} V${Y.bus} H${X.end}`, true); // h_t
  d.wire(`M${X.start} ${Y.bus} H${X.o}`); // [h_{t−1}, x_t] to every gate
  d.wire(`M120 410 V${Y.bus}`); // x_t from below
  for (const gate of ["f", "i", "g", "o"]) d.wire(`M${X[gate]} ${Y.bus} V${Y.boxBottom}`);

  const nodeTitles = {
    kept: d.node(X.f, Y.cell, "×", "cell-node-forget"),
    c: d.node(X.g, Y.cell, "+", "cell-node-add"),
    written: d.node(X.g, Y.write, "×", "cell-node-write"),
    h: d.node(X.out, Y.out, "×", "cell-node-out"),
  };
  const squash = svg("g", { class: "cell-node cell-node-tanh" }, d.root);
  svg("ellipse", { cx: X.out, cy: Y.tanh, rx: 32, ry: 17 }, squash);
  svg("text", { x: X.out, y: Y.tanh + 6, class: "cell-node-symbol" }, squash).textContent = "tanh";
  const tanhTitle = svg("title", {}, squash);

  const boxes = Object.fromEntries(["f", "i", "g", "o"].map((gate) => [gate, d.gateBox(gate, X[gate], Y.box)]));
  d.math({ x: 8, y: Y.cell - 4, class: "cell-label" }, "c_{t−1}");
  d.math({ x: X.right, y: Y.cell - 4, class: "cell-label cell-end" }, "c_t");
  d.math({ x: 8, y: Y.bus - 4, class: "cell-label" }, "h_{t−1}");
  d.math({ x: X.right, y: Y.bus - 4, class: "cell-label cell-end" }, "h_t");
  const values = {
    c_prev: d.text(8, Y.cell + 22, "cell-value"),
    c: d.text(X.right, Y.cell + 22, "cell-value cell-end"),
    h: d.text(X.right, Y.bus + 22, "cell-value cell-end"),
    units: d.text(8, Y.bus + 22, "cell-note"),
    kept: d.text((X.f + X.g) / 2, Y.cell - 10, "cell-note cell-middle"),
    written: d.text(X.g + 10, Y.write - 50, "cell-note"),
    tanh_c: d.text(X.out + 38, Y.tanh + 6, "cell-note"),
  };

  return {
    caption: "Boxes are tinted by their value: σ gates from 0 (dark) to 1 (yellow), the tanh candidate from −1 "
      + "(blue) to 1 (red).",
    update(n, { token, layer, cell }) {
      const v = n.numbers;
      for (const gate of ["f", "i", "g", "o"]) d.paintGate(boxes[gate], cell, gate, n.gates[gate]);
      values.c_prev.textContent = formatNumber(v.c_prev);
      values.c.textContent = formatNumber(v.c);
      values.h.textContent = formatNumber(v.h);
      values.units.textContent = `all ${n.H} units`;
      values.kept.textContent = `kept ${formatNumber(v.kept)}`;
      values.written.textContent = `written ${formatNumber(v.written)}`;
      values.tanh_c.textContent = formatNumber(v.tanh_c);
      nodeTitles.kept.textContent = `kept = f ⊙ c(t−1) = ${v.kept}; forgotten = ${v.forgotten}`;
      nodeTitles.written.textContent = `written = i ⊙ g = ${v.written}`;
      nodeTitles.c.textContent = `c(t) = kept + written = ${v.c}`;
      nodeTitles.h.textContent = `h(t) = o ⊙ tanh(c(t)) = ${v.h}`;
      tanhTitle.textContent = `tanh(c(t)) = ${v.tanh_c}`;
      d.paintInput(token, layer);
      d.root.setAttribute("aria-label", `LSTM cell, unit ${n.u}: c(t−1) ${formatNumber(v.c_prev)}, `
        + `f ${formatNumber(n.gates.f.value)}, i ${formatNumber(n.gates.i.value)}, `
        + `g ${formatNumber(n.gates.g.value)}, o ${formatNumber(n.gates.o.value)}, `
        + `c(t) ${formatNumber(v.c)}, h(t) ${formatNumber(v.h)}`);
    },
  };
}

/**
 * A GRU cell (PyTorch's nn.GRU): h_{t−1} along the top, kept by the update gate's × (z ⊙ h_{t−1}), and the
 * candidate's write ((1 − z) ⊙ n) added at the + to give h_t; below, the reset gate r scales what the
 * candidate reads of h_{t−1} (its × node), and x_t feeds r, z and the candidate n. update(n, {token, layer,
 * cell}) as for the LSTM.
 */
function gruDiagram(parent) {
  const X = { r: 170, z: 290, n: 470, one: 380, down: 100, start: 84, end: 620, right: 696, into: 400 };
  const Y = { state: 70, blend: 140, reset: 200, box: 258, boxMid: 286, boxBottom: 314, bus: 356, input: 378 };
  const HOP = 8; // half the width of the reset wire's hop over the update gate's wire
  const d = canvas(parent, "gru");
  d.wire(`M${X.start} ${Y.state} H${X.end}`, true); // the hidden state, h_{t−1} -> h_t
  d.wire(`M${X.down} ${Y.state} V${Y.bus} H${X.z}`); // h_{t−1} down to the gates r and z
  d.wire(`M120 410 V${Y.bus}`); // x_t from below into r and z ...
  d.wire(`M120 ${Y.input} H${X.n} V${Y.boxBottom}`, true); // ... and into the candidate
  for (const gate of ["r", "z"]) d.wire(`M${X[gate]} ${Y.bus} V${Y.boxBottom}`);
  d.wire(`M${X.r} ${Y.box} V${Y.reset + 15}`); // r up to its ×
  d.wire(`M${X.down} ${Y.reset} H${X.r - 15}`); // h_{t−1} into r's ×
  // r ⊙ h_{t−1} to the candidate's side, hopping over z's wire.
  d.wire(`M${X.r + 15} ${Y.reset} H${X.z - HOP} A${HOP} ${HOP} 0 0 1 ${X.z + HOP} ${Y.reset} H${X.into} `
    + `V${Y.boxMid} H${X.n - BOX.w / 2}`, true);
  d.wire(`M${X.z} ${Y.box} V${Y.state + 15}`); // z up to the keeping ×
  d.wire(`M${X.z} ${Y.blend} H${X.one - 17}`); // z to 1 − z ...
  d.wire(`M${X.one + 17} ${Y.blend} H${X.n - 15}`); // ... to the writing ×
  d.wire(`M${X.n} ${Y.box} V${Y.blend + 15}`); // n up to the writing ×
  d.wire(`M${X.n} ${Y.blend - 15} V${Y.state + 15}`); // the write up to the +

  const nodeTitles = {
    kept: d.node(X.z, Y.state, "×", "cell-node-forget"),
    h: d.node(X.n, Y.state, "+", "cell-node-add"),
    written: d.node(X.n, Y.blend, "×", "cell-node-write"),
    reset: d.node(X.r, Y.reset, "×", "cell-node-reset"),
  };
  const oneMinus = svg("g", { class: "cell-node cell-node-one" }, d.root);
  svg("ellipse", { cx: X.one, cy: Y.blend, rx: 17, ry: 15 }, oneMinus);
  svg("text", { x: X.one, y: Y.blend + 6, class: "cell-node-symbol" }, oneMinus).textContent = "1−";
  const oneTitle = svg("title", {}, oneMinus);

  const boxes = Object.fromEntries(["r", "z", "n"].map((gate) => [gate, d.gateBox(gate, X[gate], Y.box)]));
  d.math({ x: 8, y: Y.state - 4, class: "cell-label" }, "h_{t−1}");
  d.math({ x: X.right, y: Y.state - 4, class: "cell-label cell-end" }, "h_t");
  const values = {
    h_prev: d.text(8, Y.state + 26, "cell-value"),
    h: d.text(X.right, Y.state + 26, "cell-value cell-end"),
    units: d.text(8, Y.bus + 26, "cell-note"),
    kept: d.text((X.z + X.n) / 2, Y.state - 10, "cell-note cell-middle"),
    written: d.text(X.n + 22, Y.blend + 6, "cell-note"),
    oneMinus: d.text(X.one, Y.blend - 22, "cell-note cell-middle"),
  };

  return {
    caption: "Boxes are tinted by their value: the σ gates r and z from 0 (dark) to 1 (yellow), the tanh "
      + "candidate n from −1 (blue) to 1 (red). z keeps h, 1 − z writes n.",
    update(n, { token, layer, cell }) {
      const v = n.numbers;
      const { r, z } = n.gates;
      for (const gate of ["r", "z", "n"]) d.paintGate(boxes[gate], cell, gate, n.gates[gate]);
      values.h_prev.textContent = formatNumber(v.h_prev);
      values.h.textContent = formatNumber(v.h);
      values.units.textContent = `all ${n.H} units`;
      values.kept.textContent = `kept ${formatNumber(v.kept)}`;
      values.written.textContent = `written ${formatNumber(v.written)}`;
      values.oneMinus.textContent = formatNumber(1 - z.value);
      nodeTitles.kept.textContent = `kept = z ⊙ h(t−1) = ${v.kept}; forgotten = (1 − z) ⊙ h(t−1) = ${v.forgotten}`;
      nodeTitles.written.textContent = `written = (1 − z) ⊙ n = ${v.written}`;
      nodeTitles.h.textContent = `h(t) = kept + written = ${v.h}`;
      nodeTitles.reset.textContent = `the reset gate r = ${r.value} scales what the candidate reads of h(t−1)`;
      oneTitle.textContent = `1 − z = ${1 - z.value}`;
      d.paintInput(token, layer);
      d.root.setAttribute("aria-label", `GRU cell, unit ${n.u}: h(t−1) ${formatNumber(v.h_prev)}, `
        + `r ${formatNumber(r.value)}, z ${formatNumber(z.value)}, n ${formatNumber(n.gates.n.value)}, `
        + `h(t) ${formatNumber(v.h)}`);
    },
  };
}

/** The diagram drawers by the name a cell spec gives (`cell_spec.diagram`). */
export const DIAGRAMS = Object.freeze({ lstm: lstmDiagram, gru: gruDiagram });

/**
 * The diagram called `name` drawn into parent: {caption, update(n, {token, layer, cell})}, or null when there
 * is no such drawer (a cell without a diagram: name null).
 */
export function createCellDiagram(parent, name) {
  const draw = name ? DIAGRAMS[name] : undefined;
  return draw ? draw(parent) : null;
}
