"""The JSON API for every cell of the registry and every card option, over real HTTP, checked against the engine
run directly on the same model file: /api/models, /api/trace (every quantity, the ledger, encodings, an extended
text), /api/step, /api/retention, and the quantities of other cells refused naming what the model has.

The models are tests/conftest.py's `cell_models` (small random char models, ids from tests.helpers.variant_id); the
bundled vanilla RNN `lesson-rnn` gets its own checks at the end.
"""

from __future__ import annotations

import base64

import httpx
import numpy as np
import pytest

from app.corpora.lecture import TENSE_PAST, TENSE_PRESENT
from app.engine.cells import CELLS
from app.engine.lstm import logits, softmax
from app.model_store import Model, load_model
from app.resources import resource_dir
from app.serving.app import create_app
from app.serving.config import Settings
from tests.helpers import TEXT, cell_variants, variant_id
from tests.servers import serve

VARIANTS = [pytest.param(variant_id(*v), id=variant_id(*v)) for v in cell_variants()]
ACTIVATIONS = {
    "sigmoid": lambda x: 1 / (1 + np.exp(-x)),
    "hard_sigmoid": lambda x: np.clip(x / 6 + 0.5, 0, 1),
    "hard_sigmoid_keras2": lambda x: np.clip(0.2 * x + 0.5, 0, 1),
    "tanh": np.tanh,
}


@pytest.fixture(scope="module")
def http(cell_models):
    app = create_app(Settings(models_dir=cell_models, bundled_models=False, default_model="lstm"))
    with serve(app) as base, httpx.Client(base_url=base, timeout=30) as client:
        yield client


def f32(rows) -> np.ndarray:
    return np.array(rows, dtype=np.float32)


def engine(cell_models, model_id: str, text: str = TEXT):
    """The model file loaded directly, its token ids and the engine's trace of `text` (no server)."""
    model = load_model(cell_models / f"{model_id}.safetensors")
    ids = np.array([t.id for t in model.tokenizer.tokenize(text)])
    return model, ids, model.spec.forward(model.compiled, ids)


def test_every_cell_and_option_is_served(http):
    r = http.get("/api/models")
    assert r.status_code == 200
    assert [m["id"] for m in r.json()["models"]][0] == "lstm"  # the default first
    assert {m["id"] for m in r.json()["models"]} == {variant_id(*v) for v in cell_variants()}
    assert {m["cell"] for m in r.json()["models"]} == set(CELLS)


@pytest.mark.parametrize("model_id", VARIANTS)
def test_models_describe_the_cell_from_the_registry(http, cell_models, model_id):
    model: Model = load_model(cell_models / f"{model_id}.safetensors")
    cell = model.spec
    entry = next(m for m in http.get("/api/models").json()["models"] if m["id"] == model_id)
    assert entry["cell"] == cell.name and entry["quantities"] == list(cell.offered) and entry["memory"] == cell.memory
    assert (entry["num_layers"], entry["hidden_size"], entry["vocab_size"]) == (2, 8, len(model.tokenizer.vocab))
    spec = entry["cell_spec"]
    assert (spec["name"], spec["title"], spec["article"]) == (cell.name, cell.title, cell.article)
    assert spec["quantities"] == list(cell.offered) and set(spec["panels"]) == set(cell.offered)
    assert spec["gates"] == list(cell.gates) and spec["states"] == list(cell.states)
    assert spec["activations"] == cell.activations(model.params)
    assert [v["id"] for v in spec["views"]] == list(cell.views)
    assert all(set(v["panels"]) <= set(cell.offered) for v in spec["views"])
    card = http.get(f"/api/models/{model_id}").json()
    assert card["cell"] == cell.name and {k: card[k] for k in cell.options} == cell.options_of(model.params)


