"""app.notebook: the API's record in a notebook for every cell, Plotly figures of every quantity a cell offers, JSON
and CSV like the API and the CLI."""

import csv
import io
import json
import subprocess
import sys

import httpx
import numpy as np
import pytest

from app.cli import main
from app.engine.cells import CELLS
from app.model_store import ModelError
from app.notebook import load_model
from app.serving.app import create_app
from app.serving.config import Settings
from tests.helpers import TEXT as CELL_TEXT
from tests.helpers import cell_variants, variant_id, write_cell_model
from tests.servers import serve

TEXT = "Last year, I had to take a loan. The loan"


@pytest.fixture(scope="module")
def lesson():
    return load_model("lesson")


@pytest.fixture(scope="module")
def traced(lesson):
    return lesson.trace(TEXT)


def test_the_record_is_the_apis_number_for_number(traced):
    with serve(create_app(Settings())) as base:
        r = httpx.get(f"{base}/api/trace", timeout=30, params={"model": "lesson", "text": TEXT, "top_k": 5,
                                             "quantities": "i,f,g,o,c,h,kept,forgotten,written"})
    assert r.status_code == 200
    api = r.json()
    assert traced.tokens == api["tokens"]
    assert traced.predictions == api["predictions"]
    assert traced.record["version"] == api["version"]
    for mine, theirs in zip(traced.layers, api["layers"], strict=True):
        assert list(mine) == list(theirs)
        for q, a in mine.items():
            assert a.dtype == np.float32
            np.testing.assert_array_equal(a, np.array(theirs[q], dtype=np.float32), err_msg=q)


def test_trace_holds_every_quantity_by_default_and_fewer_on_request(lesson, traced):
    assert list(traced.layers[0]) == ["i", "f", "g", "o", "c", "h", "kept", "forgotten", "written"]
    assert traced.layers[0]["c"].shape == (len(traced.tokens), 64)
    assert list(lesson.trace("a loan", quantities="c,h").layers[0]) == ["c", "h"]
    assert "64 units" in repr(traced) and "lesson" in repr(lesson)


def test_figure_is_a_heatmap_with_tokens_across_and_units_down(traced):
    fig = traced.figure("c", layer=0)
    heatmap = fig.data[0]
    assert heatmap.type == "heatmap"
    assert np.asarray(heatmap.z).shape == (64, len(traced.tokens))
    np.testing.assert_array_equal(np.asarray(heatmap.z), traced.layers[0]["c"].T)
    assert heatmap.zmid == 0 and heatmap.zmin == -heatmap.zmax  # signed: diverging, centred on 0
    assert list(fig.layout.xaxis.ticktext) == [t["text"] for t in traced.tokens]
    assert "cell state" in fig.layout.title.text
    gate = traced.figure("f").data[0]
    assert (gate.zmin, gate.zmax) == (0, 1) and gate.zmid is None


def test_figure_refuses_what_the_trace_does_not_hold(traced):
    with pytest.raises(ValueError, match="layer 3 is out of range"):
        traced.figure("c", layer=3)
    with pytest.raises(ValueError, match="'x' is not in this trace"):
        traced.figure("x")


def test_to_json_is_the_record(traced):
    data = json.loads(traced.to_json())
    assert data["tokens"] == traced.tokens
    np.testing.assert_array_equal(np.array(data["layers"][0]["f"], np.float32), traced.layers[0]["f"])


def test_to_csv_is_what_the_cli_writes(lesson, capsys):
    record = lesson.trace(TEXT, quantities="f,c,kept")
    assert main(["trace", TEXT, "--model", "lesson", "--format", "csv", "--quantities", "f,c,kept"]) == 0
    assert record.to_csv() == capsys.readouterr().out
    rows = list(csv.reader(io.StringIO(record.to_csv())))
    assert rows[0] == ["layer", "step", "token", "unit", "f", "c", "kept"]
    assert len(rows) == 1 + len(record.tokens) * 64


@pytest.mark.parametrize("cell", list(CELLS))
def test_a_model_file_loads_by_path_and_without_a_decoder_has_no_predictions(tmp_path, cell):
    path = write_cell_model(tmp_path, "enc", cell, decoder=False)
    model = load_model(path)
    trace = model.trace("abc de!")
    assert trace.predictions is None and len(trace.layers) == 2
    assert load_model("enc", models_dir=tmp_path).version == model.version


VARIANTS = [pytest.param(variant_id(*v), id=variant_id(*v)) for v in cell_variants()]


@pytest.mark.parametrize("model_id", VARIANTS)
def test_every_cell_traces_everything_it_offers_and_draws_each(cell_models, model_id):
    model = load_model(cell_models / f"{model_id}.safetensors")
    cell = model.model.spec
    trace = model.trace(CELL_TEXT)
    assert list(trace.layers[0]) == list(cell.offered) and len(trace.layers) == 2
    T = len(trace.tokens)
    assert all(a.shape == (T, 8) and a.dtype == np.float32 for a in trace.layers[1].values())
    assert f"{model_id}: {T} tokens" in repr(trace)
    subset = ",".join(reversed(cell.quantities[:2]))  # any order in, the cell's order out
    assert list(model.trace(CELL_TEXT, quantities=subset).layers[0]) == list(cell.quantities[:2])
    for q in cell.offered:
        fig = trace.figure(q, layer=1)
        heatmap, panel = fig.data[0], cell.panels[q]
        assert heatmap.type == "heatmap"
        np.testing.assert_array_equal(np.asarray(heatmap.z), trace.layers[1][q].T)  # units down, tokens across
        if panel["scale"] == "gate":
            assert (heatmap.zmin, heatmap.zmax) == (0, 1) and heatmap.zmid is None, q
        else:
            assert heatmap.zmid == 0 and heatmap.zmin == -heatmap.zmax, q
            if panel["scale"] == "tanh":
                assert heatmap.zmax == 1, q
        assert panel["title"] in fig.layout.title.text and model_id in fig.layout.title.text
    left_out = next((q for q in cell.offered if q not in cell.quantities[:2]), "zz")
    with pytest.raises(ValueError, match=f"'{left_out}' is not in this trace"):
        model.trace(CELL_TEXT, quantities=subset).figure(left_out)


def test_the_rnns_quantities_by_name():
    rnn = load_model("lesson-rnn")
    assert list(rnn.trace("Today , I need").layers[0]) == ["h", "a"]
    assert list(rnn.trace("Today , I need", quantities="h,a").layers[0]) == ["h", "a"]
    assert list(rnn.trace("Today , I need", quantities="a").layers[0]) == ["a"]
    with pytest.raises(Exception, match="belong to an LSTM"):
        rnn.trace("Today", quantities="c")


def test_an_unknown_model_names_the_known_ones():
    with pytest.raises(ModelError, match="no model 'nope'.*lesson"):
        load_model("nope")


def test_importing_the_notebook_api_loads_no_plotly_and_no_web_framework():
    code = ("import sys, app.notebook\n"
            "print(sorted(m for m in ('plotly', 'fastapi', 'starlette', 'uvicorn') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
