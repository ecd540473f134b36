// What every Plotly chart of the page shares: colour scales, escaping, token tick labels that fit,
// and the column outlines for the selected and the hovered step.

// Signed quantities: ColorBrewer RdBu (colour-blind safe), negative blue, zero white, positive red.
export const DIVERGING = [
  [0, "#053061"], [0.1, "#2166ac"], [0.2, "#4393c3"], [0.3, "#92c5de"], [0.4, "#d1e5f0"],
  [0.5, "#f7f7f7"],
  [0.6, "#fddbc7"], [0.7, "#f4a582"], [0.8, "#d6604d"], [0.9, "#b2182b"], [1, "#67001f"],
];
// Gates are sigmoids in 0..1: a sequential, colour-blind-safe scale with fixed ends.
export const SEQUENTIAL = "Viridis";

// Tick labels need this many pixels each: upright for one or two characters (char models),
// slanted (-45°) when there is room, else vertical; when even that overlaps, only every n-th
// column is labelled. NON_DATA_PX: room the y axis and the colour bar take from a heatmap's width.
const UPRIGHT_LABEL_PX = 16;
const SLANTED_LABEL_PX = 34;
const VERTICAL_LABEL_PX = 20;
const NON_DATA_PX = 130;

/** Plotly reads labels as pseudo-HTML: escape so a token such as "<b>" shows as typed. */
export function plotlyText(text) {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

export function range(n) {
  return Array.from({ length: n }, (_, k) => k);
}

/** Whether a label is at most two characters (code points, as Array.from counts them) without splitting
 *  it into an array: ≤ 2 code units always are, > 4 never; 3 or 4 are counted, a surrogate pair as one. */
function isShort(label) {
  const n = label.length;
  if (n <= 2) return true;
  if (n > 4) return false;
  let points = 0;
  for (let k = 0; k < n; k++, points++) {
    const unit = label.charCodeAt(k);
    if (unit >= 0xd800 && unit <= 0xdbff && k + 1 < n) {
      const next = label.charCodeAt(k + 1);
      if (next >= 0xdc00 && next <= 0xdfff) k++;
    }
  }
  return points <= 2;
}

/** {tickvals, ticktext, tickangle} labelling as many of `labels` as fit in a plot `width` px wide.
 *  The tick values are stepped through (t += every), not filtered from every index: a 2,000-token
 *  text costs what its few dozen ticks cost, plus one cheap length test per label. */
export function xTicks(labels, width) {
  const room = Math.max(width - NON_DATA_PX, VERTICAL_LABEL_PX);
  const upright = labels.every(isShort);
  const slanted = !upright && labels.length * SLANTED_LABEL_PX <= room;
  const labelPx = upright ? UPRIGHT_LABEL_PX : VERTICAL_LABEL_PX;
  const every = Math.max(1, Math.ceil((labels.length * labelPx) / room));
  const tickvals = [];
  for (let t = 0; t < labels.length; t += every) tickvals.push(t);
  return {
    tickvals,
    ticktext: tickvals.map((t) => plotlyText(labels[t])),
    tickangle: upright ? 0 : slanted ? -45 : -90,
  };
}

/** A Plotly shape outlining column x: "selected" (a dark frame) or "hover" (a yellow wash). */
export function columnShape(x, kind) {
  const selected = kind === "selected";
  return {
    type: "rect", xref: "x", yref: "paper", x0: x - 0.5, x1: x + 0.5, y0: 0, y1: 1,
    line: { color: selected ? "#111" : "rgba(0,0,0,0)", width: selected ? 2 : 0 },
    fillcolor: selected ? "rgba(0,0,0,0)" : "rgba(255,200,0,0.35)",
    name: kind,
  };
}
