// The cell diagram of the step detail, after colah's "Understanding LSTM Networks": one LSTM cell as
// inline SVG in a 700×410 box, its gate boxes tinted on the heatmaps' scales and its states and
// products labelled with this step's numbers. Built once, then updated; user text (the token) goes in
// through textContent only.
import { activation, formatNumber, LABELS } from "./step_numbers.js";
import { divergingColor, readableTextColor, sequentialColor } from "./colors.js";

// "f_t" and "c_{t−1}": the capture is the subscript, so split() alternates text and subscripts.
// Exported so that step_detail.js reads the equations' notation the same way.
export const SUBSCRIPT = /_(\{[^}]*\}|[^\s{(])/;

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

/**
 * Draws the cell into parent. update(n, {token, layer}) shows the numbers `n` of
 * step_numbers.js's stepNumbers(); `token` (display text) labels x_t on layer 0, while a higher
 * `layer` (0-based) reads the layer below's h.
 */
export function createCellDiagram(parent) {
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
        box.symbol.textContent = activation(gate, n.recurrent_activation).name;
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
