// plotly_loader.js: one <script> for plotly.js, added on the first call only; a clear Error when it does
// not load, and a fresh try on the next call. A fake document stands in for the page's.
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { test } from "node:test";

import { PlotlyLoadError, createPlotlyLoader, missingText } from "../../static/js/views/plotly_loader.js";

const SRC = "/vendor/plotly-3b6e15d45dbb.min.js";

/** A document whose <head> records the scripts appended; `script.fire("load" | "error")` settles one. */
function fakeDocument(src = SRC) {
  const head = {
    scripts: [],
    append(node) {
      node.parent = this;
      this.scripts.push(node);
    },
  };
  return {
    head,
    querySelector: (selector) => (selector === 'meta[name="plotly-src"]' && src
      ? { getAttribute: (name) => (name === "content" ? src : null) } : null),
    createElement(tag) {
      const listeners = {};
      return {
        tag, dataset: {}, async: false, src: "",
        addEventListener: (type, fn) => { listeners[type] = fn; },
        fire(type) { listeners[type](); },
        remove() { head.scripts.splice(head.scripts.indexOf(this), 1); },
      };
    },
  };
}

test("nothing is added until the first call; one script however many charts ask at once", async () => {
  const doc = fakeDocument();
  const global = {};
  const loader = createPlotlyLoader(doc, global);
  assert.equal(doc.head.scripts.length, 0);
  assert.equal(loader.loaded(), null);
  const first = loader.load();
  const second = loader.load();
  assert.equal(first, second);
  assert.equal(doc.head.scripts.length, 1);
  const [script] = doc.head.scripts;
  assert.equal(script.tag, "script");
  assert.equal(script.src, SRC); // same-origin URL from the meta: no inline code (CSP script-src 'self')
  global.Plotly = { version: "4.1.1" };
  script.fire("load");
  assert.equal(await first, global.Plotly);
  assert.equal(await loader.load(), global.Plotly); // loaded: no second script
  assert.equal(doc.head.scripts.length, 1);
  assert.equal(loader.loaded(), global.Plotly);
});

test("a failed load rejects with words a person can read, and the next call tries again", async () => {
  const doc = fakeDocument();
  const global = {};
  const loader = createPlotlyLoader(doc, global);
  const failed = loader.load();
  doc.head.scripts[0].fire("error");
  await assert.rejects(failed, (err) => err instanceof PlotlyLoadError && err.src === SRC
    && /the request for \/vendor\/plotly-3b6e15d45dbb\.min\.js failed/.test(err.message));
  assert.equal(doc.head.scripts.length, 0); // the failed element is gone
  const again = loader.load();
  assert.equal(doc.head.scripts.length, 1);
  global.Plotly = {};
  doc.head.scripts[0].fire("load");
  assert.equal(await again, global.Plotly);
});

test("a script that defines no Plotly, and a page without the meta, are errors too", async () => {
  const doc = fakeDocument();
  const loader = createPlotlyLoader(doc, {});
  const p = loader.load();
  doc.head.scripts[0].fire("load");
  await assert.rejects(p, /loaded but defined no Plotly/);
  await assert.rejects(createPlotlyLoader(fakeDocument(null), {}).load(), /plotly-src.*missing/);
});

test("the chart's message says what is missing", () => {
  const error = new PlotlyLoadError("the request for /vendor/p.js failed (offline)", "/vendor/p.js");
  assert.equal(missingText(error), "This chart needs plotly.js, which did not load: the request for /vendor/p.js "
    + "failed (offline). The rest of the page works without it.");
  assert.match(missingText(error, { charts: 3 }), /^These charts need plotly\.js, which did not load: /);
});

test("every Plotly user loads it through the loader and draws with its one config (no mode bar)", () => {
  const dir = new URL("../../static/js/", import.meta.url);
  const users = readdirSync(dir, { recursive: true }).filter((name) => name.endsWith(".js"))
    .map((name) => [name, readFileSync(new URL(name, dir), "utf8")])
    .filter(([, source]) => /Plotly\.(newPlot|react|relayout|purge)\(/.test(source));
  assert.ok(users.length >= 2, users.map(([name]) => name).join(", ")); // compare, the memory panel
  for (const [name, source] of users) {
    assert.match(source, /from "\.\/plotly_loader\.js"/, `${name} does not import the loader`);
    assert.doesNotMatch(source, /modeBarButtonsToRemove|displaylogo|displayModeBar|responsive:/, name);
    for (const call of source.matchAll(/Plotly\.(?:newPlot|react)\(([^;]*)\);/g)) {
      assert.match(call[1], /PLOTLY_CONFIG\)?$/, `${name}: ${call[0]} draws without the page's Plotly config`);
    }
  }
  const loader = readFileSync(new URL("views/plotly_loader.js", dir), "utf8");
  assert.match(loader, /PLOTLY_CONFIG = Object\.freeze\(\{ responsive: true, displayModeBar: false \}\)/);
});
