// Heatmaps of one layer: units (rows, in the order the page chose) × tokens (columns), one canvas
// panel per quantity (heatmap_canvas.js). Panels are created once and updated; they share one token
// range, so a drag-zoom in one zooms them all and survives redraws while the text is long enough.
// The selected step and unit are outlined and a hovered token's column is highlighted in every panel;
// selected, pinned and named units keep their row labels. Colour ranges come from color_ranges.js.
import { colourRanges, scaleModeOf } from "../core/color_ranges.js";
import { rowCapacityOf, tickFontPx } from "../core/heatmap_layout.js";
import { displayToken } from "../core/tokens.js";
import { createEvents, el } from "./dom.js";
import { download } from "./export_panel.js";
import { createPanel } from "./heatmap_canvas.js";

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
 * View over a container.
 *
 * render({cell, tokens, matrices, panels, units, step, approximate, source, lineage, names, selectedUnit,
 * pinned, scale, rangeMatrices}) (a promise, settled when drawn) draws one heatmap per key of `panels`
 * (quantities of `cell`, the model's /api/models cell_spec, whose panels say titles and scales) from matrices[key] ({T, H, data}, (T, H) time-major) with rows `units` ((U,) unit
 * indices, top first); `tokens` (T,) {text}; `step` the selected token column or null; `approximate`
 * (default true) marks hover values with "≈" (quantised data) rather than "=". Optional:
 *   names         Map unit → short name ("tense", unit_names.js unitNames): those rows are always labelled
 *   selectedUnit  number | null: its row is framed and its label bold after "▶"
 *   pinned        number[]: their labels start with "●"
 *   scale         "unit" (default: each row its own range), "robust" (99th percentile) or "shared"
 *                 (largest |value|): how signed panels are coloured (color_ranges.js)
 *   rangeMatrices {key: {T', H, data}} the numbers the colour ranges are computed over, T' ≥ T: the
 *                 whole text while an animation shows its first T steps, so colours keep one meaning
 *                 (default: matrices)
 *   source, lineage  spare reading every value again: `source` names the data (the same object for the
 *                 same numbers, of rangeMatrices as of matrices), `lineage` {from, steps} says it keeps the
 *                 first `steps` steps of the data named `from`.
 * rowCapacity(minRowPx = 6) how many rows of at least minRowPx fit in a panel's plot area at the panels'
 * CSS height now, the token labels taking their largest band; at least 1. It makes the browser lay the
 * page out: callers keep its answer until the plots' size changes.
 * prepare(the same arguments but units and marks) puts the panels and their legends in place before a render.
 * mark({step, selectedUnit}) moves the selection without drawing the heatmaps again.
 * trackSlots() the room under each panel's plot and its token columns (for views drawn on the same columns).
 * Events (bind): "hover-step" (t | null), "select" ({t, unit}), "layout" (a panel painted: its columns may
 * have moved).
 * downloadImage(key, format, filename) saves a shown panel as "png" or "svg".
 */
export function createHeatmaps(container) {
  const { emit, bind } = createEvents(["hover-step", "select", "layout"]);
  const panels = new Map(); // key and panel spec -> panel, kept while other views (or models) are shown
  let shown = []; // keys on screen
  let T = 0;
  let step = null;
  let hover = null;
  let zoom = null; // {t0, t1} or null for every token
  let ranges = { source: null, T: 0, mode: null, cache: null, keys: "", spec: null, ranges: null }; // color_ranges.js
  // statistics kept, and the last ranges

  const windowOf = () => zoom ?? { t0: 0, t1: T - 1 };

  let shownPanels = []; // the panels of the keys on screen, in order

  function paintAll() {
    for (const p of shownPanels) p.paint(windowOf());
  }

  // A quantity's panel, made once per key and panel spec (two cells may call different things "h").
  function panel(cell, key) {
    const id = `${key}\u0000${JSON.stringify(cell.panels[key])}`;
    if (!panels.has(id)) {
      panels.set(id, createPanel(cell, key, {
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
        onLayout: () => emit("layout"),
      }));
    }
    return panels.get(id);
  }

  /** The colour ranges of `keys` over `whole`, re-reading only the steps that changed since the last
   *  call (known from source and lineage, as the panels' rasters know it). */
  function rangesOf(cell, keys, whole, mode, source, lineage) {
    const T1 = Object.values(whole)[0]?.T ?? 0;
    const asked = keys.join(",");
    const spec = cell; // the same spec object: the same panels and groups
    if (source && source === ranges.source && ranges.T === T1 && ranges.mode === mode && ranges.keys === asked
      && ranges.spec === spec) {
      return ranges.ranges; // the same numbers asked again (prepare, then render)
    }
    let keep = 0;
    if (ranges.cache && ranges.mode === mode && source) {
      if (source === ranges.source) keep = Math.min(ranges.T, T1);
      else if (ranges.source && lineage?.from === ranges.source) keep = Math.min(lineage.steps, ranges.T, T1);
    }
    const computed = colourRanges({ cell, keys, matrices: whole, mode, cache: keep > 0 ? ranges.cache : null, keep });
    ranges = { source, T: T1, mode, cache: computed.cache, keys: asked, spec, ranges: computed.ranges };
    return computed.ranges;
  }

  /** The panels of `keys`, in order, in the container. */
  function attach(cell, keys) {
    const now = keys.map((key) => panel(cell, key));
    const figures = now.map((p) => p.figure);
    if (figures.length !== container.children.length || figures.some((f, k) => container.children[k] !== f)) {
      container.replaceChildren(...figures);
    }
    return now;
  }

  /** Before the rows are known: the panels of `keys` in the container with their legends' words for
   *  these numbers (render's arguments, the rows left out), so that what stands above each plot has the
   *  height it will have when drawn (figure.js fits the plots under it). */
  function prepare({ cell, matrices, panels: keys, source = null, lineage = null, scale = undefined,
    rangeMatrices = null }) {
    const panelRanges = rangesOf(cell, keys, rangeMatrices ?? matrices, scaleModeOf(scale), source, lineage);
    attach(cell, keys).forEach((p, k) => p.setLegend(panelRanges[keys[k]]));
  }

  function render({ cell, tokens, matrices, panels: keys, units, step: selected, approximate = true, source = null,
    lineage = null, names = null, selectedUnit = null, pinned = [], scale = undefined, rangeMatrices = null }) {
    const labels = tokens.map(labelOf);
    const mode = scaleModeOf(scale);
    const panelRanges = rangesOf(cell, keys, rangeMatrices ?? matrices, mode, source, lineage);
    T = labels.length;
    step = selected ?? null;
    if (zoom && zoom.t1 >= T) zoom = null; // the text got shorter than the zoomed stretch
    const now = attach(cell, keys);
    shown = keys;
    shownPanels = now;
    keys.forEach((key, k) => {
      const p = now[k];
      p.setData({
        matrix: matrices[key], units, labels, range: panelRanges[key], approximate, source, lineage,
        names: names ?? null, selectedUnit: selectedUnit ?? null, pinned: pinned ?? [],
      });
      p.paint(windowOf());
      p.paintOverlay({ hover, step });
    });
    return Promise.resolve();
  }

  /** A new selected step (a column, or null) and unit (a row, or null) in every panel: the overlays,
   *  and the row labels when the selected unit changed; the rasters stay. */
  function mark({ step: selected = null, selectedUnit = null }) {
    step = selected;
    for (const p of shownPanels) p.mark({ selectedUnit, hover, step });
  }

  /** Highlight token t's column in every panel (null clears), without redrawing the heatmaps. */
  function highlight(t) {
    hover = t ?? null;
    for (const p of shownPanels) p.paintOverlay({ hover, step });
  }

  /** Save panel `key` as `${filename}.png` or `.svg`; settles when the file is offered. */
  async function downloadImage(key, format, filename) {
    const k = shown.indexOf(key);
    if (k < 0) return;
    const blob = await shownPanels[k].toBlob(format);
    download(`${filename}.${format}`, blob, blob.type);
  }

  /** How many rows of at least minRowPx fit in a plot area at the `.heatmap-plot` CSS height now, less
   *  the largest token-label band (heatmap_layout.js rowCapacityOf). At least 1. */
  function rowCapacity(minRowPx = 6) {
    // Read from a probe with the panels' classes, not a panel's last layout, which can be older than a
    // height main.js just set (ResizeObserver repaints later); display: none answers too.
    const figure = el("figure", "heatmap");
    figure.setAttribute("aria-hidden", "true");
    figure.style.visibility = "hidden";
    figure.style.position = "absolute";
    const plot = el("div", "heatmap-plot", undefined, figure);
    container.append(figure);
    const style = getComputedStyle(plot);
    const height = parseFloat(style.height) || plot.clientHeight;
    const fontPx = tickFontPx(parseFloat(style.fontSize) || 16);
    figure.remove();
    return height > 0 ? rowCapacityOf(height, fontPx, minRowPx) : 1;
  }

  /** Under each panel on screen, in order: {slot, columns}: the element under its plot, as wide, and its
   *  token columns as last painted (heatmap_canvas.js columns(): {x, w, t0, t1} in the slot's CSS px, or null). */
  function trackSlots() {
    return shownPanels.map((p) => ({ slot: p.below, columns: p.columns() }));
  }

  return {
    render,
    prepare,
    trackSlots,
    mark,
    highlight,
    downloadImage,
    rowCapacity,
    bind,
  };
}
