// Heatmaps of one layer: units (rows, in the order the page chose) × tokens (columns), one canvas
// panel per quantity (heatmap_canvas.js). Panels are created once and updated; they share one token
// range, so a drag-zoom in one zooms them all and survives redraws while the text is long enough.
// The selected step is outlined and a hovered token's column is highlighted in every panel.
import { maxAbs } from "./arrays.js";
import { download } from "./export_panel.js";
import { createPanel } from "./heatmap_canvas.js";
import { displayToken } from "./tokens.js";
import { panelRanges } from "./views.js";

// A token's label, remembered per token object: a keystroke's holding keeps the token objects of the
// steps it kept, so only the new tokens are labelled again.
const labels = new WeakMap();
function labelOf(token) {
  let label = labels.get(token);
  if (label === undefined) {
    label = displayToken(token.text);
    labels.set(token, label);
  }
  return label;
}

/**
 * View over a container. render({tokens, matrices, panels, units, step, approximate, source, lineage})
 * (a promise, settled when drawn) draws one heatmap per key of `panels` (see views.js) from
 * matrices[key] ({T, H, data}) with rows `units` in that order; `approximate` (default true) marks hover
 * values with "≈" (quantised data) rather than "=". Optional, to spare reading every value again:
 * `source` names the data (the same object for the same numbers), `lineage` {from, steps} says it
 * keeps the first `steps` steps of the data named `from`.
 * Events (bind): "hover-step" (t | null), "select" ({t, unit}).
 * downloadImage(key, format, filename) saves a shown panel as "png" or "svg".
 */
export function createHeatmaps(container) {
  const handlers = { "hover-step": [], select: [] };
  const emit = (event, value) => handlers[event].forEach((fn) => fn(value));
  const panels = new Map(); // key -> panel, kept while other views are shown
  let shown = []; // keys on screen
  let T = 0;
  let step = null;
  let hover = null;
  let zoom = null; // {t0, t1} or null for every token

  const windowOf = () => zoom ?? { t0: 0, t1: T - 1 };

  function paintAll() {
    for (const key of shown) panels.get(key).paint(windowOf());
  }

  function panel(key) {
    if (!panels.has(key)) {
      panels.set(key, createPanel(key, {
        onHover(t) {
          highlight(t);
          emit("hover-step", t);
        },
        onSelect: (cell) => emit("select", cell),
        onZoom(t0, t1) {
          zoom = t0 === 0 && t1 === T - 1 ? null : { t0, t1 };
          paintAll();
        },
        onReset() {
          zoom = null;
          paintAll();
        },
      }));
    }
    return panels.get(key);
  }

  function render({ tokens, matrices, panels: keys, units, step: selected, approximate = true, source = null,
    lineage = null }) {
    const labels = tokens.map(labelOf);
    const ranges = panelRanges(keys, Object.fromEntries(keys.map((key) => [key, maxAbs(matrices[key])])));
    T = labels.length;
    step = selected ?? null;
    if (zoom && zoom.t1 >= T) zoom = null; // the text got shorter than the zoomed stretch
    const figures = keys.map((key) => panel(key).figure);
    if (figures.length !== container.children.length || figures.some((f, k) => container.children[k] !== f)) {
      container.replaceChildren(...figures);
    }
    shown = keys;
    for (const key of keys) {
      const p = panels.get(key);
      p.setData({ matrix: matrices[key], units, labels, zrange: ranges[key], approximate, source, lineage });
      p.paint(windowOf());
      p.paintOverlay({ hover, step });
    }
    return Promise.resolve();
  }

  /** Highlight token t's column in every panel (null clears), without redrawing the heatmaps. */
  function highlight(t) {
    hover = t ?? null;
    for (const key of shown) panels.get(key).paintOverlay({ hover, step });
  }

  /** Save panel `key` as `${filename}.png` or `.svg`; settles when the file is offered. */
  async function downloadImage(key, format, filename) {
    if (!shown.includes(key)) return;
    const blob = await panels.get(key).toBlob(format);
    download(`${filename}.${format}`, blob, blob.type);
  }

  return {
    render,
    highlight,
    downloadImage,
    bind(event, handler) {
      handlers[event].push(handler);
    },
  };
}
