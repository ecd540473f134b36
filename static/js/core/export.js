// Exports of a trace: CSV and JSON text, and the shell commands (lstm-viz, curl) that reproduce it.
// Pure: no DOM; imports in Node too.
//
// traceCsv is byte-for-byte `lstm-viz trace --format csv` (for the bundled word-level models): the
// numbers are printed as Python prints a NumPy float32 (see float32String). traceJson is the API's
// plain-JSON body. shellQuote, cliLine and curlLine build commands that bash, sh (dash) and zsh read
// back as exactly the text traced, whatever it holds.
import { decodePredictions } from "./predictions.js";

/** The quantities of an LSTM's trace, in the order the API and the CLI list them (the default columns). */
export const QUANTITIES = ["i", "f", "g", "o", "c", "h"];
// The default canonical order (an LSTM's, then a vanilla RNN's a); a model's own is its /api/models
// `quantities`, which the page passes (a GRU's r, z, n, h).
const ALL_QUANTITIES = [...QUANTITIES, "kept", "forgotten", "written", "a"];

// Longer GET URLs risk being cut by proxies and servers; the same limit as api.js.
const MAX_GET_URL = 2000;

// ---------------------------------------------------------------------------------------------
// float32String: str(np.float32(x)) in JavaScript

const F32 = new Float32Array(1);
const U32 = new Uint32Array(F32.buffer);

/** Exact decomposition of a finite, positive float32 a = M · 2^E; `lowHalf` when the gap below is half the gap above. */
function float32Parts(a) {
  F32[0] = a;
  const bits = U32[0];
  const biased = (bits >>> 23) & 0xff;
  const fraction = bits & 0x7fffff;
  if (biased === 0) return { M: BigInt(fraction), E: -149, lowHalf: false }; // subnormal
  return { M: BigInt(fraction | 0x800000), E: biased - 150, lowHalf: fraction === 0 && biased > 1 };
}

const pow = (base, n) => base ** BigInt(n);

/**
 * The shortest decimal digits that identify the float32 a (> 0, finite), exactly as NumPy's Dragon4
 * finds them: the fewest significant digits p such that some n · 10^k (p digits) reads back as a
 * (inside a's rounding interval, its ends included when a's mantissa is even, as round-half-even
 * parsing does); of the candidates at that p, the nearest to a, a tie going to the even n.
 * Exact integer arithmetic (BigInt): power-of-two gaps and ties handled. About 6 µs a number.
 * @returns {{digits: string, exp: number}} value = digits[0].digits[1..] × 10^exp, no trailing zeros
 */
function exactDigits(a) {
  const { M, E, lowHalf } = float32Parts(a);
  const even = M % 2n === 0n;
  // In units u = 2^(E−2): a = 4M·u, the upper half-gap 2u, the lower half-gap 2u (or u below a power of two).
  const lowMargin = lowHalf ? 1n : 2n;
  const twoUp = pow(2n, Math.max(E - 2, 0));
  const twoDown = pow(2n, Math.max(2 - E, 0));
  // Everything times 2^max(2−E,0) · 10^max(−k,0) is an integer: a → 4M·P, 10^k → D.
  const scaled = (k) => {
    const P = twoUp * pow(10n, Math.max(-k, 0));
    const D = pow(10n, Math.max(k, 0)) * twoDown;
    return { A: 4n * M * P, L: (4n * M - lowMargin) * P, U: (4n * M + 2n) * P, D };
  };
  // The decimal exponent of a's leading digit: 10^e10 ≤ a < 10^(e10+1), estimated, then made exact.
  let e10 = Math.floor(Math.log10(a));
  for (;;) {
    const { A, D } = scaled(e10);
    const lead = A / D;
    if (lead >= 10n) e10 += 1;
    else if (lead < 1n) e10 -= 1;
    else break;
  }
  for (let p = 1; ; p++) {
    const k = e10 - p + 1;
    const { A, L, U, D } = scaled(k);
    const down = A / D; // floor: a's first p digits
    const up = down + 1n;
    const downIn = even ? down * D >= L : down * D > L;
    const upIn = even ? up * D <= U : up * D < U;
    if (!downIn && !upIn) continue;
    let n;
    if (downIn && upIn) {
      const below = A - down * D;
      const above = up * D - A;
      n = below < above ? down : above < below ? up : (down % 2n === 0n ? down : up);
    } else {
      n = downIn ? down : up;
    }
    const s = n.toString();
    return { digits: s.replace(/0+$/, ""), exp: k + s.length - 1 };
  }
}

