// Where the figure goes on screen: the heatmaps' plots as tall as the window leaves them, so the figure
// is on the first screen, and a tour step's figure brought into view under its narration. DOM only (no
// state): main.js calls these after it has drawn.

const MIN_PLOT_PX = 280;
const MAX_PLOT_PX = 620;
const FALLBACK_AROUND_PX = 110; // caption, legend and padding of a panel, before one is drawn

/**
 * fit(): sets `--plot-height` on `heatmaps` (the panels' CSS reads it) so the plots fill the screen
 * below what is above them (MIN_PLOT_PX..MAX_PLOT_PX), measured from the top of the page; it reads the
 * layout once per window size and position, not per keystroke, and returns whether the height changed
 * (then how many rows fit may have too). refit(): forget the last measure (a new mode, a new layout).
 */
export function createFigureFit(heatmaps) {
  let measured = "";
  return {
    fit() {
      const top = Math.round(heatmaps.getBoundingClientRect().top + window.scrollY);
      const panel = heatmaps.querySelector(".heatmap");
      const plot = panel?.querySelector(".heatmap-plot");
      const around = panel && plot ? panel.offsetHeight - plot.offsetHeight : FALLBACK_AROUND_PX;
      const key = `${innerWidth}x${innerHeight}@${Math.round(top / 8)}:${Math.round(around / 8)}`;
      if (key === measured) return false;
      measured = key;
      const height = Math.round(Math.min(Math.max(innerHeight - top - around - 12, MIN_PLOT_PX), MAX_PLOT_PX));
      if (heatmaps.style.getPropertyValue("--plot-height") === `${height}px`) return false;
      heatmaps.style.setProperty("--plot-height", `${height}px`);
      return true;
    },
    refit() {
      measured = "";
    },
  };
}

/**
 * Bring what a tour step talks about on screen with its narration (`tour`, sticky above the figure on
 * wide screens: teach.css): the `retention` panel when the step points at it (`retentionPart`), else
 * the narration with the token strip and `heatmaps` below it when they fit, else the first row of
 * heatmaps just below the narration. Measured from the top of the page.
 */
export function showTourFocus({ tour, heatmaps, retention }, retentionPart) {
  if (retentionPart) {
    retention.scrollIntoView({ block: "start" });
    return;
  }
  window.scrollTo({ top: 0 });
  const narration = tour.getBoundingClientRect();
  const figure = heatmaps.getBoundingClientRect();
  const first = heatmaps.querySelector(".heatmap")?.getBoundingClientRect() ?? figure;
  const sticky = getComputedStyle(tour).position === "sticky";
  if (figure.bottom - narration.top <= innerHeight) window.scrollTo({ top: narration.top - 4 });
  else window.scrollTo({ top: first.top - (sticky ? narration.height + 8 : 8) });
}
