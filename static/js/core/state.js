// Link state: every choice a person made that a shared link carries. One table (PROPS) drives both
// reading and writing the URL; anything not in it, or not on its whitelist, is rejected with a
// reason and the default used. Pure functions on strings: main.js alone touches location and history.
// The constants it shares with the server (the model-id pattern, the longest text) come from the server
// through the page's config (configureLink); a view is any cell's (core/views.js viewOf falls back to the
// model's first view when its cell has no such view).
import { DEFAULT_SCALE_MODE, SCALE_MODES } from "./color_ranges.js";
import { ORDER_KEYS } from "./views.js";

/** Longest text, in code points, until configureLink says the server's `max_chars`. */
export const MAX_TEXT = 10_000;
/** Most pinned units a link carries. */
export const MAX_PINNED = 64;
/** Largest layer, step, unit, tour step or checkpoint a link carries: bounds the query's length. */
export const MAX_INDEX = 999_999;
/** A query (encoded, without '?') longer than this moves text and compare into the fragment. The
 *  conservative rule keeps a whole URL within 2,000 characters (old browsers stop at 2,083; proxies,
 *  chat apps and link shorteners assume about 2,000). 1,500 leaves 500 for scheme, host and path, so
 *  a link's shape never depends on the deployment's address; without its texts the longest possible
 *  query is about 1,020 characters (64 pinned units, every control hidden), so it always fits. */
export const MAX_QUERY_LENGTH = 1_500;

/** "presenter" is read for older links (it is now a flag, `presenter=1`, that any mode can have). */
export const MODES = Object.freeze(["explore", "compare", "tour", "learn", "presenter", "train"]);
/** POST /api/jobs's tasks and cells (app/serving/schemas.py JobRequest; tests/page/test_browser_train.py keeps
 *  them equal to its schema), the first the default. core/train_plan.js reads them. */
export const TRAIN_TASKS = Object.freeze(["tense", "brackets", "lesson"]);
export const TRAIN_CELLS = Object.freeze(["lstm", "gru", "rnn"]);
/** A live training job's id (app/serving/jobs.py: 12 hex digits); a link carries one per cell, in order. */
const JOB_IDS = /^[0-9a-f]{12}(?:,[0-9a-f]{12}){0,2}$/;
const DECIMAL = /^(?:[0-9]{1,3}(?:\.[0-9]{1,8})?|\.[0-9]{1,8})(?:e-?[0-9]{1,2})?$/;
/** How many units the heatmaps show: a number, or "all"; absent (null), as many as fit (main.js). */
export const TOP_N = Object.freeze([8, 16, 32, 64, "all"]);
/** /api/attribution's methods (app/analysis/attribution.py METHODS), the first the default. */
// "auto": the server picks occlusion, else integrated gradients, else gradient × input, whichever fits its budget.
export const WHY_METHODS = Object.freeze(["auto", "grad_input", "integrated_gradients", "occlusion", "connectivity"]);
// A predicted token to explain: 1 to 64 code points, any character (a character model predicts " " and "\n").
const WHY_TOKEN = /^(?:(?!\p{Cs})[\s\S]){1,64}$/u;
/** Controls a link may hide (classroom and embed use). */
export const HIDEABLE = Object.freeze(["model", "text", "examples", "views", "units", "span", "details", "step",
  "unit", "header", "export", "share"]);

// What the server says (configureLink): its model ids' pattern (app/model_store.py ID_PATTERN) and its
// longest text. Until then a model id is any name of at most 64 letters, digits and _ . - (the server
// refuses what it does not serve either way) and a text at most MAX_TEXT code points.
const server = { modelId: /^[A-Za-z0-9_.-]{1,64}$/, maxText: MAX_TEXT };

/**
 * Take the constants the page shares with the server from its config: modelIdPattern, the source of the
 * server's model-id pattern (a JavaScript RegExp reads it as Python does: anchors, classes, counts);
 * maxText, its longest text in code points.
 */
