// The guided tour's box (core/tour_steps.js writes its steps): a view that only reports clicks.
import { createEvents, el } from "./dom.js";

/**
 * View: render({steps, index}) shows step `index` (hidden when index is null or out of range);
 * events (bind): "go" (index), "close" (). Built once; render only updates the text.
 */
export function createTour(container) {
  const { emit, bind } = createEvents(["go", "close"]);
  let current = { steps: [], index: null };

  const counter = el("p", "tour-counter");
  const title = el("h2", "tour-title");
  const body = el("p", "tour-body");
  const back = el("button", "tour-button", "◀ Back");
  const next = el("button", "tour-button tour-next", "Next ▶");
  const close = el("button", "tour-close", "Close tour");
  for (const b of [back, next, close]) b.type = "button";

  const text = el("div", "tour-text");
  text.setAttribute("aria-live", "polite");
  text.append(counter, title, body);
  const nav = el("div", "tour-nav");
  nav.append(back, next, close);
  const root = el("section", "tour");
  root.setAttribute("aria-label", "Guided tour");
  root.append(text, nav);
  container.replaceChildren(root);

  back.addEventListener("click", () => emit("go", current.index - 1));
  next.addEventListener("click", () => {
    if (current.index < current.steps.length - 1) emit("go", current.index + 1);
    else emit("close");
  });
  close.addEventListener("click", () => emit("close"));

  return {
    bind,
    render({ steps, index }) {
      current = { steps, index };
      const step = index === null ? undefined : steps[index];
      root.hidden = !step;
      if (!step) return;
      counter.textContent = `Step ${index + 1} of ${steps.length}`;
      title.textContent = step.title;
      body.textContent = step.body;
      back.disabled = index === 0;
      const last = index === steps.length - 1;
      next.textContent = last ? "Finish ✓" : "Next ▶";
    },
  };
}
