// What each heatmap shows and which heatmaps a view groups. Pure data and functions (no DOM), so
// the page and Node's tests share them.

/** Scale kinds: "gate" 0..1 sequential; "tanh" -1..1 diverging; "signed" diverging centred on 0, its
 *  range shared by every panel with the same `group` (color_ranges.js: per row, a percentile or the
 *  largest magnitude, rounded up to a nice number with niceCeil). */
export const PANELS = {
  kept: { title: "kept memory", symbol: "f⊙cₜ₋₁", plain: "what is remembered", scale: "signed", group: "ledger" },
  forgotten: { title: "forgotten memory", symbol: "(1−f)⊙cₜ₋₁", plain: "what is erased", scale: "signed",
    group: "ledger" },
  // One scale for the memory ledger: c = kept + written, so a colour means the same amount of memory in
  // all three (per row in color_ranges.js "unit" mode, which keeps small writes visible).
  written: { title: "written memory", symbol: "i⊙g", plain: "what is added", scale: "signed", group: "ledger" },
  f: { title: "forget gate", symbol: "f", plain: "what is kept", scale: "gate" },
  i: { title: "input gate", symbol: "i", plain: "how much is written", scale: "gate" },
  g: { title: "candidate", symbol: "g", plain: "what could be written", scale: "tanh" },
  o: { title: "output gate", symbol: "o", plain: "what is exposed", scale: "gate" },
  c: { title: "cell state", symbol: "c", plain: "memory", scale: "signed", group: "c" },
  h: { title: "hidden state", symbol: "h", plain: "output", scale: "tanh" },
  // A vanilla RNN (cell "rnn"): h_t = tanh(a_t), and h is all it carries from step to step.
  a: { title: "pre-activation", symbol: "a", plain: "what h is the tanh of", scale: "signed" },
};

/** The views a person can pick; `memory` answers "what is remembered, what is forgotten" at a glance. */
export const VIEWS = {
  memory: { label: "Memory: kept · forgotten · written", panels: ["kept", "forgotten", "written"] },
  gates: { label: "Gates: f · i · g · o", panels: ["f", "i", "g", "o"] },
  states: { label: "States: c · h", panels: ["c", "h"] },
  all: { label: "Everything", panels: ["kept", "forgotten", "written", "f", "i", "g", "o", "c", "h"] },
};
export const DEFAULT_VIEW = "memory";

/** A vanilla RNN has no gates and no cell: one view. */
export const RNN_VIEWS = {
  hidden: { label: "Hidden state: h · a (a vanilla RNN has no gates and no cell)", panels: ["h", "a"] },
};
const CELL_VIEWS = { lstm: VIEWS, rnn: RNN_VIEWS };
const CELL_DEFAULT_VIEW = { lstm: DEFAULT_VIEW, rnn: "hidden" };
/** Every view name a link may carry, whatever the model. */
export const ALL_VIEWS = Object.freeze([...Object.keys(VIEWS), ...Object.keys(RNN_VIEWS)]);

/** The views of a model's cell ("lstm" when unknown). */
export function viewsFor(cell) {
  return CELL_VIEWS[cell] ?? VIEWS;
}

/** `view` when the cell has it, else the cell's default view. */
export function viewFor(cell, view) {
  return view in viewsFor(cell) ? view : CELL_DEFAULT_VIEW[cell] ?? DEFAULT_VIEW;
}

/** The quantity that carries what a cell remembers: the order and span tools score units by it. */
export function memoryQuantity(cell) {
  return cell === "rnn" ? "h" : ORDER_QUANTITY;
}

/** Unit orderings; scores come from units.js over ORDER_QUANTITY. */
export const ORDERS = {
  index: "unit number",
  activity: "activity over the text (mean |c|; |h| for an RNN)",
  change: "change at the selected step (|Δc|; |Δh| for an RNN)",
  span: "match to the selected span (h high inside, low outside)",
};
export const ORDER_QUANTITY = "c";
export const SPAN_QUANTITY = "h";

/** "forget gate f — what is kept": the plain words first, the symbol beside them. */
export function panelTitle(key) {
  const p = PANELS[key];
  return `${p.title} ${p.symbol} — ${p.plain}`;
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

/** {zmin, zmax} for each panel key: gates 0..1, tanh -1..1, signed panels symmetric around the
 *  largest |value| among the panels of their group rounded up with niceCeil (±1 when that is 0).
 *  maxAbs: key -> largest |value| of that panel. */
export function panelRanges(keys, maxAbs) {
  const groupMax = {};
  for (const key of keys) {
    const group = PANELS[key].group ?? key;
    groupMax[group] = Math.max(groupMax[group] ?? 0, maxAbs[key] ?? 0);
  }
  const ranges = {};
  for (const key of keys) {
    const { scale, group } = PANELS[key];
    if (scale === "gate") ranges[key] = { zmin: 0, zmax: 1 };
    else if (scale === "tanh") ranges[key] = { zmin: -1, zmax: 1 };
    else {
      const m = niceCeil(groupMax[group ?? key] || 1);
      ranges[key] = { zmin: -m, zmax: m };
    }
  }
  return ranges;
}
