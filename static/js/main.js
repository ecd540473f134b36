// Composition root: the only module that touches location and history. It reads the link, holds what
// the person chose (`state`, named as state.js's table), fetches through api.js and renders the views.
import { fetchAttribution, fetchCard, fetchModels, fetchStep, fetchTrace, fetchTraceFrom } from "./api.js";
import { decodeSpec } from "./core/arrays.js";
import { checkpointsOf } from "./core/checkpoints.js";
import { lazyViews } from "./core/lazy.js";
import { overLimit } from "./core/limits.js";
import { createPlayer } from "./core/player.js";
import { TRAIN_FIELDS, buildLink, configureLink, readLink } from "./core/state.js";
import { LECTURE, RNN_MODEL, tourSteps } from "./core/tour_steps.js";
import { absorb, holds, requestFor, wholeRequest } from "./core/trace_store.js";
import { trackIds } from "./core/tracks.js";
import { unitNames } from "./core/unit_names.js";
import { activity, changeAt, fitUnits, orderUnits, rankBySpan, spanScores } from "./core/units.js";
import {
  cellOf, memoryOf, panelTitle, recordedOf, sharedQuantities, spanQuantity, viewOf as cellView, viewPanels, viewsOf,
} from "./core/views.js";
import { dropFirstTrace, takeFirstTrace } from "./first_trace.js";
import { createControls } from "./views/controls.js";
import { createExportPanel, download } from "./views/export_panel.js";
import { createFigureFit, showTourFocus } from "./views/figure.js";
import { createHeatmaps } from "./views/heatmaps.js";
import { createLearnSlider } from "./views/learn.js";
import { createModelPanel } from "./views/model_panel.js";
import { createPlayerControls } from "./views/player.js";
import { createRetention } from "./views/retention.js";
import { createTokenStrip } from "./views/token_strip.js";
import { createTour } from "./views/tour.js";
import { createWhy } from "./views/why.js";

const TYPING_DEBOUNCE_MS = 250;
const URL_DEBOUNCE_MS = 300;
const TOP_K = 5;
const SPAN_RESULTS = 8;
const MIN_ROW_PX = 6; // rows thinner than this cannot be read off: show fewer units (fitUnits)
// Every cell-dependent choice reads the model's cell spec (/api/models `cell_spec`, core/views.js): its
// views, panels, memory, quantities. Nothing here knows a cell by its name.
/** What the engine records for a model (an LSTM's i, f, g, o, c, h; a GRU's r, z, n, h; an RNN's h, a): the
 *  model's quantities but the ledger, which is derived. The unit chart's lines and the downloads' columns. */
const traced = (model) => recordedOf(cellOf(model));
/** The view drawn for a model: the chosen one when its cell has it, else the cell's first. */
const viewOf = (model) => cellView(cellOf(model), state.view);
const panelsOf = (model) => viewPanels(cellOf(model), state.view);
/** What compare mode can show for two models: the quantities both have, A's memory first. */
const comparable = (a, b) => sharedQuantities(cellOf(a), cellOf(b));
// The lecture's minimal pairs: tense (the opener decides need/had) and cuisine (the foods swapped); and
// the lecture's cuisine sentence up to "cuisine is" through two of the lesson's models side by side (an
// LSTM, a vanilla RNN and a GRU trained on the same texts): "What comes next?" shows each one's guess (the
// RNN never learnt to carry the food that far: evaluation.memory_span). The page shows a model pair's
// button only when both models are loaded (templates/index.html).
const CUISINE_TO_IS = LECTURE.cuisineOne.slice(0, LECTURE.cuisineOne.lastIndexOf(" "));
const PRESETS = {
  tense: [LECTURE.tensePresent, LECTURE.tensePast],
  cuisine: [
    LECTURE.cuisineTwo,
    "Dhaval eats pasta and cheese almost everyday, it shouldn't be hard to guess that his favorite cuisine is "
      + "Italian. His brother Bhavin however is a lover of samosa that means Bhavin's favorite cuisine is Indian",
  ],
};
/** The model pairs: preset -> [model A, model B], the cuisine sentence through both. */
const byId = (id) => document.getElementById(id);
const el = {
  model: byId("model"), text: byId("text"), cardButton: byId("card-button"), error: byId("error"),
  notice: byId("notice"), summary: byId("summary"), results: byId("results"), heatmaps: byId("heatmaps"),
  note: byId("heatmap-note"), compareSection: byId("compare-section"), compareText: byId("compare-text"),
  compareModel: byId("compare-model"), modeButtons: byId("mode-buttons"), teach: byId("teach"),
};
const models = new Map(JSON.parse(byId("models-data").textContent).map((m) => [m.id, m]));
// The constants the page shares with the server (app/serving/routes/pages.py): its limits on a text, its
// model-id pattern.
const config = JSON.parse(byId("page-config").textContent);
const limits = { max_chars: config.max_chars, max_tokens: config.max_tokens };
configureLink({ modelIdPattern: config.model_id_pattern, maxText: config.max_chars });
const modelPanel = createModelPanel({
  description: byId("model-description"), facts: byId("model-facts"), examples: byId("examples"),
  examplesRow: byId("examples-row"), examplesCount: byId("examples-count"), layer: byId("layer"),
  layerLabel: byId("layer-label"),
});
const tokenStrip = createTokenStrip(byId("tokens"));
const heatmaps = createHeatmaps(el.heatmaps);
const controls = createControls({
  views: byId("views"), order: byId("order"), topN: byId("top-n"), scale: byId("scale"), pins: byId("pins"),
  span: byId("span"),
  spanResults: byId("span-results"),
});
const exportPanel = createExportPanel({
  charts: byId("export-chart"), buttons: byId("export-buttons"), cli: byId("cli-line"), curl: byId("curl-line"),
});
const playerControls = createPlayerControls(byId("player"));
const why = createWhy(byId("why"));
const figure = createFigureFit(el.heatmaps);

// Views made once their modules have loaded, after the first heatmaps are painted (loadLater.start()), or at
// once in a mode whose first screen shows them (compare): the details under the heatmaps, the model card,
// compare mode and the share box. Their 15-odd modules would otherwise be fetched and run before the first
// trace is even asked for (core/lazy.js: a call before a module has loaded waits for it, in order).
const loadLater = lazyViews((err) => showError(`part of the page did not load (${err.message}): reload to try again`));
const stepDetail = loadLater.view(() => import("./views/step_detail.js")
  .then((m) => m.createStepDetail(byId("step-detail"))));
const unitDetail = loadLater.view(() => import("./views/unit_detail.js")
  .then((m) => m.createUnitDetail(byId("unit-detail"))));
