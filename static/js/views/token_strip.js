// The token strip: one chip per token, in order. Text goes in through textContent only, never
// innerHTML, because it is whatever the person (or a shared link) typed. Hovering a chip highlights
// its column everywhere; a click selects that step; shift+click selects a span from the step, and so does
// span mode (setSpanMode, for touch: no shift key), where one tap picks the span's first token and the next
// its last. Tokens are numbered for people from 1 ("token 13 of 19"); the page's steps t count from 0.
// A long text's strip scrolls inside itself (tokens.css): it follows the newest chip while it is scrolled
// to its end, and brings the selected chip into view when the selection moves. It holds at most
// STRIP_WINDOW chips, a window of the tokens (named above it, with buttons for earlier and later ones)
// that follows the end while you type there and moves to a step selected outside it: the browser lays
// out and paints a strip's every chip on any change, so 2,000 chips made each keystroke's frame grow
// with the text (measured: docs/performance.md).
import { attributionColour, maxAbsOf } from "../core/colors.js";
import { STRIP_WINDOW, chipTitle, displayToken, endWindow, windowAround } from "../core/tokens.js";
import { createEvents, el } from "./dom.js";

/**
 * View over an <ol>. render({tokens: [{text, id}], unkId, step, span: {start, end} | null}).
 * Events (bind): "hover-step" (t | null), "select-step" (t), "select-span" ({start, end}, 0-based,
 * start ≤ end), "span-mode" ({on, phase: "first" | "last" | null, start: t | null}) when span mode
 * starts, moves on to its last token or ends.
 * setSpanMode(on) starts or cancels span mode: the next click (a tap) on a chip selects that step and
 * anchors a span there, the one after it selects the span between the two (and the mode ends); Escape
 * cancels it. shift+click does the same in one go, from the selected step.
 * When the list scrolls (a long text), a render keeps it at its end if it was there (or is new), and a
 * new selected step scrolls its chip into view: the list's own scrollTop, never the page's. Past
 * STRIP_WINDOW tokens the list shows a window of them (chip t is list.children[t - first shown]).
 */
