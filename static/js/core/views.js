// What each heatmap shows and which heatmaps a view groups, for any cell: the server describes every cell
// in /api/models (`cell_spec`: its panels, views, memory, states, gates; app/engine/cells.py), and these
// helpers read that description. None of them knows a cell by its name. Pure data and functions (no DOM),
// so the page and Node's tests share them.
//
// A cell spec's panels: {quantity: {title, symbol, plain, scale, group?}}. Scale kinds: "gate" 0..1
// sequential; "tanh" -1..1 diverging; "signed" diverging centred on 0, its range shared by every panel with
// the same `group` (color_ranges.js: per row, a percentile or the largest magnitude, rounded up to a nice
// number with niceCeil). The memory ledger (kept, forgotten, written) is the group "ledger": one scale, so a
// colour means the same amount of memory in all three. Its views: [{id, label, panels}], the first the
// default.

/** The cell spec of an /api/models entry (its `cell_spec`). */
export function cellOf(model) {
  return model?.cell_spec ?? null;
}

/** The panel of `key` in a cell's spec; throws a clear error for a quantity the cell does not have. */
export function panelOf(cell, key) {
  const panel = cell?.panels?.[key];
  if (!panel) throw new Error(`the ${cell?.title ?? "cell"} has no quantity ${JSON.stringify(key)}`);
  return panel;
}

/** "forget gate f — what is kept": the plain words first, the symbol beside them. */
export function panelTitle(cell, key) {
  const p = panelOf(cell, key);
  return `${p.title} ${p.symbol} — ${p.plain}`;
}

/** The cell's views, [{id, label, panels}]; the first is its default. */
export function viewsOf(cell) {
  return cell?.views ?? [];
}

/** `view` when the cell has a view of that id, else the cell's first (its default): a link may carry a
 *  view another model's cell has ("gates" on a vanilla RNN). */
export function viewOf(cell, view) {
  const views = viewsOf(cell);
  return views.some((v) => v.id === view) ? view : views[0]?.id ?? null;
}

/** The panel keys of a view of the cell (its first view when it has no such view). */
export function viewPanels(cell, view) {
  const id = viewOf(cell, view);
  return viewsOf(cell).find((v) => v.id === id)?.panels ?? [];
}

/** The quantity that carries what a cell remembers (c for an LSTM, h for a GRU or a vanilla RNN): the
 *  activity and change orders score units by it. */
export function memoryOf(cell) {
  return cell?.memory ?? null;
}

/** The state a span search reads: the cell's output, its first state (h for every cell so far). */
export function spanQuantity(cell) {
  return cell?.states?.[0] ?? "h";
}

/** The quantities the forward pass records (what a unit's chart draws and a download holds): the cell's
 *  quantities less the ledger derived from them (the panels of group "ledger"). */
export function recordedOf(cell) {
  return (cell?.quantities ?? []).filter((q) => cell.panels?.[q]?.group !== "ledger");
}

/** What two models can be compared on: the recorded quantities both cells have, A's memory first, then
 *  its states, its gates in reading order, the rest (c, h, f, i, g, o for two LSTMs; h alone for an LSTM
 *  beside a vanilla RNN). */
export function sharedQuantities(a, b) {
  const mine = recordedOf(a);
  const theirs = new Set(recordedOf(b));
  const order = [a?.memory, ...(a?.states ?? []), ...(a?.gates ?? []), ...mine];
  return [...new Set(order)].filter((q) => mine.includes(q) && theirs.has(q));
}

/** Unit orderings, in the order the menu lists them. */
export const ORDER_KEYS = Object.freeze(["index", "activity", "change", "span"]);

/** The orderings' labels for a cell: the activity and change orders name its memory, the span order its
 *  output state. */
export function orderLabels(cell) {
  const m = memoryOf(cell) ?? "c";
  const h = spanQuantity(cell);
  return {
    index: "unit number",
    activity: `activity over the text (mean |${m}|)`,
    change: `change at the selected step (|Δ${m}|)`,
    span: `match to the selected span (${h} high inside, low outside)`,
  };
}

// Nice numbers per decade: each is at most 25 % above the one before it (and 8 × 1.25 = 10).
const NICE_STEPS = [1, 1.2, 1.5, 1.8, 2, 2.5, 3, 3.5, 4, 5, 6, 7, 8];

/** The smallest number of the form s × 10^k (s one of 1, 1.2, 1.5, 1.8, 2, 2.5, 3, 3.5, 4, 5, 6, 7, 8)
 *  that is ≥ x, for x > 0: at most 25 % above x. So a colour range rounded with it changes only when the
 *  largest value crosses one of these steps (about 13 times per factor of ten), not on every keystroke
 *  that grows the largest |c| a little: unchanged, the heatmaps recolour only the new columns.
 *  x ≤ 0, NaN and Infinity come back as they are. */
export function niceCeil(x) {
  if (!(x > 0) || x === Infinity) return x;
  const k = Math.floor(Math.log10(x));
  // From the decade below: log10 may round across a power of ten. Dividing by 10^-e (not multiplying
  // by 10^e < 1) gives the double nearest to, e.g., 0.3.
  for (let e = k - 1; e <= k + 1; e++) {
    for (const s of NICE_STEPS) {
      const nice = e < 0 ? s / 10 ** -e : s * 10 ** e;
      if (nice >= x) return nice;
    }
  }
  return 10 ** (k + 2); // not reached: 10^(k+1) > x
}

/** {zmin, zmax} for each panel key of the cell: gates 0..1, tanh -1..1, signed panels symmetric around
 *  the largest |value| among the panels of their group rounded up with niceCeil (±1 when that is 0).
 *  maxAbs: key -> largest |value| of that panel. */
export function panelRanges(cell, keys, maxAbs) {
  const groupMax = {};
  for (const key of keys) {
    const group = panelOf(cell, key).group ?? key;
    groupMax[group] = Math.max(groupMax[group] ?? 0, maxAbs[key] ?? 0);
  }
  const ranges = {};
  for (const key of keys) {
    const { scale, group } = panelOf(cell, key);
    if (scale === "gate") ranges[key] = { zmin: 0, zmax: 1 };
    else if (scale === "tanh") ranges[key] = { zmin: -1, zmax: 1 };
    else {
      const m = niceCeil(groupMax[group ?? key] || 1);
      ranges[key] = { zmin: -m, zmax: m };
    }
  }
  return ranges;
}
