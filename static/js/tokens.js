// The token strip: one chip per token, in order. Text goes in through textContent only, never
// innerHTML, because it is whatever the person (or a shared link) typed. Hovering a chip highlights
// its column everywhere; a click selects that step; shift+click selects a span from the step.

const VISIBLE_WHITESPACE = { " ": "␣", "\n": "↵", "\r": "␍", "\t": "⇥" };

/** A token as shown on screen: whitespace made visible ("␣" for a space, "↵" for a newline). */
export function displayToken(text) {
  return Array.from(text, (ch) => VISIBLE_WHITESPACE[ch] ?? (/\s/.test(ch) ? "␣" : ch)).join("");
}

/**
 * View over an <ol>. render({tokens: [{text, id}], unkId, step, span: {start, end} | null}).
 * Events (bind): "hover-step" (t | null), "select-step" (t), "select-span" ({start, end}).
 */
export function createTokenStrip(list) {
  const handlers = { "hover-step": [], "select-step": [], "select-span": [] };
  const emit = (event, value) => handlers[event].forEach((fn) => fn(value));
  let current = { step: null };

  function chip(token, t, unkId) {
    const item = document.createElement("li");
    item.className = "token";
    item.textContent = displayToken(token.text);
    item.dataset.step = String(t);
    let title = `token ${t}: id ${token.id}`;
    if (unkId !== null && token.id === unkId) {
      item.classList.add("token-unk");
      title += " (not in the vocabulary: read as the unknown token)";
    }
    item.title = `${title} · click: select · shift+click: select a span`;
    return item;
  }

  function stepOf(event) {
    const item = event.target.closest("li[data-step]");
    return item ? Number(item.dataset.step) : null;
  }

  list.addEventListener("mouseover", (event) => {
    const t = stepOf(event);
    if (t !== null) emit("hover-step", t);
  });
  list.addEventListener("mouseleave", () => emit("hover-step", null));
  list.addEventListener("click", (event) => {
    const t = stepOf(event);
    if (t === null) return;
    if (event.shiftKey && current.step !== null) {
      emit("select-span", { start: Math.min(current.step, t), end: Math.max(current.step, t) });
    } else {
      emit("select-step", t);
    }
  });

  function mark({ step = null, span = null } = {}) {
    current = { step };
    for (const item of list.children) {
      const t = Number(item.dataset.step);
      item.classList.toggle("token-selected", t === step);
      item.classList.toggle("token-span", span !== null && t >= span.start && t <= span.end);
      item.setAttribute("aria-current", t === step ? "step" : "false");
    }
  }

  return {
    render({ tokens, unkId = null, step = null, span = null }) {
      list.replaceChildren(...tokens.map((token, t) => chip(token, t, unkId)));
      mark({ step, span });
    },
    /** Update the selected step and span without rebuilding the chips. */
    mark,
    /** Highlight token t (null clears), e.g. while its heatmap column is hovered. */
    highlight(t) {
      for (const item of list.children) item.classList.toggle("token-hover", Number(item.dataset.step) === t);
    },
    bind(event, handler) {
      handlers[event].push(handler);
    },
  };
}
