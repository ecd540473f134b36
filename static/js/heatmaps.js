// Heatmaps of one layer: units (rows, in the order the page chose) × tokens (columns). Each panel is
// created once and updated with Plotly.react; a constant uirevision keeps a person's zoom. The
// selected step is outlined and a hovered token's column is highlighted in every panel.
// `Plotly` is the global of the vendored plotly.min.js, which the page loads before this module.
import { maxAbs, unitRows } from "./arrays.js";
import { displayToken } from "./tokens.js";
import { PANELS, panelRanges, panelTitle } from "./views.js";

// Gates are sigmoids in 0..1: a sequential, colour-blind-safe scale with fixed ends.
const SEQUENTIAL = "Viridis";
// Signed quantities: ColorBrewer RdBu (colour-blind safe), negative blue, zero white, positive red.
export const DIVERGING = [
  [0, "#053061"], [0.1, "#2166ac"], [0.2, "#4393c3"], [0.3, "#92c5de"], [0.4, "#d1e5f0"],
  [0.5, "#f7f7f7"],
  [0.6, "#fddbc7"], [0.7, "#f4a582"], [0.8, "#d6604d"], [0.9, "#b2182b"], [1, "#67001f"],
];

const UPRIGHT_LABEL_PX = 16;
const SLANTED_LABEL_PX = 34;
const VERTICAL_LABEL_PX = 20;
const NON_DATA_PX = 130; // the y axis and the colour bar
const UI_REVISION = "heatmaps";
const RESIZE_DEBOUNCE_MS = 200;
const CONFIG = {
  responsive: true,
  displaylogo: false,
  modeBarButtonsToRemove: ["select2d", "lasso2d", "autoScale2d"],
};

