// The colour ranges of the heatmaps: what value each end of a panel's colour scale stands for, and the
// words that say it, for the panels of any cell (its cell_spec, views.js). Gates (0..1) and tanh values
// (−1..1) keep fixed ranges; signed panels (scale "signed") are scaled in one of three modes, over every panel of their group:
//   "unit"   each row its own symmetric range: that unit's largest |value|, rounded up (niceCeil)
//   "robust" one range for every row: the 99th percentile of |value|, rounded up; cells beyond it are
//            drawn in the end colours ("clipped") and counted
//   "shared" one range for every row: the largest |value|, rounded up
// Ranges are computed over the whole text (rangeMatrices), so while an animation reveals the text step
// by step a colour keeps one meaning.
//
// Cost: the statistics are kept per block of BLOCK steps (each unit's largest |value|; a histogram of
// |value| over the float32 exponent and 3 mantissa bits, 2,048 bins of at most 1/8 octave), so a keystroke
// that keeps the first steps re-reads only the blocks from the first changed step on. The percentile is
// read off the summed histogram (interpolated inside its bin: within 12.5 % of the exact value, below
// the niceCeil rounding that follows); the clipped cells are counted exactly, per block, again only in
// blocks that changed (or everywhere when the range moved). Pure: no DOM; imports in Node too.
import { maxAbs } from "./arrays.js";
import { niceCeil, panelOf, panelRanges } from "./views.js";

export const SCALE_MODES = Object.freeze(["unit", "robust", "shared"]);
export const DEFAULT_SCALE_MODE = "unit";
export const PERCENTILE = 0.99;
export const BLOCK = 64; // steps per block of cached statistics
export const BINS = 2048; // |value|'s float32 bits >>> 20: 8 exponent bits and the top 3 of the mantissa
const FINITE_BINS = 0x7f800000 >>> 20; // bins from here on hold Infinity and NaN
const INFINITY_BITS = 0x7f800000;
// A row whose largest |value| is under this share of its group's largest is scaled to that floor: a
// silent unit's range-quantised noise (≈ 0.2 % of the range, app/serving/service.py quantize) stays pale.
export const UNIT_FLOOR = 0.01;

const bitsOf = (x) => new Uint32Array(Float32Array.of(x).buffer)[0];
const floatOf = (bits) => new Float32Array(Uint32Array.of(bits).buffer)[0];

/** The scale mode to use: `mode` when it is one of SCALE_MODES, else DEFAULT_SCALE_MODE. */
export function scaleModeOf(mode) {
  return SCALE_MODES.includes(mode) ? mode : DEFAULT_SCALE_MODE;
}

/** The keys of `keys` that share key's colour scale (the cell's panels' `group`), in keys' order. */
export function groupOf(cell, key, keys) {
  const group = panelOf(cell, key).group ?? key;
  return keys.filter((k) => (panelOf(cell, k).group ?? k) === group);
}

function bitsView(data) {
  return new Uint32Array(data.buffer, data.byteOffset, data.length);
}

/**
 * Per-block statistics of |value| of a (T, H) matrix; blocks before `keep` steps are taken from
 * `previous` (the same statistics of a matrix whose first `keep` steps were the same), the rest read.
 * @param {{T: number, H: number, data: Float32Array}} m (T, H) time-major
 * @param {{peaks?: boolean, histogram?: boolean, previous?: object|null, keep?: number}} [options]
 * @returns {{T: number, H: number, blocks: number, peaks: Float32Array|null, hist: Uint32Array|null,
 *   total: Uint32Array|null}}
 *   peaks (blocks·H,): peaks[b·H + u] = max |value| of unit u over block b's steps (NaN and ±Infinity
 *   left out); hist (blocks·BINS,): counts of |value| per bin (bits >>> 20 of |value|) per block, and
 *   total (BINS,) their sum over the blocks
 */
export function blockStats(m, { peaks = true, histogram = false, previous = null, keep = 0 } = {}) {
  const { T, H, data } = m;
  const blocks = Math.ceil(T / BLOCK);
  const usable = previous && previous.H === H && (!peaks || previous.peaks) && (!histogram || previous.hist);
  const kept = usable ? Math.min(Math.floor(Math.min(keep, previous.T, T) / BLOCK), previous.blocks) : 0;
  const out = {
    T, H, blocks,
    peaks: peaks ? new Float32Array(blocks * H) : null,
    hist: histogram ? new Uint32Array(blocks * BINS) : null,
    total: histogram ? new Uint32Array(BINS) : null,
  };
  if (kept > 0 && peaks) out.peaks.set(previous.peaks.subarray(0, kept * H));
  if (kept > 0 && histogram) {
    out.hist.set(previous.hist.subarray(0, kept * BINS));
    // The total of the kept blocks: the previous total less the blocks not kept (fewer to read).
    out.total.set(previous.total);
    for (let k = kept * BINS; k < previous.blocks * BINS; k++) out.total[k % BINS] -= previous.hist[k];
  }
  const bits = histogram ? bitsView(data) : null;
  for (let b = kept; b < blocks; b++) {
    const end = Math.min((b + 1) * BLOCK, T) * H;
    if (peaks) {
      const p = out.peaks.subarray(b * H, (b + 1) * H);
      for (let row = b * BLOCK * H; row < end; row += H) {
        for (let u = 0; u < H; u++) {
          const v = Math.abs(data[row + u]);
          if (v > p[u] && v < Infinity) p[u] = v; // NaN fails the comparison
        }
      }
    }
    if (histogram) {
      const h = out.hist.subarray(b * BINS, (b + 1) * BINS);
      for (let k = b * BLOCK * H; k < end; k++) h[(bits[k] & 0x7fffffff) >>> 20]++;
      for (let j = 0; j < BINS; j++) out.total[j] += h[j];
    }
  }
  return out;
}

