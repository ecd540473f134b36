// The memory ledger of DESIGN.md, per unit and step:
//   kept_t      = f_t ⊙ c_{t−1}          what the forget gate lets through
//   forgotten_t = (1 − f_t) ⊙ c_{t−1}    what it erases
//   written_t   = i_t ⊙ g_t              what the input gate adds
// so c_t = kept_t + written_t. Pure: no DOM; imports in Node too.
import { matrix } from "./arrays.js";

/**
 * The ledger of one layer from its gates and cell state.
 * @param {{f: object, i: object, g: object, c: object}} layer matrices {T, H, data: Float32Array},
 *   each (T, H), time-major
 * @param {ArrayLike<number>|null} [c0] c_{−1}, the cell state before the first step, (H,); zeros when null
 * @returns {{kept: object, forgotten: object, written: object}} matrices, each (T, H), float32
 *   (products taken in float64, then stored as float32)
 * @throws {Error} when the shapes differ or c0 is not of length H
 */
export function ledger({ f, i, g, c }, c0 = null) {
  const { T, H } = c;
  for (const [name, m] of Object.entries({ f, i, g })) {
    if (m.T !== T || m.H !== H) throw new Error(`${name} is ${m.T}×${m.H}, c is ${T}×${H}: shapes must match`);
  }
  if (c0 !== null && c0.length !== H) throw new Error(`c0 has ${c0.length} values, the layer has H=${H} units`);
  const kept = matrix(T, H);
  const forgotten = matrix(T, H);
  const written = matrix(T, H);
  for (let t = 0; t < T; t++) {
    for (let u = 0; u < H; u++) {
      const k = t * H + u;
      const c_prev = t > 0 ? c.data[k - H] : (c0 === null ? 0 : c0[u]);
      kept.data[k] = f.data[k] * c_prev;
      forgotten.data[k] = (1 - f.data[k]) * c_prev;
      written.data[k] = i.data[k] * g.data[k];
    }
  }
  return { kept, forgotten, written };
}
