// Composition root: reads the page, holds what the person chose, wires events to the API and the views.
import { fetchCard, fetchStep, fetchTrace } from "./api.js";
import { decodeSpec } from "./arrays.js";
import { createControls } from "./controls.js";
import { createHeatmaps } from "./heatmaps.js";
import { ledger } from "./ledger.js";
import { createModelCard } from "./model_card.js";
import { createStepDetail } from "./step_detail.js";
import { createTokenStrip } from "./tokens.js";
import { createUnitDetail } from "./unit_detail.js";
import { activity, changeAt, orderUnits, rankBySpan, spanScores } from "./units.js";
import { DEFAULT_VIEW, ORDER_QUANTITY, SPAN_QUANTITY, VIEWS } from "./views.js";

const TYPING_DEBOUNCE_MS = 250;
const TOP_K = 5;
const SPAN_RESULTS = 8;

const byId = (id) => document.getElementById(id);
const el = {
  model: byId("model"),
  layer: byId("layer"),
  layerLabel: byId("layer-label"),
  description: byId("model-description"),
  facts: byId("model-facts"),
  cardButton: byId("card-button"),
  text: byId("text"),
  examples: byId("examples"),
  examplesRow: byId("examples-row"),
  error: byId("error"),
  summary: byId("summary"),
  results: byId("results"),
  heatmaps: byId("heatmaps"),
  note: byId("heatmap-note"),
};
const models = new Map(JSON.parse(byId("models-data").textContent).map((m) => [m.id, m]));
const tokenStrip = createTokenStrip(byId("tokens"));
const heatmaps = createHeatmaps(el.heatmaps);
const controls = createControls({
  views: byId("views"), order: byId("order"), topN: byId("top-n"), pins: byId("pins"), span: byId("span"),
  spanResults: byId("span-results"),
});
const stepDetail = createStepDetail(byId("step-detail"));
const unitDetail = createUnitDetail(byId("unit-detail"));
const modelCard = createModelCard(byId("model-card"));

// What the person chose, and the last good trace (kept on screen while a new one is fetched).
const state = {
  view: DEFAULT_VIEW, order: "index", topN: null, pinned: [], layer: 0,
  step: null, unit: null, span: null, spanResults: null,
  shown: null, // {model, text, trace, layers: [{f, i, g, o, c, h, kept, forgotten, written}]}
};
let inFlight = null;
let typingTimer = 0;
let stepRequest = null;

function showError(message) {
  el.error.textContent = message;
  el.error.classList.toggle("hidden", !message);
}

/** Decode the typed arrays of every layer and derive the memory ledger from f, i, g and c. */
function decodeLayers(trace) {
  return trace.layers.map((layer) => {
    const m = Object.fromEntries(Object.entries(layer).map(([key, spec]) => [key, decodeSpec(spec)]));
    return { ...m, ...ledger(m) };
  });
}

function current() {
  const { shown } = state;
  return shown ? shown.layers[Math.min(state.layer, shown.layers.length - 1)] : null;
}

function unitOrder(m) {
  const H = m.c.H;
  let scores = null;
  const q = m[ORDER_QUANTITY];
  if (state.order === "activity") scores = activity(q);
  else if (state.order === "change") scores = changeAt(q, state.step ?? Math.max(q.T - 1, 0));
  else if (state.order === "span" && state.span) scores = spanScores(m[SPAN_QUANTITY], state.span.start, state.span.end);
  return orderUnits({ H, scores, pinned: state.pinned, topN: state.topN });
}

function drawSummary(model, trace) {
  const T = trace.tokens.length;
  const unknown = trace.tokens.filter((token) => token.id === model.unk_id).length;
  const L = trace.layers.length;
  el.summary.textContent = T === 0
    ? "none yet: type some text above"
    : `${T} token${T === 1 ? "" : "s"}`
      + (unknown ? ` · ${unknown} not in the vocabulary (dashed)` : "")
      + (L > 1 ? ` · layer ${state.layer + 1} of ${L}` : "");
}

/** Redraw everything from state; returns when the heatmaps are drawn. */
async function draw() {
  const { shown } = state;
  if (!shown) return;
  const m = current();
  const T = shown.trace.tokens.length;
  drawSummary(shown.model, shown.trace);
  tokenStrip.render({ tokens: shown.trace.tokens, unkId: shown.model.unk_id, step: state.step, span: state.span });
  controls.render({ ...state, tokens: shown.trace.tokens });
  el.heatmaps.classList.toggle("hidden", T === 0);
  const width = el.heatmaps.clientWidth;
  el.note.textContent = T > width / 2
    ? `${T} tokens: drag across a heatmap to zoom into a stretch, double-click to see all again.` : "";
  drawDetails();
  if (T === 0) return;
  const units = unitOrder(m);
  await heatmaps.render({
    tokens: shown.trace.tokens, matrices: m, panels: VIEWS[state.view].panels, units, step: state.step,
  });
}

function drawDetails() {
  const { shown } = state;
  const m = current();
  if (!shown || state.unit === null || state.unit >= m.c.H) {
    unitDetail.clear("Click a heatmap cell or a unit to see that unit over the text.");
  } else {
    unitDetail.render({
      text: shown.text, tokens: shown.trace.tokens, unit: state.unit, layer: state.layer,
      quantities: m, step: state.step, pinned: state.pinned.includes(state.unit),
    });
  }
  drawStepDetail();
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
      step: json, unit, layer, predictions: shown.trace.predictions?.[step] ?? null,
      numSteps: shown.trace.tokens.length,
    });
  } catch (err) {
    if (err.name !== "AbortError") stepDetail.clear(err.message);
  }
}