export function configureLink({ modelIdPattern = null, maxText = null } = {}) {
  if (modelIdPattern) server.modelId = new RegExp(modelIdPattern);
  if (Number.isSafeInteger(maxText) && maxText > 0) server.maxText = maxText;
}

/** The longest text a link carries now: the server's max_chars once configured. */
export function maxText() {
  return server.maxText;
}

// A model id is checked against the server's pattern as it is when the check runs.
const MODEL_ID = { test: (value) => server.modelId.test(value) };
const modelHint = () => `not a model id (${server.modelId.source})`;
const VIEW_ID = /^[a-z][a-z0-9_-]{0,31}$/;
const WHOLE = /^[0-9]{1,9}$/;
const LONE_SURROGATE = /\p{Cs}/u; // with the u flag a paired surrogate is one code point, never matched

/** What a type's read returns for a query value that does not parse. */
class Invalid {
  constructor(reason) {
    this.reason = reason;
  }
}
const invalid = (reason) => new Invalid(reason);
const isIndex = (n, min, max) => Number.isSafeInteger(n) && n >= min && n <= max;
const unique = (list) => [...new Set(list)];
/** Value kinds. read: query string -> value, or Invalid when it does not parse; check: value ->
 *  reason it is invalid, or null; write: valid value -> query string. */
const TYPES = {
  text: {
    read: (raw) => raw,
    check(value) {
      if (typeof value !== "string") return "not a string";
      const at = value.search(LONE_SURROGATE);
      if (at >= 0) return `holds a lone surrogate at index ${at} (not valid Unicode)`;
      const max = server.maxText;
      let n = 0;
      for (const _ of value) if (++n > max) return `longer than ${max} characters`;
      return null;
    },
    write: (value) => value,
  },
  string: {
    read: (raw) => raw,
    check: (value, { pattern, hint }) => (typeof value === "string" && (value === "" || pattern.test(value))
      ? null : typeof hint === "function" ? hint() : hint),
    write: (value) => value,
  },
  int: {
    read: (raw) => (WHOLE.test(raw) ? Number(raw) : invalid("not a whole number ≥ 0")),
    check: (value, { min, max }) => (isIndex(value, min, max) ? null : `not a whole number in ${min}..${max}`),
    write: String,
  },
  enum: {
    read: (raw, { values }) => values.find((v) => String(v) === raw) ?? invalid(`not one of: ${values.join(", ")}`),
    check: (value, { values }) => (values.includes(value) ? null : `not one of: ${values.join(", ")}`),
    write: String,
  },
  bool: {
    read: (raw) => (raw === "1" ? true : invalid('only "1" (or leaving it out) is allowed')),
    check: (value) => (typeof value === "boolean" ? null : "not true or false"),
    write: () => "1",
  },
  "int-list": {
    read(raw) {
      const items = raw === "" ? [] : raw.split(",");
      const bad = items.find((item) => !WHOLE.test(item));
      return bad === undefined ? unique(items.map(Number)) : invalid(`"${bad}" is not a whole number ≥ 0`);
    },
    check(value, { min, max, maxItems }) {
      const ok = Array.isArray(value) && value.every((n) => isIndex(n, min, max));
      if (!ok) return `not whole numbers in ${min}..${max}`;
      if (unique(value).length !== value.length) return "holds a number twice";
      return value.length > maxItems ? `more than ${maxItems} of them` : null;
    },
    write: (value) => value.join(","),
  },
  "enum-list": {
    read(raw, { values }) {
      const items = raw === "" ? [] : raw.split(",");
      const bad = items.find((item) => !values.includes(item));
      return bad === undefined ? unique(items) : invalid(`"${bad}" is not one of: ${values.join(", ")}`);
    },
    check(value, { values }) {
      const ok = Array.isArray(value) && value.every((v) => values.includes(v));
      if (!ok) return `not a list of: ${values.join(", ")}`;
      return unique(value).length === value.length ? null : "holds a name twice";
    },
    write: (value) => value.join(","),
  },
  range: {
    read(raw) {
      const m = /^([0-9]{1,9})-([0-9]{1,9})$/.exec(raw);
      return m ? { start: Number(m[1]), end: Number(m[2]) } : invalid('not "start-end" (two whole numbers)');
    },
    check({ start, end } = {}, { min, max }) {
      if (!isIndex(start, min, max) || !isIndex(end, min, max)) return `not two whole numbers in ${min}..${max}`;
      return start <= end ? null : "starts after it ends";
    },
    write: ({ start, end }) => `${start}-${end}`,
  },
};

