// The unit detail's line chart: one unit's gates and states per token, in stacked panels over one token
// axis (core/unit_figure.js builds the figure for the model's cell), with the selected step marked. Created
// once, then updated with Plotly.react (a constant uirevision, so a person's zoom survives). plotly.js is
// loaded on the first draw (plotly_loader.js); if it cannot be, the chart's box says so. Tokens are
// numbered for people on the chart (x = t + 1: "token 12 of 19"); events carry t (0-based).
import { displayToken } from "../core/tokens.js";
import { chartFigure } from "../core/unit_figure.js";
import { createEvents, el } from "./dom.js";
import { PLOTLY_CONFIG, loadPlotly, loadedPlotly, plotlyNotice } from "./plotly_loader.js";

/**
 * A chart appended to parent (a div.unit-chart), drawn on the first update.
 *   update({cell, tokens, series, step}) draws series {quantity: one value per token} of a unit of the
 *     cell (its spec; a missing quantity draws no line) over the tokens, with a dashed line at step (or
 *     none when null). It
 *     returns at once: before plotly.js has loaded, the chart draws the latest update when it has.
 *   redraw() draws the last update again for the chart's current width (how many tick labels fit).
 *   resize() makes Plotly measure the chart again: one drawn while hidden has a stale width.
 *   bind("select-step", handler): handler(t) when a point of token t (0-based) is clicked.
 */
export function createUnitChart(parent) {
  const { emit, bind } = createEvents(["select-step"]);
  const notice = plotlyNotice(() => load());
  const plot = el("div", "unit-chart");
  parent.append(notice.element, plot);
  let view = null; // the data of the last update
  let plotted = false;
  let loading = false; // a load of plotly.js is under way
  let failed = false; // the last load failed: wait for "Try again" rather than ask on every update

  function drawWith(Plotly) {
    const { cell, tokens, series, step } = view;
    const labels = tokens.map((token) => displayToken(token.text));
    const { data, layout } = chartFigure(series, labels, step, plot.clientWidth, cell);
    if (!plotted) {
      Plotly.newPlot(plot, data, layout, PLOTLY_CONFIG);
      plot.on("plotly_click", (event) => {
        const x = event.points?.[0]?.x;
        if (Number.isInteger(x)) emit("select-step", x - 1);
      });
      plotted = true;
    } else {
      Plotly.react(plot, data, layout, PLOTLY_CONFIG);
    }
  }

  function load() {
    loading = true;
    loadPlotly().then((Plotly) => {
      loading = false;
      failed = false;
      notice.hide();
      plot.hidden = false;
      if (view) drawWith(Plotly);
    }, (error) => {
      loading = false;
      failed = true;
      plot.hidden = true; // an empty 440 px box would look like a chart that shows nothing
      notice.show(error);
    });
  }

  function draw() {
    const Plotly = loadedPlotly();
    if (Plotly && !loading) drawWith(Plotly);
    else if (!loading && !failed) load();
  }

  return {
    update(data) {
      view = data;
      draw();
    },
    redraw() {
      if (plotted) draw();
    },
    resize() {
      if (plotted) loadedPlotly()?.Plots.resize(plot);
    },
    bind,
  };
}
