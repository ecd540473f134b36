// The digest of a model version and a run of token ids, as app/serving/digest.py computes it: the page names
// the columns it already holds with it, so the server sends only the new ones. Two 32-bit
// multiplicative hashes (not cryptographic: crypto.subtle does not exist on a plain-http address).
// Pure: no DOM; imports in Node too.

function mix(h1, h2, v) {
  const a = Math.imul((h1 ^ v) >>> 0, 0x01000193) >>> 0;
  let b = Math.imul((h2 ^ v) >>> 0, 0x5bd1e995) >>> 0;
  b = (b ^ (b >>> 15)) >>> 0;
  return [a, b];
}

const hex8 = (x) => x.toString(16).padStart(8, "0");

/**
 * 16 hex digits naming (version, ids[0..n)).
 * @param {string} version the model version (ASCII hex digits)
 * @param {ArrayLike<number>} ids token ids, each a whole number below 2^31
 * @param {number} [n] how many leading ids (default all)
 * @returns {string}
 */
export function idsDigest(version, ids, n = ids.length) {
  let h = [0x811c9dc5, 0x9747b28c];
  for (let k = 0; k < version.length; k++) h = mix(h[0], h[1], version.charCodeAt(k));
  for (let k = 0; k < n; k++) h = mix(h[0], h[1], ids[k]);
  h = mix(h[0], h[1], n);
  return hex8(h[0]) + hex8(h[1]);
}