/** Keep choices that still make sense for a new trace (a shorter text, another model). */
function clampSelection(T, H) {
  if (state.step !== null && state.step >= T) state.step = T ? T - 1 : null;
  if (state.unit !== null && state.unit >= H) state.unit = null;
  if (state.span && state.span.end >= T) state.span = null;
  state.pinned = state.pinned.filter((u) => u < H);
  state.spanResults = null;
}

async function trace() {
  clearTimeout(typingTimer);
  inFlight?.abort();
  const model = models.get(el.model.value);
  const text = el.text.value;
  const controller = new AbortController();
  inFlight = controller;
  el.results.setAttribute("aria-busy", "true");
  performance.mark("trace-start");
  try {
    const result = await fetchTrace({
      model: model.id, text, topK: model.has_decoder ? TOP_K : 0, signal: controller.signal,
    });
    if (inFlight !== controller) return;
    state.shown = { model, text, trace: result, layers: decodeLayers(result) };
    state.layer = Math.min(state.layer, result.layers.length - 1);
    clampSelection(result.tokens.length, model.hidden_size);
    showError("");
    await draw();
    performance.mark("draw-end");
    performance.measure("trace-to-heatmaps", "trace-start", "draw-end");
  } catch (err) {
    if (err.name !== "AbortError") showError(err.message);
  } finally {
    if (inFlight === controller) {
      inFlight = null;
      el.results.setAttribute("aria-busy", "false");
    }
  }
}

function traceSoon() {
  clearTimeout(typingTimer);
  typingTimer = setTimeout(trace, TYPING_DEBOUNCE_MS);
}

function select({ t = state.step, unit = state.unit }) {
  state.step = t;
  state.unit = unit ?? (state.shown ? unitOrder(current())[0] ?? null : null);
  draw();
}

function option(value, label) {
  const opt = document.createElement("option");
  opt.value = value;
  opt.textContent = label;
  return opt;
}

// Examples can share a long beginning (the lecture extends one sentence into the next), so a
// label keeps both ends: "Dhaval eats samosa almost … cuisine is Italian".
function exampleLabel(text, head = 30, tail = 24) {
  const chars = Array.from(text); // code points: never cut an emoji in half
  if (chars.length <= head + tail + 6) return text;
  const start = chars.slice(0, head).join("").replace(/\s+\S*$/, "");
  const end = chars.slice(-tail).join("").replace(/^\S*\s+/, "");
  return `${start} … ${end}`;
}

function exampleButton(text) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "example";
  button.dataset.text = text;
  button.title = text;
  button.textContent = exampleLabel(text);
  return button;
}

function showModel(model) {
  const L = model.num_layers;
  el.description.textContent = model.description;
  el.facts.textContent = `${L} layer${L === 1 ? "" : "s"} × ${model.hidden_size} units, ${model.tokenizer} tokens`;
  el.examples.replaceChildren(...model.examples.map(exampleButton));
  el.examplesRow.classList.toggle("hidden", model.examples.length === 0);
  el.layer.replaceChildren(...Array.from({ length: L }, (_, k) => option(k, `${k + 1} of ${L}`)));
  el.layer.value = String(Math.min(state.layer, L - 1));
  el.layer.classList.toggle("hidden", L < 2);
  el.layerLabel.classList.toggle("hidden", L < 2);
}

el.text.addEventListener("input", traceSoon);
el.model.addEventListener("change", () => {
  state.layer = 0;
  showModel(models.get(el.model.value));
  trace();
});
el.layer.addEventListener("change", () => {
  state.layer = Number(el.layer.value);
  state.spanResults = null;
  draw();
});
el.examples.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-text]");
  if (!button) return;
  el.text.value = button.dataset.text;
  trace();
});
el.cardButton.addEventListener("click", async () => {
  try {
    modelCard.open(await fetchCard(el.model.value));
  } catch (err) {
    showError(err.message);
  }
});

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
  const m = current();
  state.spanResults = rankBySpan(m[SPAN_QUANTITY], state.span.start, state.span.end, SPAN_RESULTS);
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
modelCard.bind("select-unit", ({ layer, unit }) => {
  state.layer = Math.min(layer, (state.shown?.layers.length ?? 1) - 1);
  el.layer.value = String(state.layer);
  select({ unit });
});

// ←/→ move the selected step, unless the person is typing.
document.addEventListener("keydown", (event) => {
  if (!state.shown || event.target.closest("textarea, input, select") || event.altKey || event.ctrlKey) return;
  const T = state.shown.trace.tokens.length;
  if (!T || (event.key !== "ArrowLeft" && event.key !== "ArrowRight")) return;
  event.preventDefault();
  const delta = event.key === "ArrowLeft" ? -1 : 1;
  const t = state.step === null ? (delta > 0 ? 0 : T - 1) : Math.min(Math.max(state.step + delta, 0), T - 1);
  select({ t });
});

showModel(models.get(el.model.value));
trace();
