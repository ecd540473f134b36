// Which units to show, in which order: activity, change at a step, pinned units first, and
// LSTMVis-style span search ("high inside the selected tokens, low outside"). Pure: no DOM;
// works on the {T, H, data} matrices of arrays.js and imports in Node too.

/**
 * Mean |value| of each unit over the tokens (0 when T = 0).
 * @param {{T: number, H: number, data: Float32Array}} m (T, H)
 * @returns {Float64Array} (H,)
 */
export function activity(m) {
  const out = new Float64Array(m.H);
  if (m.T === 0) return out;
  const { data, H } = m;
  // Row by row (the same sums, in the same order, as k % H would give, without a division per value).
  for (let k = 0, u = 0; k < data.length; k++) {
    out[u] += Math.abs(data[k]);
    if (++u === H) u = 0;
  }
  for (let u = 0; u < H; u++) out[u] /= m.T;
  return out;
}

/**
 * How much each unit moved at step t: |m[t,u] − m[t−1,u]|; at t = 0 the change from the zero state, |m[0,u]|.
 * @param {{T: number, H: number, data: Float32Array}} m (T, H)
 * @param {number} t step, 0 ≤ t < T
 * @returns {Float64Array} (H,)
 */
export function changeAt(m, t) {
  if (!Number.isInteger(t) || t < 0 || t >= m.T) throw new RangeError(`step ${t} is outside 0..${m.T - 1}`);
  const out = new Float64Array(m.H);
  for (let u = 0; u < m.H; u++) {
    const k = t * m.H + u;
    out[u] = Math.abs(m.data[k] - (t > 0 ? m.data[k - m.H] : 0));
  }
  return out;
}

/**
 * Units in display order: pinned units first (in pin order, deduplicated, out-of-range ignored),
 * then the rest by score descending (ties: lower index first; NaN last) or by index when scores is
 * null; then cut to topN entries in total, never dropping a pinned unit.
 * @param {{H: number, scores?: ArrayLike<number>|null, pinned?: number[], topN?: number|null}} options
 *   H units; scores (H,) or null; topN null for all
 * @returns {number[]} unit indices, each 0 ≤ u < H, no repeats
 */
export function orderUnits({ H, scores = null, pinned = [], topN = null }) {
  const pins = [...new Set(pinned.filter((u) => Number.isInteger(u) && u >= 0 && u < H))];
  const isPinned = new Set(pins);
  const rest = [];
  for (let u = 0; u < H; u++) if (!isPinned.has(u)) rest.push(u);
  if (scores !== null) {
    const score = (u) => (Number.isNaN(scores[u]) ? -Infinity : scores[u]);
    rest.sort((a, b) => score(b) - score(a) || a - b);
  }
  const order = [...pins, ...rest];
  return topN === null ? order : order.slice(0, Math.max(topN, pins.length));
}

// Mean of every unit over the steps lo..hi (inclusive) and over the other steps (null when none).
function spanMeans(m, start, end) {
  for (const t of [start, end]) {
    if (!Number.isInteger(t) || t < 0 || t >= m.T) throw new RangeError(`step ${t} is outside 0..${m.T - 1}`);
  }
  const [lo, hi] = start <= end ? [start, end] : [end, start];
  const nInside = hi - lo + 1;
  const nOutside = m.T - nInside;
  const inside = new Float64Array(m.H);
  const outside = new Float64Array(m.H);
  for (let t = 0; t < m.T; t++) {
    const sums = t >= lo && t <= hi ? inside : outside;
    for (let u = 0; u < m.H; u++) sums[u] += m.data[t * m.H + u];
  }
  for (let u = 0; u < m.H; u++) {
    inside[u] /= nInside;
    outside[u] /= nOutside || 1;
  }
  return { inside, outside: nOutside > 0 ? outside : null };
}

/**
 * "High inside, low outside" (LSTMVis brushing): each unit's mean over tokens start..end (inclusive;
 * swapped when start > end) minus its mean over the other tokens; the inside mean when there are none.
 * @param {{T: number, H: number, data: Float32Array}} m (T, H)
 * @param {number} start first token of the span, 0 ≤ start < T
 * @param {number} end last token of the span, 0 ≤ end < T
 * @returns {Float64Array} (H,)
 */
export function spanScores(m, start, end) {
  return scoresOf(spanMeans(m, start, end));
}

function scoresOf({ inside, outside }) {
  return outside === null ? inside.slice() : inside.map((v, u) => v - outside[u]);
}

/**
 * The n units that best mark the span start..end, by spanScores descending (ties: lower index).
 * @param {{T: number, H: number, data: Float32Array}} m (T, H)
 * @param {number} start first token of the span, 0 ≤ start < T
 * @param {number} end last token of the span, 0 ≤ end < T (swapped with start when smaller)
 * @param {number} n how many units, at most H are returned
 * @returns {{unit: number, score: number, inside: number, outside: number|null}[]} inside/outside:
 *   the unit's mean over the span and over the other tokens (null when the span covers every token)
 */
export function rankBySpan(m, start, end, n) {
  const { inside, outside } = spanMeans(m, start, end);
  const scores = scoresOf({ inside, outside });
  return orderUnits({ H: m.H, scores, topN: n }).map((unit) => ({
    unit,
    score: scores[unit],
    inside: inside[unit],
    outside: outside === null ? null : outside[unit],
  }));
}

/**
 * The units to show when not all rows can be read: pinned units, the selected unit and the named ones
 * (the model card's notable units) first, then the most active (activity descending, ties: lower
 * index) until `capacity` rows; never fewer than the pinned, selected and named units.
 * @param {{H: number, capacity: number, named?: number[], pinned?: number[], activity: ArrayLike<number>,
 *   selected?: number|null}} options activity (H,), e.g. activity() of c
 * @returns {number[]} unit indices, each 0 ≤ u < H, no repeats, the ones that must stay first
 */
export function fitUnits({ H, capacity, named = [], pinned = [], activity: act, selected = null }) {
  const keep = [];
  const seen = new Set();
  const add = (u) => {
    if (Number.isInteger(u) && u >= 0 && u < H && !seen.has(u)) {
      seen.add(u);
      keep.push(u);
    }
  };
  pinned.forEach(add);
  add(selected);
  named.forEach(add);
  const score = (u) => (Number.isNaN(act[u]) ? -Infinity : act[u]);
  const rest = Array.from({ length: H }, (_, u) => u).filter((u) => !seen.has(u));
  rest.sort((a, b) => score(b) - score(a) || a - b);
  for (const u of rest) {
    if (keep.length >= capacity) break;
    add(u);
  }
  return keep;
}
