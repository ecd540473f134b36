// static/js/heatmap_layout.js and heatmap_svg.js: a panel's geometry, ticks and SVG export.
// Run: node --test tests/js/heatmap_layout.test.mjs
import assert from "node:assert/strict";
import { test } from "node:test";

import { DIVERGING } from "../../static/js/colors.js";
import {
  cellAt, cellCentre, columnAt, fitText, formatTick, layoutPanel, niceTicks, rowStep, tickFontPx, wrapText,
} from "../../static/js/heatmap_layout.js";
import { sceneToSvg, xmlText } from "../../static/js/heatmap_svg.js";

// Every character 0.6 em wide: enough for geometry, without a browser.
const measure = (text, font) => Array.from(text).length * 0.6 * Number(/(\d+(?:\.\d+)?)px/.exec(font)[1]);

function layout(overrides = {}) {
  const labels = overrides.labels ?? ["Today", ",", "<b>", "I", "need"];
  return layoutPanel({
    width: 400, height: 360, scale: 1, fontPx: 15, color: "#1f2328", labels, units: [3, 0, 1, 2],
    t0: 0, t1: labels.length - 1, zrange: { zmin: -2, zmax: 2 }, stops: DIVERGING, measure, ...overrides,
  });
}

const texts = (scene) => scene.items.filter((item) => item.kind === "text").map((item) => item.text);

test("ticks fall on 1-2-5 steps and read like Plotly's, with a true minus sign", () => {
  assert.deepEqual(niceTicks(-12.3, 12.3, 8), { step: 5, values: [-10, -5, 0, 5, 10] });
  assert.deepEqual(niceTicks(0, 1, 9).values, [0, 0.2, 0.4, 0.6, 0.8, 1]);
  assert.deepEqual(niceTicks(-1, 1, 9).values, [-1, -0.5, 0, 0.5, 1]);
  assert.deepEqual(["−0.5", "0", "1", "−10", "0.2"],
    [formatTick(-0.5, 0.5), formatTick(1e-17, 0.5), formatTick(1, 0.2), formatTick(-10, 5), formatTick(0.2, 0.2)]);
});

test("fonts grow with the container's font (presenter mode) and never drop below 15 px", () => {
  assert.equal(tickFontPx(20), 15);
  assert.equal(tickFontPx(12), 15);
  assert.ok(tickFontPx(26) > 18);
});

test("rows of 12 px or more are each labelled; smaller rows every n-th", () => {
  assert.equal(rowStep(40, 15), 1);
  assert.equal(rowStep(12, 15), 1);
  assert.ok(rowStep(3, 15) >= 5);
  assert.ok(rowStep(1.2, 15) * 1.2 >= 15);
  const scene = layout({ units: Array.from({ length: 256 }, (_, u) => u) });
  const rows = scene.items.filter((item) => item.kind === "text" && item.align === "end" && !item.angle);
  assert.ok(rows.length > 5 && rows.length < 40, `${rows.length} unit labels`);
  assert.equal(rows[0].text, "0");
});

test("token labels are the tokens exactly: never HTML-escaped, every n-th when crowded", () => {
  const scene = layout();
  assert.deepEqual(scene.ticks.map((tick) => tick.text), ["Today", ",", "<b>", "I", "need"]);
  for (const label of ["Today", "<b>", "need"]) assert.ok(texts(scene).includes(label));
  assert.ok(!texts(scene).some((text) => text.includes("&lt;")));
  const many = layout({ labels: Array.from({ length: 500 }, (_, t) => `w${t}`) });
  const every = many.ticks[1].t - many.ticks[0].t;
  assert.ok(every > 1);
  assert.deepEqual(many.ticks.map((tick) => tick.t), many.ticks.map((_, k) => k * every));
});