const modelCard = loadLater.view(() => import("./views/model_card.js").then((m) => m.createModelCard(byId("model-card"))));
const compareView = loadLater.view(() => import("./views/compare.js").then((m) => m.createCompare(byId("compare"))));
const share = loadLater.view(() => import("./views/share.js").then((m) => m.createShareBox({
  button: byId("copy-link"), box: byId("link-box"), status: byId("share-status"),
})));
// The tour's narration and the learning slider are small, and the first screen of their modes: made at once.
const tour = createTour(byId("tour"));
const learn = createLearnSlider(byId("learn"));
// The Train panel (mode=train, views/train.js): live training jobs, a column per cell. Its module loads with the
// other views (at once in train mode). cellSpec: the gates' panels of a cell some served model has.
const trainPanel = loadLater.view(() => import("./views/train.js").then((m) => m.createTrain(byId("train"), {
  cellSpec: (name) => new Map([...models.values()].map((m2) => [m2.cell, m2.cell_spec])).get(name) ?? null,
})));
/** The Train panel's link fields as state holds them (state.js TRAIN_FIELDS). */
const trainFields = (value = (f) => state[f]) => Object.fromEntries(TRAIN_FIELDS.map((f) => [f, value(f)]));

// What the person chose (the link's properties) and what is on screen.
const state = {
  view: "", order: "index", topN: null, scale: "unit", pinned: [], layer: 0, step: null, unit: null, span: null,
  compare: "", compareModel: "", mode: "explore", presenter: false, tour: 0, checkpoint: null, speed: 5, hide: [],
  embed: false,
  tracks: false, // the annotation tracks under the heatmaps are shown
  memory: false, // the "Memory that lasts" panel is open
  saturation: false, // the "Gates at their limits" panel is open
  components: false, componentsK: 4, // the "Kinds of memory" panel is open, and its number of patterns
  why: "", whyMethod: "auto", // the prediction the token strip is tinted for (after `step`), and how
  spanResults: null, compareQuantity: "", compareStep: null, reveal: null,
  shown: null, // what is held of the text's trace: trace_store.js's holding {model, text, layer, tokens,
  // predictions, matrices: {quantity: {T, H, data}}}, the drawn quantities of one layer (u1: approximate)
  other: null, // the same for the comparison text, in compare mode
};
let inFlight = null;
let drawn = null; // what the last draw() drew: {shown, rows, reveal} (select() redraws less while they hold)
let typingTimer = 0;
let urlTimer = 0;
let stepRequest = null;
let whyRequest = null;
let compareWhyRequest = null;
let compareWhyAsked = ""; // what the compare view's "why" shows (or is asking for)
let unitRequest = null;
let unitHeld = null; // the selected unit's exact values: a holding of one unit, f4
let steps = []; // the guided tour's steps, built from the lesson model's card
let refused = null; // {model, text}: the last text the server refused as over its limits (413)

const player = createPlayer({
  length: 1,
  speed: state.speed,
  onFrame(k, playing) {
    const whole = k >= (state.shown?.tokens.length ?? 0);
    if (!playing && whole && state.reveal === null) {
      renderPlayer(); // a new text's length, not a move of the animation: the selection stays
      return;
    }
    state.reveal = playing || !whole ? k : null;
    state.step = k - 1;
    // The cell diagram follows the animation: it needs a unit, so take the first one shown.
    if (state.unit === null && state.shown) state.unit = unitOrder(layerOf(state.shown))[0] ?? null;
    draw();
    renderPlayer();
  },
});

function showError(message) {
  el.error.textContent = message;
  el.error.classList.toggle("hidden", !message);
}

function showNotice(message) {
  el.notice.textContent = message;
  el.notice.classList.toggle("hidden", !message);
}

/** The quantities on screen now, in the cell's order: the view's panels, the memory (c; h for a GRU or an
 *  RNN) for the activity and change orders, h for a span, and the compared quantity in compare mode. Only
 *  these are fetched. */
function drawnQuantities(model) {
  const cell = cellOf(model);
  const q = new Set(panelsOf(model));
  if (state.order === "activity" || state.order === "change" || cutsUnits(model)) q.add(memoryOf(cell));
  if (state.span || state.order === "span") q.add(spanQuantity(cell));
  if (state.mode === "compare") q.add(compareQuantity(model, models.get(el.compareModel.value) ?? model));
  return cell.quantities.filter((key) => q.has(key));
}

/** The compared quantity: the chosen one when both models have it, else the first they share (h). */
function compareQuantity(a, b) {
  const both = comparable(a, b);
  return both.includes(state.compareQuantity) ? state.compareQuantity : both[0];
}

/** What the page asks for a text: the drawn quantities of the selected layer as u1 (for colours). */
function wantFor(model, text, quantities = drawnQuantities(model)) {
  return {
    model, text, layer: Math.min(state.layer, model.num_layers - 1), unit: null, encoding: "u1",
    topK: model.has_decoder ? TOP_K : 0, quantities,
  };
}

function layerOf(shown) {
  return shown ? shown.matrices : null;
}

/** The first k steps of every matrix (the animation reveals the text token by token). */
function revealed(m, k) {
  if (k === null) return m;
  return Object.fromEntries(Object.entries(m).map(([key, x]) => [key, { T: k, H: x.H, data: x.data.subarray(0, k * x.H) }]));
}

/** How many rows the heatmaps can show at MIN_ROW_PX or more. */
let capacity = null; // rowCapacity's answer until the plots' height or type size changes
function rowCapacity() {
  // Measured once per figure size: reading it makes the browser lay the page out, not what a keystroke should.
  capacity ??= Math.max(8, heatmaps.rowCapacity?.(MIN_ROW_PX) ?? Infinity);
  return capacity;
}

/** Whether the default selection ("as many as fit") leaves units out for this model. */
function cutsUnits(model) {
  return state.topN === null && model.hidden_size > rowCapacity();
}

/** The named units of the selected layer (the card's notable units): Map unit → "tense". */
function namesOf(model) {
  return unitNames(model?.notable_units, state.layer);
}

// Mean |memory| per unit, per matrix drawn: a click or a redraw of the same holding reads it again.
const activities = new WeakMap();
function activityOf(m) {
  if (!activities.has(m)) activities.set(m, activity(m));
  return activities.get(m);
}

/** The heatmaps' rows: m holds the drawn quantities (drawnQuantities adds what an order scores). With
 *  no "Show" chosen and more units than rows that can be read, the named units and the most active
 *  ones (mean |memory|) that fit, shown in the chosen order. */
function unitOrder(m) {
  let scores = null;
  const model = state.shown?.model;
  const cell = cellOf(model);
  const q = m[memoryOf(cell)];
  const H = Object.values(m)[0].H;
  if (state.order === "activity") scores = activityOf(q);
  else if (state.order === "change" && q.T) scores = changeAt(q, Math.min(state.step ?? q.T - 1, q.T - 1));
  else if (state.order === "span" && state.span) {
    scores = spanScores(m[spanQuantity(cell)], state.span.start, state.span.end);
  }
  if (state.topN !== null) {
    return orderUnits({ H, scores, pinned: state.pinned, topN: state.topN === "all" ? null : state.topN });
  }
  if (!model || !q || !cutsUnits(model)) return orderUnits({ H, scores, pinned: state.pinned, topN: null });
  const named = [...namesOf(model).keys()];
  const chosen = new Set(fitUnits({ H, capacity: rowCapacity(), named, pinned: state.pinned, activity: activityOf(q),
    selected: state.unit }));
  return orderUnits({ H, scores, pinned: state.pinned, topN: null }).filter((u) => chosen.has(u));
}

