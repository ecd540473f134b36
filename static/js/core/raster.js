// Heatmap pixels: one pixel per (unit row, token column), coloured through a lookup table. Pure: no
// DOM; the page puts the pixels into an ImageData, Node's tests read them directly.
//
// A table holds TABLE_STEPS + 1 = 257 colours at positions k / 256 along a scale. An odd count puts
// zmin, the middle (zero on a diverging scale) and zmax each exactly on an entry; with 256 entries a
// zero would fall between two and show tinted. One more entry after them is transparent: a
// non-finite value leaves its cell empty, as Plotly's heatmaps did.
import { DIVERGING, VIRIDIS } from "./colors.js";

export const TABLE_STEPS = 256;
const TRANSPARENT = TABLE_STEPS + 1;

/** The colour scale of a panel (a cell spec's panel, views.js): Viridis for gates in 0..1, RdBu for the
 *  tanh and signed values. */
export function scaleOf(panel) {
  return panel.scale === "gate" ? VIRIDIS : DIVERGING;
}

function hexToRgb(hex) {
  const n = parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

/**
 * A colour lookup table of a Plotly-style scale [[position, "#rrggbb"], ...], interpolated linearly
 * in RGB between stops as Plotly does. Entries are RGBA bytes read as Uint32 in the platform's byte
 * order, so writing one into a Uint32Array view of ImageData.data puts r, g, b, a in place.
 * @param {Array<[number, string]>} stops positions 0..1, ascending
 * @returns {Uint32Array} (TABLE_STEPS + 2,): entries 0..TABLE_STEPS opaque, the last transparent
 */
export function colorTable(stops) {
  const bytes = new Uint8ClampedArray(4 * (TABLE_STEPS + 2));
  const rgb = stops.map(([, hex]) => hexToRgb(hex));
  let s = 1;
  for (let k = 0; k <= TABLE_STEPS; k++) {
    const pos = k / TABLE_STEPS;
    while (s < stops.length - 1 && stops[s][0] < pos) s += 1;
    const p0 = stops[s - 1][0];
    const p1 = stops[s][0];
    const w = p1 > p0 ? Math.min(Math.max((pos - p0) / (p1 - p0), 0), 1) : 0;
    for (let j = 0; j < 3; j++) bytes[4 * k + j] = Math.round(rgb[s - 1][j] + (rgb[s][j] - rgb[s - 1][j]) * w);
    bytes[4 * k + 3] = 255;
  }
  return new Uint32Array(bytes.buffer);
}

/**
 * Fill pixels (units.length rows of `width` pixels, row-major) with the colours of m's values: row r
 * is unit units[r], column t is token t, for tokens from..T−1 (the others are left as they are, so an
 * append colours only its new columns). Values at or past a row's zmin / zmax take the end colours.
 * @param {Uint32Array} pixels (U·width,) e.g. new Uint32Array(imageData.data.buffer)
 * @param {{T: number, H: number, data: Float32Array}} m (T, H) time-major
 * @param {ArrayLike<number>} units (U,) unit indices, top row first
 * @param {{zmin: number, zmax: number}} zrange every row's range, unless halfRanges is given
 * @param {Uint32Array} table from colorTable
 * @param {{from?: number, width?: number, halfRanges?: ArrayLike<number>|null, rows?: ArrayLike<number>|null}}
 *   [columns] first token to colour (0); row length (T); halfRanges (H,): each unit's own symmetric
 *   range, row r spans ±halfRanges[units[r]] (color_ranges.js "unit" mode); rows: the row indices to
 *   fill (every row when omitted)
 */
export function fillRaster(pixels, m, units, { zmin, zmax }, table,
  { from = 0, width = m.T, halfRanges = null, rows = null } = {}) {
  const { T, H, data } = m;
  if (width < T || pixels.length < units.length * width) {
    throw new RangeError(`${units.length}×${T} pixels do not fit in rows of ${width}`);
  }
  const count = rows ? rows.length : units.length;
  for (let j = 0; j < count; j++) {
    const r = rows ? rows[j] : j;
    const lo = halfRanges ? -halfRanges[units[r]] : zmin;
    const hi = halfRanges ? halfRanges[units[r]] : zmax;
    const scale = hi > lo ? TABLE_STEPS / (hi - lo) : 0;
    let p = r * width + from;
    for (let k = from * H + units[r]; k < T * H; k += H) {
      const x = (data[k] - lo) * scale;
      // NaN fails every comparison and lands on the transparent entry.
      pixels[p++] = table[x >= TABLE_STEPS ? TABLE_STEPS : x > 0 ? (x + 0.5) | 0 : x <= 0 ? 0 : TRANSPARENT];
    }
  }
}

/**
 * How many leading tokens two matrices of the same H share bit for bit (so their columns already
 * have the right colours): 0 when H differs, at most min(a.T, b.T).
 * @param {{T: number, H: number, data: Float32Array}} a (T, H)
 * @param {{T: number, H: number, data: Float32Array}} b (T', H)
 * @returns {number}
 */
export function sharedSteps(a, b) {
  if (a.H !== b.H || a.H === 0) return 0;
  const T = Math.min(a.T, b.T);
  if (a.data === b.data) return T;
  // Compared as bits: NaN equals itself, and the loop is a plain integer compare.
  const x = new Uint32Array(a.data.buffer, a.data.byteOffset, T * a.H);
  const y = new Uint32Array(b.data.buffer, b.data.byteOffset, T * b.H);
  for (let k = 0; k < x.length; k++) {
    if (x[k] !== y[k]) return Math.floor(k / a.H);
  }
  return T;
}