test("a zoomed window labels its own tokens and maps cells inside it", () => {
  const labels = Array.from({ length: 100 }, (_, t) => `t${t}`);
  const scene = layout({ labels, t0: 40, t1: 49 });
  assert.equal(scene.ticks[0].t, 40);
  assert.ok(scene.ticks.every((tick) => tick.t >= 40 && tick.t <= 49 && tick.text === labels[tick.t]));
  const { x, y } = cellCentre(scene, 45, 2);
  assert.deepEqual(cellAt(scene, x, y), { t: 45, row: 2 });
  assert.equal(cellCentre(scene, 39, 0), null);
  assert.equal(columnAt(scene, -100), 40); // drags past the plot clamp to the window
  assert.equal(columnAt(scene, 1e6), 49);
});

test("cellAt and cellCentre agree on every cell, and the margins are outside the plot", () => {
  const scene = layout();
  for (let t = 0; t < 5; t++) {
    for (let row = 0; row < 4; row++) {
      const { x, y } = cellCentre(scene, t, row);
      assert.deepEqual(cellAt(scene, x, y), { t, row });
    }
  }
  assert.equal(cellAt(scene, scene.plot.x - 1, scene.plot.y + 5), null);
  assert.equal(cellAt(scene, scene.plot.x + 5, scene.plot.y + scene.plot.h + 1), null);
  assert.ok(scene.plot.x > 30 && scene.plot.x + scene.plot.w < 400 - 40, "room for unit labels and colour bar");
});

test("long tokens are cut with an ellipsis to fit the label band", () => {
  const long = "x".repeat(200);
  const scene = layout({ labels: [long, "a", "b"] });
  const label = scene.ticks[0].text;
  assert.ok(label.endsWith("…") && label.length < 200);
  assert.equal(fitText("short", 1000, (s) => s.length), "short");
  assert.equal(fitText("abcdef", 4, (s) => s.length), "abc…");
});

test("an exported scene has a title band above the same drawing", () => {
  const plain = layout();
  const titled = layout({ title: "kept memory f⊙cₜ₋₁ — what is remembered" });
  assert.ok(titled.height > plain.height);
  assert.equal(titled.plot.h, plain.plot.h);
  assert.equal(texts(titled).slice(0, 2).join(" "), "kept memory f⊙cₜ₋₁ — what is remembered"); // two lines
  assert.deepEqual(wrapText("a bb ccc", 4, (s) => s.length), ["a bb", "ccc"]);
});

test("no room, no scene", () => {
  assert.equal(layout({ width: 0 }), null);
});

test("SVG export escapes text for XML and embeds the raster and the colour scale", () => {
  assert.equal(xmlText(`<b>"x" & 'y'</b>`), "&lt;b&gt;&quot;x&quot; &amp; &apos;y&apos;&lt;/b&gt;");
  assert.equal(xmlText("a\u0001b\ud800c😀"), "a\ufffdb\ufffdc😀"); // XML forbids controls and lone surrogates
  const scene = layout({ title: "kept <memory> & more" });
  const svg = sceneToSvg(scene, { width: scene.width, height: scene.height, rasterHref: "data:image/png;base64,AAAA" });
  assert.ok(svg.startsWith("<?xml"));
  assert.ok(svg.includes(">kept &lt;memory&gt; &amp; more</text>"));
  assert.ok(svg.includes(">&lt;b&gt;</text>")); // the token "<b>"
  assert.ok(svg.includes('href="data:image/png;base64,AAAA"'));
  assert.equal((svg.match(/<stop /g) ?? []).length, DIVERGING.length);
  assert.ok(!svg.includes("stroke="));
  const outlined = layout({ step: 2 }); // the selected step, framed as on screen
  const frame = outlined.items.find((item) => item.kind === "outline");
  assert.deepEqual([frame.x, frame.w], [outlined.plot.x + 2 * (outlined.plot.w / 5), outlined.plot.w / 5]);
  assert.ok(sceneToSvg(outlined, { width: 400, height: 360, rasterHref: "" }).includes('stroke="#111"'));
  assert.equal(layout({ step: 9 }).items.filter((item) => item.kind === "outline").length, 0); // off the window
  assert.ok(!/<[a-z]+[^>]*<|&(?!amp;|lt;|gt;|quot;|apos;)/.test(svg.replace(/^<\?xml[^>]*>/, "")));
});