function drawSummary(model, tokens) {
  const T = tokens.length;
  const unknown = tokens.filter((token) => token.id === model.unk_id).length;
  const L = model.num_layers;
  el.summary.textContent = T === 0
    ? "none yet: type some text above"
    : `${T} token${T === 1 ? "" : "s"}`
      + (unknown ? ` · ${unknown} not in the vocabulary (dashed)` : "")
      + (L > 1 ? ` · layer ${state.layer + 1} of ${L}` : "");
}

let draws = 0; // draws begun: one that let the browser paint before its rest leaves that rest to a newer one

/** A promise of the next task. */
function nextTask() {
  return new Promise((resolve) => {
    setTimeout(resolve, 0);
  });
}

/** A promise of the first task after the browser has painted what is drawn now. */
function afterPaint() {
  return new Promise((resolve) => {
    requestAnimationFrame(() => setTimeout(resolve, 0));
  });
}

/**
 * Redraw everything from state; settles when everything is drawn. With `paintFirst` (a new holding: a
 * new text, a keystroke) the figure (the token strip, the heatmaps, compare mode's charts) is drawn in one
 * task, `onFigure()` is called, and the rest (the controls, the notes, the details, the memory panel, the
 * export lines, the player, the link) in a task after the browser has painted it: the heatmaps are on
 * screen sooner, and neither task holds the page for long.
 */
async function draw({ paintFirst = false, onFigure = null } = {}) {
  const { shown } = state;
  if (!shown) return;
  const draw0 = ++draws;
  if (!holds(shown, wantFor(shown.model, shown.text))) {
    trace(); // a view, an order or a layer that needs quantities not fetched yet: fetch, then draw
    return;
  }
  const T = shown.tokens.length;
  const k = state.reveal === null ? T : Math.min(state.reveal, T);
  const tokens = shown.tokens.slice(0, k);
  const m = revealed(layerOf(shown), state.reveal === null ? null : k);
  // What stands above the heatmaps first (the summary, the token strip: a windowed strip of at most
  // STRIP_WINDOW chips, in a box of its own, contain: content), then the layout is read once: where the
  // heatmaps start decides their height (figure.fit) and so how many rows fit. Measured before the strip
  // had its chips, a new text's first draw fitted the figure to the wrong place and drew it all twice.
  drawSummary(shown.model, shown.tokens);
  tokenStrip.render({ tokens: shown.tokens, unkId: shown.model.unk_id, step: state.step, span: state.span });
  el.heatmaps.classList.toggle("hidden", T === 0);
  const figureData = { cell: cellOf(shown.model), matrices: m, panels: panelsOf(shown.model), source: shown,
    lineage: shown.kept, scale: state.scale, rangeMatrices: layerOf(shown) };
  if (k > 0) heatmaps.prepare(figureData); // the panels' captions and legends, before the layout is read
  const width = el.heatmaps.clientWidth;
  reserveTracks(shown.model); // the tracks' room under the plots, before the figure is fitted
  if (figure.fit()) capacity = null;
  const work = [];
  const rows = k > 0 ? unitOrder(layerOf(shown)) : null;
  drawn = { shown, rows, reveal: state.reveal };
  const names = namesOf(shown.model);
  if (rows) {
    work.push(heatmaps.render({ ...figureData, tokens, units: rows, step: state.step, names,
      selectedUnit: state.unit, pinned: state.pinned }));
  }
  const H = shown.model.hidden_size;
  if (state.other) work.push(drawCompare());
  onFigure?.();
  if (paintFirst) {
    await afterPaint();
    if (draw0 !== draws) { // a newer draw has drawn it all again
      await Promise.all(work);
      return;
    }
  }
  controls.render({ ...state, view: viewOf(shown.model), cell: cellOf(shown.model), tokens: shown.tokens });
  el.note.textContent = [
    rows && state.topN === null && rows.length < H ? `Showing ${rows.length} of ${H} units, as many as can be `
      + `read here: ${names.size ? `the ${names.size} the model card names, then ` : ""}the most active `
      + `(mean |${memoryOf(cellOf(shown.model))}|). `
      + "“Show: all units” shows every unit." : "",
    T > width / 2 ? `${T} tokens: drag across a heatmap to zoom into a stretch, double-click to see all again.` : "",
  ].filter(Boolean).join(" ");
  drawDetails();
  drawRetention();
  drawSaturation();
  drawComponents();
  drawSearch();
  drawTracks();
  work.push(drawExport());
  renderPlayer();
  scheduleUrl();
  await Promise.all(work);
  // The first drawing (or a new layout above the figure) can move the heatmaps: fit them again.
  if (figure.fit()) {
    capacity = null;
    await draw();
  }
}

let aligned = null; // {a, b, pairs}: the last alignment asked for, by its token lists

/** core/align.js's alignTokens(tokensA, tokensB), kept for the last pair of token lists. */
async function alignedPairs(tokensA, tokensB) {
  if (aligned?.a !== tokensA || aligned.b !== tokensB) {
    aligned = { a: tokensA, b: tokensB, pairs: (await alignCode()).alignTokens(tokensA, tokensB) };
  }
  return aligned.pairs;
}

/** The aligned column just before the texts first differ after a shared stretch ("I" before need/had):
 *  where a minimal pair's predictions part ways. Null when the texts never rejoin. */
async function firstDivergence(tokensA, tokensB) {
  const pairs = await alignedPairs(tokensA, tokensB);
  const k = pairs.findIndex(([ta, tb], n) => n + 1 < pairs.length
    && (pairs[n + 1][0] - ta > 1 || pairs[n + 1][1] - tb > 1));
  return k >= 0 ? k : null;
}

async function drawCompare() {
  loadLater.start(); // compare mode's figure is on the first screen: its view cannot wait for the first paint
  const a = state.shown;
  const b = state.other;
  const step = await compareColumn();
  return compareView.render({
    cell: cellOf(a.model),
    a: { label: a.model.id === b.model.id ? "A" : `A · ${a.model.title}`, tokens: a.tokens, matrices: layerOf(a) },
    b: { label: a.model.id === b.model.id ? "B" : `B · ${b.model.title}`, tokens: b.tokens, matrices: layerOf(b) },
    quantity: compareQuantity(a.model, b.model), quantities: comparable(a.model, b.model), units: null, step,
    predictionsA: a.predictions, predictionsB: b.predictions,
  }).then(() => drawCompareWhy(step));
}

/** The aligned column compare mode shows (its predictions, its "why"): the one clicked, else where the texts
 *  first part ways. */
async function compareColumn() {
  const { shown: a, other: b } = state;
  const k = state.compareStep;
  if (k === null || k >= (await alignedPairs(a.tokens, b.tokens)).length) {
    return firstDivergence(a.tokens, b.tokens); // (a link's column past the texts' is not used)
  }
  return k;
}

/** Compare mode's "why": both texts' words tinted for state.why at aligned column k (default compareColumn();
 *  each text's own step there), asked of /api/attribution once per (texts, column, target, method); hidden
 *  while state.why is "". */
