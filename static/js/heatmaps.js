// Heatmaps of one layer: units (rows, in the order the page chose) × tokens (columns). Each panel is
// created once and updated with Plotly.react; a constant uirevision keeps a person's zoom. The
// selected step is outlined and a hovered token's column is highlighted in every panel.
// `Plotly` is the global of the vendored plotly.min.js, which the page loads before this module.
import { maxAbs, unitRows } from "./arrays.js";
import { DIVERGING, SEQUENTIAL, columnShape, plotlyText, range, xTicks } from "./plot_axes.js";
import { displayToken } from "./tokens.js";
import { PANELS, panelRanges, panelTitle } from "./views.js";

const UI_REVISION = "heatmaps";
const RESIZE_DEBOUNCE_MS = 200;
const CONFIG = {
  responsive: true,
  displaylogo: false,
  modeBarButtonsToRemove: ["select2d", "lasso2d", "autoScale2d"],
};

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