const row = (name, field, type, def, rest = {}) => Object.freeze({ name, field, type, default: def, omitDefault: true,
  min: 0, max: MAX_INDEX, ...rest });
/** Every property a link carries, in the order a query lists them. name: the query key; field: the
 *  state object's key (as main.js names it); default: null means "absent"; omitDefault: left out of
 *  the link when equal to the default. Text comes last so the short settings stay readable. */
export const PROPS = Object.freeze([
  row("model", "model", "string", "", { pattern: MODEL_ID, hint: modelHint }), // "": the server's default
  row("version", "version", "string", "", { pattern: /^[0-9a-f]{12}$/, hint: "not 12 lowercase hex digits" }),
  row("compare_model", "compareModel", "string", "", { pattern: MODEL_ID, hint: modelHint }),
  row("compare_step", "compareStep", "int", null), // compare mode's aligned column; null: where the texts part
  // "": the model's first view; another cell's view falls back to it (core/views.js viewOf).
  row("view", "view", "string", "", { pattern: VIEW_ID, hint: "not a view name (a-z, then a-z 0-9 _ -)" }),
  row("layer", "layer", "int", 0),
  row("step", "step", "int", null),
  row("unit", "unit", "int", null),
  row("units", "pinned", "int-list", Object.freeze([]), { maxItems: MAX_PINNED }),
  row("order", "order", "enum", "index", { values: ORDER_KEYS }),
  row("top", "topN", "enum", null, { values: TOP_N }),
  row("scale", "scale", "enum", DEFAULT_SCALE_MODE, { values: SCALE_MODES }), // color_ranges.js
  row("span", "span", "range", null), // {start, end}: token positions, both included
  row("mode", "mode", "enum", "explore", { values: MODES }),
  row("presenter", "presenter", "bool", false), // large type, the figure first
  row("tour", "tour", "int", 0),
  row("checkpoint", "checkpoint", "int", null), // null: the trained weights
  row("speed", "speed", "int", 5, { min: 1, max: 10 }),
  row("hide", "hide", "enum-list", Object.freeze([]), { values: HIDEABLE }),
  row("embed", "embed", "bool", false),
  row("memory", "memory", "bool", false), // the "Memory that lasts" panel is open
  row("saturation", "saturation", "bool", false), // the "Gates at their limits" panel is open
  row("components", "components", "bool", false), // the "Kinds of memory" panel is open
  row("components_k", "componentsK", "int", 4, { min: 2, max: 6 }), // its number of patterns
  row("tracks", "tracks", "bool", false), // the annotation tracks under the heatmaps are shown
  // "Why this prediction?": the token whose prediction after `step` the strip is tinted for, and the method.
  row("why", "why", "string", "", { pattern: WHY_TOKEN, hint: "not a token of 1 to 64 characters" }),
  row("why_method", "whyMethod", "enum", "auto", { values: WHY_METHODS }),
  // The Train panel (mode=train, core/train_plan.js): a job's request and the jobs it made; the defaults are
  // POST /api/jobs's. train_distance null: the task's own range. train_lr "": 0.01.
  row("train_task", "trainTask", "enum", "tense", { values: TRAIN_TASKS }),
  row("train_cells", "trainCells", "enum-list", Object.freeze(["lstm"]), { values: TRAIN_CELLS }),
  row("train_hidden", "trainHidden", "int", 16, { min: 2, max: 64 }),
  row("train_distance", "trainDistance", "range", null, { max: 60 }),
  row("train_lr", "trainLr", "string", "", { pattern: DECIMAL, hint: "not a decimal number such as 0.01" }),
  row("train_steps", "trainSteps", "int", 2000, { min: 1, max: 20_000 }),
  row("train_seed", "trainSeed", "int", 0, { max: 999_999_999 }),
  row("train_jobs", "trainJobs", "string", "", { pattern: JOB_IDS, hint: "not job ids (12 hex digits, comma-separated)" }),
  row("text", "text", "text", ""), // "": the model's first example; at most maxText() code points
  row("compare", "compare", "text", ""), // "": no comparison
]);
/** The state fields of the Train panel's properties (main.js leaves them out of a link made in another mode). */
export const TRAIN_FIELDS = Object.freeze(PROPS.filter((p) => p.name.startsWith("train_")).map((p) => p.field));
const BY_NAME = new Map(PROPS.map((p) => [p.name, p]));
const BY_FIELD = new Map(PROPS.map((p) => [p.field, p]));

