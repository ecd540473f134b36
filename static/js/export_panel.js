// The export panel: PNG/SVG of a chart (drawn by heatmaps.js), CSV/JSON of the whole trace, and the
// shell lines that reproduce the numbers. A view: render(data), bind(event, handler).

function button(label, data) {
  const b = document.createElement("button");
  b.type = "button";
  b.className = "small-button";
  b.textContent = label;
  Object.assign(b.dataset, data);
  return b;
}

/** el: {charts (select), buttons (container), cli (textarea), curl (textarea)}.
 *  Events: "image" ({chart, format}), "download" ("csv" | "json"), "copy" (which line: "cli" | "curl"). */
export function createExportPanel(el) {
  const handlers = {};
  const emit = (event, value) => (handlers[event] ?? []).forEach((fn) => fn(value));
  el.buttons.replaceChildren(
    button("PNG", { format: "png" }), button("SVG", { format: "svg" }),
    button("CSV of the trace", { download: "csv" }), button("JSON of the trace", { download: "json" }),
  );
  el.buttons.addEventListener("click", (event) => {
    const b = event.target.closest("button");
    if (b?.dataset.format) emit("image", { chart: el.charts.value, format: b.dataset.format });
    if (b?.dataset.download) emit("download", b.dataset.download);
  });
  for (const key of ["cli", "curl"]) {
    el[key].addEventListener("focus", () => el[key].select());
  }

  return {
    /** charts: [{key, title}] of the charts on screen; lines: {cli, curl} shell commands. */
    render({ charts, lines }) {
      const chosen = el.charts.value;
      el.charts.replaceChildren(...charts.map(({ key, title }) => {
        const opt = document.createElement("option");
        opt.value = key;
        opt.textContent = title;
        return opt;
      }));
      if (charts.some((c) => c.key === chosen)) el.charts.value = chosen;
      el.cli.value = lines.cli;
      el.curl.value = lines.curl;
    },
    bind(event, handler) {
      (handlers[event] ??= []).push(handler);
    },
  };
}

/** Offer text (or a Blob) as a file download (a blob: URL clicked through a temporary link). */
export function download(filename, text, type) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