export function createTokenStrip(list) {
  const { emit, bind } = createEvents(["hover-step", "select-step", "select-span", "span-mode"]);
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
    if (what === "end" || what === "start") {
      list.scrollTop = what === "end" ? list.scrollHeight : 0;
      return;
    }
    const item = list.children[what - w0];
    if (!item) return;
    // .token-strip is position: relative, so offsetTop is inside the list; a chip out of view (or cut
    // off) comes to a third of the way down, with the rows before it for context.
    const top = item.offsetTop;
    if (top < list.scrollTop || top + item.offsetHeight > list.scrollTop + list.clientHeight) {
      list.scrollTop = Math.max(0, top - list.clientHeight / 3);
    }
  }

  function chip(token, t, unkId) {
    const item = el("li", "token", displayToken(token.text));
    item.dataset.step = String(t);
    const unknown = unkId !== null && token.id === unkId;
    if (unknown) item.classList.add("token-unk");
    item.title = chipTitle({ t, id: token.id, unknown });
    if (tinted) paintTint(item, t);
    return item;
  }

  // "Why this prediction?": per token 0…k its attribution score, the chips tinted on the diverging scale (red:
  // toward the target, blue: away), the number in the title. null: no tint.
  let tinted = null; // {scores, target, maxAbs}

  function paintTint(item, t) {
    const score = tinted && t < tinted.scores.length ? tinted.scores[t] : null;
    const base = item.title.split("\n")[0];
    if (score === null) {
      item.style.removeProperty("background-color");
      item.style.removeProperty("color");
      item.classList.remove("token-tinted");
      item.removeAttribute("data-score");
      item.title = base;
      return;
    }
    const { background, color } = attributionColour(score, tinted.maxAbs);
    item.style.backgroundColor = background;
    item.style.color = color;
    item.classList.add("token-tinted");
    item.dataset.score = String(score);
    item.title = `${base}\npushed toward “${displayToken(tinted.target)}”: ${score >= 0 ? "+" : ""}${score.toPrecision(3)}`;
  }

  /** Tint the chips by scores (one per token from the first; null: none), for the predicted token target. */
  function tint(scores, target = "") {
    tinted = scores ? { scores, target, maxAbs: maxAbsOf(scores) } : null;
    list.classList.toggle("token-strip-tinted", tinted !== null);
    for (let k = 0; k < list.children.length; k++) paintTint(list.children[k], w0 + k);
  }

  // Span mode (touch has no shift key): null, or {phase: "first"} until a chip is tapped, then
  // {phase: "last", start: t} until the second tap.
  let picking = null;
  function setPicking(next) {
    const was = picking;
    picking = next;
    list.classList.toggle("token-strip-picking", picking !== null);
    const anchor = was?.start ?? null;
    if (anchor !== null && anchor !== picking?.start) chipOf(anchor)?.classList.remove("token-span-anchor");
    if (picking?.start !== undefined) chipOf(picking.start)?.classList.add("token-span-anchor");
    if (picking === null) document.removeEventListener("keydown", onEscape);
    else if (was === null) document.addEventListener("keydown", onEscape);
    emit("span-mode", { on: picking !== null, phase: picking?.phase ?? null, start: picking?.start ?? null });
  }
  // Not prevented: an open dialog (the model card) still closes on the same Escape.
  function onEscape(event) {
    if (event.key === "Escape" && picking !== null) setPicking(null);
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
  // shift+click selects a span of tokens, not the page's text between the two chips.
  list.addEventListener("mousedown", (event) => {
    if (event.shiftKey && stepOf(event) !== null) event.preventDefault();
  });
  list.addEventListener("click", (event) => {
    const t = stepOf(event);
    if (t === null) return;
    if (picking?.phase === "first") {
      setPicking({ phase: "last", start: t });
      emit("select-step", t);
    } else if (picking?.phase === "last") {
      const { start } = picking;
      setPicking(null);
      emit("select-span", { start: Math.min(start, t), end: Math.max(start, t) });
    } else if (event.shiftKey && current.step !== null) {
      emit("select-span", { start: Math.min(current.step, t), end: Math.max(current.step, t) });
    } else {
      emit("select-step", t);
    }
  });

  // What is on screen, so a render touches only what changed: a keystroke appends a chip or two,
  // and rebuilding them all (and restyling every chip) grew with the text.
  let shown = []; // the tokens behind the strip (all of them; chips only for the window)
  let shownUnk = null;
  let w0 = 0; // the first token with a chip
  let marked = { step: null, span: null }; // what the chips show marked
  let hovered = null;

  // Above the list: which tokens it shows, and buttons for the others (hidden while all fit).
  const nav = el("div", "token-window");
  nav.hidden = true;
  const said = el("span", "token-window-range");
  const button = (label, title) => {
    const b = el("button", null, label);
    b.type = "button";
    b.title = title;
    return b;
  };
  const earlier = button("◀ earlier", "show the tokens before these");
  const later = button("later ▶", "show the tokens after these");
  nav.append(said, earlier, later);
  list.before(nav);
  // The tokens next to those shown before stay in view: the first of them, or the last.
  earlier.addEventListener("click", () => {
    const first = w0;
    show(Math.max(0, w0 - STRIP_WINDOW / 2));
    scrollSoon(first);
  });
  later.addEventListener("click", () => {
    const last = w0 + list.children.length - 1;
    show(Math.min(endWindow(shown.length), w0 + STRIP_WINDOW / 2));
    scrollSoon(last);
  });

  const chipOf = (t) => (t === null || t < w0 ? undefined : list.children[t - w0]);

  function setMarks(item, t, step, span) {
    item.classList.toggle("token-selected", t === step);
    item.classList.toggle("token-span", span !== null && t >= span.start && t <= span.end);
    if (t === step) item.setAttribute("aria-current", "step");
    else item.removeAttribute("aria-current");
  }

  function mark({ step = null, span = null } = {}) {
    if (step !== null && step !== current.step) scrollSoon(step);
    current = { step };
    const touched = new Set([marked.step, step]);
    for (const s of [marked.span, span]) {
      // Only the window's part of a span: chips outside it do not exist.
      if (s) for (let t = Math.max(s.start, w0); t <= Math.min(s.end, w0 + list.children.length - 1); t++) touched.add(t);
    }
    for (const t of touched) {
      const item = chipOf(t);
      if (item) setMarks(item, t, step, span);
    }
    marked = { step, span };
    if (picking?.start !== undefined) chipOf(picking.start)?.classList.add("token-span-anchor");
  }

  /** Chips for the tokens of window w (from shown), the chips of tokens before `keep` kept when the
   *  window stays; the marks and the words above the list brought up to date. */
  function show(w, keep = 0) {
    const T = shown.length;
    if (w !== w0) keep = 0;
    const kept = Math.max(0, Math.min(keep - w, list.children.length));
    if (kept === 0) list.replaceChildren();
    else while (list.children.length > kept) list.lastElementChild.remove();
    const fresh = document.createDocumentFragment();
    for (let t = w + kept; t < Math.min(T, w + STRIP_WINDOW); t++) fresh.append(chip(shown[t], t, shownUnk));
    list.append(fresh);
    list.start = w + 1; // the list's numbering, for screen readers, counts from the window's first token
    if (w !== w0 || kept === 0) {
      w0 = w;
      const { step, span } = marked;
      marked = { step: null, span: null }; // new chips start unmarked
      mark({ step, span });
    }
    if (hovered !== null && (hovered >= w0 + kept || hovered < w0)) hovered = null;
    const end = Math.min(T, w0 + STRIP_WINDOW);
    nav.hidden = w0 === 0 && end === T;
    said.textContent = `showing tokens ${w0 + 1}–${end} of ${T}`;
    earlier.disabled = w0 === 0;
    later.disabled = end === T;
  }

  return {
    render({ tokens, unkId = null, step = null, span = null }) {
      let k = 0;
      if (unkId === shownUnk) {
        const n = Math.min(shown.length, tokens.length);
        while (k < n && shown[k].text === tokens[k].text && shown[k].id === tokens[k].id) k++;
      }
      const T = tokens.length;
      const changed = k < shown.length || k < T;
      const fresh = k === 0 && changed; // nothing kept: a new strip, for a new text or model
      const following = fresh || (atEnd && w0 + list.children.length >= shown.length);
      if (fresh) atEnd = true;
      shown = tokens.slice();
      shownUnk = unkId;
      // A span begun on a token the text no longer has (or a new text) starts again from its first tap.
      if (picking?.start !== undefined && (fresh || picking.start >= T)) setPicking({ phase: "first" });
      let w = following ? endWindow(T) : Math.min(w0, endWindow(T));
      const moved = step !== null && step !== current.step;
      if ((moved || fresh) && step !== null && (step < w || step >= w + STRIP_WINDOW)) w = windowAround(step, T);
      show(w, fresh ? 0 : k);
      if (changed && following && w === endWindow(T)) scrollSoon("end");
      // A new strip shows its selected chip (a link's or a tour's step), as a newly selected step does.
      if (fresh) current = { step: null };
      mark({ step, span });
    },
    /** Update the selected step and span without rebuilding the chips (of the window shown). */
    mark,
    tint,
    /** Start (true) or cancel (false) span mode: the next two taps on chips select a span. */
    setSpanMode(on) {
      if (on && picking === null) setPicking({ phase: "first" });
      else if (!on && picking !== null) setPicking(null);
    },
    /** The span mode's phase: "first", "last" (a first token tapped) or null (off). */
    get spanMode() {
      return picking?.phase ?? null;
    },
    /** Highlight token t (null clears), e.g. while its heatmap column is hovered. */
    highlight(t) {
      if (hovered !== null) chipOf(hovered)?.classList.remove("token-hover");
      hovered = t ?? null;
      if (hovered !== null) chipOf(hovered)?.classList.add("token-hover");
    },
    bind,
  };
}
