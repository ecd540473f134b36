// The unit chart's figure (unit_chart.js chartFigure): tokens numbered for people on the x axis (1..T),
// the hover's title "token 3 of 4", the selected step's line at its number.
import assert from "node:assert/strict";
import { test } from "node:test";

import { chartFigure } from "../../static/js/unit_chart.js";

test("x counts tokens from 1, the hover says 'token n of T', the selected step sits on its token", () => {
  const labels = ["Today", ",", "I", "<b>"];
  const series = { f: [0.1, 0.2, 0.3, 0.4], c: [1, -2, 3, 0], h: [0, 0.1, 0.2, 0.3] };
  const { data, layout } = chartFigure(series, labels, 2, 800);
  for (const trace of data) assert.deepEqual(trace.x, [1, 2, 3, 4]);
  assert.equal(layout.xaxis.unifiedhovertitle.text, "token %{x} of 4");
  assert.deepEqual(layout.xaxis.range, [0.5, 4.5]);
  assert.deepEqual(layout.xaxis.tickvals, [1, 2, 3, 4]);
  assert.equal(layout.xaxis.ticktext[3], "&lt;b&gt;"); // escaped: Plotly reads labels as markup
  assert.equal(layout.shapes[0].x0, 3); // step 2 (0-based) is token 3
  assert.deepEqual(chartFigure(series, labels, null, 800).layout.shapes, []);
});
