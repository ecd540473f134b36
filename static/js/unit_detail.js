// One unit of one layer over the whole text: a line chart of its gates and states per token, and the
// text itself tinted by one of them (Karpathy's "cell that fires inside quotes" view). Created once,
// updated on render; it never fetches or reads the URL. Text goes in through textContent only.
// `Plotly` is the global of the vendored plotly.min.js, which the page loads before this module.
import { DIVERGING, VIRIDIS, cssGradient, divergingColor, readableTextColor, sequentialColor, textSegments }
  from "./colors.js";
import { displayToken } from "./tokens.js";

// Three panels over one token axis, each on the range its quantities live in, so no line is squashed
// by another's scale: gates (sigmoids, fixed 0..1), c (unbounded, zero-centred on its own largest
// |c|), g and h (tanh, fixed -1..1). Okabe–Ito colours, distinguishable with colour-blindness.
const PANELS = {
  gates: { axis: "y", layout: "yaxis", domain: [0.7, 1], title: "gates" },
  memory: { axis: "y2", layout: "yaxis2", domain: [0.37, 0.63], title: "c" },
  values: { axis: "y3", layout: "yaxis3", domain: [0, 0.3], title: "g, h" },
};
const LINES = [
  { key: "f", name: "f forget", color: "#0072b2", panel: "gates" },
  { key: "i", name: "i input", color: "#e69f00", panel: "gates" },
  { key: "o", name: "o output", color: "#009e73", panel: "gates" },
  { key: "c", name: "c cell", color: "#d55e00", panel: "memory", width: 3 },
  { key: "g", name: "g candidate", color: "#cc79a7", panel: "values", dash: "dot" },
  { key: "h", name: "h hidden", color: "#56b4e9", panel: "values" },
];
// What the text can be tinted by. g and h are tanh-bounded (-1..1); c is unbounded, so it is scaled
// by its own largest magnitude over the text, as in the heatmaps.
const TINTS = {
  c: { label: "c cell state", scale: "centred" },
  h: { label: "h hidden state", scale: "signed" },
  f: { label: "f forget gate", scale: "gate" },
  i: { label: "i input gate", scale: "gate" },
  o: { label: "o output gate", scale: "gate" },
  g: { label: "g candidate", scale: "signed" },
};
const DEFAULT_TINT = "c";
const UI_REVISION = "unit-detail";
const SELECTED_COLOR = "#0b5cad";
const READOUT_HINT = "Hover a token to read its value; click one to select that step.";
const RESIZE_DEBOUNCE_MS = 200;
// Tick labels: upright when every token is one or two characters (char models), else slanted; only
// every n-th token is labelled when they would overlap. Pixels per label, and room the axes take.
const UPRIGHT_LABEL_PX = 14;
const SLANTED_LABEL_PX = 26;
const NON_DATA_PX = 90;
const CONFIG = {
  responsive: true,
  displaylogo: false,
  modeBarButtonsToRemove: ["select2d", "lasso2d", "autoScale2d"],
};