@pytest.mark.parametrize("model_id", VARIANTS)
def test_trace_returns_every_quantity_exactly_as_the_engine(http, cell_models, model_id):
    model, ids, trace = engine(cell_models, model_id)
    cell = model.spec
    # A prefix first: the server's trace cache then extends it; the bits are the whole text's.
    assert http.get("/api/trace", params={"model": model_id, "text": TEXT[:9]}).status_code == 200
    body = http.get("/api/trace", params={"model": model_id, "text": TEXT, "top_k": 3}).json()
    assert [t["id"] for t in body["tokens"]] == ids.tolist() and body["version"] == model.version
    assert len(body["layers"]) == 2
    for k, layer in enumerate(body["layers"]):
        assert list(layer) == list(cell.quantities)  # the cell's own default quantities
        for q in cell.quantities:
            assert np.array_equal(f32(layer[q]), trace.layers[k][q]), (k, q)
    probs = softmax(logits(model.params, trace.layers[-1].h))
    for t, preds in enumerate(body["predictions"]):
        expected = np.argsort(-probs[t], kind="stable")[:3]
        assert [p["token"] for p in preds] == [model.tokenizer.vocab[j] for j in expected]
        assert [p["prob"] for p in preds] == pytest.approx(probs[t, expected], rel=1e-12)


@pytest.mark.parametrize("model_id", VARIANTS)
def test_every_offered_quantity_and_the_ledger(http, cell_models, model_id):
    model, ids, trace = engine(cell_models, model_id)
    cell = model.spec
    wanted = ",".join(reversed(cell.offered))  # any order in, the cell's order out
    body = http.get("/api/trace", params={"model": model_id, "text": TEXT, "quantities": wanted}).json()
    for k, layer in enumerate(body["layers"]):
        assert list(layer) == list(cell.offered)
        book = cell.ledger(trace.layers[k], trace.initial, k) if cell.ledger is not None else {}
        for q in cell.offered:
            want = book[q] if q in book else trace.layers[k][q]
            assert np.array_equal(f32(layer[q]), want.astype(np.float32)), (k, q)
        if book:  # the memory's ledger adds up: kept + written is the memory
            np.testing.assert_allclose(f32(layer["kept"]) + f32(layer["written"]), f32(layer[cell.memory]), atol=1e-6)


@pytest.mark.parametrize("model_id", VARIANTS)
def test_post_get_and_compact_encodings_agree(http, model_id):
    params = {"model": model_id, "text": TEXT}
    got = http.get("/api/trace", params=params)
    assert got.status_code == 200 and got.content == http.post("/api/trace", json=params).content
    T = len(got.json()["tokens"])
    for encoding in ("f4", "u1"):
        compact = http.get("/api/trace", params={**params, "encoding": encoding}).json()
        for q, spec in compact["layers"][1].items():
            exact = f32(got.json()["layers"][1][q])
            assert spec["dtype"] == encoding and spec["shape"] == f"{T},8"
            raw = np.frombuffer(base64.b64decode(spec["bdata"]), dtype="<f4" if encoding == "f4" else np.uint8)
            if encoding == "f4":
                assert np.array_equal(raw.reshape(T, 8), exact), q
            else:
                decoded = spec["lo"] + raw.reshape(T, 8) * (spec["hi"] - spec["lo"]) / 255
                assert np.abs(decoded - exact).max() <= (spec["hi"] - spec["lo"]) / 510 + 1e-6, q


@pytest.mark.parametrize("model_id", VARIANTS)
def test_an_empty_text_traces_to_zero_steps(http, cell_models, model_id):
    cell = load_model(cell_models / f"{model_id}.safetensors").spec
    body = http.get("/api/trace", params={"model": model_id, "text": ""}).json()
    assert body["tokens"] == [] and body["predictions"] == []
    assert body["layers"] == [{q: [] for q in cell.quantities}] * 2


