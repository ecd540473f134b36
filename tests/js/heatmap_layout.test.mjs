// static/js/core/heatmap_layout.js and heatmap_svg.js: a panel's geometry, ticks and SVG export.
// Run: node --test tests/js/heatmap_layout.test.mjs
import assert from "node:assert/strict";
import { test } from "node:test";

import { DIVERGING } from "../../static/js/core/colors.js";
import {
  PINNED_MARK, SELECTED_MARK, cellAt, cellCentre, columnAt, fitText, formatNumber, formatTick, layoutPanel, niceTicks,
  placeRowLabels, rowBox, rowCapacityOf, rowFrame, rowLabelText, rowStep, tickFontPx, wrapText,
} from "../../static/js/core/heatmap_layout.js";
import { sceneToSvg, xmlText } from "../../static/js/core/heatmap_svg.js";

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

const UNITS64 = Array.from({ length: 64 }, (_, u) => u);
const NAMES = new Map([[2, "tense"], [20, "tense"], [40, "tense"], [63, "cuisine"], [12, "cuisine"], [59, "cuisine"]]);
const barTexts = (scene) => scene.items.filter((item) => item.kind === "text" && item.x > scene.plot.x + scene.plot.w)
  .map((item) => item.text);

test("named units are always labelled, \"2 · tense\", and win over a plain neighbour", () => {
  const scene = layout({ units: UNITS64, names: NAMES });
  const byUnit = new Map(scene.rowLabels.map((label) => [label.unit, label.text]));
  for (const [unit, name] of NAMES) assert.equal(byUnit.get(unit), `${unit} · ${name}`);
  assert.ok(!byUnit.has(0), "row 0's plain label would overlap unit 2's"); // 64 rows of ~4 px: every 5th
  assert.ok(byUnit.has(30) && byUnit.get(30) === "30");
  // No two labels overlap, and each is drawn where the scene says.
  const items = scene.items.filter((item) => item.kind === "text" && item.align === "end" && !item.angle);
  assert.deepEqual(items.map((item) => item.text), scene.rowLabels.map((label) => label.text));
  const ys = items.map((item) => item.y).sort((a, b) => a - b);
  for (let k = 1; k < ys.length; k++) assert.ok(ys[k] - ys[k - 1] >= 15 * 1.1 - 1e-6, `${ys[k - 1]} ${ys[k]}`);
  assert.ok(scene.plot.x > layout({ units: UNITS64 }).plot.x, "the margin grew for the names");
});

test("the selected unit is bold after ▶ and framed in exports; pinned units start with ●", () => {
  const scene = layout({ units: UNITS64, names: NAMES, selectedUnit: 2, pinned: [2, 33], frameUnit: true });
  const label = (unit) => scene.rowLabels.find((l) => l.unit === unit)?.text;
  assert.equal(label(2), `${SELECTED_MARK} ${PINNED_MARK} 2 · tense`);
  assert.equal(label(33), `${PINNED_MARK} 33`);
  const bold = scene.items.find((item) => item.kind === "text" && item.text === label(2));
  assert.equal(bold.weight, 700);
  const frame = scene.items.find((item) => item.kind === "outline");
  assert.deepEqual(frame, { kind: "outline", ...rowFrame(scene, 2), color: "#111" });
  const box = rowBox(scene, 2);
  assert.deepEqual([frame.x, frame.y, frame.w, frame.h], [box.x - 1, box.y - 1, box.w + 2, box.h + 2]); // outside the row
  const onScreen = layout({ units: UNITS64, selectedUnit: 2 }); // on screen the overlay frames it
  assert.equal(onScreen.items.filter((i) => i.kind === "outline").length, 0);
  assert.equal(rowBox(scene, 64), null);
  const svg = sceneToSvg(scene, { width: scene.width, height: scene.height, rasterHref: "" });
  assert.ok(svg.includes(`>${SELECTED_MARK} ${PINNED_MARK} 2 · tense</text>`) && svg.includes('font-weight="700"'));
});