async function drawCompareWhy(column) {
  const a = state.shown;
  const b = state.other;
  const k = a && b && state.why ? column ?? await compareColumn() : null;
  const pairs = k !== null ? await alignedPairs(a.tokens, b.tokens) : [];
  if (!pairs[k]) {
    compareWhyAsked = "";
    compareWhyRequest?.abort();
    compareView.why(null);
    return;
  }
  const sides = [["A", a, pairs[k][0]], ["B", b, pairs[k][1]]].map(([name, held, step]) => ({
    name, tokens: held.tokens, step, model: held.model, text: held.text,
  }));
  const asked = JSON.stringify([sides.map((s) => [s.model.id, s.text, s.step]), state.why, state.whyMethod]);
  if (asked === compareWhyAsked) return;
  compareWhyAsked = asked;
  compareWhyRequest?.abort();
  const controller = new AbortController();
  compareWhyRequest = controller;
  const input = { target: state.why, method: state.whyMethod, sides };
  compareView.why(input);
  const results = await Promise.allSettled(sides.map((s) => (s.model.has_decoder
    ? fetchAttribution({ model: s.model.id, text: s.text, step: s.step, target: state.why, method: state.whyMethod,
      signal: controller.signal })
    : Promise.reject(new Error("this model has no decoder: it predicts nothing")))));
  if (compareWhyRequest !== controller) return;
  compareWhyRequest = null;
  results.forEach((r, n) => {
    if (r.status === "fulfilled") sides[n].answer = r.value;
    else sides[n].error = r.reason?.message ?? String(r.reason);
  });
  compareView.why(input);
}

function drawDetails() {
  drawUnitDetail();
  drawStepDetail();
  drawWhy();
}

/** "Why this prediction?": the words up to the selected step tinted by how much they pushed the prediction
 *  after it toward state.why (/api/attribution), with the bar that says so; nothing while state.why is "". */
async function drawWhy() {
  const { shown } = state;
  whyRequest?.abort();
  whyRequest = null;
  if (state.other || compareWhyAsked) drawCompareWhy();
  if (!shown || !state.why || state.step === null || !shown.model.has_decoder || !shown.tokens[state.step]) {
    why.clear();
    tokenStrip.tint(null);
    return;
  }
  const controller = new AbortController();
  whyRequest = controller;
  const asked = { model: shown.model.id, text: shown.text, step: state.step, target: state.why,
    method: state.whyMethod };
  why.show({ target: state.why, after: shown.tokens[state.step].text, method: state.whyMethod,
    tokenizer: shown.model.tokenizer });
  try {
    const answer = await fetchAttribution({ ...asked, signal: controller.signal });
    if (whyRequest !== controller) return;
    why.render(answer);
    tokenStrip.tint(answer.scores, answer.target.token);
  } catch (err) {
    if (err.name === "AbortError" || whyRequest !== controller) return;
    why.fail(err.message);
    tokenStrip.tint(null);
  }
}

function explain(changes) {
  Object.assign(state, changes);
  drawWhy();
  scheduleUrl();
}

/** The selected unit over the text, from its exact float32 values (fetched for that unit alone, only
 *  the steps not held yet): a person reads these numbers. */
async function drawUnitDetail() {
  const { shown } = state;
  unitRequest?.abort();
  if (!shown || state.unit === null || state.unit >= shown.model.hidden_size) {
    unitDetail.clear("Click a heatmap cell or a unit to see that unit over the text.");
    return;
  }
  const controller = new AbortController();
  unitRequest = controller;
  const lines = traced(shown.model);
  const want = { ...wantFor(shown.model, shown.text, lines), unit: state.unit, encoding: "f4", topK: 0 };
  try {
    const answer = holds(unitHeld, want) ? null : await ask(unitHeld, want, controller.signal);
    if (unitRequest !== controller) return; // overtaken: leave the held values to the newer request
    if (answer) unitHeld = absorb(unitHeld, want, answer);
    const series = Object.fromEntries(lines.map((q) => [q, unitHeld.matrices[q].data]));
    unitDetail.render({
      cell: cellOf(shown.model), text: shown.text, tokens: shown.tokens, unit: state.unit, layer: want.layer, series,
      step: state.step, pinned: state.pinned.includes(state.unit),
    });
  } catch (err) {
    if (err.name !== "AbortError") unitDetail.clear(err.message);
  }
}

async function drawStepDetail() {
  const { shown } = state;
  stepRequest?.abort();
  if (!shown || state.step === null || state.unit === null) {
    stepDetail.clear("Click a token or a heatmap cell to see why its numbers are what they are.");
    return;
  }
  const controller = new AbortController();
  stepRequest = controller;
  const { step, unit, layer } = state;
  try {
    const json = await fetchStep({ model: shown.model.id, text: shown.text, step, layer, signal: controller.signal });
    if (stepRequest !== controller) return;
    stepDetail.render({
      cell: cellOf(shown.model), step: json, unit, layer, predictions: shown.predictions?.[step] ?? null,
      numSteps: shown.tokens.length,
    });
  } catch (err) {
    if (err.name !== "AbortError") stepDetail.clear(err.message);
  }
}

// core/export.js (the shell lines, the downloads' files) and core/align.js (compare mode), loaded when first
// needed: after the first paint, not before it.
let exportModule = null;
const exportCode = () => (exportModule ??= import("./core/export.js"));
let alignModule = null;
const alignCode = () => (alignModule ??= import("./core/align.js"));

/** The export panel's charts and shell lines for what is shown; settles when they are written. */
async function drawExport() {
  const { cliLine, curlLine } = await exportCode();
  const { shown } = state;
  const cell = cellOf(shown.model);
  const charts = panelsOf(shown.model).map((key) => ({ key, title: panelTitle(cell, key) }));
  let lines = { cli: "", curl: "" };
  try {
    lines = {
      cli: cliLine({ model: shown.model.id, text: shown.text, topK: TOP_K }),
      curl: curlLine({ origin: location.origin, model: shown.model.id, text: shown.text, topK: TOP_K }),
    };
  } catch (err) {
    lines = { cli: err.message, curl: err.message };
  }
  exportPanel.render({ charts, lines });
}

/** The link's state: what the person chose, plus the model's version and the texts. The model's first view
 *  is its default: left out of the link. */
function linkState() {
  const model = models.get(el.model.value);
  const view = state.view === viewsOf(cellOf(model))[0]?.id ? "" : state.view;
  return {
    ...state, ...(state.mode === "train" ? {} : trainFields(() => null)), // the panel's knobs: in train mode only
    view, model: model.id, version: model.version, text: el.text.value,
    compare: state.other || state.mode === "compare" ? el.compareText.value : "",
    compareModel: state.other && state.other.model.id !== model.id ? state.other.model.id : "",
    compareStep: state.other || state.mode === "compare" ? state.compareStep : null,
  };
}

