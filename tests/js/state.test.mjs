// Link state: random states round-trip through the query and the fragment; bad input is rejected.
import assert from "node:assert/strict";
import { test } from "node:test";
import { readFileSync } from "node:fs";
import { deflateRawSync, inflateRawSync } from "node:zlib";

import {
  HIDEABLE, MAX_PINNED, MAX_QUERY_LENGTH, MAX_TEXT, MODES, PROPS, TOP_N, applyDefaults, buildLink, configureLink,
  defaults, maxText, packFragment, parseQuery, readLink, serializeQuery, unpackFragment, validate,
} from "../../static/js/core/state.js";
import { ORDER_KEYS } from "../../static/js/core/views.js";
import { CELLS } from "./cells.mjs";

// The server's model-id pattern, read from its source (app/model_card.py ID_PATTERN) as the page reads it
// from its config (app/serving/routes/pages.py): the page has no copy of its own.
const MODEL_CARD = readFileSync(new URL("../../app/model_card.py", import.meta.url), "utf8");
const ID_PATTERN = /ID_PATTERN = re\.compile\(r"([^"]+)"\)/.exec(MODEL_CARD)[1];
configureLink({ modelIdPattern: ID_PATTERN, maxText: MAX_TEXT });
/** Every view id a cell has, and "" (the model's first view). */
const VIEW_IDS = ["", ...new Set(Object.values(CELLS).flatMap((cell) => cell.views.map((v) => v.id)))];

const ORIGIN = "https://lstm.example.org";
const where = { origin: ORIGIN, pathname: "/" };

/** Seeded PRNG (mulberry32): uniform in [0, 1). */
function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NASTY = [
  '<script>alert("x")</script>', "<b onmouseover='x'>", "it's \"quoted\"", "a&b=c", "#top", "1+1=2", "100%",
  "%41%zz", "?q=1&view=all",
  "👩‍👩‍👧‍👦", "🏳️‍🌈", "👍🏽", "🇺🇳", "𝔘𝔫𝔦", // ZWJ sequences, a modifier, a flag, astral letters
  "مرحبا بالعالم", "שָׁלוֹם", "\u200F", "\u202E", "한국어", // right-to-left scripts and marks
  "e\u0301", "Z\u0324\u0354\u0367\u0311", // combining marks
  "\n", "\r\n", "\r", "\t", " ", "\u0000", "\uFEFF", "\uFFFF", "\\", ";", ",", "-",
];

function generators(rand) {
  const int = (n) => Math.floor(rand() * n);
  const pick = (list) => list[int(list.length)];
  const maybe = (p, make, otherwise) => (rand() < p ? make() : otherwise);
  const chars = (alphabet, n) => Array.from({ length: n }, () => pick(alphabet)).join("");

  function codePoint() {
    const r = rand();
    const cp = r < 0.4 ? 0x20 + int(95) : r < 0.5 ? int(0x20) : r < 0.8 ? int(0x10000) : 0x10000 + int(0x100000);
    return cp >= 0xd800 && cp <= 0xdfff ? "\uFFFD" : String.fromCodePoint(cp); // no lone surrogates
  }

  /** A random text of at most max code points, with the nasty cases mixed in. */
  function text(max) {
    const target = int(max + 1);
    let out = "";
    let n = 0;
    while (n < target) {
      const piece = rand() < 0.2 ? pick(NASTY) : codePoint();
      const size = [...piece].length;
      if (n + size > target) break;
      out += piece;
      n += size;
    }
    return n < max && rand() < 0.2 ? `${out} ` : out; // a lone trailing space
  }

  const modelId = () => chars("abcdefghijklmnopqrstuvwxyz0123456789", 1)
    + chars("abcdefghijklmnopqrstuvwxyz0123456789_.-", int(64));

  /** A random valid state; texts up to textMax code points. */
  function state(textMax) {
    const start = int(5000);
    const pinned = [...new Set(Array.from({ length: int(MAX_PINNED + 1) }, () => int(100_000)))];
    return applyDefaults({
      model: maybe(0.8, modelId, ""),
      version: maybe(0.5, () => chars("0123456789abcdef", 12), ""),
      compareModel: maybe(0.3, modelId, ""),
      view: pick(VIEW_IDS),
      layer: maybe(0.5, () => int(100), 0),
      step: maybe(0.6, () => int(10_000), null),
      unit: maybe(0.6, () => int(4096), null),
      pinned: maybe(0.5, () => pinned, []),
      order: pick(ORDER_KEYS),
      topN: pick([null, ...TOP_N]),
      span: maybe(0.4, () => ({ start, end: start + int(100) }), null),
      mode: pick(MODES),
      tour: maybe(0.3, () => int(30), 0),
      checkpoint: maybe(0.3, () => int(1000), null),
      speed: 1 + int(10),
      hide: HIDEABLE.filter(() => rand() < 0.15).sort(() => rand() - 0.5),
      embed: rand() < 0.3,
      text: text(textMax),
      compare: maybe(0.3, () => text(textMax), ""),
    });
  }
  return { state, text, int };
}

