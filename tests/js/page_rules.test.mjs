// Rules the page's source keeps, read from static/js itself: no module tests a cell by its name (every cell is
// drawn from the cell_spec the server sends); static/js/core/ is pure (no DOM, never imports a view); one
// el() and one events helper (views/dom.js) serve every view; every module is reachable from main.js.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { test } from "node:test";

const ROOT = new URL("../../static/js/", import.meta.url);
// The visualizer's modules; api_docs/ starts Swagger UI and ReDoc on /docs and /redoc, pages of their own.
const SOURCES = readdirSync(ROOT, { recursive: true })
  .filter((name) => name.endsWith(".js") && !name.startsWith("api_docs/")).sort()
  .map((name) => ({ name, source: readFileSync(new URL(name, ROOT), "utf8") }));

const CELL_NAMES = "lstm|rnn|gru";
/** What testing a cell by its name looks like: comparing a name, or anything called `cell`, for equality;
 *  switching on a name; asking a list for one. Each with an example it must catch. */
const NAME_TESTS = [
  [new RegExp(`[=!]==?\\s*["'\`](?:${CELL_NAMES})["'\`]`, "i"), 'if (model.cell === "rnn")'],
  [new RegExp(`["'\`](?:${CELL_NAMES})["'\`]\\s*[=!]==?`, "i"), 'if ("lstm" !== kind)'],
  [/\bcell\s*[=!]==?/, "return card?.cell === other"],
  [/[=!]==?\s*[\w$.?]*\bcell\b(?!_)/, "if (kind === step.cell)"],
  [new RegExp(`case\\s+["'\`](?:${CELL_NAMES})["'\`]`, "i"), 'case "gru":'],
  [new RegExp(`\\.(?:includes|indexOf|startsWith)\\(\\s*["'\`](?:${CELL_NAMES})["'\`]`, "i"), 'cells.includes("rnn")'],
  [new RegExp(`\\b(?:${CELL_NAMES})\\b[^\\n]*\\?[^\\n]*:`, "i"), "const views = rnn ? RNN_VIEWS : VIEWS;"],
  [/\b(?:RNN_VIEWS|CELL_VIEWS|memoryQuantity|rnnStepNumbers|rnnEquation|checkRnnStep)\b/, "memoryQuantity(cell)"],
];

test("the rules catch what they are for", () => {
  for (const [rule, example] of NAME_TESTS) assert.match(example, rule);
  for (const fine of ['const DIAGRAMS = { lstm: draw, gru: draw };', "if (built.spec === spec) return built;",
    'const colors = cellColors(cards.map((card) => card.cell));', "const spec = data.cell;"]) {
    for (const [rule] of NAME_TESTS) assert.doesNotMatch(fine, rule, fine);
  }
});

test("no module of the page tests a cell by its name", () => {
  const found = [];
  for (const { name, source } of SOURCES) {
    source.split("\n").forEach((line, k) => {
      for (const [rule] of NAME_TESTS) if (rule.test(line)) found.push(`${name}:${k + 1}: ${line.trim()}`);
    });
  }
  assert.deepEqual(found, []);
});

test("static/js/core/ is pure: no DOM, no window or network, and it never imports a view", () => {
  const core = SOURCES.filter(({ name }) => name.startsWith("core/"));
  assert.ok(core.length >= 20, core.map(({ name }) => name).join(", "));
  for (const { name, source } of core) {
    const code = source.replace(/\/\/[^\n]*|\/\*[\s\S]*?\*\//g, ""); // comments may name them
    assert.doesNotMatch(code, /(?<![.\w$])(?:document|window|navigator|location|HTMLElement|fetch)\b/, name);
    for (const [, path] of code.matchAll(/from\s+"([^"]+)"/g)) assert.match(path, /^\.\/[a-z_]+\.js$/, `${name} imports ${path}`);
  }
});

test("one el() and one events helper: views/dom.js", () => {
  for (const { name, source } of SOURCES) {
    if (name === "views/dom.js") continue;
    assert.doesNotMatch(source, /function (?:el|element)\(|document\.createElement\(/, `${name} makes elements itself`);
    assert.doesNotMatch(source, /const handlers\b|handlers\[/, `${name} keeps its own handlers`);
  }
});

test("every module is reachable from main.js, the page's one script", () => {
  const index = readFileSync(new URL("../../templates/index.html", import.meta.url), "utf8");
  assert.match(index, /<script type="module" src="\/static\/js\/main\.js"><\/script>/);
  const byName = new Map(SOURCES.map((s) => [s.name, s.source]));
  const seen = new Set();
  const visit = (name) => {
    if (seen.has(name)) return;
    assert.ok(byName.has(name), `${name} is imported but missing`);
    seen.add(name);
    const dir = name.includes("/") ? name.slice(0, name.lastIndexOf("/") + 1) : "";
    for (const [, path] of byName.get(name).matchAll(/(?:from|import\()\s*"(\.{1,2}\/[^"]+)"/g)) {
      visit(new URL(path, `file:///${dir}`).pathname.slice(1));
    }
  };
  visit("main.js");
  assert.deepEqual(SOURCES.map(({ name }) => name).filter((name) => !seen.has(name)), []);
});

test("the page preloads main.js's static import graph, all of it and nothing else", () => {
  // templates/index.html lists the modules as <link rel="modulepreload">: fetched at once, not one level of
  // imports after another. A module added to (or dropped from) the graph goes into (or out of) that list.
  const index = readFileSync(new URL("../../templates/index.html", import.meta.url), "utf8");
  const block = index.match(/\{% set page_modules = \[([\s\S]*?)\] %\}/);
  assert.ok(block, "templates/index.html sets page_modules");
  const listed = [...block[1].matchAll(/"([^"]+)"/g)].map((m) => m[1]);
  assert.match(index, /<link rel="modulepreload" href="\/static\/js\/\{\{ module \}\}">/);
  const byName = new Map(SOURCES.map((s) => [s.name, s.source]));
  const graph = new Set();
  const visit = (name) => {
    if (graph.has(name)) return;
    assert.ok(byName.has(name), `${name} is imported but missing`);
    graph.add(name);
    const dir = name.includes("/") ? name.slice(0, name.lastIndexOf("/") + 1) : "";
    const code = byName.get(name).replace(/\/\/[^\n]*|\/\*[\s\S]*?\*\//g, "");
    for (const [, path] of code.matchAll(/(?:^|[\n;])\s*(?:import|export)\s[^;]*?from\s*"(\.{1,2}\/[^"]+)"/g)) {
      visit(new URL(path, `file:///${dir}`).pathname.slice(1));
    }
  };
  visit("first_trace.js");
  const first = [...graph];
  assert.deepEqual(listed.slice(0, first.length).sort(), first.sort(), "first_trace.js's graph is listed first");
  visit("main.js");
  assert.deepEqual([...listed].sort(), [...graph].sort());
  assert.equal(new Set(listed).size, listed.length, "a module listed twice");
  assert.match(index, /<script type="module" async src="\/static\/js\/first_trace.js"><\/script>/);
});