@pytest.mark.parametrize("model_id", VARIANTS)
def test_step_detail_explains_the_recorded_numbers(http, cell_models, model_id):
    model, ids, trace = engine(cell_models, model_id)
    cell = model.spec
    for k, t in ((0, 0), (0, 5), (1, 9)):
        body = http.get("/api/step", params={"model": model_id, "text": TEXT, "step": t, "layer": k}).json()
        assert (body["cell"], body["step"], body["layer"]) == (cell.name, t, k)
        assert (body["num_steps"], body["num_layers"]) == (len(ids), 2) and body["token"]["id"] == ids[t]
        assert {key: body[key] for key in cell.options} == cell.options_of(model.params)
        assert not {key for c in CELLS.values() for key in c.options} - set(cell.options) & set(body)
        assert body["activations"] == cell.activations(model.params)
        for s in cell.states:  # each state before and after the step, from the trace
            before = trace.initial.__dict__[s][k] if t == 0 else trace.layers[k][s][t - 1]
            assert np.array_equal(f32(body[f"{s}_prev"]), before) and np.array_equal(f32(body[s]),
                                                                                     trace.layers[k][s][t]), s
        assert not {f"{s}_prev" for c in CELLS.values() for s in c.states} - {f"{s}_prev" for s in cell.states} \
            & set(body)
        assert set(body["gates"]) == set(cell.gates)
        for gate, parts in body["gates"].items():
            pre = f32(parts["preactivation"])
            np.testing.assert_allclose(pre, f32(parts["input"]) + f32(parts["recurrent"]) + f32(parts["bias"]),
                                       atol=1e-6)
            assert np.array_equal(f32(parts["value"]), trace.layers[k][gate][t]), gate
            np.testing.assert_allclose(ACTIVATIONS[body["activations"][gate]](pre.astype(np.float64)),
                                       f32(parts["value"]), atol=2e-6, err_msg=gate)
        detail = cell.step_detail(model.params, trace, ids, k, t)
        values = cell.step_values(detail, trace.layers[k], k, t)
        assert set(body["values"]) == set(values)
        for name, a in values.items():
            assert np.array_equal(f32(body["values"][name]), a.astype(np.float32)), name
        if {"kept", "written"} <= set(values):  # the ledger of the step adds up to the memory after it
            np.testing.assert_allclose(f32(body["values"]["kept"]) + f32(body["values"]["written"]),
                                       f32(body[cell.memory]), atol=1e-6)


@pytest.mark.parametrize("model_id", VARIANTS)
def test_step_detail_by_post_and_its_refusals(http, model_id):
    params = {"model": model_id, "text": TEXT, "step": 3, "layer": 1}
    got, posted = http.get("/api/step", params=params), http.post("/api/step", json=params)
    assert got.status_code == posted.status_code == 200 and got.content == posted.content
    for changes, message in (({"step": 99}, "step 99 is out of range"), ({"layer": 2}, "layer 2 is out of range"),
                             ({"text": ""}, "the text has no tokens")):
        r = http.get("/api/step", params={**params, **changes})
        assert r.status_code == 422 and message in r.json()["detail"]


@pytest.mark.parametrize("model_id", VARIANTS)
def test_retention_is_the_cells_own_on_the_engines_trace(http, cell_models, model_id):
    model, ids, trace = engine(cell_models, model_id)
    cell = model.spec
    for k, s in ((0, 0), (1, 4)):
        body = http.get("/api/retention", params={"model": model_id, "text": TEXT, "step": s, "layer": k}).json()
        W = len(ids) - 1 - s
        assert (body["cell"], body["memory"], body["layer"], body["window"]) == (cell.name, cell.memory, k, W)
        assert body["steps"] == list(range(s + 1, len(ids))) and body["token"]["id"] == ids[s]
        assert {key: body[key] for key in cell.options} == cell.options_of(model.params)
        want_h, want_m = cell.jacobian_norms(model.params, trace, k, s, W)
        np.testing.assert_array_equal(body["jacobian_norm"], want_h)
        np.testing.assert_array_equal(body["memory_jacobian_norm"], want_m)
        if cell.keep is None:
            assert "kept" not in body and "written" not in body
        else:
            for name, a in cell.keep(trace.layers[k], s, W).items():
                assert np.array_equal(f32(body[name]), a), name
    posted = {"model": model_id, "text": TEXT, "step": 2, "window": 3}
    assert http.post("/api/retention", json=posted).content == http.get("/api/retention", params=posted).content