function scheduleUrl() {
  clearTimeout(urlTimer);
  urlTimer = setTimeout(async () => {
    const url = await buildLink(linkState(), { origin: location.origin, pathname: location.pathname });
    history.replaceState(null, "", url);
    share.update(url);
  }, URL_DEBOUNCE_MS);
}

/** Keep choices that still make sense for a new trace (a shorter text, another model). */
function clampSelection(T, H) {
  if (state.step !== null && state.step >= T) state.step = T ? T - 1 : null;
  if (state.unit !== null && state.unit >= H) state.unit = null;
  if (state.span && state.span.end >= T) state.span = null;
  state.pinned = state.pinned.filter((u) => u < H);
  state.spanResults = null;
}


/** The server's answer to what `held` lacks of `want`, or null when held already answers. */
function ask(held, want, signal) {
  if (holds(held, want)) return null;
  const params = requestFor(held, want);
  // The page's first request may have been asked for already, while main.js loaded (first_trace.js).
  return takeFirstTrace(params, signal) ?? fetchTraceFrom(params, wholeRequest(params, want.text), signal);
}

async function trace() {
  clearTimeout(typingTimer);
  inFlight?.abort();
  const model = models.get(el.model.value);
  const comparing = state.mode === "compare";
  const otherModel = models.get(el.compareModel.value) ?? model;
  const tooLong = overLimit({ text: el.text.value, model, limits, refused })
    ?? (comparing ? overLimit({ text: el.compareText.value, model: otherModel, limits, refused }) : null);
  if (tooLong) {
    showOverLimit(tooLong); // nothing is sent while the text stays over the limit
    el.results.setAttribute("aria-busy", "false");
    inFlight = null;
    return;
  }
  const controller = new AbortController();
  const sent = el.text.value;
  inFlight = controller;
  el.results.setAttribute("aria-busy", "true");
  performance.mark("trace-start");
  try {
    const wantA = wantFor(model, el.text.value);
    const wantB = comparing ? wantFor(otherModel, el.compareText.value, [compareQuantity(model, otherModel)]) : null;
    const [heldA, heldB] = [state.shown, state.other];
    const [answerA, answerB] = await Promise.all([ask(heldA, wantA, controller.signal),
      wantB ? ask(heldB, wantB, controller.signal) : null]);
    if (inFlight !== controller) return;
    // Only the request still current absorbs its answer: absorbing writes the new steps into the held
    // arrays' spare room (trace_store.js splice), so an overtaken request must leave them alone.
    const shown = answerA ? absorb(heldA, wantA, answerA) : heldA;
    const other = wantB ? (answerB ? absorb(heldB, wantB, answerB) : heldB) : null;
    performance.mark("trace-held"); // answered, decoded and spliced: the rest is drawing
    state.shown = shown;
    state.other = other;
    state.layer = shown.layer;
    clampSelection(shown.tokens.length, model.hidden_size);
    player.setLength(Math.max(shown.tokens.length, 1));
    refused = null;
    el.results.classList.remove("over-limit");
    showError("");
    // The answer is decoded and held: the drawing gets a task of its own.
    await nextTask();
    if (inFlight !== controller) return; // a newer request draws (what is held is this answer already)
    await draw({
      paintFirst: true,
      onFigure() {
        performance.mark("draw-end");
        performance.measure("trace-to-heatmaps", "trace-start", "draw-end");
        // And until the browser has laid out and painted the frame that shows it (after its next animation
        // frame: bench/page_latency.py reports both).
        requestAnimationFrame(() => setTimeout(() => performance.measure("trace-to-frame", "trace-start")));
        performance.measure("trace-fetch", "trace-start", "trace-held");
      },
    });
  } catch (err) {
    if (err.status === 413 && inFlight === controller) {
      refused = { model: model.id, text: sent, message: err.message };
      showOverLimit(err.message);
    } else if (err.name !== "AbortError") showError(err.message);
  } finally {
    if (inFlight === controller) {
      inFlight = null;
      el.results.setAttribute("aria-busy", "false");
    }
  }
}

/** The text is over the server's limits: say so, grey the last heatmaps under the message. */
let refusals = 0;
function showOverLimit(message) {
  showError(`${message[0].toUpperCase()}${message.slice(1)}.`);
  el.results.classList.add("over-limit");
  el.results.dataset.overLimit = String(++refusals); // counts refusals (tests wait on it)
}

function traceSoon() {
  clearTimeout(typingTimer);
  typingTimer = setTimeout(trace, TYPING_DEBOUNCE_MS);
}

function select({ t = state.step, unit = state.unit }) {
  state.step = t;
  state.unit = unit ?? (state.shown ? unitOrder(layerOf(state.shown))[0] ?? null : null);
  const rows = state.shown && state.reveal === null ? unitOrder(layerOf(state.shown)) : null;
  // The same rows of the same holding on screen (unitOrder again: an order by change at the step, or a
  // unit the rows leave out, changes them): only what depends on the selection is drawn again.
  if (rows && drawn?.shown === state.shown && drawn.reveal === null && sameRows(rows, drawn.rows)
    && holds(state.shown, wantFor(state.shown.model, state.shown.text))) { // (not a layer chosen meanwhile)
    drawSelection();
    return Promise.resolve();
  }
  return draw();
}

function sameRows(a, b) {
  return Boolean(a && b) && a.length === b.length && a.every((u, k) => u === b[k]);
}

/** A new step or unit over the same heatmaps: their marks (no raster, no relayout of the rows unless the
 *  selected unit's label moved), the token strip's selected chip, the details, the memory panel, the
 *  player and the link. What draw() draws besides does not depend on the selection. */
function drawSelection() {
  const { shown } = state;
  heatmaps.mark({ step: state.step, selectedUnit: state.unit });
  tokenStrip.render({ tokens: shown.tokens, unkId: shown.model.unk_id, step: state.step, span: state.span });
  drawDetails();
  drawRetention();
  drawSaturation();
  drawComponents();
  drawSearch();
  markTracks();
  renderPlayer();
  scheduleUrl();
}

/** The player says which token is on screen: the one revealed last while playing or stepping, else
 *  the selected one (1-based, as everywhere a person reads a token's number). */
function renderPlayer() {
  const { k, length, playing, speed } = player.state;
  const shown = !playing && state.reveal === null && state.step !== null ? Math.min(state.step + 1, length) : k;
  playerControls.render({ k: shown, length, playing, speed });
}

let resizeTimer = 0;
window.addEventListener("resize", () => {
  clearTimeout(resizeTimer);
  resizeTimer = setTimeout(() => { // how many rows fit may have changed
    capacity = null;
    draw();
  }, 150);
});

// ---- Modes: explore, compare (minimal pairs), tour, learn (checkpoints), presenter ----

function setPresenter(on) {
  state.presenter = on;
  document.body.classList.toggle("presenter", on);
  el.modeButtons.querySelector('[data-mode="presenter"]').setAttribute("aria-pressed", String(on));
  figure.refit();
  capacity = null; // presenter mode's type size
  if (state.mode === "train") trainPanel.redraw(); // its charts' type size
}

