// One heatmap per gate and state of one layer: units (rows) × tokens (columns). Plots are created
// once and updated with Plotly.react; a constant uirevision keeps a person's zoom across updates.
// `Plotly` is the global of the vendored plotly.min.js, which the page loads before this module.
import { displayToken } from "./tokens.js";

// Gates are sigmoids in 0..1: a sequential, colour-blind-safe scale with fixed ends, so the same
// colour means the same value in every text and model.
const GATE = { colorscale: "Viridis", zmin: 0, zmax: 1 };
// Signed quantities: ColorBrewer RdBu (colour-blind safe), negative blue, zero white, positive red.
const DIVERGING = [
  [0, "#053061"], [0.1, "#2166ac"], [0.2, "#4393c3"], [0.3, "#92c5de"], [0.4, "#d1e5f0"],
  [0.5, "#f7f7f7"],
  [0.6, "#fddbc7"], [0.7, "#f4a582"], [0.8, "#d6604d"], [0.9, "#b2182b"], [1, "#67001f"],
];
// g and h are tanh-bounded, so -1..1 is their whole range; c is unbounded, so it is centred on 0
// and scaled to its own largest magnitude.
const SIGNED = { colorscale: DIVERGING, zmin: -1, zmax: 1 };
const CENTRED = { colorscale: DIVERGING, zmid: 0 };

const PANELS = [
  { key: "f", title: "forget gate f — what is kept", scale: GATE },
  { key: "i", title: "input gate i — how much is written", scale: GATE },
  { key: "g", title: "candidate g — what could be written", scale: SIGNED },
  { key: "o", title: "output gate o — what is exposed", scale: GATE },
  { key: "c", title: "cell state c — memory", scale: CENTRED },
  { key: "h", title: "hidden state h — output", scale: SIGNED },
];

// Tick labels need this many pixels each: upright for one or two characters (char models),
// slanted (-45°) when there is room, else vertical; when even that overlaps, only every n-th
// column is labelled.
const UPRIGHT_LABEL_PX = 16;
const SLANTED_LABEL_PX = 34;
const VERTICAL_LABEL_PX = 20;
// Room the y axis and the colour bar take from the plot's width.
const NON_DATA_PX = 130;
const UI_REVISION = "heatmaps";
const RESIZE_DEBOUNCE_MS = 200;
const CONFIG = {
  responsive: true,
  displaylogo: false,
  modeBarButtonsToRemove: ["select2d", "lasso2d", "autoScale2d"],
};

// Plotly reads labels as pseudo-HTML; escape so a token such as "<b>" shows as typed.
function plotlyText(text) {
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

function figure(panel, z, labels, units, width) {
  const steps = range(labels.length);
  // Hover shows text[row][column]; every unit's row is the same list of tokens. (Not %{x}: Plotly
  // formats it with the tick labels, and with thinned labels some columns have none.)
  const hover = labels.map((label, t) => `token ${t}: ${plotlyText(label)}`);
  const text = Array(units).fill(hover);
  return {
    data: [{
      type: "heatmap",
      z, // (T, H) time-major; transpose draws it as units × tokens
      transpose: true,
      x: steps,
      y: range(units),
      text,
      hovertemplate: `%{text}<br>unit %{y}<br>${panel.key} = %{z:.3f}<extra></extra>`,
      ...panel.scale,
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
      yaxis: { title: { text: "unit" }, autorange: "reversed", showgrid: false, zeroline: false },
    },
  };
}

function unitCount(z) {
  // A typed-array spec carries its shape as "T,H"; plain JSON is T rows of H numbers.
  if (typeof z.shape === "string") return Number(z.shape.split(",")[1]);
  return z.length ? z[0].length : 0;
}

/** View over a container: render({tokens, layer}) draws layer's f, i, g, o, c and h against the tokens. */
export function createHeatmaps(container) {
  const plots = PANELS.map((panel) => {
    const fig = document.createElement("figure");
    fig.className = "heatmap";
    const caption = document.createElement("figcaption");
    caption.textContent = panel.title;
    const plot = document.createElement("div");
    plot.className = "heatmap-plot";
    plot.dataset.quantity = panel.key;
    fig.append(caption, plot);
    container.append(fig);
    return { panel, plot };
  });

  let last = null;
  function render({ tokens, layer }) {
    last = { tokens, layer };
    const labels = tokens.map((token) => displayToken(token.text));
    for (const { panel, plot } of plots) {
      const z = layer[panel.key];
      const { data, layout } = figure(panel, z, labels, unitCount(z), plot.clientWidth);
      Plotly.react(plot, data, layout, CONFIG);
    }
  }

  // Plotly resizes the plots itself (responsive: true); how many tick labels fit is ours to redo.
  let resizeTimer = 0;
  window.addEventListener("resize", () => {
    clearTimeout(resizeTimer);
    // Hidden plots (no tokens) have no width to fit labels into; the next render redraws them.
    resizeTimer = setTimeout(() => last && container.clientWidth > 0 && render(last), RESIZE_DEBOUNCE_MS);
  });

  return { render };
}
