// export.js: float32String against Python's str(np.float32(x)), CSV quoting and layout, the JSON
// shape, shellQuote on nasty strings (read back by a real sh and bash), cliLine and curlLine.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { test } from "node:test";

import { matrix } from "../../static/js/core/arrays.js";
import {
  cliLine, csvField, curlLine, float32String, QUANTITIES, shellQuote, traceCsv, traceJson,
} from "../../static/js/core/export.js";

// [x, str(np.float32(x))], computed once with NumPy 2.4 (positional for 1e-4 ≤ |x| < 1e6).
const PYTHON = [
  [0.1, "0.1"],
  [1 / 3, "0.33333334"],
  [2 / 3, "0.6666667"],
  [3.0, "3.0"],
  [0.0, "0.0"],
  [-0.0, "-0.0"],
  [0.5, "0.5"],
  [-1.0, "-1.0"],
  [100.0, "100.0"],
  [0.0001, "1e-04"], // float32(1e-4) is just below 1e-4: scientific
  [0.00012345, "0.00012345"],
  [9.999e-05, "9.999e-05"],
  [1e-05, "1e-05"],
  [1e-10, "1e-10"],
  [999999.9, "999999.9"],
  [1000000.0, "1e+06"],
  [-1000000.0, "-1e+06"],
  [1234567.0, "1.234567e+06"],
  [123456789.0, "1.2345679e+08"],
  [16777216.0, "1.6777216e+07"],
  [16777217.0, "1.6777216e+07"], // not a float32: rounds to 2^24
  [3.4028235e+38, "3.4028235e+38"],
  [1.401298464324817e-45, "1e-45"], // the smallest subnormal
  [1.1754943508222875e-38, "1.1754944e-38"], // the smallest normal
  [5.877471754111438e-39, "5.877472e-39"],
  [0.9345666, "0.9345666"],
  [0.62645084, "0.62645084"],
  [-0.0001, "-1e-04"],
  [3000000.25, "3.0000002e+06"], // a tie between 3000000.2 and 3000000.3: NumPy takes the even digit
  [203143.625, "203143.62"], // the same in positional notation (toPrecision would say 203143.63)
  [97474816.0, "9.747482e+07"], // 9.747482e7 lies exactly on the rounding boundary (even mantissa: in)
  [1073741824.0, "1.0737418e+09"], // 2^30: the gap below is half the gap above
  [9.5367431640625e-07, "9.536743e-07"], // 2^-20
  [0.7, "0.7"],
  [1e+16, "1e+16"],
  [1000000000000000.0, "1e+15"],
  [65504.0, "65504.0"],
  [Infinity, "inf"],
  [-Infinity, "-inf"],
  [NaN, "nan"],
];

test("float32String prints what Python prints for a NumPy float32", () => {
  for (const [x, want] of PYTHON) assert.equal(float32String(x), want, `str(np.float32(${x}))`);
});

test("float32String reads back as the same float32, shortest", () => {
  const values = new Float32Array(2000);
  for (let k = 0; k < values.length; k++) values[k] = (Math.sin(k * 12.9898) * 43758.5453) % 1; // (−1, 1)
  for (const x of values) {
    const s = float32String(x);
    assert.equal(Math.fround(Number(s)), x, `${s} reads back as ${x}`);
    const digits = s.replace(/^-/, "").replace(/e.*$/, "").replace(".", "").replace(/^0+/, "").replace(/0+$/, "");
    if (digits.length > 1) {
      assert.notEqual(Math.fround(Number(x.toPrecision(digits.length - 1))), x, `${s} is not shortest`);
    }
  }
  assert.throws(() => float32String("0.5"), TypeError);
});

test("csvField quotes per RFC 4180: comma, quote, LF, CR; quotes doubled", () => {
  assert.equal(csvField("plain"), "plain");
  assert.equal(csvField("a,b"), '"a,b"');
  assert.equal(csvField('say "hi"'), '"say ""hi"""');
  assert.equal(csvField('"'), '""""');
  assert.equal(csvField("a\nb"), '"a\nb"');
  assert.equal(csvField("a\rb"), '"a\rb"');
  assert.equal(csvField("it's\ttabbed"), "it's\ttabbed");
  assert.equal(csvField(" spaced "), " spaced ");
  assert.equal(csvField("👨‍👩‍👧"), "👨‍👩‍👧");
  assert.equal(csvField(""), "");
});

// A 2-token, 2-unit, 1-layer trace with values chosen to print distinctly.
function smallTrace() {
  const T = 2;
  const H = 2;
  const layer = {};
  QUANTITIES.forEach((q, n) => {
    layer[q] = matrix(T, H, new Float32Array([0.1 * (n + 1), -0.5, 1 / 3, 1e-5 * (n + 1)]));
  });
  return {
    model: "lesson",
    version: "abc123",
    tokens: [
      { text: 'say "hi", ok', id: 0, start: 0, end: 12 },
      { text: "x", id: 7, start: 13, end: 14 },
    ],
    layers: [layer],
    predictions: [[{ token: "the", prob: 0.5 }], [{ token: ".", prob: 0.25 }]],
  };
}