@pytest.mark.parametrize("model_id", VARIANTS)
def test_quantities_of_other_cells_are_a_422_naming_what_the_model_has(http, cell_models, model_id):
    cell = load_model(cell_models / f"{model_id}.safetensors").spec
    offered = ", ".join(cell.offered)
    for other in CELLS.values():
        foreign = [q for q in other.offered if q not in cell.offered]
        if not foreign:
            continue
        owners = [c for c in CELLS.values() if c is not cell and all(q in c.offered for q in foreign)]
        message = (f"quantities {foreign} belong to {' or '.join(c.article for c in owners)}; model {model_id!r} is "
                   f"{cell.article}: choose from {offered}")
        for r in (http.get("/api/trace", params={"model": model_id, "text": "ab", "quantities": ",".join(foreign)}),
                  http.post("/api/trace", json={"model": model_id, "text": "ab", "quantities": ",".join(foreign)})):
            assert r.status_code == 422 and message in r.json()["detail"], r.json()["detail"]
    for quantities, message in (("h,zz", f"unknown quantities ['zz']; choose from {offered}"),
                                (" , ", f"quantities is empty: choose from {offered}")):
        r = http.get("/api/trace", params={"model": model_id, "text": "ab", "quantities": quantities})
        assert r.status_code == 422 and message in r.json()["detail"], r.json()["detail"]


# ---- The bundled vanilla RNN. ----

@pytest.fixture(scope="module")
def bundled():
    with serve(create_app(Settings())) as base, httpx.Client(base_url=base, timeout=30) as client:
        yield client


@pytest.fixture(scope="module")
def lesson_rnn():
    return load_model(resource_dir("models") / "lesson-rnn.safetensors")


def test_the_card_of_the_bundled_rnn_is_served_whole(bundled, lesson_rnn):
    body = bundled.get("/api/models/lesson-rnn").json()
    assert body["cell"] == "rnn" and body["nonlinearity"] == "tanh" and body["version"] == lesson_rnn.version
    assert body["evaluation"]["memory_span"]["distances"] == [0, 1, 2, 3, 4, *range(5, 101, 5)]
    entry = next(m for m in bundled.get("/api/models").json()["models"] if m["id"] == "lesson-rnn")
    assert (entry["num_layers"], entry["hidden_size"]) == (1, 100) and TENSE_PRESENT in entry["examples"]


def test_the_bundled_rnn_carries_the_opener_to_the_verb(bundled):
    body = bundled.get("/api/trace", params={"model": "lesson-rnn", "text": TENSE_PAST, "top_k": 3}).json()
    verb = [t["text"] for t in body["tokens"]].index("had")
    assert body["predictions"][verb - 1][0]["token"] == "had"
    np.testing.assert_array_equal(np.tanh(f32(body["layers"][0]["a"])), f32(body["layers"][0]["h"]))


@pytest.mark.parametrize("model, quantities, message", [
    ("lesson-rnn", "c,f", "quantities ['c', 'f'] belong to an LSTM; model 'lesson-rnn' is a vanilla RNN: "
                          "choose from h, a"),
    ("lesson-rnn", "h,written", "quantities ['written'] belong to an LSTM or a GRU; model 'lesson-rnn' is a vanilla "
                                "RNN"),
    ("lesson-rnn", "z,n", "quantities ['z', 'n'] belong to a GRU; model 'lesson-rnn' is a vanilla RNN"),
    ("lesson", "h,a", "quantities ['a'] belong to a vanilla RNN; model 'lesson' is an LSTM: choose from i, f, g"),
])
def test_the_bundled_models_name_the_cells_that_have_a_quantity(bundled, model, quantities, message):
    r = bundled.get("/api/trace", params={"model": model, "text": "I need", "quantities": quantities})
    assert r.status_code == 422 and message in r.json()["detail"], r.json()["detail"]