/** Each unit's largest |value| over every block: (H,). */
export function unitPeaks(stats) {
  const { H, blocks, peaks } = stats;
  const out = new Float32Array(H);
  for (let b = 0; b < blocks; b++) {
    for (let u = 0, o = b * H; u < H; u++) if (peaks[o + u] > out[u]) out[u] = peaks[o + u];
  }
  return out;
}

/**
 * The p-quantile of |value| from a histogram of bins (blockStats' total), interpolated linearly inside its
 * bin (so within 12.5 % of the exact quantile); Infinity and NaN are left out. 0 when there is none.
 * @param {Uint32Array} hist (BINS,)
 * @param {number} p 0 < p ≤ 1
 */
export function quantileOf(hist, p) {
  let n = 0;
  for (let j = 0; j < FINITE_BINS; j++) n += hist[j];
  if (n === 0) return 0;
  const rank = Math.max(1, Math.ceil(p * n));
  let below = 0;
  for (let j = 0; j < FINITE_BINS; j++) {
    if (below + hist[j] >= rank) {
      const lo = floatOf(j << 20);
      const hi = floatOf((j + 1) << 20);
      return lo + ((hi - lo) * (rank - below)) / hist[j];
    }
    below += hist[j];
  }
  return floatOf(FINITE_BINS << 20); // not reached
}

/**
 * How many cells have |value| > limit (Infinity counts, NaN does not), per block, re-counting only the
 * blocks from `keep` steps on when `previous` counted the same limit.
 * @returns {{T: number, H: number, limit: number, blocks: Uint32Array, total: number}}
 */
export function countBeyond(m, limit, { previous = null, keep = 0 } = {}) {
  const { T, H, data } = m;
  const n = Math.ceil(T / BLOCK);
  const blocks = new Uint32Array(n);
  const usable = previous && previous.H === H && previous.limit === limit;
  const kept = usable ? Math.min(Math.floor(Math.min(keep, previous.T, T) / BLOCK), previous.blocks.length) : 0;
  if (kept > 0) blocks.set(previous.blocks.subarray(0, kept));
  const bits = bitsView(data);
  const top = bitsOf(limit);
  for (let b = kept; b < n; b++) {
    let count = 0;
    const end = Math.min((b + 1) * BLOCK, T) * H;
    for (let k = b * BLOCK * H; k < end; k++) {
      const a = bits[k] & 0x7fffffff;
      if (a > top && a <= INFINITY_BITS) count++;
    }
    blocks[b] = count;
  }
  let total = 0;
  for (let b = 0; b < n; b++) total += blocks[b];
  return { T, H, limit, blocks, total };
}

/**
 * The colour range of every panel in `keys`.
 *
 * A PanelRange is {mode, zmin, zmax, perUnit, clipped, group}:
 *   mode "fixed" (gates 0..1, tanh −1..1), "shared", "robust" or "unit";
 *   zmin, zmax the colour bar's ends (unit mode: ± the largest row range, for reference only);
 *   perUnit (H,) Float64Array of each unit's half-range in unit mode (row of unit u spans ±perUnit[u]),
 *     else null;
 *   clipped the cells of this panel beyond ±zmax in robust mode (else 0);
 *   group the keys of `keys` that share this scale.
 *
 * @param {object} p
 * @param {object} p.cell the cell's spec (/api/models cell_spec): its panels' scales and groups
 * @param {string[]} p.keys panel keys of the cell
 * @param {{[key: string]: {T: number, H: number, data: Float32Array}}} p.matrices (T, H) each: the
 *   numbers the ranges are computed over (the whole text)
 * @param {string} [p.mode] "unit" (default), "robust" or "shared"
 * @param {object|null} [p.cache] the `cache` a previous call returned, to re-read only what changed
 * @param {number} [p.keep] how many leading steps of every matrix are the same as in that call
 * @returns {{ranges: {[key: string]: object}, cache: object}}
 */
