// Composition root: reads the page, wires events to the API and the views.
import { fetchTrace } from "./api.js";
import { createHeatmaps } from "./heatmaps.js";
import { createTokenStrip } from "./tokens.js";

const TYPING_DEBOUNCE_MS = 250;

const byId = (id) => document.getElementById(id);
const el = {
  model: byId("model"),
  layer: byId("layer"),
  layerLabel: byId("layer-label"),
  description: byId("model-description"),
  facts: byId("model-facts"),
  text: byId("text"),
  examples: byId("examples"),
  examplesRow: byId("examples-row"),
  error: byId("error"),
  summary: byId("summary"),
  results: byId("results"),
  heatmaps: byId("heatmaps"),
};
const models = new Map(JSON.parse(byId("models-data").textContent).map((m) => [m.id, m]));
const tokenStrip = createTokenStrip(byId("tokens"));
const heatmaps = createHeatmaps(el.heatmaps);

let shown = null; // {model, trace}: the last good result, kept on screen while a new one is fetched
let inFlight = null; // AbortController of the running request
let typingTimer = 0;

function showError(message) {
  el.error.textContent = message;
  el.error.classList.toggle("hidden", !message);
}

function setBusy(busy) {
  el.results.setAttribute("aria-busy", String(busy));
}

function draw() {
  if (!shown) return;
  const { model, trace } = shown;
  const k = Math.min(Number(el.layer.value) || 0, trace.layers.length - 1);
  const T = trace.tokens.length;
  const unknown = trace.tokens.filter((token) => token.id === model.unk_id).length;
  el.summary.textContent = T === 0
    ? "none yet: type some text above"
    : `${T} token${T === 1 ? "" : "s"}`
      + (unknown ? ` · ${unknown} not in the vocabulary (dashed)` : "")
      + (trace.layers.length > 1 ? ` · layer ${k + 1} of ${trace.layers.length}` : "");
  tokenStrip.render({ tokens: trace.tokens, unkId: model.unk_id });
  // Show the plots before drawing into them so Plotly measures their real size.
  el.heatmaps.classList.toggle("hidden", T === 0);
  if (T > 0) heatmaps.render({ tokens: trace.tokens, layer: trace.layers[k] });
}

async function trace() {
  clearTimeout(typingTimer);
  inFlight?.abort();
  const model = models.get(el.model.value);
  const controller = new AbortController();
  inFlight = controller;
  setBusy(true);
  try {
    const result = await fetchTrace({ model: model.id, text: el.text.value, topK: 0, signal: controller.signal });
    if (inFlight !== controller) return;
    shown = { model, trace: result };
    showError("");
    draw();
  } catch (err) {
    if (err.name !== "AbortError") showError(err.message);
  } finally {
    if (inFlight === controller) {
      inFlight = null;
      setBusy(false);
    }
  }
}

function traceSoon() {
  clearTimeout(typingTimer);
  typingTimer = setTimeout(trace, TYPING_DEBOUNCE_MS);
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

// The server renders the first model's description and facts; the examples and, when another
// model is picked, the rest of the panel are drawn here.
function showModel(model) {
  const L = model.num_layers;
  el.description.textContent = model.description;
  el.facts.textContent = `${L} layer${L === 1 ? "" : "s"} × ${model.hidden_size} units, ${model.tokenizer} tokens`;
  el.examples.replaceChildren(...model.examples.map(exampleButton));
  el.examplesRow.classList.toggle("hidden", model.examples.length === 0);
  el.layer.replaceChildren(...Array.from({ length: L }, (_, k) => option(k, `${k + 1} of ${L}`)));
  el.layer.classList.toggle("hidden", L < 2);
  el.layerLabel.classList.toggle("hidden", L < 2);
}

el.text.addEventListener("input", traceSoon);
el.model.addEventListener("change", () => {
  showModel(models.get(el.model.value));
  trace();
});
el.layer.addEventListener("change", draw);
el.examples.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-text]");
  if (!button) return;
  el.text.value = button.dataset.text;
  trace();
});

showModel(models.get(el.model.value));
trace();
