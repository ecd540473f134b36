// The "Memory that lasts" panel's DOM: a <details> (closed, it costs nothing: nothing is fetched or
// drawn) holding the ∏ f (∏ z) heatmap with its kept/written toggle, the ‖∂m_t/∂m_s‖ curve chart, and the
// memory-span chart with the commands that produced it. A view: it never fetches; retention.js drives
// it. Text goes in through textContent only; Plotly labels come escaped from retention_figures.js.
// plotly.js is loaded when a chart first draws (plotly_loader.js); if it cannot be, the panel says so
// under its status line and the rest of the page carries on.
import { TITLES } from "../core/retention_figures.js";
import { createEvents, el } from "./dom.js";
import { PLOTLY_CONFIG, loadedPlotly, plotlyNotice } from "./plotly_loader.js";

const RESIZE_DEBOUNCE_MS = 200;
const POINTED_MS = 6000; // the tour's mark on a part fades after a while: it is a pointer, not a state

function figure(parent, part, title) {
  const root = el("figure", "retention-figure", undefined, parent);
  root.dataset.part = part;
  const caption = el("figcaption", "retention-title", title, root);
  const bar = el("div", "retention-bar", undefined, root);
  const plot = el("div", "retention-plot", undefined, root);
  plot.dataset.part = part;
  const note = el("p", "note retention-note", undefined, root);
  note.setAttribute("role", "status");
  return { root, caption, bar, plot, note, build: null, drawing: 0 };
}

/**
 * View over a <details> element. Events (bind): "toggle" (open: boolean), "show" ("kept" | "written").
 *   isOpen(), open(): state of the <details>.
 *   status(text): the line under the heading (what s is, or what to do).
 *   draw(part, build, {caption, note}): part "kept" | "curve" | "span"; build(width) -> {data, layout}
 *     or null (the chart is hidden, the note stays); caption replaces the figure's title when given.
 *     Returns a promise, settled (never rejected) when the chart is drawn or cannot be: plotly.js is
 *     loaded on the first draw, and a newer draw of the same part supersedes an older one.
 *   showing(show): mark the kept/written toggle.
 *   labels({kept, written}): the toggle's words for the cell drawn (its keeping gate: ∏ f, ∏ z).
 *   commands(lines): the shell commands under the memory-span chart.
 *   point(part): scroll a part into view and mark it for a moment (the guided tour).
 */
export function createRetentionView(details) {
  const { emit, bind } = createEvents(["toggle", "show"]);
  const body = el("div", "retention-body", undefined, details);
  const statusLine = el("p", "retention-status", undefined, body);
  statusLine.setAttribute("role", "status");
  const notice = plotlyNotice(() => {
    for (const part of Object.keys(parts)) paint(part);
  });
  body.append(notice.element);
  const grid = el("div", "retention-grid", undefined, body);
  const parts = {
    kept: figure(grid, "kept", "what is still there from step s"),
    curve: figure(grid, "curve", ""),
    span: figure(body, "span", TITLES.span),
  };
  const toggle = el("div", "views retention-toggle", undefined, parts.kept.bar);
  toggle.setAttribute("role", "group");
  toggle.setAttribute("aria-label", "What the heatmap shows");
  const buttons = [["kept", "still there"], ["written", "written at s"]].map(([show, text]) => {
    const b = el("button", "view-button", text, toggle);
    b.type = "button";
    b.dataset.show = show;
    b.addEventListener("click", () => emit("show", show));
    return b;
  });
  const commandList = el("div", "retention-commands", undefined, parts.span.root);
  const spanKey = el("p", "note", "Shaded: more words between cue and prediction than in any training sentence. "
    + "Dotted: chance.", parts.span.root);
  parts.span.root.insertBefore(spanKey, parts.span.note);
  let pointedTimer = 0;

  async function paint(part) {
    const p = parts[part];
    const drawing = ++p.drawing;
    const fig = p.build ? p.build(p.plot.clientWidth || 600) : null;
    p.plot.hidden = !fig || notice.failed;
    p.bar.hidden = !fig || notice.failed;
    if (!fig) {
      if (p.plot.data) loadedPlotly()?.purge(p.plot);
      return;
    }
    let Plotly = loadedPlotly();
    if (!Plotly) {
      Plotly = await notice.plotly({ charts: 2 });
      if (!Plotly) {
        for (const other of Object.values(parts)) {
          other.plot.hidden = true;
          other.bar.hidden = true;
        }
        return;
      }
      if (drawing !== p.drawing) return; // a newer draw of this part has it
      notice.hide();
      p.plot.hidden = false;
      p.bar.hidden = false;
    }
    await Plotly.react(p.plot, fig.data, fig.layout, PLOTLY_CONFIG);
  }

  details.addEventListener("toggle", () => emit("toggle", details.open));

  // Plotly follows the width itself (responsive); how many tick labels fit, and whether the span chart's
  // panels sit side by side or stack, is ours to redo.
  let resizeTimer = 0;
  window.addEventListener("resize", () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => {
      if (!details.open || !loadedPlotly()) return;
      for (const [part, p] of Object.entries(parts)) if (p.build && p.plot.data) paint(part);
    }, RESIZE_DEBOUNCE_MS);
  });

  return {
    bind,
    isOpen: () => details.open,
    open() {
      details.open = true;
    },
    status(text) {
      statusLine.textContent = text;
    },
    draw(part, build, { caption, note = "" } = {}) {
      const p = parts[part];
      if (caption !== undefined) p.caption.textContent = caption;
      p.note.textContent = note;
      p.build = build;
      return paint(part);
    },
    showing(show) {
      for (const b of buttons) b.setAttribute("aria-pressed", String(b.dataset.show === show));
    },
    labels(words) {
      for (const b of buttons) b.textContent = words[b.dataset.show];
    },
    commands(lines) {
      commandList.replaceChildren();
      if (!lines.length) return;
      el("span", "retention-command-label", lines.length > 1 ? "Measured by:" : "Measured by", commandList);
      for (const line of lines) el("code", "retention-command", line, commandList);
    },
    point(part) {
      const p = parts[part];
      if (!p) return;
      for (const other of Object.values(parts)) other.root.classList.remove("retention-pointed");
      p.root.classList.add("retention-pointed");
      p.root.scrollIntoView({ block: "nearest" }); // instant: scroll anchoring then holds it while the details above load
      clearTimeout(pointedTimer);
      pointedTimer = setTimeout(() => p.root.classList.remove("retention-pointed"), POINTED_MS);
    },
  };
}
