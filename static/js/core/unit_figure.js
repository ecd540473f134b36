// The unit detail's line chart as a figure in Plotly's schema (views/unit_chart.js draws it on a canvas through
// unit_chart_layout.js; tests and tools read it): one unit's quantities per token, in up to three stacked
// panels over one token axis, for any cell. Its spec (/api/models cell_spec) says what each quantity is: the
// gates (scale 0..1) share the top panel, the unbounded values (scale "signed": an LSTM's c, an RNN's a) the
// middle one on their own largest |value|, the tanh values (candidate, h) the bottom one; a cell without one
// of the kinds gives its room to the others. Pure: no DOM, no Plotly, so Node tests it. Tokens go to Plotly
// escaped, never as markup; x is the token's number for people (t + 1: "token 12 of 19").
import { maxAbsOf } from "./colors.js";
import { plotlyText } from "./plot_axes.js";
import { recordedOf } from "./views.js";

// Okabe–Ito colours, distinguishable with colour-blindness: the gates in the cell's reading order, the
// unbounded values, a candidate (dotted), the states.
const GATE_COLORS = ["#0072b2", "#e69f00", "#009e73", "#f0e442", "#000000"];
const SIGNED_COLOR = "#d55e00";
const CANDIDATE_COLOR = "#cc79a7";
const STATE_COLOR = "#56b4e9";
// The panels top to bottom, each with its y axis; domains for three, two or one shown.
const PANELS = [
  { kind: "gates", axis: "y", layout: "yaxis" },
  { kind: "signed", axis: "y2", layout: "yaxis2" },
  { kind: "values", axis: "y3", layout: "yaxis3" },
];
const DOMAINS = { 3: [[0.7, 1], [0.37, 0.63], [0, 0.3]], 2: [[0.45, 1], [0, 0.4]], 1: [[0, 1]] };
const UI_REVISION = "unit-detail";
const SELECTED_COLOR = "#0b5cad";

// Tick labels: upright when every token is one or two characters (char models), else slanted; only
// every n-th token is labelled when they would overlap. Pixels per label, and room the axes take.
const UPRIGHT_LABEL_PX = 14;
const SLANTED_LABEL_PX = 26;
const NON_DATA_PX = 90;

/** The token labels a chart `width` px wide has room for: {tickvals (x = t + 1), ticktext (escaped, as
 *  Plotly reads labels as pseudo-HTML: a token such as "<b>" shows as typed), tickangle}. */
export function chartTicks(labels, width) {
  const room = Math.max(width - NON_DATA_PX, SLANTED_LABEL_PX);
  const upright = labels.every((label) => Array.from(label).length <= 2);
  const every = Math.max(1, Math.ceil((labels.length * (upright ? UPRIGHT_LABEL_PX : SLANTED_LABEL_PX)) / room));
  const shown = labels.map((_, t) => t).filter((t) => t % every === 0);
  return { tickvals: shown.map((t) => t + 1), ticktext: shown.map((t) => plotlyText(labels[t])),
    tickangle: upright ? 0 : -45 };
}

function axis(panel, domain, title) {
  return {
    domain, fixedrange: true, title: { text: title, standoff: 8 },
    zeroline: true, zerolinecolor: "#8c959f", zerolinewidth: 1,
  };
}

/**
 * The lines a cell's unit chart draws, in order: [{key, name, color, panel, width?, dash?}]. The gates (0..1)
 * in the cell's reading order, then its memory, then the rest; "f forget", "c cell", "h hidden": the
 * quantity and the first word of its title.
 */
export function chartLines(cell) {
  const recorded = recordedOf(cell);
  const panels = cell.panels;
  const gates = (cell.gates ?? []).filter((q) => recorded.includes(q) && panels[q].scale === "gate");
  const order = [...new Set([...gates, ...(recorded.includes(cell.memory) ? [cell.memory] : []), ...recorded])];
  let nextGate = 0;
  return order.map((key) => {
    const { scale, title } = panels[key];
    const name = `${key} ${title.split(" ")[0]}`;
    if (scale === "gate") {
      return { key, name, panel: "gates", color: GATE_COLORS[nextGate++ % GATE_COLORS.length] };
    }
    if (scale === "signed") return { key, name, panel: "signed", color: SIGNED_COLOR, width: 3 };
    const state = (cell.states ?? []).includes(key);
    return { key, name, panel: "values", color: state ? STATE_COLOR : CANDIDATE_COLOR, dash: state ? "solid" : "dot" };
  });
}