// Plotly reads labels as pseudo-HTML; escape so a token such as "<b>" shows as typed.
function plotlyText(text) {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** Unit `unit`'s value at every step of a time-major {T, H, data} matrix. */
function column(matrix, unit) {
  return Array.from({ length: matrix.T }, (_, t) => matrix.data[t * matrix.H + unit]);
}

function maxAbs(values) {
  return values.reduce((m, v) => (Number.isFinite(v) ? Math.max(m, Math.abs(v)) : m), 0);
}

function xTicks(labels, width) {
  const room = Math.max(width - NON_DATA_PX, SLANTED_LABEL_PX);
  const upright = labels.every((label) => Array.from(label).length <= 2);
  const every = Math.max(1, Math.ceil((labels.length * (upright ? UPRIGHT_LABEL_PX : SLANTED_LABEL_PX)) / room));
  const tickvals = labels.map((_, t) => t).filter((t) => t % every === 0);
  return { tickvals, ticktext: tickvals.map((t) => plotlyText(labels[t])), tickangle: upright ? 0 : -45 };
}

function axis(panel) {
  return {
    domain: panel.domain, fixedrange: true, title: { text: panel.title, standoff: 8 },
    zeroline: true, zerolinecolor: "#8c959f", zerolinewidth: 1,
  };
}

function chartFigure(series, labels, step, width) {
  const reach = Math.max(1, maxAbs(series.c ?? [])) * 1.1; // c's axis: symmetric, at least -1..1
  const x = labels.map((_, t) => t);
  const data = LINES.filter((line) => series[line.key]).map((line) => ({
    type: "scatter",
    mode: labels.length <= 60 ? "lines+markers" : "lines",
    name: line.name,
    x,
    y: series[line.key],
    yaxis: PANELS[line.panel].axis,
    line: { color: line.color, width: line.width ?? 2.25, dash: line.dash ?? "solid" },
    marker: { size: 5, color: line.color },
    hovertemplate: `${line.name} = %{y:.3f}<extra></extra>`,
  }));
  // The unified hover's title can only show x (the step), so an invisible trace adds the token's text
  // as the first line: tick labels may be thinned, the hover never is.
  data.unshift({
    type: "scatter", mode: "markers", x, y: x.map(() => 0.5), yaxis: "y", showlegend: false,
    marker: { color: "rgba(0,0,0,0)" }, text: labels.map(plotlyText), hovertemplate: "<b>%{text}</b><extra></extra>",
  });
  const selected = Number.isInteger(step) && step >= 0 && step < labels.length;
  const shapes = !selected ? [] : [{
    type: "line", xref: "x", yref: "paper", x0: step, x1: step, y0: 0, y1: 1,
    line: { color: SELECTED_COLOR, width: 2, dash: "dash" },
  }];
  const font = { family: "system-ui, -apple-system, 'Segoe UI', sans-serif", size: 15, color: "#1f2328" };
  return {
    data,
    layout: {
      uirevision: UI_REVISION,
      margin: { l: 64, r: 12, t: 36, b: 8 },
      font,
      paper_bgcolor: "rgba(0,0,0,0)",
      plot_bgcolor: "rgba(0,0,0,0)",
      hovermode: "x unified",
      hoversubplots: "axis",
      hoverlabel: { font: { size: 15 } },
      legend: { orientation: "h", x: 0, y: 1.02, yanchor: "bottom", font: { size: 15 } },
      shapes,
      xaxis: {
        tickmode: "array", ...xTicks(labels, width), automargin: true, showgrid: false, zeroline: false,
        range: [-0.5, labels.length - 0.5],
        anchor: PANELS.values.axis, // tick labels under the bottom panel, not between panels
        unifiedhovertitle: { text: "token %{x}" },
        showspikes: false,
      },
      [PANELS.gates.layout]: { ...axis(PANELS.gates), range: [-0.05, 1.05], tickvals: [0, 0.5, 1], zeroline: false },
      [PANELS.memory.layout]: { ...axis(PANELS.memory), range: [-reach, reach], nticks: 4 },
      [PANELS.values.layout]: { ...axis(PANELS.values), range: [-1.1, 1.1], tickvals: [-1, 0, 1] },
    },
  };
}

/**
 * View over a container: one unit of one layer over the text.
 *   render({text, tokens, unit, layer, quantities: {f, i, g, o, c, h}, step, pinned, textQuantity})
 *     quantities are time-major {T, H, data: Float32Array} of the unit's layer; layer is 0-based and
 *     shown 1-based; step is the selected token index (or null); textQuantity the tint ("c" default).
 *   clear(message) hides the unit and shows message instead.
 *   bind(event, handler): "pin" {unit, layer, pinned}, "select-step" t, "text-quantity" key.
 */
export function createUnitDetail(container) {
  const handlers = {};
  const emit = (event, value) => (handlers[event] ?? []).forEach((handler) => handler(value));

  container.classList.add("unit-detail");
  const header = el("div", "unit-header");
  const title = el("h2", "unit-title");
  const pin = el("button", "unit-pin");
  pin.type = "button";
  header.append(title, pin);
  const hint = el("p", "unit-hint");
  const body = el("div", "unit-body");
  const plot = el("div", "unit-chart");

  const controls = el("div", "unit-text-controls");
  const selectId = `unit-tint-${Math.random().toString(36).slice(2, 8)}`;
  const selectLabel = el("label", "unit-tint-label", "Colour the text by");
  selectLabel.htmlFor = selectId;
  const select = el("select", "unit-tint");
  select.id = selectId;
  for (const [key, { label }] of Object.entries(TINTS)) select.append(new Option(label, key));
  const legend = el("span", "unit-legend");
  const legendLow = el("span", "unit-legend-end");
  const legendBar = el("span", "unit-legend-bar");
  const legendHigh = el("span", "unit-legend-end");
  legendBar.setAttribute("aria-hidden", "true");
  legend.append(legendLow, legendBar, legendHigh);
  controls.append(selectLabel, select, legend);

  const cellText = el("p", "unit-text");
  cellText.tabIndex = 0;
  cellText.setAttribute("aria-label", "The text, each token tinted by the unit's value; arrow keys move the step");
  const readout = el("p", "unit-readout");
  readout.setAttribute("aria-live", "polite");
  body.append(plot, controls, cellText, readout);
  container.append(header, hint, body);

  let last = null; // the data of the last render
  let spans = []; // one per token, indexed by t
  let spansFor = { text: null, tokens: null };
  let tint = DEFAULT_TINT;
  let tintValues = [];
  let plotted = false;

  function describe(t) {
    if (!last || t === null || t === undefined || t < 0 || t >= last.tokens.length) return "";
    const value = tintValues[t];
    const shown = Number.isFinite(value) ? value.toFixed(3) : "—";
    return `token ${t}: ${displayToken(last.tokens[t].text)} — ${tint} = ${shown}`;
  }

  function buildSpans(text, tokens) {
    spans = new Array(tokens.length).fill(null);
    const nodes = textSegments(text, tokens).map(({ text: part, t }) => {
      if (t === null) return document.createTextNode(part);
      const span = el("span", "unit-token", part);
      span.dataset.step = String(t);
      spans[t] = span;
      return span;
    });
    cellText.replaceChildren(...nodes);
    spansFor = { text, tokens };
  }

  function paintText() {
    const { tokens, unit, quantities, step } = last;
    const matrix = quantities[tint];
    tintValues = matrix ? column(matrix, unit) : tokens.map(() => Number.NaN);
    const kind = TINTS[tint].scale;
    const reach = kind === "centred" ? maxAbs(tintValues) : 1;
    const colorOf = kind === "gate" ? sequentialColor : (v) => divergingColor(v, reach);
    spans.forEach((span, t) => {
      if (!span) return;
      const background = colorOf(tintValues[t]);
      span.style.backgroundColor = background;
      span.style.color = readableTextColor(background);
      span.title = describe(t);
      span.classList.toggle("is-selected", t === step);
    });
    legendBar.style.backgroundImage = cssGradient(kind === "gate" ? VIRIDIS : DIVERGING);
    legendLow.textContent = kind === "gate" ? "0" : `−${reach.toFixed(kind === "centred" ? 2 : 0)}`;
    legendHigh.textContent = kind === "gate" ? "1" : `+${reach.toFixed(kind === "centred" ? 2 : 0)}`;
    legend.title = kind === "centred"
      ? `${tint}: blue negative, white 0, red positive, scaled to its largest |value| over the text`
      : kind === "signed" ? `${tint}: blue −1, white 0, red +1` : `${tint}: 0 dark purple … 1 yellow`;
    readout.textContent = describe(step) || READOUT_HINT;
  }

  // Keep the selected token visible inside the text box (not the page: no scrollIntoView).
  function revealStep(step) {
    const span = spans[step];
    if (!span) return;
    const top = span.offsetTop; // .unit-text is position: relative, so this is inside the box
    if (top < cellText.scrollTop || top + span.offsetHeight > cellText.scrollTop + cellText.clientHeight) {
      cellText.scrollTop = Math.max(0, top - cellText.clientHeight / 3);
    }
  }

  function drawChart() {
    const { tokens, unit, quantities, step } = last;
    const series = {};
    for (const { key } of LINES) if (quantities[key]) series[key] = column(quantities[key], unit);
    const labels = tokens.map((token) => displayToken(token.text));
    const { data, layout } = chartFigure(series, labels, step, plot.clientWidth);
    if (!plotted) {
      Plotly.newPlot(plot, data, layout, CONFIG);
      plot.on("plotly_click", (event) => {
        const t = event.points?.[0]?.x;
        if (Number.isInteger(t)) emit("select-step", t);
      });
      plotted = true;
    } else {
      Plotly.react(plot, data, layout, CONFIG);
    }
  }

  function render(data) {
    const previousStep = last?.step ?? null;
    const wasHidden = body.hidden;
    last = { ...data, step: Number.isInteger(data.step) ? data.step : null };
    if (data.textQuantity && TINTS[data.textQuantity]) tint = data.textQuantity;
    select.value = tint;
    title.textContent = `Unit ${data.unit} · layer ${data.layer + 1}`;
    pin.textContent = data.pinned ? "Unpin" : "Pin to top";
    pin.classList.toggle("is-pinned", Boolean(data.pinned));
    hint.hidden = true;
    header.hidden = false;
    body.hidden = false;
    if (data.text !== spansFor.text || data.tokens !== spansFor.tokens) buildSpans(data.text, data.tokens);
    paintText();
    if (last.step !== previousStep) revealStep(last.step);
    drawChart();
    // A plot drawn while hidden (or before a resize it missed) has a stale width.
    if (wasHidden) Plotly.Plots.resize(plot);
  }

  function clear(message = "Click a unit (a heatmap row) to see it over the text.") {
    last = null;
    hint.textContent = message;
    hint.hidden = false;
    header.hidden = true;
    body.hidden = true;
  }

  pin.addEventListener("click", () => {
    if (last) emit("pin", { unit: last.unit, layer: last.layer, pinned: !last.pinned });
  });
  select.addEventListener("change", () => {
    tint = select.value;
    emit("text-quantity", tint);
    if (last) paintText();
  });
  cellText.addEventListener("click", (event) => {
    const span = event.target.closest?.(".unit-token");
    if (span) emit("select-step", Number(span.dataset.step));
  });
  cellText.addEventListener("mouseover", (event) => {
    const span = event.target.closest?.(".unit-token");
    if (span) readout.textContent = describe(Number(span.dataset.step));
  });
  cellText.addEventListener("mouseleave", () => {
    if (last) readout.textContent = describe(last.step) || READOUT_HINT;
  });
  cellText.addEventListener("keydown", (event) => {
    if (!last || !last.tokens.length) return;
    const moves = { ArrowRight: 1, ArrowLeft: -1, Home: -Infinity, End: Infinity };
    if (!(event.key in moves)) return;
    event.preventDefault();
    const from = last.step ?? -1;
    const to = Math.min(last.tokens.length - 1, Math.max(0, from + moves[event.key]));
    if (to !== last.step) emit("select-step", to);
  });

  // Plotly resizes the plot itself (responsive: true); how many tick labels fit is ours to redo.
  let resizeTimer = 0;
  window.addEventListener("resize", () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => last && plotted && !body.hidden && drawChart(), RESIZE_DEBOUNCE_MS);
  });

  clear();
  return {
    render,
    clear,
    bind(event, handler) {
      (handlers[event] ??= []).push(handler);
    },
  };
}
