// Tokens and spans in words, for people: whitespace made visible, numbered from 1 (the API's and the page's
// steps t count from 0), the token strip's window, the span bar's and the unit text's words. Pure: no DOM.

const VISIBLE_WHITESPACE = { " ": "␣", "\n": "↵", "\r": "␍", "\t": "⇥" };

/** A token as shown on screen: whitespace made visible ("␣" for a space, "↵" for a newline). */
export function displayToken(text) {
  return Array.from(text, (ch) => VISIBLE_WHITESPACE[ch] ?? (/\s/.test(ch) ? "␣" : ch)).join("");
}

/** A token's number for people: 1-based, while the API's and the page's step t counts from 0. */
export function tokenNumber(t) {
  return t + 1;
}

/** "token 13 of 19" for step t = 12 of T = 19 ("token 13" when T is unknown); `capital` for a heading. */
export function tokenPlace(t, T = null, { capital = false } = {}) {
  const word = capital ? "Token" : "token";
  return T === null || T === undefined ? `${word} ${tokenNumber(t)}` : `${word} ${tokenNumber(t)} of ${T}`;
}

/** "tokens 3–8" for the 0-based span {start: 2, end: 7}, "token 3" for a span of one token. */
export function spanPlace({ start, end }) {
  return start === end ? `token ${tokenNumber(start)}` : `tokens ${tokenNumber(start)}–${tokenNumber(end)}`;
}

/** A chip's title: its place, its id, whether the vocabulary lacks it, and what a click does. (No "of T":
 *  the chips kept while typing would all need a new title at every keystroke.) */
export function chipTitle({ t, id, unknown = false }) {
  return `${tokenPlace(t)}: id ${id}${unknown ? " (not in the vocabulary: read as the unknown token)" : ""}`
    + " · click: select · shift+click: select a span";
}

export const STRIP_WINDOW = 400; // chips at most
const STRIP_CHUNK = 100; // a window starts at a multiple of this, so typing at the end mostly appends

/** The first token of the window that shows the last of T tokens (0 when all fit). */
export function endWindow(T) {
  return Math.max(0, Math.ceil((T - STRIP_WINDOW) / STRIP_CHUNK) * STRIP_CHUNK);
}

/** The first token of a window that shows token t of T, with about as many tokens before it as after. */
export function windowAround(t, T) {
  return Math.min(endWindow(T), Math.max(0, Math.floor((t - STRIP_WINDOW / 2 + STRIP_CHUNK / 2) / STRIP_CHUNK)
    * STRIP_CHUNK));
}

const SPAN_WORDS = 60; // characters of a span's text quoted in its label, at most

/** "Span: tokens 3–8 “due to my current job situation”" for the 0-based span {start: 2, end: 7}. */
export function spanLabel(span, tokens) {
  const words = tokens.slice(span.start, span.end + 1).map((t) => t.text).join(" ");
  const quoted = words.length > SPAN_WORDS ? `${words.slice(0, SPAN_WORDS - 3)}…` : words;
  return `Span: ${spanPlace(span)} “${quoted}”`;
}

/** What the span bar says: the span mode's next tap ({phase, start} as tokens.js's "span-mode" event
 *  reports it), else how to select a span when there is none (null when there is one). */
export function spanHint({ phase = null, start = null } = {}, span = null, tokens = []) {
  if (phase === "first") return "Span: tap the first token (tap “Select a span” again to cancel)";
  if (phase === "last") {
    const token = tokens[start] ? ` “${displayToken(tokens[start].text)}”` : "";
    const from = start === null ? "" : ` (from ${tokenPlace(start)}${token})`;
    return `Span: now tap the last token${from}`;
  }
  if (span) return null;
  return "Span: shift+click a second token, or press “Select a span” and tap two tokens; then find the units "
    + "most active inside it.";
}

/** A span result's tooltip: unit's mean h inside the span and, when it has tokens outside, outside it. */
export function spanResultTitle({ inside, outside }, span) {
  return `mean h inside ${spanPlace(span)}: ${inside.toFixed(3)}`
    + (outside === null ? "" : `, outside: ${outside.toFixed(3)}`);
}

/** A token's readout and title: "token 13 of 19 · “I” · c = 0.123" for the 0-based step t = 12 (people
 *  count tokens from 1); "—" for a missing value. */
export function tokenReadout({ t, T, text, tint, value }) {
  const shown = Number.isFinite(value) ? value.toFixed(3) : "—";
  return `${tokenPlace(t, T)} · “${displayToken(text)}” · ${tint} = ${shown}`;
}