test("traceCsv: the CLI's header, one row per (layer, step, unit), quoted tokens, Python numbers", () => {
  const csv = traceCsv(smallTrace());
  assert.equal(csv, [
    "layer,step,token,unit,i,f,g,o,c,h",
    '0,0,"say ""hi"", ok",0,0.1,0.2,0.3,0.4,0.5,0.6',
    '0,0,"say ""hi"", ok",1,-0.5,-0.5,-0.5,-0.5,-0.5,-0.5',
    "0,1,x,0,0.33333334,0.33333334,0.33333334,0.33333334,0.33333334,0.33333334",
    "0,1,x,1,1e-05,2e-05,3e-05,4e-05,5e-05,6e-05",
    "",
  ].join("\n"));
});

test("traceCsv: layers in order, quantities in canonical order, extra quantities ignored, shapes checked", () => {
  const trace = smallTrace();
  const two = { tokens: trace.tokens, layers: [trace.layers[0], { ...trace.layers[0], kept: trace.layers[0].h }] };
  const lines = traceCsv(two, ["h", "c"]).trimEnd().split("\n");
  assert.equal(lines[0], "layer,step,token,unit,c,h");
  assert.equal(lines.length, 1 + 2 * 2 * 2);
  assert.deepEqual(lines.slice(1).map((l) => l.slice(0, 4)), ["0,0,", "0,0,", "0,1,", "0,1,", "1,0,", "1,0,", "1,1,", "1,1,"]);
  assert.equal(traceCsv({ tokens: [], layers: [{ ...trace.layers[0], ...Object.fromEntries(QUANTITIES.map((q) => [q, matrix(0, 2)])) }] }),
    "layer,step,token,unit,i,f,g,o,c,h\n");
  assert.throws(() => traceCsv({ tokens: trace.tokens.slice(1), layers: trace.layers }), /1 tokens/);
  assert.throws(() => traceCsv({ tokens: trace.tokens, layers: [{ i: trace.layers[0].i }] }), /no f matrix/);
  assert.throws(() => traceCsv(trace, ["i", "bogus"]), /unknown quantities bogus/);
});

test("traceJson: the API's plain-JSON shape, nested lists per step, readable", () => {
  const trace = smallTrace();
  const text = traceJson(trace);
  const body = JSON.parse(text);
  assert.deepEqual(Object.keys(body), ["model", "version", "encoding", "num_tokens", "start", "tokens", "layers", "predictions"]);
  assert.equal(body.model, "lesson");
  assert.equal(body.version, "abc123");
  assert.equal(body.encoding, "json");
  assert.deepEqual(body.tokens, trace.tokens);
  assert.deepEqual(body.predictions, trace.predictions);
  assert.equal(body.layers.length, 1);
  assert.deepEqual(Object.keys(body.layers[0]), QUANTITIES);
  assert.deepEqual(body.layers[0].i, [[0.1, -0.5], [0.33333334, 1e-5]]);
  // Every number reads back as the float32 in the matrix.
  for (const q of QUANTITIES) {
    assert.deepEqual(body.layers[0][q].flat().map(Math.fround), Array.from(trace.layers[0][q].data), q);
  }
  assert.ok(text.includes("[0.33333334, 1e-05]"), "one matrix row per line, numbers as Python writes them");
  assert.ok(text.split("\n").length > 20, "indented, not one long line");
  assert.ok(text.endsWith("}\n"));
  assert.equal(JSON.parse(traceJson({ ...trace, predictions: null })).predictions, null);
  const empty = JSON.parse(traceJson({ ...trace, tokens: [], predictions: [],
    layers: [Object.fromEntries(QUANTITIES.map((q) => [q, matrix(0, 2)]))] }));
  assert.deepEqual(empty.layers, [{ i: [], f: [], g: [], o: [], c: [], h: [] }]);
  const bad = smallTrace();
  bad.layers[0].c.data[0] = NaN;
  assert.throws(() => traceJson(bad), /NaN/);
});

const NASTY = [
  "'; rm -rf ~; '",
  "$(id)",
  "`id`",
  "${HOME}",
  "a\nb",
  "line\r\nend",
  '"double" quotes',
  "'",
  "''",
  "it's",
  "\\back\\slash\\",
  "\\'",
  "!history !! !$",
  "*glob* ?.? [a-z]",
  "tab\there",
  "emoji 👨‍👩‍👧 and 😀",
  "עברית ‏RTL‏ text ‮override",
  "a && b || c; d | e > f < g & h",
  "~ ~root #comment",
  "",
  " ",
  "-starts-with-dash",
  "--",
];

