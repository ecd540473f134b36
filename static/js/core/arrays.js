// Time-major float32 matrices as the trace carries them: {T, H, data} with data[t * H + u] the
// value of unit u at step t (T tokens, H units). Pure: no DOM, no Plotly; imports in Node too.

// Typed arrays use the platform's byte order and the wire format is little-endian; every browser
// platform is little-endian, but a big-endian one would read garbage silently, so it is checked.
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * A matrix of T steps × H units over `data` (a Float32Array of T·H, row t = step t).
 * @param {number} T steps (tokens), ≥ 0
 * @param {number} H units, ≥ 0
 * @param {Float32Array} [data] T·H values, time-major; zeros when omitted
 * @returns {{T: number, H: number, data: Float32Array}}
 */
export function matrix(T, H, data) {
  if (!Number.isInteger(T) || !Number.isInteger(H) || T < 0 || H < 0) {
    throw new Error(`a matrix needs whole sizes T ≥ 0 and H ≥ 0, got T=${T}, H=${H}`);
  }
  if (data === undefined) return { T, H, data: new Float32Array(T * H) };
  if (!(data instanceof Float32Array) || data.length !== T * H) {
    throw new Error(`a ${T}×${H} matrix needs a Float32Array of ${T * H} values`);
  }
  return { T, H, data };
}

/** The bytes of base64 text (the browser's Uint8Array.fromBase64 where it has one, else atob).
 * @throws {Error} when bdata is not valid base64 */
export function base64Bytes(bdata) {
  if (typeof Uint8Array.fromBase64 === "function") { // the browser's own decoder: twice as fast as atob's loop
    try {
      return Uint8Array.fromBase64(bdata);
    } catch {
      throw new Error("bdata is not valid base64");
    }
  }
  let binary;
  try {
    binary = atob(bdata);
  } catch {
    throw new Error("bdata is not valid base64");
  }
  const bytes = new Uint8Array(binary.length);
  for (let k = 0; k < binary.length; k++) bytes[k] = binary.charCodeAt(k);
  return bytes;
}

/**
 * Decode a typed-array spec of the trace into a float32 matrix.
 * @param {{dtype: string, bdata: string, shape: string, lo?: number, hi?: number}} spec shape "T,H"
 *   (time-major; T = 0 allowed); dtype "f4": bdata is base64 of little-endian float32; dtype "u1":
 *   range-quantised bytes q, value = lo + q·(hi − lo)/255 (the server's app/serving/service.py quantize)
 * @returns {{T: number, H: number, data: Float32Array}} data: Float32Array(T·H)
 * @throws {Error} when the dtype is unknown, the shape is not "T,H", or the bytes do not fit
 */
export function decodeSpec(spec) {
  if (spec === null || typeof spec !== "object") throw new Error("expected a typed-array spec {dtype, bdata, shape}");
  if (spec.dtype !== "f4" && spec.dtype !== "u1") {
    throw new Error(`expected dtype "f4" (float32) or "u1" (quantised), got ${JSON.stringify(spec.dtype)}`);
  }
  const match = typeof spec.shape === "string" ? /^(\d+),(\d+)$/.exec(spec.shape) : null;
  if (!match) throw new Error(`expected shape "T,H" (two sizes), got ${JSON.stringify(spec.shape)}`);
  const T = Number(match[1]);
  const H = Number(match[2]);
  const bytes = base64Bytes(spec.bdata);
  const size = spec.dtype === "f4" ? 4 : 1;
  if (bytes.length !== T * H * size) {
    throw new Error(`shape ${T},${H} needs ${T * H * size} bytes of ${spec.dtype}, bdata holds ${bytes.length}`);
  }
  if (spec.dtype === "u1") {
    if (!Number.isFinite(spec.lo) || !Number.isFinite(spec.hi)) throw new Error("a u1 spec needs numbers lo and hi");
    const step = (spec.hi - spec.lo) / 255;
    // The 256 values a byte can stand for, each rounded to float32 as the loop would round it.
    const table = new Float32Array(256);
    for (let q = 0; q < 256; q++) table[q] = spec.lo + q * step;
    const data = new Float32Array(T * H);
    for (let k = 0; k < data.length; k++) data[k] = table[bytes[k]];
    return matrix(T, H, data);
  }
  if (LITTLE_ENDIAN) return matrix(T, H, new Float32Array(bytes.buffer));
  const view = new DataView(bytes.buffer);
  const data = new Float32Array(T * H);
  for (let k = 0; k < data.length; k++) data[k] = view.getFloat32(4 * k, true);
  return matrix(T, H, data);
}

function checkStep(m, t) {
  if (!Number.isInteger(t) || t < 0 || t >= m.T) throw new RangeError(`step ${t} is outside 0..${m.T - 1}`);
}

function checkUnit(m, u) {
  if (!Number.isInteger(u) || u < 0 || u >= m.H) throw new RangeError(`unit ${u} is outside 0..${m.H - 1}`);
}

/**
 * The value of unit u at step t.
 * @param {{T: number, H: number, data: Float32Array}} m (T, H)
 * @param {number} t step, 0 ≤ t < T
 * @param {number} u unit, 0 ≤ u < H
 * @returns {number}
 */
export function at(m, t, u) {
  checkStep(m, t);
  checkUnit(m, u);
  return m.data[t * m.H + u];
}

/**
 * One unit over all steps (a copy).
 * @param {{T: number, H: number, data: Float32Array}} m (T, H)
 * @param {number} u unit, 0 ≤ u < H
 * @returns {Float32Array} (T,)
 */
export function column(m, u) {
  checkUnit(m, u);
  const out = new Float32Array(m.T);
  for (let t = 0; t < m.T; t++) out[t] = m.data[t * m.H + u];
  return out;
}

/**
 * All units at one step (a view into m.data: do not write to it).
 * @param {{T: number, H: number, data: Float32Array}} m (T, H)
 * @param {number} t step, 0 ≤ t < T
 * @returns {Float32Array} (H,)
 */
export function row(m, t) {
  checkStep(m, t);
  return m.data.subarray(t * m.H, (t + 1) * m.H);
}

/**
 * The chosen units as rows, in the given order: a Plotly heatmap's `z` (units × tokens, no transpose).
 * @param {{T: number, H: number, data: Float32Array}} m (T, H)
 * @param {number[]} units unit indices, each 0 ≤ u < H
 * @returns {Float32Array[]} units.length rows of (T,)
 */
export function unitRows(m, units) {
  return units.map((u) => column(m, u));
}

/**
 * The smallest and largest value; {min: 0, max: 0} for an empty matrix.
 * @param {{T: number, H: number, data: Float32Array}} m (T, H)
 * @returns {{min: number, max: number}}
 */
export function extent(m) {
  if (m.data.length === 0) return { min: 0, max: 0 };
  let min = Infinity;
  let max = -Infinity;
  for (const v of m.data) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { min, max };
}

/**
 * The largest magnitude, max |value| (0 for an empty matrix): the half-range of a colour scale centred on 0.
 * A matrix that carries `peak` (trace_store.js: peak[t] = max |value| over steps 0..t) answers at once.
 * @param {{T: number, H: number, data: Float32Array, peak?: Float32Array}} m (T, H)
 * @returns {number}
 */
export function maxAbs(m) {
  if (m.peak && m.peak.length >= m.T) return m.T ? m.peak[m.T - 1] : 0;
  let max = 0;
  // An indexed loop: for-of over a typed array is about 4× slower in V8, and the heatmaps call this per redraw.
  for (let k = 0; k < m.data.length; k++) max = Math.max(max, Math.abs(m.data[k]));
  return max;
}
