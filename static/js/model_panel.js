// The model panel: description, sizes, example buttons, layer choices. A view: render(model, layer),
// bind("example" | "layer", handler).

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
  const button = document.createElement("button");
  button.type = "button";
  button.className = "example";
  button.dataset.text = text;
  button.title = text;
  button.textContent = exampleLabel(text);
  return button;
}

function option(value, label) {
  const opt = document.createElement("option");
  opt.value = value;
  opt.textContent = label;
  return opt;
}

/** el: {description, facts, examples, examplesRow (a <details>: the examples fold under one line and
 *  fold again once one is chosen), examplesCount, layer, layerLabel}. */
export function createModelPanel(el) {
  const handlers = { example: [], layer: [] };
  el.examples.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-text]");
    if (!button) return;
    el.examplesRow.open = false;
    handlers.example.forEach((fn) => fn(button.dataset.text));
  });
  el.layer.addEventListener("change", () => handlers.layer.forEach((fn) => fn(Number(el.layer.value))));

  return {
    render(model, layer) {
      const L = model.num_layers;
      el.description.textContent = model.description;
      el.description.title = model.description; // shown in one line; whole on hover and in the model card
      el.facts.textContent = `${L} layer${L === 1 ? "" : "s"} × ${model.hidden_size} units, ${model.tokenizer} tokens`;
      el.examples.replaceChildren(...model.examples.map(exampleButton));
      el.examplesRow.classList.toggle("hidden", model.examples.length === 0);
      el.examplesCount.textContent = String(model.examples.length);
      el.layer.replaceChildren(...Array.from({ length: L }, (_, k) => option(k, `${k + 1} of ${L}`)));
      el.layer.value = String(Math.min(layer, L - 1));
      el.layer.classList.toggle("hidden", L < 2);
      el.layerLabel.classList.toggle("hidden", L < 2);
    },
    bind(event, handler) {
      handlers[event].push(handler);
    },
  };
}
