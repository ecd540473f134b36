// The digest of a model version, the tab's salt and a run of token ids, as app/serving/digest.py computes it:
// the page names the columns it already holds with it, so the server sends only the new ones. Two 32-bit
// multiplicative hashes (not cryptographic: crypto.subtle does not exist on a plain-http address).
//
// The salt: 128 random bits as 32 hex digits, made once per tab (TAB_SALT) and sent with every trace, step
// and retention request (api.js). The server keeps what a salt's requests computed only under that salt
// and looks only there, so nobody else can learn from its cache whether this tab traced a text, even
// knowing the text's digest (docs/api.md "The trace cache and the salt").
// Pure: no DOM; imports in Node too (crypto.getRandomValues is a global there as in every browser, on
// plain http as well).

function mix(h1, h2, v) {
  const a = Math.imul((h1 ^ v) >>> 0, 0x01000193) >>> 0;
  let b = Math.imul((h2 ^ v) >>> 0, 0x5bd1e995) >>> 0;
  b = (b ^ (b >>> 15)) >>> 0;
  return [a, b];
}

const hex8 = (x) => x.toString(16).padStart(8, "0");

/** A new salt: 16 random bytes as 32 lowercase hex digits. */
export function newSalt() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** This tab's salt, for as long as the page is open (a reload makes another). */
export const TAB_SALT = newSalt();

/**
 * 16 hex digits naming (version, salt, ids[0..n)).
 * @param {string} version the model version (ASCII hex digits)
 * @param {ArrayLike<number>} ids token ids, each a whole number below 2^31
 * @param {number} [n] how many leading ids (default all)
 * @param {string} [salt] the salt (lowercase hex digits); "" for the unsalted digest
 * @returns {string}
 */
export function idsDigest(version, ids, n = ids.length, salt = "") {
  let h = [0x811c9dc5, 0x9747b28c];
  const seed = version + salt;
  for (let k = 0; k < seed.length; k++) h = mix(h[0], h[1], seed.charCodeAt(k));
  for (let k = 0; k < n; k++) h = mix(h[0], h[1], ids[k]);
  h = mix(h[0], h[1], n);
  return hex8(h[0]) + hex8(h[1]);
}