const copy = (value) => (Array.isArray(value) ? [...value] : value && typeof value === "object" ? { ...value } : value);
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

/** The reason a state value is invalid for prop, or null. null is valid where the default is null. */
function checkValue(prop, value) {
  return value === null && prop.default === null ? null : TYPES[prop.type].check(value, prop);
}

/** A fresh default state: {model, version, compareModel, view, layer, ..., text, compare}. */
export function defaults() {
  return Object.fromEntries(PROPS.map((p) => [p.field, copy(p.default)]));
}

/** A full state from a partial one: missing (undefined or null) fields take their default; fields
 *  that are not link state (e.g. main.js's `shown`) are dropped. Values are copied, not validated. */
export function applyDefaults(partial) {
  return Object.fromEntries(PROPS.map((p) => [p.field, copy(partial?.[p.field] ?? p.default)]));
}

/** [{key, value, reason}] for each invalid field of state (key: the query name). */
export function validate(state) {
  const full = applyDefaults(state);
  return PROPS.flatMap((p) => {
    const reason = checkValue(p, full[p.field]);
    return reason ? [{ key: p.name, value: full[p.field], reason }] : [];
  });
}

/** location.search (with or without '?') -> {state, rejected: [{key, value, reason}]}. Unknown keys,
 *  repeated keys and invalid values are rejected and leave the default; never throws. */
export function parseQuery(search) {
  const state = defaults();
  const rejected = [];
  const seen = new Set();
  for (const [key, raw] of new URLSearchParams(String(search ?? ""))) {
    const prop = BY_NAME.get(key);
    const reject = (reason) => rejected.push({ key, value: raw, reason });
    if (!prop) reject("unknown property");
    else if (seen.has(key)) reject("given more than once (the first is used)");
    else {
      seen.add(key);
      const type = TYPES[prop.type];
      const value = type.read(raw, prop);
      const reason = value instanceof Invalid ? value.reason : type.check(value, prop);
      if (reason) reject(reason);
      else state[prop.field] = value;
    }
  }
  return { state, rejected };
}

/** state -> query without '?': non-default values only, in PROPS order. An invalid value is left out
 *  (the link then carries its default; `validate` says which). */
export function serializeQuery(state) {
  const full = applyDefaults(state);
  const params = new URLSearchParams();
  for (const prop of PROPS) {
    const value = full[prop.field];
    if (value === null || (prop.omitDefault && same(value, prop.default)) || checkValue(prop, value)) continue;
    params.append(prop.name, TYPES[prop.type].write(value));
  }
  return params.toString();
}

// Fragment "z=" + base64url, unpadded, of deflate-raw of UTF-8 JSON {"text": ..., "compare": ...}.
// Browsers never send the fragment to the server. A new format would take a new key, not "z".
const FRAGMENT_KEY = "z=";
const MAX_FRAGMENT_CHARS = 200_000;
// Two texts, each code point at worst a 6-byte \u escape.
const maxPayloadBytes = () => 2 * 6 * server.maxText + 64;

function toBase64url(bytes) {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64url(text) {
  if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) throw new Error("not base64url");
  const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(binary, (ch) => ch.charCodeAt(0));
}

