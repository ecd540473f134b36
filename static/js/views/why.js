// "Why this prediction?": the bar under the token strip that says which prediction the strip is tinted for,
// what the colours mean, the method (a select) and a button that clears it. The scores come from
// /api/attribution (main.js asks); the tint is the token strip's (token_strip.js tint).
import { WHY_METHODS } from "../core/state.js";
import { displayToken } from "../core/tokens.js";
import { createEvents, el } from "./dom.js";

const LABELS = {
  auto: "auto (the best that fits)", grad_input: "gradient × input", integrated_gradients: "integrated gradients",
  occlusion: "occlusion", connectivity: "connectivity",
};

/** The strongest few tokens of an answer, strongest first: [{text, score}] (at most n, scores ≠ 0). */
export function strongest(answer, n = 3) {
  return answer.tokens.map((t, k) => ({ text: t.text, score: answer.scores[k] }))
    .filter((t) => t.score !== 0).sort((a, b) => Math.abs(b.score) - Math.abs(a.score)).slice(0, n);
}

/**
 * View over a container: show({target, after, method}) while asking, render(answer) with /api/attribution's
 * answer, fail(message), clear() (hidden). Events: "method" (one of WHY_METHODS), "clear".
 */
export function createWhy(box) {
  const { emit, bind } = createEvents(["method", "clear"]);
  box.classList.add("why");
  box.hidden = true;
  const title = el("strong", "why-title", undefined, box);
  const said = el("span", "why-said", undefined, box);
  const label = el("label", "why-method-label", "method ", box);
  const select = el("select", "why-method", undefined, label);
  for (const m of WHY_METHODS) el("option", null, LABELS[m], select).value = m;
  select.addEventListener("change", () => emit("method", select.value));
  const clear = el("button", "why-clear", "clear", box);
  clear.type = "button";
  clear.title = "stop tinting the tokens";
  clear.addEventListener("click", () => emit("clear"));
  const legend = el("p", "why-legend", undefined, box);

  let piece = "word"; // what a token is to a person: "word", or "character" for a char model

  function show({ target, after, method, tokenizer = "word" }) {
    piece = tokenizer === "char" ? "character" : "word";
    box.hidden = false;
    box.setAttribute("aria-busy", "true");
    title.textContent = `Why “${displayToken(target)}” after “${displayToken(after)}”?`;
    select.value = method;
    said.textContent = " asking…";
  }

  function render(answer) {
    box.setAttribute("aria-busy", "false");
    const top = strongest(answer).map((t) => `“${displayToken(t.text)}”`).join(", ");
    const auto = answer.auto ? ` By ${answer.auto.split(":")[0]} (auto).` : "";
    said.textContent = ` p = ${(answer.prob * 100).toFixed(1)} %. Pushed most by ${top || `no ${piece}`}.${auto}`;
    legend.textContent = `Each ${piece} before it is tinted by ${answer.explains}. Red: toward “`
      + `${displayToken(answer.target.token)}”, blue: away from it; the stronger the colour, the more (by the square root of its share of the strongest, so weaker `
      + `pushes show too). Hover a ${piece} for its number.`;
    box.dataset.method = answer.method;
  }

  function fail(message) {
    box.setAttribute("aria-busy", "false");
    said.textContent = ` ${message}`;
    legend.textContent = "";
  }

  function hide() {
    box.hidden = true;
    box.removeAttribute("aria-busy");
  }

  return { show, render, fail, clear: hide, bind };
}
