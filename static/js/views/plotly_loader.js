// plotly.js (4.8 MB) on demand. The page names the vendored bundle in <meta name="plotly-src"> and loads
// nothing of it up front: the canvas heatmaps, the token strip, the step detail and the unit chart (a canvas
// too) never need it. The first chart that does (compare mode's heatmaps, the memory panel's charts) calls
// loadPlotly(), which adds ONE same-origin <script src> (the page's CSP is script-src 'self': no
// inline code, no eval) and settles with the `Plotly` global. A failed load rejects with a clear Error,
// and the next call tries again; each chart then says in words what is missing (plotlyNotice).
import { el } from "./dom.js";

const META = 'meta[name="plotly-src"]';

/** The one Plotly config every chart of the page draws with: it follows its box's width, and shows no mode
 *  bar (it would float over legends and top rows; the page has its own Export panel). */
export const PLOTLY_CONFIG = Object.freeze({ responsive: true, displayModeBar: false });

/** The Error of a failed load: `reason` is the part a person reads after "which did not load: ". */
export class PlotlyLoadError extends Error {
  constructor(reason, src = "") {
    super(`plotly.js did not load: ${reason}`);
    this.name = "PlotlyLoadError";
    this.reason = reason;
    this.src = src;
  }
}

/**
 * A loader over a document and its global object (the page's by default; Node tests pass fakes).
 * Returns {load, loaded}: load() a promise of Plotly (one <script> at a time; after a failure the
 * next call adds a fresh one), loaded() the Plotly global if it is there already, else null.
 */
export function createPlotlyLoader(doc = globalThis.document, global = globalThis) {
  let pending = null;

  function loaded() {
    return global.Plotly ?? null;
  }

  function load() {
    const ready = loaded();
    if (ready) return Promise.resolve(ready);
    if (pending) return pending;
    const src = doc?.querySelector?.(META)?.getAttribute("content");
    if (!src) {
      return Promise.reject(new PlotlyLoadError("the page does not say where plotly.js is "
        + '(its <meta name="plotly-src"> is missing)'));
    }
    pending = new Promise((resolve, reject) => {
      const script = doc.createElement("script");
      script.src = src;
      script.async = true;
      script.dataset.plotly = "";
      const fail = (reason) => {
        script.remove(); // a retry adds a fresh element: a failed one never loads again
        pending = null;
        reject(new PlotlyLoadError(reason, src));
      };
      script.addEventListener("load", () => {
        if (loaded()) {
          pending = null;
          resolve(loaded());
        } else {
          fail(`${src} loaded but defined no Plotly`);
        }
      });
      script.addEventListener("error", () => fail(`the request for ${src} failed (offline, or blocked by the `
        + "network, a proxy or a browser extension)"));
      doc.head.append(script);
    });
    return pending;
  }

  return { load, loaded };
}

const pageLoader = createPlotlyLoader();

/** A promise of the page's Plotly global, loading plotly.js on the first call (see above). */
export function loadPlotly() {
  return pageLoader.load();
}

/** The page's Plotly if plotly.js has loaded already (then a chart can draw at once), else null. */
export function loadedPlotly() {
  return pageLoader.loaded();
}

/** What a chart's box says when plotly.js did not load: "This chart needs plotly.js, which did not load: …". */
export function missingText(error, { charts = 1 } = {}) {
  const reason = error?.reason ?? error?.message ?? String(error);
  return `${charts > 1 ? "These charts need" : "This chart needs"} plotly.js, which did not load: ${reason}.`
    + " The rest of the page works without it.";
}

/**
 * A notice for a chart's box: a <div class="plotly-missing" role="status"> (hidden until show) with the
 * words of missingText and a "Try again" button that calls retry(). show(error, options), hide().
 * plotly(options): a promise of Plotly (at once when loaded, else after loading it), or of null when it
 * does not load (the notice then shows, `options` for its words) or did not before: a view waits for
 * "Try again" rather than asking at every redraw. `failed`: whether it did not load (until "Try again").
 */
export function plotlyNotice(retry) {
  let failed = false;
  const box = el("div", "plotly-missing");
  box.setAttribute("role", "status");
  box.hidden = true;
  const text = el("p");
  const again = el("button", "plotly-retry", "Try again");
  again.type = "button";
  again.addEventListener("click", () => {
    again.disabled = true;
    text.textContent = "Loading plotly.js…";
    failed = false;
    retry();
  });
  box.append(text, again);
  const notice = {
    element: box,
    show(error, options) {
      text.textContent = missingText(error, options);
      again.disabled = false;
      box.hidden = false;
    },
    hide() {
      box.hidden = true;
    },
    get failed() {
      return failed;
    },
    async plotly(options) {
      const ready = loadedPlotly();
      if (ready || failed) return ready;
      try {
        return await loadPlotly();
      } catch (error) {
        failed = true;
        notice.show(error, options);
        return null;
      }
    },
  };
  return notice;
}