// Plotly reads labels as pseudo-HTML; escape so a token such as "<b>" shows as typed.
export function plotlyText(text) {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function range(n) {
  return Array.from({ length: n }, (_, k) => k);
}

function xTicks(labels, width) {
  const room = Math.max(width - NON_DATA_PX, VERTICAL_LABEL_PX);
  const upright = labels.every((label) => Array.from(label).length <= 2);
  const slanted = !upright && labels.length * SLANTED_LABEL_PX <= room;
  const labelPx = upright ? UPRIGHT_LABEL_PX : VERTICAL_LABEL_PX;
  const every = Math.max(1, Math.ceil((labels.length * labelPx) / room));
  const tickvals = range(labels.length).filter((t) => t % every === 0);
  return {
    tickvals,
    ticktext: tickvals.map((t) => plotlyText(labels[t])),
    tickangle: upright ? 0 : slanted ? -45 : -90,
  };
}

function columnShape(t, kind) {
  const selected = kind === "selected";
  return {
    type: "rect", xref: "x", yref: "paper", x0: t - 0.5, x1: t + 0.5, y0: 0, y1: 1,
    line: { color: selected ? "#111" : "rgba(0,0,0,0)", width: selected ? 2 : 0 },
    fillcolor: selected ? "rgba(0,0,0,0)" : "rgba(255,200,0,0.35)",
    name: kind,
  };
}

function shapes(step, hover) {
  const out = [];
  if (hover !== null && hover !== undefined) out.push(columnShape(hover, "hover"));
  if (step !== null && step !== undefined) out.push(columnShape(step, "selected"));
  return out;
}

function scaleOf(key, zrange) {
  const scale = PANELS[key].scale === "gate" ? SEQUENTIAL : DIVERGING;
  return { colorscale: scale, ...zrange };
}

function figure(key, m, units, labels, width, zrange, selection) {
  const hover = labels.map((label, t) => `token ${t}: ${plotlyText(label)}`);
  const unitLabels = units.map(String);
  return {
    data: [{
      type: "heatmap",
      z: unitRows(m, units), // one row per shown unit, in the chosen order
      x: range(labels.length),
      y: unitLabels, // a category axis: rows keep the chosen order, hover and clicks name the unit
      text: Array(units.length).fill(hover),
      hovertemplate: `%{text}<br>unit %{y}<br>${key} = %{z:.5f}<extra></extra>`,
      ...scaleOf(key, zrange),
      colorbar: { thickness: 14, outlinewidth: 0, tickfont: { size: 14 } },
    }],
    layout: {
      uirevision: UI_REVISION,
      margin: { l: 64, r: 8, t: 8, b: 8 },
      font: { family: "system-ui, -apple-system, 'Segoe UI', sans-serif", size: 15, color: "#1f2328" },
      paper_bgcolor: "rgba(0,0,0,0)",
      plot_bgcolor: "rgba(0,0,0,0)",
      hoverlabel: { font: { size: 16 } },
      xaxis: { tickmode: "array", ...xTicks(labels, width), automargin: true, showgrid: false, zeroline: false },
      yaxis: { title: { text: "unit" }, type: "category", autorange: "reversed", showgrid: false, zeroline: false },
      shapes: shapes(selection.step, selection.hover),
    },
  };
}

/**
 * View over a container. render({tokens, matrices, panels, units, step}) (a promise, settled when drawn)
 * draws one heatmap per key
 * of `panels` (see views.js) from matrices[key] ({T, H, data}) with rows `units` in that order.
 * Events (bind): "hover-step" (t | null), "select" ({t, unit}).
 */
export function createHeatmaps(container) {
  const handlers = { "hover-step": [], select: [] };
  const emit = (event, value) => handlers[event].forEach((fn) => fn(value));
  const plots = new Map(); // key -> {figure, plot}
  let last = null;
  let hoverStep = null;

  function panel(key) {
    if (plots.has(key)) return plots.get(key);
    const fig = document.createElement("figure");
    fig.className = "heatmap";
    const caption = document.createElement("figcaption");
    caption.textContent = panelTitle(key);
    const plot = document.createElement("div");
    plot.className = "heatmap-plot";
    plot.dataset.quantity = key;
    fig.append(caption, plot);
    const entry = { figure: fig, plot, bound: false };
    plots.set(key, entry);
    return entry;
  }

  function bindPlot(entry) {
    if (entry.bound) return;
    entry.bound = true;
    entry.plot.on("plotly_click", (event) => {
      const point = event.points?.[0];
      if (!point || !last) return;
      emit("select", { t: point.x, unit: Number(point.y) });
    });
    entry.plot.on("plotly_hover", (event) => {
      const t = event.points?.[0]?.x;
      if (t !== undefined) emit("hover-step", t);
    });
    entry.plot.on("plotly_unhover", () => emit("hover-step", null));
  }

  function render(data) {
    last = data;
    const { tokens, matrices, panels, units, step } = data;
    const labels = tokens.map((token) => displayToken(token.text));
    const magnitudes = Object.fromEntries(panels.map((key) => [key, maxAbs(matrices[key])]));
    const ranges = panelRanges(panels, magnitudes);
    const shown = panels.map(panel);
    container.replaceChildren(...shown.map((entry) => entry.figure));
    return Promise.all(panels.map(async (key, k) => {
      const entry = shown[k];
      const fig = figure(key, matrices[key], units, labels, entry.plot.clientWidth, ranges[key],
        { step, hover: hoverStep });
      await Plotly.react(entry.plot, fig.data, fig.layout, CONFIG);
      bindPlot(entry);
    }));
  }

  /** Highlight token t's column in every panel (null clears), without redrawing the heatmaps. */
  function highlight(t) {
    hoverStep = t;
    if (!last) return;
    for (const key of last.panels) {
      const { plot } = plots.get(key);
      if (plot.layout) Plotly.relayout(plot, { shapes: shapes(last.step, hoverStep) });
    }
  }

  let resizeTimer = 0;
  window.addEventListener("resize", () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => last && container.clientWidth > 0 && render(last), RESIZE_DEBOUNCE_MS);
  });

  return {
    render,
    highlight,
    bind(event, handler) {
      handlers[event].push(handler);
    },
  };
}