test("labels that cannot sit on their row move to the nearest free spot, with a line to their row", () => {
  const units = UNITS64;
  const names = new Map([[10, "a"], [11, "b"], [12, "c"]]); // three neighbours, rows ~4 px apart
  const scene = layout({ units, names, selectedUnit: 11 });
  const placed = scene.rowLabels.filter((l) => names.has(l.unit));
  assert.deepEqual(placed.map((l) => l.unit), [10, 11, 12]); // all three drawn
  const lines = scene.items.filter((item) => item.kind === "line");
  assert.equal(lines.length, 2); // the selected one sits on its row; its neighbours moved
  const selected = scene.items.find((item) => item.kind === "text" && item.text.startsWith(SELECTED_MARK));
  assert.equal(selected.y, cellCentre(scene, 0, 11).y);
  for (const line of lines) assert.ok(line.x2 < scene.plot.x && line.x1 < line.x2);
  assert.ok(sceneToSvg(scene, { width: 400, height: 360, rasterHref: "" }).includes("<line "));
  // placeRowLabels itself: crowded labels spread around their rows in row order; plain ones fill the
  // gaps; with no room for all, the least important are left out.
  const out = placeRowLabels([{ r: 0, y: 10, priority: 2 }, { r: 1, y: 12, priority: 0 }],
    [{ r: 2, y: 20 }, { r: 5, y: 30 }], 10, 0, 100);
  assert.deepEqual(out.map(({ r, y }) => [r, y]), [[0, 6], [1, 16], [5, 30]]);
  const crowded = placeRowLabels([{ r: 0, y: 5, priority: 2 }, { r: 1, y: 5, priority: 1 }, { r: 2, y: 5, priority: 0 }],
    [], 10, 0, 16);
  assert.deepEqual(crowded.map(({ r, y }) => [r, y]), [[1, 0], [2, 10]]); // no room for a third: the named one
  const order = placeRowLabels([{ r: 62, y: 95, priority: 2 }, { r: 63, y: 99, priority: 2 }], [], 10, 0, 100);
  assert.deepEqual(order.map(({ r, y }) => [r, y]), [[62, 90], [63, 100]]); // at the edge, still in row order
});

test("long names are cut with …, the margin stays bounded, the unit number is never cut", () => {
  const fit = (s) => measure(s, "400 15px x");
  assert.equal(rowLabelText(63, { name: "cuisine" }, 1000, fit), "63 · cuisine");
  assert.equal(rowLabelText(7, { name: "position in the line" }, fit("7 · position"), fit), "7 · positi…");
  assert.equal(rowLabelText(7, { name: "position in the line" }, fit("7 · "), fit), "7");
  const names = new Map([[5, "an extremely long name that goes on and on"]]);
  const scene = layout({ units: UNITS64, names });
  const label = scene.rowLabels.find((l) => l.unit === 5).text;
  assert.ok(label.startsWith("5 · an") && label.endsWith("…"), label);
  assert.ok(scene.plot.x < 400 * 0.35 + 15 * 1.3 + 30, `${scene.plot.x}`);
});

test("the colour bar says each mode: numbers, ≥ / ≤ at clipped ends, words for one range per row", () => {
  const numbers = barTexts(layout({ zrange: { zmin: -2, zmax: 2 } }));
  assert.deepEqual([numbers[0], numbers.at(-1)], ["−2", "2"]);
  assert.ok(numbers.includes("0") && !numbers.some((t) => /[≥≤a-z]/.test(t)), numbers.join(" "));
  const robustScene = layout({ zrange: { zmin: -3.5, zmax: 3.5 }, scaleMode: "robust" });
  const robust = barTexts(robustScene);
  assert.equal(robust[0], "≥3.5");
  assert.equal(robust.at(-1), "≤−3.5");
  assert.ok(robust.includes("0"), robust.join(" "));
  const right = robustScene.plot.x + robustScene.plot.w;
  const ys = robustScene.items.filter((item) => item.kind === "text" && item.x > right).map((item) => item.y);
  for (let k = 1; k < ys.length; k++) assert.ok(ys[k] - ys[k - 1] >= 15 * 1.2 - 1e-6, ys.join(" ")); // none crowd an end
  const close = barTexts(layout({ zrange: { zmin: -3.5, zmax: 3.5 }, scaleMode: "robust", height: 150 }));
  assert.ok(!close.includes("3"), close.join(" ")); // in a short bar, 3 would touch ≥3.5
  const unit = layout({ zrange: { zmin: -15, zmax: 15 }, scaleMode: "unit" });
  assert.deepEqual(barTexts(unit), ["+max", "0", "−max", "each row's own range"]);
  const side = unit.items.find((item) => item.text === "each row's own range");
  assert.equal(side.angle, -90);
  assert.ok(side.x < 400, "inside the drawing");
  assert.deepEqual(["3.5", "−15", "0.035", "1500"], [3.5, -15, 0.035, 1500].map(formatNumber));
});

test("an exported scene carries the legend in a band under the drawing", () => {
  const plain = layout();
  const legend = "red: positive · blue: negative · pale: near 0. ±15 for every row: the largest |value|.";
  const scene = layout({ legend });
  assert.ok(scene.height > plain.height);
  assert.deepEqual(scene.plot, plain.plot);
  const lines = scene.items.filter((item) => item.kind === "text" && item.y > plain.height);
  assert.equal(lines.map((item) => item.text).join(" "), legend);
});

test("row capacity before any render: rows of at least minRowPx in the plot area, at least 1", () => {
  const capacity = rowCapacityOf(360, 15, 6);
  assert.ok(capacity > 20 && capacity < 60, `${capacity}`);
  assert.ok(rowCapacityOf(360, 15, 12) < capacity);
  assert.equal(rowCapacityOf(10, 15, 6), 1);
});
