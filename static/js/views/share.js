// "Copy link": the clipboard where the page is a secure context (https, localhost), otherwise a
// selected link box, because a classroom laptop's plain-http address has no navigator.clipboard.

import { createEvents } from "./dom.js";

/** View over {button, box, status}. copy(url) copies or shows the link; the box is always refreshed.
 *  bind(handler): handler() when the person asks for the link. */
export function createShareBox({ button, box, status }) {
  const events = createEvents(["copy"]);
  button.addEventListener("click", () => events.emit("copy"));

  function showBox(url, message) {
    box.value = url;
    box.classList.remove("hidden");
    box.focus();
    box.select();
    status.textContent = message;
  }

  return {
    /** Copy url to the clipboard, or select it in the link box for Ctrl+C. */
    async copy(url) {
      if (globalThis.isSecureContext && navigator.clipboard?.writeText) {
        try {
          await navigator.clipboard.writeText(url);
          box.value = url;
          status.textContent = "Link copied.";
          return;
        } catch {
          // Permission refused: fall through to the box.
        }
      }
      showBox(url, "Press Ctrl+C (⌘C) to copy the selected link.");
    },
    /** Keep an open link box in step with the page. */
    update(url) {
      if (!box.classList.contains("hidden")) box.value = url;
    },
    bind(handler) {
      events.bind("copy", handler);
    },
  };
}