/**
 * The same digits the quick way, or null when unsure. The shortest p whose correctly rounded p
 * digits (toExponential(p − 1): the digits of toPrecision(p)) read back (Math.fround) as a; reading
 * back only gets easier as p grows, so the search starts at 8 digits, the usual answer, and walks
 * down (9 always do). Unsure, so left to exactDigits: a power of two (the gap below is half the gap
 * above, so the farther candidate can be the one that reads back), a tie (toExponential rounds half
 * up, NumPy to even), or a candidate whose double lies exactly on a's rounding boundary (decimal to
 * double to float32 rounds twice).
 */
function quickDigits(a) {
  F32[0] = a;
  if ((U32[0] & 0x7fffff) === 0) return null;
  const ulp = Math.max(a * 2 ** -22, 2 ** -148); // at least twice a's gaps, subnormals included
  // 1: reads back as a; 0: does not; −1: unsure.
  const readsBack = (s) => {
    const g = Number(s);
    if (g !== a && Math.abs(g - a) <= ulp) {
      const mirror = 2 * g - a; // exact (Sterbenz): a float32 iff g is the midpoint between a and it
      if (Math.fround(mirror) === mirror) return -1;
    }
    return Math.fround(g) === a ? 1 : 0;
  };
  let p = 8;
  let s = a.toExponential(p - 1);
  let r = readsBack(s);
  if (r < 0) return null;
  if (r === 0) {
    p = 9;
    s = a.toExponential(p - 1);
    if (readsBack(s) !== 1) return null;
  } else {
    while (p > 1) {
      const shorter = a.toExponential(p - 2);
      r = readsBack(shorter);
      if (r < 0) return null;
      if (r === 0) break;
      p -= 1;
      s = shorter;
    }
  }
  // A tie needs a = (n + ½)·10^k exactly, p + 1 ≤ 10 significant digits: impossible when a's lowest
  // set bit is 2^low with low < 0 and −low + log10(a) > 11 (then a has more than 10 digits), as for
  // every gate value; otherwise checked.
  const bits = U32[0];
  const biased = bits >>> 23;
  const m = biased ? (bits & 0x7fffff) | 0x800000 : bits & 0x7fffff;
  const low = (biased ? biased - 150 : -149) + 31 - Math.clz32(m & -m);
  if (!(low < 0 && -low + Math.log10(a) > 11)) {
    const finer = a.toExponential(p);
    if (finer[finer.indexOf("e") - 1] === "5" && Number(finer) === a) return null;
  }
  const e = s.indexOf("e");
  return { digits: s.slice(0, e).replace(".", "").replace(/0+$/, ""), exp: Number(s.slice(e + 1)) };
}

/**
 * x as Python prints a NumPy float32 (`str(np.float32(x))`, NumPy ≥ 2.3): the shortest digits that
 * read back as the same float32; positional for 1e-4 ≤ |x| < 1e6 ("0.1", "100.0", "-0.0"),
 * scientific otherwise ("1e-05", "1.2345679e+08"); "nan", "inf", "-inf".
 * x is first rounded to float32 (Math.fround), as a Float32Array stores it.
 * (NumPy before 2.3 switched to scientific only from 1e16 up: the two agree below 1e6.)
 * @param {number} x
 * @returns {string}
 */
