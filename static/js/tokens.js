// The token strip: one chip per token, in order. Text goes in through textContent only, never
// innerHTML, because it is whatever the person (or a shared link) typed. Hovering a chip highlights
// its column everywhere; a click selects that step; shift+click selects a span from the step.
// A long text's strip scrolls inside itself (app.css): it follows the newest chip while it is scrolled
// to its end, and brings the selected chip into view when the selection moves.

const VISIBLE_WHITESPACE = { " ": "␣", "\n": "↵", "\r": "␍", "\t": "⇥" };

/** A token as shown on screen: whitespace made visible ("␣" for a space, "↵" for a newline). */
export function displayToken(text) {
  return Array.from(text, (ch) => VISIBLE_WHITESPACE[ch] ?? (/\s/.test(ch) ? "␣" : ch)).join("");
}

/**
 * View over an <ol>. render({tokens: [{text, id}], unkId, step, span: {start, end} | null}).
 * Events (bind): "hover-step" (t | null), "select-step" (t), "select-span" ({start, end}).
 * When the list scrolls (a long text), a render keeps it at its end if it was there (or is new), and a
 * new selected step scrolls its chip into view: the list's own scrollTop, never the page's.
 */
export function createTokenStrip(list) {
  const handlers = { "hover-step": [], "select-step": [], "select-span": [] };
  const emit = (event, value) => handlers[event].forEach((fn) => fn(value));
  let current = { step: null };

  // Scrolling: whether the list shows its end, as of its last scroll (a new list does), and what the
  // next frame should bring into view. The scroll is done in an animation frame, which lays the page
  // out anyway: reading the chips' positions during render would force a layout of its own, mid-keystroke.
  let atEnd = true;
  let wanted = null; // "end", a step, or null
  let frame = 0;
  list.addEventListener("scroll", () => {
    atEnd = list.scrollTop + list.clientHeight >= list.scrollHeight - 2;
  }, { passive: true });

  function scrollSoon(what) {
    wanted = what;
    if (!frame) frame = requestAnimationFrame(scrollNow);
  }

  function scrollNow() {
    frame = 0;
    const what = wanted;
    wanted = null;
    if (list.scrollHeight <= list.clientHeight) return; // nothing to scroll (a short text)
    if (what === "end") {
      list.scrollTop = list.scrollHeight;
      return;
    }
    const item = list.children[what];
    if (!item) return;
    // .token-strip is position: relative, so offsetTop is inside the list; a chip out of view (or cut
    // off) comes to a third of the way down, with the rows before it for context.
    const top = item.offsetTop;
    if (top < list.scrollTop || top + item.offsetHeight > list.scrollTop + list.clientHeight) {
      list.scrollTop = Math.max(0, top - list.clientHeight / 3);
    }
  }

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

  // What is on screen, so a render touches only what changed: a keystroke appends a chip or two
  // to a strip of up to 2,000, and rebuilding them all (and restyling every chip) grew with the text.
  let shown = []; // the tokens behind the chips
  let shownUnk = null;
  let marked = { step: null, span: null };
  let hovered = null;

  function setMarks(item, t, step, span) {
    item.classList.toggle("token-selected", t === step);
    item.classList.toggle("token-span", span !== null && t >= span.start && t <= span.end);
    if (t === step) item.setAttribute("aria-current", "step");
    else item.removeAttribute("aria-current");
  }

  function mark({ step = null, span = null } = {}) {
    if (step !== null && step !== marked.step) scrollSoon(step);
    current = { step };
    const touched = new Set([marked.step, step]);
    for (const s of [marked.span, span]) {
      if (s) for (let t = s.start; t <= s.end; t++) touched.add(t);
    }
    for (const t of touched) {
      const item = t === null ? undefined : list.children[t];
      if (item) setMarks(item, t, step, span);
    }
    marked = { step, span };
  }

  return {
    render({ tokens, unkId = null, step = null, span = null }) {
      let k = 0;
      if (unkId === shownUnk) {
        const n = Math.min(shown.length, tokens.length);
        while (k < n && shown[k].text === tokens[k].text && shown[k].id === tokens[k].id) k++;
      }
      const changed = k < list.children.length || k < tokens.length;
      if (k === 0 && changed) atEnd = true; // nothing kept: a new strip, for a new text or model
      while (list.children.length > k) list.lastElementChild.remove();
      const fresh = document.createDocumentFragment();
      for (let t = k; t < tokens.length; t++) fresh.append(chip(tokens[t], t, unkId));
      list.append(fresh);
      shown = tokens.slice();
      shownUnk = unkId;
      if (changed && atEnd) scrollSoon("end");
      // Chips kept keep their marks; new ones start unmarked: remark what either may need. A new strip
      // shows its selected chip (a link's or a tour's step), as a newly selected step does.
      const before = marked;
      marked = { step: k === 0 && changed ? null : before.step, span: before.span };
      mark({ step, span });
      if (hovered !== null && hovered >= k) hovered = null;
    },
    /** Update the selected step and span without rebuilding the chips. */
    mark,
    /** Highlight token t (null clears), e.g. while its heatmap column is hovered. */
    highlight(t) {
      if (hovered !== null) list.children[hovered]?.classList.remove("token-hover");
      hovered = t ?? null;
      if (hovered !== null) list.children[hovered]?.classList.add("token-hover");
    },
    bind(event, handler) {
      handlers[event].push(handler);
    },
  };
}
