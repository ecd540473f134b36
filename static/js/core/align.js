// Aligning two token sequences (a minimal pair such as "Today , due to my …" / "Last year , due to
// my …") and comparing one quantity over the aligned steps. Pure: no DOM, no Plotly; works on the
// {T, H, data} matrices of arrays.js and imports in Node too.
import { matrix } from "./arrays.js";
import { orderUnits } from "./units.js";

function textOf(token) {
  return typeof token === "string" ? token : String(token?.text ?? "");
}

// Each token as a small integer (equal lower-cased texts, equal ids), so the DP compares numbers.
function tokenIds(a, b) {
  const ids = new Map();
  const encode = (tokens) => {
    const out = new Int32Array(tokens.length);
    tokens.forEach((token, k) => {
      const key = textOf(token).toLowerCase();
      let id = ids.get(key);
      if (id === undefined) {
        id = ids.size;
        ids.set(key, id);
      }
      out[k] = id;
    });
    return out;
  };
  return [encode(a), encode(b)];
}

/**
 * Matched positions of a longest common subsequence of two token sequences, compared by lower-cased
 * text. Among equally long alignments, matches sit as late as possible (the walk back from the ends
 * takes every match it can), so a differing prefix is left unmatched: "Today , due …" and
 * "Last year , due …" match from "," on, and ["a", "x"] vs ["a", "a", "x"] pairs "a" with the second "a".
 * O(n·m) time and memory (typed arrays; about 8 MB at 2,000 × 2,000).
 * @param {Array<string|{text: string}>} a tokens of text A (strings, or token objects with `text`)
 * @param {Array<string|{text: string}>} b tokens of text B
 * @returns {Array<[number, number]>} pairs [ta, tb], increasing in both, ta < a.length, tb < b.length
 */
export function alignTokens(a, b) {
  const n = a.length;
  const m = b.length;
  if (n === 0 || m === 0) return [];
  const [x, y] = tokenIds(a, b);
  const width = m + 1;
  // lcs[i * width + j] = LCS length of a[0..i) and b[0..j); it never exceeds min(n, m).
  const Cells = Math.min(n, m) < 0xffff ? Uint16Array : Uint32Array;
  const lcs = new Cells((n + 1) * width);
  for (let i = 1; i <= n; i++) {
    const xi = x[i - 1];
    const row = i * width;
    const up = row - width;
    for (let j = 1; j <= m; j++) {
      if (xi === y[j - 1]) lcs[row + j] = lcs[up + j - 1] + 1;
      else {
        const top = lcs[up + j];
        const left = lcs[row + j - 1];
        lcs[row + j] = top >= left ? top : left;
      }
    }
  }
  const pairs = [];
  let i = n;
  let j = m;
  while (i > 0 && j > 0) {
    if (x[i - 1] === y[j - 1]) {
      // Matching the last tokens is always part of some longest alignment, and the latest one.
      pairs.push([i - 1, j - 1]);
      i--;
      j--;
    } else if (lcs[(i - 1) * width + j] >= lcs[i * width + j - 1]) {
      i--; // skip a token of A (on a tie too: a fixed rule keeps the result deterministic)
    } else {
      j--;
    }
  }
  return pairs.reverse();
}

/**
 * A − B over aligned steps: row k is mA's step pairs[k][0] minus mB's step pairs[k][1].
 * @param {{T: number, H: number, data: Float32Array}} mA (T_A, H)
 * @param {{T: number, H: number, data: Float32Array}} mB (T_B, H), the same H
 * @param {Array<[number, number]>} pairs from alignTokens
 * @returns {{T: number, H: number, data: Float32Array}} (pairs.length, H)
 * @throws {Error} when the unit counts differ; RangeError when a pair is outside either matrix
 */
export function diffMatrix(mA, mB, pairs) {
  if (mA.H !== mB.H) {
    throw new Error(`A has ${mA.H} units and B has ${mB.H}: only layers of the same size can be compared`);
  }
  const H = mA.H;
  const out = matrix(pairs.length, H);
  pairs.forEach(([ta, tb], k) => {
    if (!Number.isInteger(ta) || ta < 0 || ta >= mA.T) throw new RangeError(`step ${ta} is outside A's 0..${mA.T - 1}`);
    if (!Number.isInteger(tb) || tb < 0 || tb >= mB.T) throw new RangeError(`step ${tb} is outside B's 0..${mB.T - 1}`);
    for (let u = 0; u < H; u++) out.data[k * H + u] = mA.data[ta * H + u] - mB.data[tb * H + u];
  });
  return out;
}

/**
 * The n units whose values differ most between A and B: by mean |Δ| over the aligned steps,
 * descending (ties: lower index first); 0 for every unit when there are no aligned steps.
 * @param {{T: number, H: number, data: Float32Array}} diff (K, H) from diffMatrix
 * @param {number} n how many units; at most H are returned
 * @returns {{unit: number, meanAbs: number, mean: number}[]} mean: the signed mean Δ (A − B)
 */
export function rankByDifference(diff, n) {
  const { T, H, data } = diff;
  const sumAbs = new Float64Array(H);
  const sum = new Float64Array(H);
  for (let k = 0; k < data.length; k++) {
    sumAbs[k % H] += Math.abs(data[k]);
    sum[k % H] += data[k];
  }
  const scale = T > 0 ? 1 / T : 0;
  const meanAbs = sumAbs.map((v) => v * scale);
  return orderUnits({ H, scores: meanAbs, topN: Math.max(0, n) }).map((unit) => ({
    unit,
    meanAbs: meanAbs[unit],
    mean: sum[unit] * scale,
  }));
}
