// The cells as the server describes them (GET /api/models `cell_spec`), for the page's Node tests:
// fixtures/cells.json, kept equal to the server's by tests/test_js_cell_fixture.py.
import { readFileSync } from "node:fs";

/** {lstm, rnn, gru}: each cell's spec with its default options. */
export const CELLS = JSON.parse(readFileSync(new URL("./fixtures/cells.json", import.meta.url), "utf8"));
export const { lstm: LSTM, rnn: RNN, gru: GRU } = CELLS;