async function roundTripLink(s) {
  const link = await buildLink(s, where);
  const url = new URL(link);
  return { link, url, read: await readLink({ search: url.search, hash: url.hash }) };
}

test("random states round-trip through the query and the link (property test, seeded)", async () => {
  const rand = mulberry32(20240611);
  const gen = generators(rand);
  const paths = { query: 0, fragment: 0 };
  for (let i = 0; i < 600; i++) {
    const s = gen.state(rand() < 0.75 ? 80 : MAX_TEXT);
    assert.deepEqual(validate(s), [], `case ${i} generated an invalid state`);
    const query = serializeQuery(s);
    const parsed = parseQuery(query);
    assert.deepEqual(parsed.rejected, [], `case ${i}`);
    assert.deepEqual(parsed.state, s, `case ${i}: query ${query.slice(0, 200)}`);

    const viaFragment = query.length > MAX_QUERY_LENGTH;
    const { link, url, read } = await roundTripLink(s);
    assert.deepEqual(read.rejected, [], `case ${i}`);
    assert.deepEqual(read.state, s, `case ${i}: link ${link.slice(0, 200)}`);
    assert.equal(read.fromFragment, viaFragment, `case ${i}`);
    if (viaFragment) {
      assert.match(url.hash, /^#z=[A-Za-z0-9_-]+$/);
      assert.ok(!url.searchParams.has("text") && !url.searchParams.has("compare"), `case ${i}`);
      assert.ok(url.search.length - 1 <= MAX_QUERY_LENGTH);
    } else {
      assert.equal(url.hash, "");
      assert.ok(link.length <= 2000, `case ${i}: ${link.length} characters`);
    }
    paths[viaFragment ? "fragment" : "query"] += 1;
  }
  assert.ok(paths.query >= 300 && paths.fragment >= 100, JSON.stringify(paths)); // both paths exercised
});

test("the nasty texts round-trip one by one, short in the query and long in the fragment", async () => {
  for (const nasty of [...NASTY, NASTY.join(""), " ", "trailing space ", "\n\n", "=&=&", "+%2B%20"]) {
    const s = applyDefaults({ model: "lesson", text: nasty, compare: `${nasty}!` });
    assert.deepEqual(parseQuery(`?${serializeQuery(s)}`).state, s, JSON.stringify(nasty));
    const short = await roundTripLink(s);
    assert.equal(short.url.hash, "");
    assert.deepEqual(short.read.state, s);

    const long = applyDefaults({ ...s, text: nasty.repeat(Math.floor(MAX_TEXT / [...nasty].length)) });
    const packed = await roundTripLink(long);
    assert.ok(packed.read.fromFragment && packed.link.includes("#z="));
    assert.deepEqual(packed.read.state, long);
  }
});

test("10,000 code points of random Unicode round-trip through the fragment, for text and compare", async () => {
  const rand = mulberry32(7);
  const random = () => {
    const cps = [];
    while (cps.length < MAX_TEXT) {
      const cp = Math.floor(rand() * 0x110000);
      if (cp < 0xd800 || cp > 0xdfff) cps.push(cp);
    }
    return String.fromCodePoint(...cps);
  };
  const s = applyDefaults({ text: random(), compare: random(), mode: "compare" });
  assert.equal([...s.text].length, MAX_TEXT);
  const { link, read } = await roundTripLink(s);
  assert.equal(link, `${ORIGIN}/?mode=compare#${await packFragment(s)}`);
  assert.equal(read.fromFragment, true);
  assert.deepEqual(read.state, s);
});

test("the fragment is base64url (no padding) of deflate-raw UTF-8 JSON {text, compare}", async () => {
  const fragment = await packFragment({ text: "héllo 👩‍👩‍👧", compare: "" });
  assert.match(fragment, /^z=[A-Za-z0-9_-]+$/);
  const json = inflateRawSync(Buffer.from(fragment.slice(2), "base64url")).toString("utf8");
  assert.deepEqual(JSON.parse(json), { text: "héllo 👩‍👩‍👧", compare: "" });
  assert.deepEqual(await unpackFragment(`#${fragment}`), { text: "héllo 👩‍👩‍👧", compare: "" });
  assert.deepEqual(await unpackFragment(fragment), { text: "héllo 👩‍👩‍👧", compare: "" });
});

test("model ids follow the server's pattern, as its config gives it; any cell's view is carried", () => {
  assert.equal(parseQuery("model=lesson-gru").state.model, "lesson-gru");
  assert.match(parseQuery("model=Lesson").rejected[0].reason, /^not a model id \(\^\[a-z0-9\]/);
  assert.equal(parseQuery(`model=${"m".repeat(65)}`).rejected.length, 1);
  for (const view of ["gates", "hidden", "memory", "states"]) assert.equal(parseQuery(`view=${view}`).state.view, view);
  assert.equal(defaults().view, ""); // the model's first view
  assert.equal(serializeQuery({ view: "" }), "");
  assert.equal(maxText(), MAX_TEXT);
  configureLink({ maxText: 5 });
  try {
    assert.equal(parseQuery("text=abcdef").rejected[0].reason, "longer than 5 characters");
  } finally {
    configureLink({ maxText: MAX_TEXT });
  }
});

test("unknown keys and bad values are rejected with reasons, and the defaults used", () => {
  const bad = [
    ["view", "<script>"], ["layer", "-1"], ["layer", "1e3"], ["layer", "1.5"], ["layer", ""], ["units", "1,x,3"],
    ["model", "../etc"], ["model", "Lesson"], ["compare_model", "a/b"], ["version", "XYZ"], ["version", "ABCDEF123456"],
    ["span", "9-3"], ["span", "3"], ["span", "-1-4"], ["hide", "everything"], ["hide", "units,header,everything"],
    ["embed", "yes"], ["embed", "0"], ["top", "10"], ["top", "every"], ["speed", "0"], ["speed", "11"],
    ["mode", "admin"], ["order", "index;drop"], ["step", " 1"], ["unit", "0x10"], ["checkpoint", "1e9"],
    ["tour", "9999999999"], ["units", Array.from({ length: MAX_PINNED + 1 }, (_, i) => i).join(",")],
    ["text", "x".repeat(MAX_TEXT + 1)], ["nonsense", "1"], ["__proto__", "x"], ["constructor", "1"], ["Text", "hi"],
  ];
  for (const [key, value] of bad) {
    const { state, rejected } = parseQuery(`?${new URLSearchParams([[key, value]])}`);
    assert.deepEqual(state, defaults(), `${key}=${value}`);
    assert.equal(rejected.length, 1, `${key}=${value}`);
    assert.equal(rejected[0].key, key);
    assert.equal(rejected[0].value, value);
    assert.ok(typeof rejected[0].reason === "string" && rejected[0].reason.length > 0);
  }
  const { rejected } = parseQuery("view=<script>&span=9-3&nonsense=1");
  assert.deepEqual(rejected.map((r) => r.reason), [
    "not a view name (a-z, then a-z 0-9 _ -)", "starts after it ends", "unknown property"]);
});

test("good values next to bad ones are kept; repeats are rejected; lists are deduplicated", () => {
  const { state, rejected } = parseQuery("?view=gates&layer=-1&view=all&units=3,1,3,7&hide=units,header,units"
    + "&embed=1&top=16&span=2-2&text=a+b%2Bc&step=007");
  assert.deepEqual(rejected.map((r) => [r.key, r.value]), [["layer", "-1"], ["view", "all"]]);
  assert.equal(state.view, "gates");
  assert.equal(state.layer, 0);
  assert.deepEqual(state.pinned, [3, 1, 7]);
  assert.deepEqual(state.hide, ["units", "header"]);
  assert.equal(state.embed, true);
  assert.equal(state.topN, 16);
  assert.deepEqual(state.span, { start: 2, end: 2 });
  assert.equal(state.text, "a b+c");
  assert.equal(state.step, 7);
});

test("parsing never throws on odd input", () => {
  const odd = ["", "?", "??", "&&&", "=", "?=x", "%", "%zz=%zz", "a=%E0%A4%A", "text=%ED%A0%80", null, undefined];
  for (const search of odd) {
    const { state } = parseQuery(search);
    assert.equal(typeof state, "object");
  }
});

test("lone surrogates are refused: not valid Unicode, so never in a link", async () => {
  const s = applyDefaults({ view: "gates", text: "a\ud800b", compare: "\udfff" });
  assert.deepEqual(validate(s).map((r) => r.key), ["text", "compare"]);
  assert.match(validate(s)[0].reason, /lone surrogate/);
  assert.equal(serializeQuery(s), "view=gates"); // invalid values are left out, not mangled
  const packed = `z=${deflateRawSync(Buffer.from('{"text":"a\\ud800b","compare":""}')).toString("base64url")}`;
  await assert.rejects(unpackFragment(packed), /lone surrogate/);
});

test("a corrupt fragment is rejected, not thrown, and the query still read", async () => {
  const z = (bytes) => `#z=${deflateRawSync(Buffer.from(bytes)).toString("base64url")}`;
  const corrupt = [
    "#z=", "#z=***", "#z=A", "#z=AAAA", "#z=" + "A".repeat(300_000), z("not json"), z("[1,2]"), z('{"compare":""}'),
    z('{"text":"a","extra":1}'), z('{"text":5}'), z(Buffer.from([0xff, 0xfe, 0x00])),
    z(JSON.stringify({ text: "x".repeat(MAX_TEXT + 1) })), z(" ".repeat(1_000_000)), // too long; a deflate bomb
  ];
  for (const hash of corrupt) {
    const { state, rejected, fromFragment } = await readLink({ search: "?view=gates&text=kept", hash });
    assert.equal(fromFragment, false, hash.slice(0, 40));
    assert.equal(state.view, "gates");
    assert.equal(state.text, "kept");
    assert.deepEqual(rejected.map((r) => r.key), ["#z"], hash.slice(0, 40));
  }
});

test("a fragment supplies text and compare; other fragments are not link state", async () => {
  const fragment = await packFragment({ text: "from the fragment", compare: "too" });
  const read = await readLink({ search: "text=from+the+query", hash: `#${fragment}` });
  assert.equal(read.fromFragment, true);
  assert.equal(read.state.text, "from the fragment");
  assert.equal(read.state.compare, "too");
  assert.deepEqual(read.rejected.map((r) => r.key), ["text"]);

  const anchor = await readLink({ search: "?text=hi", hash: "#model-card" });
  assert.deepEqual(anchor, { state: applyDefaults({ text: "hi" }), rejected: [], fromFragment: false });
});

test("the default state serializes to nothing, and its link is the bare page", async () => {
  assert.equal(serializeQuery(defaults()), "");
  assert.equal(serializeQuery({}), "");
  assert.equal(await buildLink(defaults(), where), `${ORIGIN}/`);
  assert.deepEqual(parseQuery("").state, defaults());
  assert.deepEqual(await readLink({}), { state: defaults(), rejected: [], fromFragment: false });
});

test("keys come in the table's order whatever the state object's order; app-only fields are ignored", () => {
  const s = applyDefaults({
    model: "lesson", version: "0123456789ab", compareModel: "untrained", compareStep: 12, view: "all", layer: 1, step: 4, unit: 9,
    pinned: [9, 2], order: "change", topN: 8, scale: "robust", span: { start: 1, end: 3 }, mode: "tour",
    presenter: true, tour: 2, checkpoint: 5, speed: 3, hide: ["header", "share"], embed: true, memory: true,
    saturation: true, components: true, componentsK: 3, tracks: true, why: "had", whyMethod: "occlusion", text: "hi there",
    compare: "bye", trainTask: "brackets", trainCells: ["rnn", "lstm"], trainHidden: 8, trainDistance: { start: 0, end: 30 },
    trainLr: "0.003", trainSteps: 500, trainSeed: 7, trainJobs: "0123456789ab,ba9876543210",
  });
  const shuffled = Object.fromEntries(Object.entries(s).reverse());
  const query = serializeQuery({ ...shuffled, shown: { big: true }, spanResults: [1, 2] });
  assert.equal(query, serializeQuery(s));
  assert.deepEqual([...new URLSearchParams(query).keys()], PROPS.map((p) => p.name));
  assert.equal(query, "model=lesson&version=0123456789ab&compare_model=untrained&compare_step=12&view=all&layer=1"
    + "&step=4&unit=9"
    + "&units=9%2C2&order=change&top=8&scale=robust&span=1-3&mode=tour&presenter=1&tour=2&checkpoint=5&speed=3"
    + "&hide=header%2Cshare&embed=1"
    + "&memory=1&saturation=1&components=1&components_k=3&tracks=1&why=had&why_method=occlusion"
    + "&train_task=brackets&train_cells=rnn%2Clstm&train_hidden=8&train_distance=0-30&train_lr=0.003&train_steps=500"
    + "&train_seed=7&train_jobs=0123456789ab%2Cba9876543210&text=hi+there&compare=bye");
});

test("without its texts the longest possible query fits, so the fragment path always works", () => {
  const big = 999_999;
  const s = applyDefaults({
    model: "m".repeat(64), version: "f".repeat(12), compareModel: "n".repeat(64), view: "memory", layer: big,
    step: big, unit: big, pinned: Array.from({ length: MAX_PINNED }, (_, i) => big - i), order: "activity",
    topN: "all", scale: "shared", span: { start: big - 1, end: big }, mode: "learn", presenter: true, tour: big, checkpoint: big, speed: 10,
    hide: [...HIDEABLE], embed: true, memory: true, saturation: true, components: true, componentsK: 6, tracks: true,
    why: "w".repeat(64),
    whyMethod: "integrated_gradients",
  });
  assert.deepEqual(validate(s), []);
  assert.ok(serializeQuery(s).length <= MAX_QUERY_LENGTH, String(serializeQuery(s).length));
});

test("defaults() and applyDefaults() hand out fresh copies", () => {
  const a = defaults();
  a.pinned.push(3);
  a.hide.push("header");
  assert.deepEqual(defaults().pinned, []);
  assert.deepEqual(defaults().hide, []);
  const pinned = [1, 2];
  const s = applyDefaults({ pinned, layer: undefined });
  assert.notEqual(s.pinned, pinned);
  assert.equal(s.layer, 0);
  assert.deepEqual(Object.keys(s), PROPS.map((p) => p.field));
});

test("a link's why is any token of 1 to 64 characters, a newline too, and its method one of the API's", async () => {
  for (const why of ["had", " ", "\n", "é", "w".repeat(64)]) {
    const back = (await readLink({ search: serializeQuery(applyDefaults({ why })) })).state;
    assert.equal(back.why, why);
  }
  const bad = await readLink({ search: `why=${"w".repeat(65)}&why_method=saliency` });
  assert.deepEqual(bad.rejected.map((r) => r.key).sort(), ["why", "why_method"]);
  assert.equal(bad.state.why, "");
  assert.equal(bad.state.whyMethod, "auto");
});