function setMode(mode) {
  state.mode = mode;
  if (mode !== "explore") loadLater.start(); // compare's charts, the tour's details: this mode's first screen
  document.body.dataset.mode = mode;
  el.compareSection.classList.toggle("hidden", mode !== "compare");
  byId("tour").classList.toggle("hidden", mode !== "tour");
  byId("learn").classList.toggle("hidden", mode !== "learn");
  byId("train").classList.toggle("hidden", mode !== "train");
  if (mode === "train") trainPanel.show(trainFields());
  for (const b of el.modeButtons.querySelectorAll("button[data-mode]:not([data-mode=presenter])")) {
    b.setAttribute("aria-pressed", String(b.dataset.mode === mode));
  }
  if (mode !== "compare") state.other = null;
  if (mode === "tour") goTour(state.tour);
  if (mode === "learn") renderLearn();
}

async function goTour(index) {
  if (!steps.length) {
    try {
      const [lesson, rnn] = await Promise.all([fetchCard("lesson"), fetchCard(RNN_MODEL).catch(() => null)]);
      steps = tourSteps(lesson, rnn);
    } catch (err) {
      showError(`the tour needs the lesson model: ${err.message}`);
      return;
    }
  }
  state.tour = Math.max(0, Math.min(index, steps.length - 1));
  const s = steps[state.tour];
  tour.render({ steps, index: state.tour });
  el.model.value = "lesson";
  modelPanel.render(models.get("lesson"), 0);
  el.text.value = s.text;
  Object.assign(state, {
    view: s.view, step: s.step, unit: s.unit, layer: s.layer ?? 0, reveal: null, why: s.why ?? "",
    whyMethod: s.whyMethod ?? state.whyMethod,
    span: s.highlight.length ? { start: Math.min(...s.highlight), end: Math.max(...s.highlight) } : null,
  });
  byId("train").classList.toggle("hidden", !s.train); // the last step: the Train panel, a preset in its knobs
  if (s.train) trainPanel.preset(s.train);
  await trace();
  if (s.retention) retention.open(s.retention);
  showTourFocus({ tour: byId("tour"), heatmaps: el.heatmaps, retention: byId("retention") }, s.retention);
}

/** Show model `id` in the main view; a finished training job's model joins the page's list first (/api/models). */
async function openModel(id) {
  try {
    if (!models.has(id)) {
      for (const m of await fetchModels()) {
        if (models.has(m.id)) continue;
        models.set(m.id, m);
        for (const select of [el.model, el.compareModel]) select.add(new Option(m.title, m.id));
      }
    }
  } catch (err) {
    showError(err.message);
    return;
  }
  const model = models.get(id);
  if (!model) {
    showError(`model ${id} is no longer served: a trained model is kept 30 minutes`);
    return;
  }
  setMode("explore");
  el.model.value = id;
  state.layer = 0;
  modelPanel.render(model, 0);
  controls.showCell(cellOf(model));
  if (model.examples?.length) el.text.value = model.examples[0]; // the probe sentence, up to its answer
  await trace();
  el.results.scrollIntoView({ block: "start" });
}

function checkpoints() {
  return checkpointsOf([...models.values()], "lesson");
}

function renderLearn() {
  const list = checkpoints();
  const index = Math.max(0, list.findIndex((c) => c.id === el.model.value));
  learn.render({ checkpoints: list, index });
}

function hideByLink(names) {
  for (const node of document.querySelectorAll("[data-hide]")) {
    node.classList.toggle("hidden-by-link", names.includes(node.dataset.hide));
  }
}

// ---- Events ----

el.text.addEventListener("input", traceSoon);
el.compareText.addEventListener("input", traceSoon);
el.compareModel.addEventListener("change", trace);
el.model.addEventListener("change", () => {
  state.layer = 0;
  modelPanel.render(models.get(el.model.value), 0);
  controls.showCell(cellOf(models.get(el.model.value)));
  if (state.mode === "learn") renderLearn();
  trace();
});
modelPanel.bind("layer", (layer) => {
  state.layer = layer;
  state.spanResults = null;
  draw();
});
modelPanel.bind("example", (text) => {
  el.text.value = text;
  trace();
});
el.cardButton.addEventListener("click", async () => {
  try {
    modelCard.open(await fetchCard(el.model.value), cellOf(models.get(el.model.value)));
  } catch (err) {
    showError(err.message);
  }
});
el.modeButtons.addEventListener("click", (event) => {
  const b = event.target.closest("button[data-mode]");
  if (!b) return;
  if (b.dataset.mode === "presenter") {
    setPresenter(!state.presenter);
    draw();
    scheduleUrl();
    return;
  }
  setMode(state.mode === b.dataset.mode ? "explore" : b.dataset.mode);
  if (state.mode === "compare" && !el.compareText.value) el.compareText.value = PRESETS.tense[1];
  if (state.mode !== "tour") trace();
});
byId("presets").addEventListener("click", (event) => {
  const b = event.target.closest("button[data-preset]");
  if (!b) return;
  const pair = b.dataset.models?.split(" "); // a pair of models (templates/index.html), or a pair of texts
  if (pair && pair.every((id) => models.has(id))) {
    // The lecture's central claim: the same sentence through two cells trained on the same lessons (the
    // RNN with more units and parameters): which one still knows the food when the cuisine is due?
    [el.text.value, el.compareText.value] = [CUISINE_TO_IS, CUISINE_TO_IS];
    [el.model.value, el.compareModel.value] = pair;
    state.compareQuantity = comparable(models.get(pair[0]), models.get(pair[1]))[0];
  } else {
    [el.text.value, el.compareText.value] = PRESETS[b.dataset.preset] ?? PRESETS.tense;
    el.compareModel.value = models.has("lesson") ? "lesson" : el.model.value;
    el.model.value = models.has("lesson") ? "lesson" : el.model.value;
  }
  modelPanel.render(models.get(el.model.value), 0);
  trace();
});