/** The figure's shapes for the selected step (0-based, or null) of T tokens: a dashed line at its number. */
export function stepShapes(step, T) {
  const selected = Number.isInteger(step) && step >= 0 && step < T;
  return !selected ? [] : [{
    type: "line", xref: "x", yref: "paper", x0: step + 1, x1: step + 1, y0: 0, y1: 1,
    line: { color: SELECTED_COLOR, width: 2, dash: "dash" },
  }];
}

/** The chart's {data, layout} for a unit of `cell` (its spec): series {quantity: values per token}, labels the
 *  tokens as shown, step the selected one (0-based) or null, width the chart's in px. x is the token's
 *  number for people (t + 1), so hovers read "token 3 of 19". */
export function chartFigure(series, labels, step, width, cell) {
  const lines = chartLines(cell).filter((line) => series[line.key]);
  // The panels that have a line, top to bottom, each on the domain its count gives.
  const shown = PANELS.filter((panel) => lines.some((line) => line.panel === panel.kind));
  const domainOf = new Map(shown.map((panel, k) => [panel.kind, DOMAINS[shown.length][k]]));
  const titleOf = (kind) => (kind === "gates" ? "gates" : lines.filter((l) => l.panel === kind).map((l) => l.key).join(", "));
  const signed = lines.filter((line) => line.panel === "signed").flatMap((line) => series[line.key]);
  const reach = Math.max(1, maxAbsOf(Array.from(signed))) * 1.1; // symmetric, at least -1..1
  const axisOf = Object.fromEntries(PANELS.map((panel) => [panel.kind, panel.axis]));
  const x = labels.map((_, t) => t + 1);
  const data = lines.map((line) => ({
    type: "scatter",
    mode: labels.length <= 60 ? "lines+markers" : "lines",
    name: line.name,
    x,
    y: series[line.key],
    yaxis: axisOf[line.panel],
    line: { color: line.color, width: line.width ?? 2.25, dash: line.dash ?? "solid" },
    marker: { size: 5, color: line.color },
    hovertemplate: `${line.name} = %{y:.3f}<extra></extra>`,
  }));
  // The unified hover's title can only show x (the step), so an invisible trace adds the token's text
  // as the first line: tick labels may be thinned, the hover never is.
  const top = shown[0] ?? PANELS[0];
  data.unshift({
    type: "scatter", mode: "markers", x, y: x.map(() => (top.kind === "gates" ? 0.5 : 0)), yaxis: top.axis,
    showlegend: false, marker: { color: "rgba(0,0,0,0)" }, text: labels.map(plotlyText),
    hovertemplate: "<b>%{text}</b><extra></extra>",
  });
  const shapes = stepShapes(step, labels.length);
  const font = { family: "system-ui, -apple-system, 'Segoe UI', sans-serif", size: 15, color: "#1f2328" };
  const ranges = {
    gates: { range: [-0.05, 1.05], tickvals: [0, 0.5, 1], zeroline: false },
    signed: { range: [-reach, reach], nticks: 4 },
    values: { range: [-1.1, 1.1], tickvals: [-1, 0, 1] },
  };
  const axes = Object.fromEntries(PANELS.map((panel) => [panel.layout, domainOf.has(panel.kind)
    ? { ...axis(panel, domainOf.get(panel.kind), titleOf(panel.kind)), ...ranges[panel.kind] }
    : { ...axis(panel, [0, 1], ""), visible: false }]));
  const bottom = shown[shown.length - 1] ?? PANELS[0];
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
        tickmode: "array", ...chartTicks(labels, width), automargin: true, showgrid: false, zeroline: false,
        range: [0.5, labels.length + 0.5],
        anchor: bottom.axis, // tick labels under the bottom panel, not between panels
        unifiedhovertitle: { text: `token %{x} of ${labels.length}` },
        showspikes: false,
      },
      ...axes,
    },
  };
}