export function colourRanges({ cell, keys, matrices, mode, cache = null, keep = 0 }) {
  const scale = scaleModeOf(mode);
  const next = { stats: {}, counts: {} };
  const ranges = {};
  const done = new Set();
  for (const key of keys) {
    if (done.has(key)) continue;
    if (panelOf(cell, key).scale !== "signed") { // gates 0..1, tanh −1..1: views.js panelRanges
      ranges[key] = { mode: "fixed", ...panelRanges(cell, [key], {})[key], perUnit: null, clipped: 0, group: [key] };
      done.add(key);
      continue;
    }
    const group = groupOf(cell, key, keys).filter((k) => matrices[k]);
    for (const k of group) done.add(k);
    if (scale === "shared") { // the group's largest |value|, rounded up: views.js panelRanges
      const shared = panelRanges(cell, group, Object.fromEntries(group.map((k) => [k, maxAbs(matrices[k])])));
      for (const k of group) ranges[k] = { mode: "shared", ...shared[k], perUnit: null, clipped: 0, group };
      continue;
    }
    const stats = group.map((k) => {
      const s = blockStats(matrices[k], {
        peaks: scale === "unit", histogram: scale === "robust", previous: cache?.stats?.[k] ?? null, keep,
      });
      next.stats[k] = s;
      return s;
    });
    if (scale === "unit") {
      const H = matrices[group[0]].H;
      const perUnit = new Float64Array(H); // nice numbers exactly (0.2, not float32's 0.2000000029)
      for (const s of stats) {
        const p = unitPeaks(s);
        for (let u = 0; u < H; u++) if (p[u] > perUnit[u]) perUnit[u] = p[u];
      }
      let largest = 0;
      for (let u = 0; u < H; u++) largest = Math.max(largest, perUnit[u]);
      const floor = largest * UNIT_FLOOR;
      for (let u = 0; u < H; u++) perUnit[u] = niceCeil(Math.max(perUnit[u], floor)) || 1;
      let top = 0;
      for (let u = 0; u < H; u++) top = Math.max(top, perUnit[u]);
      for (const k of group) {
        ranges[k] = { mode: "unit", zmin: -(top || 1), zmax: top || 1, perUnit, clipped: 0, group };
      }
      continue;
    }
    const hist = new Uint32Array(BINS);
    for (const s of stats) for (let j = 0; j < BINS; j++) hist[j] += s.total[j];
    const limit = niceCeil(quantileOf(hist, PERCENTILE)) || 1;
    for (const k of group) {
      const counted = countBeyond(matrices[k], limit, { previous: cache?.counts?.[k] ?? null, keep });
      next.counts[k] = counted;
      ranges[k] = { mode: "robust", zmin: -limit, zmax: limit, perUnit: null, clipped: counted.total, group };
    }
  }
  return { ranges, cache: next };
}

/** The range row `row` is drawn with: {zmin, zmax}. units: (U,) the unit of each row. */
export function rowRangeOf(range, units, row) {
  if (range.perUnit) {
    const half = range.perUnit[units[row]];
    return { zmin: -half, zmax: half };
  }
  return { zmin: range.zmin, zmax: range.zmax };
}

/** A range's number as people read it: "15", "1.8", "0.035", "1500" (niceCeil numbers, no float noise). */
export function rangeNumber(x) {
  return String(Number(x.toPrecision(4)));
}

// What the colours of a panel mean, in words (the scale's ends, then what the sign says), from its role in
// the cell: the memory ledger (group "ledger"), the cell's memory, a gate, a tanh value, another signed value.
const TANH = "red: +1 · blue: −1 · white: 0";
const LEDGER = {
  kept: () => "red: positive memory kept · blue: negative memory kept · pale: little kept",
  forgotten: () => "red / blue: the sign of the memory erased (blue is not “less forgotten”) · pale: nothing erased",
  written: (m) => `red: pushes ${m} up · blue: pushes ${m} down · pale: writes little`,
};

/** What the colours of the cell's panel `key` mean, in words. */
export function colourWords(cell, key) {
  const panel = panelOf(cell, key);
  const memory = cell.memory ?? "c";
  if (panel.group === "ledger" && LEDGER[key]) return `${LEDGER[key](memory)}.`;
  if (panel.scale === "gate") return `yellow: open ≈ 1 · purple: closed ≈ 0 (${panel.plain}).`;
  if (panel.scale === "tanh") return `${TANH}.`;
  if (key === memory) return "red: positive memory · blue: negative memory · pale: near 0.";
  return "red: positive · blue: negative · pale: near 0.";
}

function sharedBy(range) {
  return range.group.length > 1 ? `, one scale for ${range.group.join(" · ")}` : "";
}

/** The scale of a panel in words: "Each row on its own range", "±15 for every row", "±12 for every row:
 *  99th percentile; 31 cells beyond it drawn at the ends", "Fixed: 0 to 1". */
export function scaleWords(range) {
  const x = rangeNumber(range.zmax);
  if (range.mode === "fixed") return range.zmin === 0 ? "Fixed: 0 to 1." : "Fixed: −1 to +1.";
  if (range.mode === "unit") return "Each row on its own range.";
  if (range.mode === "robust") {
    const beyond = range.clipped === 0 ? "no cell beyond it"
      : `${range.clipped} cell${range.clipped === 1 ? "" : "s"} beyond it drawn at the ends`;
    return `±${x} for every row${sharedBy(range)}: ${Math.round(PERCENTILE * 100)}th percentile; ${beyond}.`;
  }
  return `±${x} for every row${sharedBy(range)}.`;
}
