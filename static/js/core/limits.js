// The server's limits on a text (max_chars code points, max_tokens tokens), checked in the page so an
// over-long text is refused at once, with the server's own wording, and never sent again while it
// stays over. Pure: no DOM; imports in Node too.
import { codePoints } from "./trace_store.js";

// Combining marks, as app/engine/tokenizer.py's _MARKS: a word tokenizer never starts a token with one.
const RUN = /[^\s\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]\S*/gu;

/** A number the text's token count is surely not below: a char tokenizer makes one token per code
 *  point; a word tokenizer (app/engine/tokenizer.py) at least one per run of non-space characters that holds
 *  more than combining marks (JavaScript's \s and Python's differ a little; where they do, JavaScript
 *  sees fewer runs, never more). */
export function tokensAtLeast(text, tokenizer) {
  if (tokenizer === "char") return codePoints(text);
  const runs = text.match(RUN);
  return runs ? runs.length : 0;
}

/**
 * Why text cannot be traced by model, or null when it may be sent: over max_chars, surely over
 * max_tokens, or the text the server refused last (`refused`, {model, text, message}) with only more
 * written after it.
 * @param {{text: string, model: {id: string, tokenizer: string}, limits: {max_chars: number,
 *   max_tokens: number}, refused?: {model: string, text: string, message: string}|null}} options
 * @returns {string|null}
 */
export function overLimit({ text, model, limits, refused = null }) {
  const chars = codePoints(text);
  if (chars > limits.max_chars) {
    return `text has ${chars} characters; the limit is max_chars = ${limits.max_chars}: shorten it`;
  }
  const tokens = model.tokenizer === "char" ? chars : tokensAtLeast(text, model.tokenizer); // one per code point
  if (tokens > limits.max_tokens) {
    return `text has at least ${tokens} tokens for model '${model.id}'; the limit is max_tokens = `
      + `${limits.max_tokens}: shorten it`;
  }
  if (refused && refused.model === model.id && text.startsWith(refused.text)) return refused.message;
  return null;
}