export function float32String(x) {
  if (typeof x !== "number") throw new TypeError(`float32String needs a number, got ${typeof x}`);
  const f = Math.fround(x);
  if (Number.isNaN(f)) return "nan";
  if (f === Infinity) return "inf";
  if (f === -Infinity) return "-inf";
  if (f === 0) return Object.is(f, -0) ? "-0.0" : "0.0";
  const sign = f < 0 ? "-" : "";
  const a = Math.abs(f);
  const { digits, exp } = quickDigits(a) ?? exactDigits(a);
  if (a >= 1e-4 && a < 1e6) {
    if (exp < 0) return `${sign}0.${"0".repeat(-exp - 1)}${digits}`;
    if (digits.length <= exp + 1) return `${sign}${digits}${"0".repeat(exp + 1 - digits.length)}.0`;
    return `${sign}${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
  }
  const mantissa = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
  return `${sign}${mantissa}e${exp < 0 ? "-" : "+"}${String(Math.abs(exp)).padStart(2, "0")}`;
}

// ---------------------------------------------------------------------------------------------
// CSV and JSON

/** One CSV field per RFC 4180: quoted (quotes doubled) when it holds a comma, quote, LF or CR. */
export function csvField(value) {
  const s = String(value);
  return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

function isMatrix(m) {
  return m !== null && typeof m === "object" && m.data instanceof Float32Array
    && Number.isInteger(m.T) && Number.isInteger(m.H) && m.data.length === m.T * m.H;
}

/** The requested quantities of every layer, each checked to be a T × H matrix (H shared), in the order of
 *  `order` (the model's quantities, as the CLI and API list them). */
function layerMatrices(layers, T, quantities, order = ALL_QUANTITIES) {
  if (!Array.isArray(layers)) throw new Error("a trace needs `layers`, an array of {i, f, g, o, c, h} matrices");
  const unknown = quantities.filter((q) => !order.includes(q));
  if (unknown.length) throw new Error(`unknown quantities ${unknown.join(", ")}; choose from ${order.join(", ")}`);
  const names = order.filter((q) => quantities.includes(q)); // canonical order, as the CLI and API
  let H = null;
  const out = layers.map((layer, k) => Object.fromEntries(names.map((q) => {
    const m = layer?.[q];
    if (!isMatrix(m)) throw new Error(`layer ${k} has no ${q} matrix {T, H, data: Float32Array}`);
    if (m.T !== T) throw new Error(`layer ${k} ${q} has ${m.T} steps, the trace has ${T} tokens`);
    if (H !== null && m.H !== H) throw new Error(`layer ${k} ${q} has ${m.H} units, other quantities have ${H}`);
    H = m.H;
    return [q, m];
  })));
  return { names, H: H ?? 0, matrices: out };
}

/**
 * The trace as CSV, the same bytes as `lstm-viz trace --format csv`: the header
 * `layer,step,token,unit,i,f,g,o,c,h`, then one row per (layer, step, unit) in that order, numbers
 * as float32String, token texts quoted per RFC 4180, every line ending in "\n".
 * (Python's csv module, which the CLI uses, leaves a lone CR unquoted; here it is quoted. Only a
 * char-level model can have such a token: the bundled models are word-level.)
 * @param {{tokens: {text: string}[], layers: object[]}} trace layers: [{i, f, g, o, c, h}] matrices
 *   {T, H, data: Float32Array}, each (T = tokens.length, H)
 * @param {string[]} [quantities] columns, listed in canonical order whatever the order given
 * @param {string[]} [order] the canonical order: the model's quantities (/api/models); an LSTM's by default
 * @returns {string}
 */
export function traceCsv({ tokens, layers }, quantities = QUANTITIES, order = ALL_QUANTITIES) {
  if (!Array.isArray(tokens)) throw new Error("a trace needs `tokens`, an array of {text, ...}");
  const { names, H, matrices } = layerMatrices(layers, tokens.length, quantities, order);
  const lines = [["layer", "step", "token", "unit", ...names].join(",")];
  matrices.forEach((m, k) => {
    tokens.forEach((token, t) => {
      const text = csvField(token.text);
      for (let u = 0; u < H; u++) {
        const values = names.map((q) => float32String(m[q].data[t * H + u]));
        lines.push(`${k},${t},${text},${u},${values.join(",")}`);
      }
    });
  });
  return `${lines.join("\n")}\n`;
}

function jsonNumber(x) {
  if (!Number.isFinite(x)) throw new Error(`a trace holds ${x}, which JSON cannot carry`);
  return float32String(x);
}

/**
 * The trace as the API's plain-JSON body (`encoding: "json"`): {model, version, encoding, tokens,
 * layers: [{i: [[...], ...], ...}], predictions}, matrices as nested lists (one list per step) of
 * float32 numbers written as Python writes them. Indented, one token, matrix row or step's
 * predictions per line. JSON.parse gives the numbers of GET /api/trace exactly.
 * @param {{model: string, version: string, tokens: object[], layers: object[], predictions: ?Array}} trace
 *   layers: [{i, f, g, o, c, h}] matrices {T, H, data: Float32Array}; predictions per step [{token, prob}], or
 *   as an f4 or u1 answer sends them (core/predictions.js)
 * @param {string[]} [quantities] which quantities of each layer to include
 * @param {string[]} [order] the canonical order: the model's quantities (/api/models); an LSTM's by default
 * @returns {string}
 */
export function traceJson(trace, quantities = QUANTITIES, order = ALL_QUANTITIES) {
  const { model, version, tokens, layers } = trace;
  const predictions = decodePredictions(trace.predictions ?? null); // an f4 or u1 answer's typed arrays too
  if (!Array.isArray(tokens)) throw new Error("a trace needs `tokens`, an array of {text, id, start, end}");
  const { names, H, matrices } = layerMatrices(layers, tokens.length, quantities, order);
  const list = (items, indent) => (items.length
    ? `[\n${items.map((s) => indent + "  " + s).join(",\n")}\n${indent}]`
    : "[]");
  const rows = (m) => Array.from({ length: m.T }, (_, t) => {
    const values = [];
    for (let u = 0; u < H; u++) values.push(jsonNumber(m.data[t * H + u]));
    return `[${values.join(", ")}]`;
  });
  const layerText = (layer) => `{\n${names.map((q) => `      ${JSON.stringify(q)}: ${list(rows(layer[q]), "      ")}`)
    .join(",\n")}\n    }`;
  const tokenText = ({ text, id, start, end }) => JSON.stringify({ text, id, start, end });
  const predictionsText = predictions === null
    ? "null"
    : list(predictions.map((step) => JSON.stringify(step)), "  ");
  return [
    "{",
    `  "model": ${JSON.stringify(model)},`,
    `  "version": ${JSON.stringify(version)},`,
    '  "encoding": "json",',
    `  "num_tokens": ${tokens.length},`,
    '  "start": 0,',
    `  "tokens": ${list(tokens.map(tokenText), "  ")},`,
    `  "layers": ${list(matrices.map(layerText), "  ")},`,
    `  "predictions": ${predictionsText}`,
    "}",
    "",
  ].join("\n");
}

// ---------------------------------------------------------------------------------------------
// Shell commands

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * s as one POSIX-shell word, single-quoted: bash, sh and zsh read it back as exactly s, whatever it
 * holds ($(...), backticks, ;, &&, !, globs, newlines, emoji). Each ' becomes '\''. '' for "".
 * @param {string} s
 * @returns {string}
 * @throws {Error} for what no command line can carry: a NUL character, or a lone surrogate (not
 *   Unicode, so it has no UTF-8 bytes)
 */
export function shellQuote(s) {
  if (typeof s !== "string") throw new TypeError(`shellQuote needs a string, got ${typeof s}`);
  if (s.includes("\0")) throw new Error("the text holds a NUL character, which no command line can carry");
  if (LONE_SURROGATE.test(s)) {
    throw new Error("the text holds a lone surrogate (\\ud800-\\udfff without its pair), which is not valid Unicode");
  }
  return `'${s.replaceAll("'", "'\\''")}'`;
}

/** A word that needs no quotes stays bare (lesson, i,f,g); any other is single-quoted. */
function shellWord(s) {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : shellQuote(s);
}

/** `--name value`, or `--name=value` when the value starts with "-" (argparse would take it for an option). */
function option(name, value) {
  const s = String(value);
  return s.startsWith("-") ? shellWord(`${name}=${s}`) : `${name} ${shellWord(s)}`;
}

function checkTopK(topK) {
  if (!Number.isInteger(topK) || topK < 0) throw new Error(`topK must be a whole number ≥ 0, got ${topK}`);
}

function quantityList(quantities) {
  return Array.isArray(quantities) ? quantities.join(",") : String(quantities);
}

/**
 * The `lstm-viz trace` command that prints this trace, e.g.
 * `lstm-viz trace --model lesson --format json --top-k 5 -- 'Today, I …'`. The text comes after
 * `--`, so a text starting with "-" is never read as an option.
 * @param {{model: string, text: string, topK?: number, quantities?: string|string[], format?: "json"|"csv"}} args
 *   topK (json only) and quantities are left out when not given (the CLI's defaults: 5; i,f,g,o,c,h)
 * @returns {string}
 * @throws {Error} when the text cannot be carried (see shellQuote) or an argument is invalid
 */
export function cliLine({ model, text, topK, quantities, format = "json" }) {
  if (typeof model !== "string" || !model) throw new Error("cliLine needs a model id");
  if (format !== "json" && format !== "csv") throw new Error(`format must be "json" or "csv", got ${format}`);
  const words = ["lstm-viz", "trace", option("--model", model), "--format", format];
  if (topK !== undefined && format === "json") {
    checkTopK(topK);
    words.push("--top-k", String(topK));
  }
  if (quantities !== undefined && quantities !== null) words.push(option("--quantities", quantityList(quantities)));
  words.push("--", shellQuote(text));
  return words.join(" ");
}

/** Bytes of s as curl's --data-urlencode writes it: unreserved ASCII as is, every other UTF-8 byte as %XX. */
function urlEncodedLength(s) {
  let n = 0;
  for (const byte of new TextEncoder().encode(s)) n += /[A-Za-z0-9\-._~]/.test(String.fromCharCode(byte)) ? 1 : 3;
  return n;
}

/**
 * A curl command that fetches this trace from the server at `origin` (e.g. "http://127.0.0.1:8000"):
 * `curl -sS --get 'ORIGIN/api/trace' --data-urlencode 'model=…' --data-urlencode 'text=…' --data-urlencode 'top_k=5'`
 * when the URL stays short, else a POST of the JSON body
 * `curl -sS 'ORIGIN/api/trace' -H 'Content-Type: application/json' --data-binary '{"model": …}'`.
 * Every argument is shell-quoted; the answer is GET /api/trace's JSON body for the same text.
 * @param {{origin: string, model: string, text: string, topK?: number, quantities?: string|string[],
 *   method?: "GET"|"POST"}} args topK defaults to 5 (the API's default); method forces one form
 * @returns {string}
 * @throws {Error} when the text cannot be carried (see shellQuote) or an argument is invalid
 */
export function curlLine({ origin, model, text, topK = 5, quantities, method }) {
  if (typeof origin !== "string" || !/^https?:\/\/[^\s/]+/.test(origin)) {
    throw new Error(`origin must be like http://127.0.0.1:8000, got ${origin}`);
  }
  if (typeof model !== "string" || !model) throw new Error("curlLine needs a model id");
  checkTopK(topK);
  shellQuote(text); // refuses what no command line (nor the server) can carry
  const url = `${origin.replace(/\/+$/, "")}/api/trace`;
  const params = { model, text, top_k: topK };
  if (quantities !== undefined && quantities !== null) params.quantities = quantityList(quantities);
  const entries = Object.entries(params).map(([key, value]) => `${key}=${value}`);
  // ORIGIN/api/trace?model=…&text=…&top_k=…, as curl sends it
  const getLength = url.length + Object.entries(params)
    .reduce((n, [key, value]) => n + 1 + key.length + 1 + urlEncodedLength(String(value)), 0);
  const form = method ?? (getLength <= MAX_GET_URL ? "GET" : "POST");
  if (form === "GET") {
    return ["curl", "-sS", "--get", shellQuote(url), ...entries.map((e) => `--data-urlencode ${shellQuote(e)}`)]
      .join(" ");
  }
  if (form !== "POST") throw new Error(`method must be "GET" or "POST", got ${method}`);
  return ["curl", "-sS", shellQuote(url), "-H", shellQuote("Content-Type: application/json"),
    "--data-binary", shellQuote(JSON.stringify(params))].join(" ");
}
