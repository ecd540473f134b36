// The export panel: PNG/SVG of a chart (drawn by heatmaps.js), CSV/JSON of the whole trace, and the
// shell lines that reproduce the numbers. A view: render(data), bind(event, handler).
import { createEvents, el } from "./dom.js";

function button(label, data) {
  const b = el("button", "small-button", label);
  b.type = "button";
  Object.assign(b.dataset, data);
  return b;
}

/** parts: {charts (select), buttons (container), cli (textarea), curl (textarea)}.
 *  Events: "image" ({chart, format}), "download" ("csv" | "json"). */
export function createExportPanel(parts) {
  const { emit, bind } = createEvents(["image", "download"]);
  parts.buttons.replaceChildren(
    button("PNG", { format: "png" }), button("SVG", { format: "svg" }),
    button("CSV of the trace", { download: "csv" }), button("JSON of the trace", { download: "json" }),
  );
  parts.buttons.addEventListener("click", (event) => {
    const b = event.target.closest("button");
    if (b?.dataset.format) emit("image", { chart: parts.charts.value, format: b.dataset.format });
    if (b?.dataset.download) emit("download", b.dataset.download);
  });
  for (const key of ["cli", "curl"]) {
    parts[key].addEventListener("focus", () => parts[key].select());
  }

  return {
    /** charts: [{key, title}] of the charts on screen; lines: {cli, curl} shell commands. */
    render({ charts, lines }) {
      const chosen = parts.charts.value;
      parts.charts.replaceChildren(...charts.map(({ key, title }) => {
        const opt = el("option", null, title);
        opt.value = key;
        return opt;
      }));
      if (charts.some((c) => c.key === chosen)) parts.charts.value = chosen;
      parts.cli.value = lines.cli;
      parts.curl.value = lines.curl;
    },
    bind,
  };
}

/** Offer text (or a Blob) as a file download (a blob: URL clicked through a temporary link). */
export function download(filename, text, type) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = el("a");
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
