"""Time of the page's canvas heatmaps (static/js/views/heatmaps.js) redrawing the default view, in Chromium.

    python bench/heatmaps_canvas.py [--rounds 15] [--units 256] [--lengths 200,2000]

Serves the app on a loopback port, opens the page in Debian's Chromium at 1280x800 (Playwright), imports
heatmaps.js into a container of its own and calls render() on synthetic matrices (three panels: kept,
forgotten, written; H units; T tokens). Two cases per length:
  new     every value differs from the last render (another text, model or layer): full rasters;
  append  the text grew by one token, the earlier values unchanged (typing at the end).
Prints medians of:
  render  the render() call: colour ranges, rasters, layout, labels and canvas drawing (main thread);
  flushed the render() call plus reading back one pixel of each panel's canvas, which makes Chromium
          carry out the canvas drawing it may have deferred to the next frame.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.page_latency import serve  # noqa: E402

PANELS = ["kept", "forgotten", "written"]

SETUP = """async ({ H, panels }) => {
  const { createHeatmaps } = await import("/static/js/views/heatmaps.js");
  // The panels' titles and scales are the cell's: the page's first model's (an LSTM's ledger).
  const cell = JSON.parse(document.querySelector("#models-data").textContent)[0].cell_spec;
  const box = document.createElement("div");
  box.className = "heatmaps";
  document.querySelector("main").prepend(box);
  const heatmaps = createHeatmaps(box);
  const units = Array.from({ length: H }, (_, u) => u);
  // Smooth, unit-dependent values like a trace's: kept grows past ±1, written stays inside it.
  function matrices(T, phase) {
    const out = {};
    panels.forEach((key, k) => {
      const data = new Float32Array(T * H);
      const amp = key === "written" ? 1 : 6;
      for (let t = 0; t < T; t++) {
        for (let u = 0; u < H; u++) data[t * H + u] = amp * Math.sin(0.05 * t * (1 + (u % 7)) + u + k + phase);
      }
      out[key] = { T, H, data };
    });
    return out;
  }
  const tokensOf = (T) => Array.from({ length: T }, (_, t) => ({ text: "abcdefgh "[t % 9] }));
  const frame = () => new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
  const flush = () => box.querySelectorAll("canvas.heatmap-canvas")
    .forEach((canvas) => canvas.getContext("2d").getImageData(0, 0, 1, 1));
  // case "new": T tokens of values unlike the last render's; "append": T − 1 tokens drawn first (untimed).
  window.benchRender = async (T, kase, round) => {
    const phase = kase === "new" ? round + 1 : 0;
    if (kase === "append") {
      await heatmaps.render({ cell, tokens: tokensOf(T - 1), matrices: matrices(T - 1, phase), panels, units,
        step: T - 2 });
    }
    const tokens = tokensOf(T);
    const m = matrices(T, phase);
    await frame();
    const start = performance.now();
    await heatmaps.render({ cell, tokens, matrices: m, panels, units, step: T - 1 });
    const drawn = performance.now();
    flush();
    return { render: drawn - start, flushed: performance.now() - start };
  };
}"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--units", type=int, default=256)
    parser.add_argument("--lengths", default="200,2000")
    parser.add_argument("--port", type=int, default=8798)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    server = serve(args.port)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=[
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"])
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.goto(f"http://127.0.0.1:{args.port}/?text=")
            page.evaluate(SETUP, {"H": args.units, "panels": PANELS})
            print(f"Chromium, 1280x800, {len(PANELS)} panels ({', '.join(PANELS)}), H = {args.units}; "
                  f"medians of {args.rounds} rounds after 3 warm-up rounds")
            print(f"{'tokens':>6} {'case':>7} {'render ms':>10} {'min':>6} {'max':>6} "
                  f"{'flushed ms':>10} {'min':>6} {'max':>6}")
            for T in (int(x) for x in args.lengths.split(",")):
                for case in ("new", "append"):
                    times = [page.evaluate("([T, c, r]) => window.benchRender(T, c, r)", [T, case, r])
                             for r in range(args.rounds + 3)][3:]
                    render = [t["render"] for t in times]
                    flushed = [t["flushed"] for t in times]
                    print(f"{T:>6} {case:>7} {statistics.median(render):>10.1f} {min(render):>6.1f} "
                          f"{max(render):>6.1f} {statistics.median(flushed):>10.1f} {min(flushed):>6.1f} "
                          f"{max(flushed):>6.1f}")
            browser.close()
    finally:
        server.should_exit = True


if __name__ == "__main__":
    main()