// Span selection by touch: "Select a span" in the span bar, then a tap on the first and the last token.
controls.bind("span-mode", (on) => tokenStrip.setSpanMode(on));
tokenStrip.bind("span-mode", (mode) => controls.setSpanMode(mode));
tokenStrip.bind("hover-step", (t) => heatmaps.highlight(t));
tokenStrip.bind("select-step", (t) => select({ t }));
tokenStrip.bind("select-span", (span) => {
  state.span = span;
  state.spanResults = null;
  draw();
});
heatmaps.bind("hover-step", (t) => tokenStrip.highlight(t));
heatmaps.bind("select", ({ t, unit }) => select({ t, unit }));
controls.bind("view", (view) => {
  state.view = view;
  draw();
});
controls.bind("order", (order) => {
  state.order = order;
  draw();
});
controls.bind("top-n", (n) => {
  state.topN = n;
  draw();
});
controls.bind("unpin", (unit) => {
  state.pinned = state.pinned.filter((u) => u !== unit);
  draw();
});
controls.bind("find-span", () => {
  const m = layerOf(state.shown);
  state.spanResults = rankBySpan(m[spanQuantity(cellOf(state.shown.model))], state.span.start, state.span.end,
    SPAN_RESULTS);
  state.order = "span";
  draw();
});
controls.bind("clear-span", () => {
  state.span = null;
  state.spanResults = null;
  if (state.order === "span") state.order = "index";
  draw();
});
controls.bind("select-unit", (unit) => select({ unit }));
unitDetail.bind("pin", ({ unit, pinned }) => {
  state.pinned = pinned ? [...state.pinned.filter((u) => u !== unit), unit] : state.pinned.filter((u) => u !== unit);
  draw();
});
unitDetail.bind("select-step", (t) => select({ t }));
stepDetail.bind("select-step", (t) => select({ t }));
stepDetail.bind("select-unit", (unit) => select({ unit }));
stepDetail.bind("explain", (token) => explain({ why: token }));
why.bind("method", (method) => explain({ whyMethod: method }));
why.bind("clear", () => explain({ why: "" }));
// "Show unit N" in the model card: select the unit, make sure its row is drawn (pinned when the chosen
// "Show" leaves it out) and bring the heatmaps, with the row marked, on screen.
modelCard.bind("select-unit", async ({ layer, unit }) => {
  state.layer = Math.min(layer, (state.shown?.model.num_layers ?? 1) - 1);
  byId("layer").value = String(state.layer);
  state.unit = unit;
  if (state.shown && !unitOrder(layerOf(state.shown)).includes(unit)) state.pinned = [...state.pinned, unit];
  await select({ unit });
  el.heatmaps.scrollIntoView({ block: "nearest" });
});
compareView.bind("quantity", (q) => {
  state.compareQuantity = q;
  draw();
});
compareView.bind("select-step", (k) => {
  state.compareStep = k;
  draw();
});
compareView.bind("select-unit", (unit) => select({ unit }));
// A predicted word clicked in compare mode: both texts tinted for it (the compare view's "why"), and A's step at
// the column selected, so the page's own strip and "why" bar (method, clear) show A's.
compareView.bind("explain", async (token) => {
  if (!state.other) return;
  const k = await compareColumn();
  const pair = k === null ? null : (await alignedPairs(state.shown.tokens, state.other.tokens))[k];
  state.why = token;
  await select({ t: pair ? pair[0] : state.step });
});
share.bind(async () => share.copy(await buildLink(linkState(), { origin: location.origin, pathname: location.pathname })));
exportPanel.bind("image", ({ chart, format }) => {
  heatmaps.downloadImage(chart, format, `lstm-${state.shown.model.id}-${chart}`)
    .catch((err) => showError(err.message));
});
exportPanel.bind("download", async (kind) => {
  // Downloads carry exact float32 values of every layer: fetched whole for the purpose.
  const { model, text } = state.shown;
  const exported = traced(model);
  try {
    const answer = await fetchTrace({
      model: model.id, text, top_k: model.has_decoder ? TOP_K : 0, encoding: "f4", quantities: exported.join(","),
    });
    const layers = answer.layers.map((layer) => Object.fromEntries(exported.map((q) => [q, decodeSpec(layer[q])])));
    const trace = { ...answer, layers };
    const name = `${model.cell}-trace-${model.id}`;
    const { traceCsv, traceJson } = await exportCode();
    if (kind === "csv") download(`${name}.csv`, traceCsv(trace, exported, model.quantities), "text/csv");
    else download(`${name}.json`, traceJson(trace, exported, model.quantities), "application/json");
  } catch (err) {
    showError(err.message);
  }
});
playerControls.bind("toggle", () => player.toggle());
playerControls.bind("step", (delta) => {
  // A selected token with the whole text shown: step the selection, keep every token on screen.
  if (!player.state.playing && state.reveal === null && state.step !== null && state.shown) {
    select({ t: Math.min(Math.max(state.step + delta, 0), state.shown.tokens.length - 1) });
  } else player.step(delta);
});
playerControls.bind("seek", (k) => player.seek(k));
controls.bind("scale", (scale) => {
  state.scale = scale;
  draw();
});
playerControls.bind("speed", (s) => {
  player.setSpeed(s);
  state.speed = s;
  renderPlayer();
  scheduleUrl();
});
tour.bind("go", (index) => goTour(index));
trainPanel.bind("link", (fields) => {
  Object.assign(state, fields);
  scheduleUrl();
});
trainPanel.bind("open-model", (id) => openModel(id));
tour.bind("close", () => setMode("explore"));
learn.bind("checkpoint", (index) => {
  const c = checkpoints()[index];
  el.model.value = c.id;
  state.checkpoint = c.final ? null : c.step;
  modelPanel.render(models.get(c.id), state.layer);
  renderLearn();
  trace();
});

// ←/→ move the selected step, unless the person is typing.
document.addEventListener("keydown", (event) => {
  // A view that handled the key itself (the tinted text moves its own selection) has prevented it.
  if (!state.shown || event.defaultPrevented || event.target.closest("textarea, input, select")
    || event.altKey || event.ctrlKey) return;
  const T = state.shown.tokens.length;
  if (!T || (event.key !== "ArrowLeft" && event.key !== "ArrowRight")) return;
  event.preventDefault();
  const delta = event.key === "ArrowLeft" ? -1 : 1;
  const t = state.step === null ? (delta > 0 ? 0 : T - 1) : Math.min(Math.max(state.step + delta, 0), T - 1);
  select({ t });
});

// ---- Memory that lasts (retention.js): ∏ f and ‖∂m_t/∂m_s‖ from the selected step for A and, in compare
// mode, B; fetched only while its panel is open. A tour step may name a second model (`compareModel`). ----
const retention = createRetention(byId("retention"), { available: (id) => models.has(id) });
byId("retention").addEventListener("toggle", () => {
  state.memory = byId("retention").open; // links carry it, so a shared link opens the panel
  scheduleUrl();
});
function drawRetention() {
  const second = state.mode === "tour" ? models.get(steps[state.tour]?.compareModel) : undefined;
  const b = state.other ?? (second && state.shown ? { ...state.shown, model: second } : null);
  retention.update({ a: state.shown, b, step: state.step, layer: state.layer, unit: state.unit });
}
// ---- end of Memory that lasts ----

// ---- Gates at their limits (saturation.js) ----
// How often each unit's gates are shut or wide open over the text on screen, for the model on screen and its
// training snapshots; fetched only while its panel is open. A lazily loaded view: nothing on the first paint.
const saturation = loadLater.view(() => import("./views/saturation.js")
  .then((m) => m.createSaturation(byId("saturation"), { models: () => [...models.values()] })));
byId("saturation").addEventListener("toggle", () => {
  state.saturation = byId("saturation").open; // links carry it (saturation=1), so a shared link opens the panel
  if (state.saturation) loadLater.start();
  scheduleUrl();
});
saturation.bind("select-unit", (unit) => select({ unit }));
function drawSaturation() {
  saturation.update({ shown: state.shown, layer: state.layer, unit: state.unit });
}
// ---- end of Gates at their limits ----

// ---- Kinds of memory (components.js): the memory of the text on screen split by /api/components into k
// patterns of units (NMF), one row each over the tokens; fetched only while its panel is open. Its module
// loads after the first paint, as the details' do. ----
const components = loadLater.view(() => import("./views/components.js")
  .then((m) => m.createComponents(byId("components"))));