/** Bytes through a Compression/DecompressionStream; throws once the output passes limit bytes. */
async function transform(bytes, stream, limit = Infinity) {
  const reader = new Blob([bytes]).stream().pipeThrough(stream).getReader();
  const chunks = [];
  let size = 0;
  for (let r = await reader.read(); !r.done; r = await reader.read()) {
    size += r.value.length;
    if (size > limit) {
      reader.cancel().catch(() => {});
      throw new Error(`inflates past ${limit} bytes`);
    }
    chunks.push(r.value);
  }
  return new Uint8Array(await new Blob(chunks).arrayBuffer());
}

/** state's text and compare -> fragment "z=..." (without '#'). An invalid text packs as "". */
export async function packFragment(state) {
  const full = applyDefaults(state);
  const [text, compare] = ["text", "compare"].map((f) => (checkValue(BY_FIELD.get(f), full[f]) ? "" : full[f]));
  const json = new TextEncoder().encode(JSON.stringify({ text, compare }));
  return FRAGMENT_KEY + toBase64url(await transform(json, new CompressionStream("deflate-raw")));
}

/** Fragment (with or without '#') -> {text, compare}; throws an Error saying what is wrong with it. */
export async function unpackFragment(fragment) {
  const body = String(fragment ?? "").replace(/^#/, "");
  if (!body.startsWith(FRAGMENT_KEY)) throw new Error(`not a packed text (expected "#${FRAGMENT_KEY}...")`);
  const data = body.slice(FRAGMENT_KEY.length);
  if (data.length > MAX_FRAGMENT_CHARS) throw new Error(`longer than ${MAX_FRAGMENT_CHARS} characters`);
  let payload;
  try {
    const raw = await transform(fromBase64url(data), new DecompressionStream("deflate-raw"), maxPayloadBytes());
    payload = JSON.parse(new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(raw));
  } catch (e) {
    throw new Error(`corrupt packed text (${e.message})`);
  }
  const keys = payload && typeof payload === "object" && !Array.isArray(payload) ? Object.keys(payload) : null;
  if (!keys || !keys.includes("text") || keys.some((k) => k !== "text" && k !== "compare")) {
    throw new Error('packed text is not {"text", "compare"}');
  }
  const { text, compare = "" } = payload;
  for (const [field, value] of [["text", text], ["compare", compare]]) {
    const reason = checkValue(BY_FIELD.get(field), value);
    if (reason) throw new Error(`packed ${field} ${reason}`);
  }
  return { text, compare };
}

/** The full link for state: texts in the query when it stays within MAX_QUERY_LENGTH, else in the
 *  fragment. origin "https://host", pathname "/". */
export async function buildLink(state, { origin = "", pathname = "/" } = {}) {
  const query = serializeQuery(state);
  if (query.length <= MAX_QUERY_LENGTH) return `${origin}${pathname}${query ? `?${query}` : ""}`;
  const rest = serializeQuery({ ...state, text: "", compare: "" });
  return `${origin}${pathname}${rest ? `?${rest}` : ""}#${await packFragment(state)}`;
}

/** {search, hash} of a location -> {state, rejected, fromFragment}. A "#z=" fragment, when valid,
 *  supplies text and compare; a corrupt one is rejected (key "#z"). Other fragments are not ours. */
export async function readLink({ search = "", hash = "" } = {}) {
  const { state, rejected } = parseQuery(search);
  const fragment = String(hash ?? "").replace(/^#/, "");
  if (!fragment.startsWith(FRAGMENT_KEY)) return { state, rejected, fromFragment: false };
  let packed;
  try {
    packed = await unpackFragment(fragment);
  } catch (e) {
    rejected.push({ key: "#z", value: fragment.slice(FRAGMENT_KEY.length), reason: e.message });
    return { state, rejected, fromFragment: false };
  }
  const query = new URLSearchParams(String(search ?? ""));
  for (const field of ["text", "compare"]) {
    if (query.has(field)) rejected.push({ key: field, value: query.get(field), reason: "replaced by the fragment" });
    state[field] = packed[field];
  }
  return { state, rejected, fromFragment: true };
}
