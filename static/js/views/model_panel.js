// The model panel: description, sizes, example buttons, layer choices. A view: render(model, layer),
// bind("example" | "layer", handler).
import { createEvents, el } from "./dom.js";

// Examples can share a long beginning (the lecture extends one sentence into the next), so a
// label keeps both ends: "Dhaval eats samosa almost … cuisine is Italian".
export function exampleLabel(text, head = 30, tail = 24) {
  const chars = Array.from(text); // code points: never cut an emoji in half
  if (chars.length <= head + tail + 6) return text;
  const start = chars.slice(0, head).join("").replace(/\s+\S*$/, "");
  const end = chars.slice(-tail).join("").replace(/^\S*\s+/, "");
  return `${start} … ${end}`;
}

function exampleButton(text) {
  const button = el("button", "example", exampleLabel(text));
  button.type = "button";
  button.dataset.text = text;
  button.title = text;
  return button;
}

function option(value, label) {
  const opt = el("option", null, label);
  opt.value = value;
  return opt;
}

/** parts: {description, facts, examples, examplesRow (a <details>: the examples fold under one line and
 *  fold again once one is chosen), examplesCount, layer, layerLabel}. */
export function createModelPanel(parts) {
  const { emit, bind } = createEvents(["example", "layer"]);
  parts.examples.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-text]");
    if (!button) return;
    parts.examplesRow.open = false;
    emit("example", button.dataset.text);
  });
  parts.layer.addEventListener("change", () => emit("layer", Number(parts.layer.value)));

  return {
    render(model, layer) {
      const L = model.num_layers;
      parts.description.textContent = model.description;
      parts.description.title = model.description; // shown in one line; whole on hover and in the model card
      parts.facts.textContent = `${L} layer${L === 1 ? "" : "s"} × ${model.hidden_size} units, ${model.tokenizer} tokens`;
      parts.examples.replaceChildren(...model.examples.map(exampleButton));
      parts.examplesRow.classList.toggle("hidden", model.examples.length === 0);
      parts.examplesCount.textContent = String(model.examples.length);
      parts.layer.replaceChildren(...Array.from({ length: L }, (_, k) => option(k, `${k + 1} of ${L}`)));
      parts.layer.value = String(Math.min(layer, L - 1));
      parts.layer.classList.toggle("hidden", L < 2);
      parts.layerLabel.classList.toggle("hidden", L < 2);
    },
    bind,
  };
}
