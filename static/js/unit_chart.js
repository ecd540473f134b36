// The unit detail's line chart: one unit's gates and states per token, in three stacked panels over
// one token axis, with the selected step marked. Created once, then updated with Plotly.react (a
// constant uirevision, so a person's zoom survives). Tokens go to Plotly escaped, never as markup.
// plotly.js is loaded on the first draw (plotly_loader.js); if it cannot be, the chart's box says so.
// Tokens are numbered for people on the chart (x = t + 1: "token 12 of 19"); events carry t (0-based).
import { maxAbsOf } from "./colors.js";
import { plotlyText } from "./plot_axes.js";
import { loadPlotly, loadedPlotly, plotlyNotice } from "./plotly_loader.js";
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
  { key: "a", name: "a pre-activation", color: "#d55e00", panel: "memory", width: 3 }, // a vanilla RNN's
];
const UI_REVISION = "unit-detail";
const SELECTED_COLOR = "#0b5cad";
// Tick labels: upright when every token is one or two characters (char models), else slanted; only
// every n-th token is labelled when they would overlap. Pixels per label, and room the axes take.
const UPRIGHT_LABEL_PX = 14;
const SLANTED_LABEL_PX = 26;
const NON_DATA_PX = 90;
// No mode bar: it would float over the legend and the top panel, and the page has its own Export panel.
const CONFIG = { responsive: true, displayModeBar: false };

// Plotly reads labels as pseudo-HTML; escape so a token such as "<b>" shows as typed.
function xTicks(labels, width) {
  const room = Math.max(width - NON_DATA_PX, SLANTED_LABEL_PX);
  const upright = labels.every((label) => Array.from(label).length <= 2);
  const every = Math.max(1, Math.ceil((labels.length * (upright ? UPRIGHT_LABEL_PX : SLANTED_LABEL_PX)) / room));
  const shown = labels.map((_, t) => t).filter((t) => t % every === 0);
  return { tickvals: shown.map((t) => t + 1), ticktext: shown.map((t) => plotlyText(labels[t])),
    tickangle: upright ? 0 : -45 };
}

function axis(panel) {
  return {
    domain: panel.domain, fixedrange: true, title: { text: panel.title, standoff: 8 },
    zeroline: true, zerolinecolor: "#8c959f", zerolinewidth: 1,
  };
}

/** The chart's {data, layout}: x is the token's number for people (t + 1), so hovers read "token 3 of 19". */
export function chartFigure(series, labels, step, width) {
  // A vanilla RNN has no gates and no c: its pre-activation a takes the middle panel, h the bottom one,
  // and the gates' panel gives them its room.
  const rnn = !series.c && Boolean(series.a);
  const reach = Math.max(1, maxAbsOf(series.c ?? series.a ?? [])) * 1.1; // symmetric, at least -1..1
  const x = labels.map((_, t) => t + 1);
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
    type: "line", xref: "x", yref: "paper", x0: step + 1, x1: step + 1, y0: 0, y1: 1,
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
        range: [0.5, labels.length + 0.5],
        anchor: PANELS.values.axis, // tick labels under the bottom panel, not between panels
        unifiedhovertitle: { text: `token %{x} of ${labels.length}` },
        showspikes: false,
      },
      [PANELS.gates.layout]: { ...axis(PANELS.gates), range: [-0.05, 1.05], tickvals: [0, 0.5, 1], zeroline: false,
        visible: !rnn },
      [PANELS.memory.layout]: { ...axis(PANELS.memory), range: [-reach, reach], nticks: 4,
        ...(rnn ? { domain: [0.45, 1], title: { text: "a", standoff: 8 } } : {}) },
      [PANELS.values.layout]: { ...axis(PANELS.values), range: [-1.1, 1.1], tickvals: [-1, 0, 1],
        ...(rnn ? { domain: [0, 0.4], title: { text: "h", standoff: 8 } } : {}) },
    },
  };
}

/**
 * A chart appended to parent (a div.unit-chart), drawn on the first update.
 *   update({tokens, series, step}) draws series {f, i, g, o, c, h} (each one value per token; a
 *     missing key draws no line) over the tokens, with a dashed line at step (or none when null). It
 *     returns at once: before plotly.js has loaded, the chart draws the latest update when it has.
 *   redraw() draws the last update again for the chart's current width (how many tick labels fit).
 *   resize() makes Plotly measure the chart again: one drawn while hidden has a stale width.
 *   bind("select-step", handler): handler(t) when a point of token t (0-based) is clicked.
 */
export function createUnitChart(parent) {
  const handlers = {};
  const notice = plotlyNotice(() => load());
  const plot = document.createElement("div");
  plot.className = "unit-chart";
  parent.append(notice.element, plot);
  let view = null; // the data of the last update
  let plotted = false;
  let loading = false; // a load of plotly.js is under way
  let failed = false; // the last load failed: wait for "Try again" rather than ask on every update

  function drawWith(Plotly) {
    const { tokens, series, step } = view;
    const labels = tokens.map((token) => displayToken(token.text));
    const { data, layout } = chartFigure(series, labels, step, plot.clientWidth);
    if (!plotted) {
      Plotly.newPlot(plot, data, layout, CONFIG);
      plot.on("plotly_click", (event) => {
        const x = event.points?.[0]?.x;
        if (Number.isInteger(x)) (handlers["select-step"] ?? []).forEach((handler) => handler(x - 1));
      });
      plotted = true;
    } else {
      Plotly.react(plot, data, layout, CONFIG);
    }
  }

  function load() {
    loading = true;
    loadPlotly().then((Plotly) => {
      loading = false;
      failed = false;
      notice.hide();
      plot.hidden = false;
      if (view) drawWith(Plotly);
    }, (error) => {
      loading = false;
      failed = true;
      plot.hidden = true; // an empty 440 px box would look like a chart that shows nothing
      notice.show(error);
    });
  }

  function draw() {
    const Plotly = loadedPlotly();
    if (Plotly && !loading) drawWith(Plotly);
    else if (!loading && !failed) load();
  }

  return {
    update(data) {
      view = data;
      draw();
    },
    redraw() {
      if (plotted) draw();
    },
    resize() {
      if (plotted) loadedPlotly()?.Plots.resize(plot);
    },
    bind(event, handler) {
      (handlers[event] ??= []).push(handler);
    },
  };
}