test("shellQuote: single-quoted, each ' as '\\''", () => {
  assert.equal(shellQuote(""), "''");
  assert.equal(shellQuote("abc"), "'abc'");
  assert.equal(shellQuote("it's"), "'it'\\''s'");
  assert.equal(shellQuote("'; rm -rf ~; '"), "''\\''; rm -rf ~; '\\'''");
  assert.equal(shellQuote("$(id) `id` \\ ! *"), "'$(id) `id` \\ ! *'");
  for (const s of NASTY) {
    const q = shellQuote(s);
    assert.ok(q.startsWith("'") && q.endsWith("'"));
    // Quoted runs (nothing special inside) joined by \' (an escaped quote), one per quote in s.
    assert.match(q, /^'[^']*'(\\''[^']*')*$/);
    assert.equal(q.split("'\\''").length, s.split("'").length);
  }
});

test("shellQuote refuses what no command line can carry: NUL, lone surrogates, non-strings", () => {
  assert.throws(() => shellQuote("a\0b"), /NUL/);
  assert.throws(() => shellQuote("a\ud800b"), /lone surrogate/);
  assert.throws(() => shellQuote("\udc00"), /lone surrogate/);
  assert.equal(shellQuote("\ud83d\ude00"), "'😀'"); // a pair is fine
  assert.throws(() => shellQuote(undefined), TypeError);
});

for (const shell of ["/bin/sh", "/bin/bash", "/bin/zsh"]) { // sh is dash on Debian
  test(`${shell} reads every shellQuote'd word back exactly`, { skip: !existsSync(shell) && `${shell} is missing` }, () => {
    for (const s of NASTY) {
      // printf %s of one word, run by the shell: the bytes must be the string's UTF-8.
      const out = execFileSync(shell, ["-c", `printf %s ${shellQuote(s)}`, "sh"], { encoding: "buffer" });
      assert.equal(out.toString("utf8"), s, JSON.stringify(s));
      const args = execFileSync(shell, ["-c", `set -- ${shellQuote(s)} ${shellQuote(s)}; printf %s "$#"`], { encoding: "utf8" });
      assert.equal(args, "2", `${JSON.stringify(s)} is one word`);
    }
  });
}

test("cliLine: options first, then -- and the quoted text", () => {
  assert.equal(cliLine({ model: "lesson", text: "Today, I need to take a loan." }),
    "lstm-viz trace --model lesson --format json -- 'Today, I need to take a loan.'");
  assert.equal(cliLine({ model: "lesson", text: "-x", topK: 3, quantities: ["h", "c"] }),
    "lstm-viz trace --model lesson --format json --top-k 3 --quantities h,c -- '-x'");
  assert.equal(cliLine({ model: "lesson", text: "a", topK: 3, format: "csv" }),
    "lstm-viz trace --model lesson --format csv -- 'a'", "--top-k is json only");
  assert.equal(cliLine({ model: "my model", text: "it's" }),
    "lstm-viz trace --model 'my model' --format json -- 'it'\\''s'");
  assert.equal(cliLine({ model: "-odd", text: "a" }), "lstm-viz trace --model=-odd --format json -- 'a'");
  assert.throws(() => cliLine({ model: "lesson", text: "a", format: "xml" }), /format/);
  assert.throws(() => cliLine({ model: "lesson", text: "a", topK: -1 }), /topK/);
  assert.throws(() => cliLine({ model: "lesson", text: "a\0" }), /NUL/);
});

test("curlLine: a GET with --data-urlencode for short texts, a JSON POST for long ones", () => {
  assert.equal(curlLine({ origin: "http://127.0.0.1:8000/", model: "lesson", text: "it's $(id)", topK: 5 }),
    "curl -sS --get 'http://127.0.0.1:8000/api/trace' --data-urlencode 'model=lesson' "
    + "--data-urlencode 'text=it'\\''s $(id)' --data-urlencode 'top_k=5'");
  const long = "word ".repeat(600);
  const post = curlLine({ origin: "http://localhost:8000", model: "lesson", text: long, topK: 0 });
  assert.ok(post.startsWith("curl -sS 'http://localhost:8000/api/trace' -H 'Content-Type: application/json' --data-binary '{"));
  const json = post.slice(post.indexOf("--data-binary '") + 15, -1);
  assert.deepEqual(JSON.parse(json), { model: "lesson", text: long, top_k: 0 });
  // Non-ASCII inflates 9× in a URL: a short emoji text can already need the POST.
  assert.match(curlLine({ origin: "http://h", model: "lesson", text: "👨‍👩‍👧".repeat(60) }), /--data-binary/);
  assert.match(curlLine({ origin: "http://h", model: "lesson", text: "a", method: "POST" }), /--data-binary/);
  assert.match(curlLine({ origin: "http://h", model: "lesson", text: "x".repeat(3000), method: "GET" }), /--get/);
  assert.throws(() => curlLine({ origin: "localhost:8000", model: "lesson", text: "a" }), /origin/);
  assert.throws(() => curlLine({ origin: "http://h", model: "lesson", text: "\ud800" }), /surrogate/);
});