byId("components").addEventListener("toggle", () => {
  state.components = byId("components").open; // links carry it (components=1), and its k (components_k)
  if (state.components) loadLater.start(); // opened before the first paint: its module is wanted now
  scheduleUrl();
});
function drawComponents() {
  components.update({ shown: state.shown, layer: state.layer, step: state.step, unit: state.unit,
    k: state.componentsK });
}
components.bind("k", (k) => {
  state.componentsK = k;
  drawComponents();
  scheduleUrl();
});
components.bind("select-step", (t) => select({ t }));
// A pattern's unit: select it, its heatmap row drawn (pinned when the chosen "Show" leaves it out).
components.bind("select-unit", (unit) => {
  state.unit = unit;
  if (state.shown && !unitOrder(layerOf(state.shown)).includes(unit)) state.pinned = [...state.pinned, unit];
  select({ unit });
});
// ---- end of Kinds of memory ----

// ---- Annotation tracks (tracks.js) ----
// Thin rows under each heatmap on its token columns: the top-1 prediction right or wrong per token (a model with
// a decoder) and, for a character model, bracket depth, strings, indentation and column (core/tracks.js decides
// from the tokenizer, never the model's id). Shown while `tracks` is on (off by default; links carry tracks=1).
// The room under the plots is set before the figure is fitted (reserveTracks), so the heatmaps do not move when
// the view's module, loaded after the first paint as the details' are, draws into it.
const tracks = loadLater.view(() => import("./views/tracks.js")
  .then((m) => m.createTracks(byId("tracks"), { slots: () => heatmaps.trackSlots() })));
let tracksUsed = false; // the view has drawn (so there is something to clear or to move)
function reserveTracks(model) {
  el.heatmaps.style.setProperty("--track-rows", String(state.tracks ? trackIds(model).length : 0));
}
/** How the model's tokenizer spells a token (for `correct`): /api/models' lowercase and unk; null without a
 *  decoder. */
const spellings = new WeakMap(); // model -> its spelling, one object per model (tracks.js recomputes on a new one)
function spellingOf(model) {
  if (!model.has_decoder) return null;
  if (!spellings.has(model)) spellings.set(model, { lowercase: Boolean(model.lowercase), unk: model.unk ?? null });
  return spellings.get(model);
}
function drawTracks() {
  const { shown } = state;
  if (!state.tracks || !shown) {
    if (tracksUsed) tracks.clear();
    tracksUsed = false;
    return;
  }
  loadLater.start();
  tracksUsed = true;
  const T = shown.tokens.length;
  tracks.update({ shown, spelling: spellingOf(shown.model), k: state.reveal === null ? T : Math.min(state.reveal, T),
    step: state.step });
}
function markTracks() {
  if (tracksUsed) tracks.mark({ step: state.step });
}
heatmaps.bind("layout", () => {
  if (tracksUsed) tracks.repaint(); // a zoom, a resize, a new label width: the columns moved
});
heatmaps.bind("hover-step", (t) => tracksUsed && tracks.highlight(t));
tokenStrip.bind("hover-step", (t) => tracksUsed && tracks.highlight(t));
tracks.bind("hover-step", (t) => {
  heatmaps.highlight(t);
  tokenStrip.highlight(t);
});
tracks.bind("select-step", (t) => select({ t }));
byId("tracks-toggle").addEventListener("change", (event) => {
  state.tracks = event.target.checked;
  draw();
});
// ---- end of Annotation tracks ----

// ---- Find more like this (views/search.js): for a model with a state index, the corpus searched for more like
// the selected span (or where the selected unit fires), each match a link that opens it here. Its module loads
// after the first paint; it fetches on a button press only. ----
const search = loadLater.view(() => import("./views/search.js").then((m) => m.createSearch(byId("search"), {
  link: (s) => buildLink(s, { origin: location.origin, pathname: location.pathname }),
})));
function drawSearch() {
  const { shown } = state;
  if (!shown) return;
  search.update({ model: shown.model, text: shown.text, tokens: shown.tokens, span: state.span, unit: state.unit,
    layer: state.layer, names: namesOf(shown.model) });
}
// ---- end of Find more like this ----

// ---- Start: apply the link (query and fragment), then trace ----

async function start() {
  const link = await readLink({ search: location.search, hash: location.hash });
  const s = link.state;
  const problems = link.rejected.map(({ key, reason }) => `${key} (${reason})`);
  if (s.model && models.has(s.model)) el.model.value = s.model;
  else if (s.model) problems.push(`model ${s.model} is not served here`);
  if (s.mode === "learn" && s.checkpoint !== null) {
    const c = checkpoints().find((x) => x.step === s.checkpoint && !x.final);
    if (c) el.model.value = c.id;
  }
  const model = models.get(el.model.value);
  if (s.version && s.version !== model.version) {
    problems.push(`this link was made with version ${s.version} of ${model.id}; this server has ${model.version}, `
      + "so the numbers may differ");
  }
  if (link.fromFragment || (s.text && s.text !== el.text.value)) el.text.value = s.text;
  Object.assign(state, {
    view: s.view, order: s.order, topN: s.topN, scale: s.scale, pinned: s.pinned, layer: s.layer, step: s.step,
    unit: s.unit, span: s.span, tour: s.tour, checkpoint: s.checkpoint, speed: s.speed, hide: s.hide,
    embed: s.embed, memory: s.memory, saturation: s.saturation, why: s.why, whyMethod: s.whyMethod,
    components: s.components, componentsK: s.componentsK, compareStep: s.compareStep, tracks: s.tracks,
    ...trainFields((f) => s[f]),
  });
  byId("tracks-toggle").checked = s.tracks;
  el.compareText.value = s.compare || PRESETS.tense[1];
  if (s.compareModel && models.has(s.compareModel)) el.compareModel.value = s.compareModel;
  showNotice(problems.length ? `Some of this link could not be used: ${problems.join("; ")}.` : "");
  player.setSpeed(s.speed);
  hideByLink(s.hide);
  modelPanel.render(model, state.layer);
  controls.showCell(cellOf(model)); // its views and orders at once, before the first trace
  // Presenter is a flag any mode can have; an older link's mode=presenter (with a tour step: the tour).
  setPresenter(s.presenter || s.mode === "presenter");
  const mode = s.mode !== "presenter" ? s.mode : new URLSearchParams(location.search).has("tour") ? "tour" : "explore";
  setMode(s.compare ? "compare" : mode);
  renderPlayer();
  if (state.mode !== "tour") await trace();
  dropFirstTrace(); // not taken: the first screen wanted another trace (or none)
  // The first heatmaps are drawn: the other views' modules load once the browser has painted them.
  requestAnimationFrame(() => setTimeout(loadLater.start));
  // A hook for tests that count the page's elements: every lazily made view is in the page.
  loadLater.ready().then(() => { document.body.dataset.views = "ready"; });
  if (s.memory) retention.open();
  if (s.saturation) saturation.open();
  if (s.components) components.open();
}

start();
