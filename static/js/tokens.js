// The token strip: one chip per token, in order. Text goes in through textContent only, never
// innerHTML, because it is whatever the person (or a shared link) typed.

const VISIBLE_WHITESPACE = { " ": "␣", "\n": "↵", "\r": "␍", "\t": "⇥" };

/** A token as shown on screen: whitespace made visible ("␣" for a space, "↵" for a newline). */
export function displayToken(text) {
  return Array.from(text, (ch) => VISIBLE_WHITESPACE[ch] ?? (/\s/.test(ch) ? "␣" : ch)).join("");
}

/** View over an <ol>: render({tokens: [{text, id}], unkId}) replaces its items. */
export function createTokenStrip(list) {
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
    item.title = title;
    return item;
  }

  return {
    render({ tokens, unkId = null }) {
      list.replaceChildren(...tokens.map((token, t) => chip(token, t, unkId)));
    },
  };
}
