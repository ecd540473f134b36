"""The JSON API for a vanilla RNN model (lesson-rnn) over real HTTP, checked against the engine run directly."""

import base64
import json

import httpx
import numpy as np
import pytest

from app.corpora.lecture import TENSE_PAST, TENSE_PRESENT
from app.engine.lstm import logits, softmax
from app.engine.rnn import forward
from app.model_store import load_model
from app.resources import resource_dir
from app.serving.app import create_app
from app.serving.config import Settings
from tests.servers import serve


@pytest.fixture(scope="module")
def http():
    with serve(create_app(Settings())) as base, httpx.Client(base_url=base, timeout=30) as client:
        yield client


@pytest.fixture(scope="module")
def rnn():
    return load_model(resource_dir("models") / "lesson-rnn.safetensors")


def test_models_say_which_cell_and_quantities_each_model_has(http, rnn):
    r = http.get("/api/models")
    assert r.status_code == 200
    entries = {m["id"]: m for m in r.json()["models"]}
    entry = entries["lesson-rnn"]
    assert entry["cell"] == "rnn" and entry["quantities"] == ["h", "a"]
    assert (entry["num_layers"], entry["hidden_size"], entry["vocab_size"]) == (1, 100, len(rnn.tokenizer.vocab))
    assert entry["version"] == rnn.version and TENSE_PRESENT in entry["examples"]
    assert entries["lesson"]["cell"] == "lstm"
    assert entries["lesson"]["quantities"] == ["i", "f", "g", "o", "c", "h", "kept", "forgotten", "written"]


def test_the_card_of_an_rnn_model_is_served_whole(http, rnn):
    r = http.get("/api/models/lesson-rnn")
    assert r.status_code == 200
    body = r.json()
    assert body["cell"] == "rnn" and body["nonlinearity"] == "tanh" and body["version"] == rnn.version
    assert body["evaluation"]["memory_span"]["distances"] == [0, 1, 2, 3, 4, *range(5, 101, 5)]


def test_trace_returns_h_and_a_exactly_as_the_engine(http, rnn):
    r = http.get("/api/trace", params={"model": "lesson-rnn", "text": TENSE_PAST, "top_k": 3})
    assert r.status_code == 200
    body = r.json()
    tokens = rnn.tokenizer.tokenize(TENSE_PAST)
    assert [t["text"] for t in body["tokens"]] == [t.text for t in tokens]
    trace = forward(rnn.compiled, np.array([t.id for t in tokens]))
    assert body["version"] == rnn.version and len(body["layers"]) == 1
    assert list(body["layers"][0]) == ["h", "a"]  # the RNN's own default quantities
    for q in ("h", "a"):
        got = np.array(body["layers"][0][q], dtype=np.float32)
        assert got.shape == (len(tokens), 100)
        assert np.array_equal(got, trace.layers[0][q]), q
    np.testing.assert_array_equal(np.tanh(np.array(body["layers"][0]["a"], np.float32)),
                                  np.array(body["layers"][0]["h"], np.float32))
    probs = softmax(logits(rnn.params, trace.layers[0].h))
    for t, preds in enumerate(body["predictions"]):
        expected = np.argsort(-probs[t], kind="stable")[:3]
        assert [p["token"] for p in preds] == [rnn.tokenizer.vocab[j] for j in expected]
    verb = [t["text"] for t in body["tokens"]].index("had")
    assert body["predictions"][verb - 1][0]["token"] == "had"  # the RNN carried the opener to the verb


def test_post_get_and_compact_encoding_agree(http):
    params = {"model": "lesson-rnn", "text": TENSE_PRESENT, "quantities": "a"}
    got = http.get("/api/trace", params=params)
    assert got.status_code == 200 and got.content == http.post("/api/trace", json=params).content
    assert list(got.json()["layers"][0]) == ["a"]
    compact = http.get("/api/trace", params={**params, "encoding": "f4"}).json()["layers"][0]["a"]
    T = len(got.json()["tokens"])
    assert compact["dtype"] == "f4" and compact["shape"] == f"{T},100"
    decoded = np.frombuffer(base64.b64decode(compact["bdata"]), "<f4").reshape(T, 100)
    assert np.array_equal(decoded, np.array(got.json()["layers"][0]["a"], np.float32))


@pytest.mark.parametrize("model, quantities, message", [
    ("lesson-rnn", "c,f", "quantities ['c', 'f'] belong to an LSTM; model 'lesson-rnn' is a vanilla RNN: "
                          "choose from h, a"),
    ("lesson-rnn", "h,written", "quantities ['written'] belong to an LSTM; model 'lesson-rnn' is a vanilla RNN"),
    ("lesson-rnn", "h,zz", "unknown quantities ['zz']; choose from h, a"),
    ("lesson-rnn", " , ", "quantities is empty: choose from h, a"),
    ("lesson", "h,a", "quantities ['a'] belong to a vanilla RNN; model 'lesson' is an LSTM: choose from i, f, g"),
])
def test_quantities_the_cell_does_not_have_are_a_422_naming_what_it_has(http, model, quantities, message):
    for r in (http.get("/api/trace", params={"model": model, "text": "I need", "quantities": quantities}),
              http.post("/api/trace", json={"model": model, "text": "I need", "quantities": quantities})):
        assert r.status_code == 422, r.text
        assert message in r.json()["detail"], r.json()["detail"]


def test_step_detail_of_an_rnn_splits_its_preactivation(http, rnn):
    text, t = TENSE_PRESENT, 4
    r = http.get("/api/step", params={"model": "lesson-rnn", "text": text, "step": t})
    assert r.status_code == 200
    body = r.json()
    assert body["cell"] == "rnn" and body["nonlinearity"] == "tanh" and body["num_layers"] == 1
    assert set(body) >= {"model", "version", "step", "layer", "num_steps", "token", "h_prev", "gates", "h"}
    assert "c" not in body and "c_prev" not in body and "recurrent_activation" not in body
    assert list(body["gates"]) == ["h"]
    tokens = rnn.tokenizer.tokenize(text)
    trace = forward(rnn.compiled, np.array([tok.id for tok in tokens]))
    np.testing.assert_array_equal(np.array(body["h_prev"], np.float32), trace.layers[0].h[t - 1])
    np.testing.assert_array_equal(np.array(body["h"], np.float32), trace.layers[0].h[t])
    layer = rnn.params.layers[0]
    parts = body["gates"]["h"]
    np.testing.assert_allclose(parts["input"], layer.W_ih @ rnn.params.embedding[tokens[t].id], atol=1e-5)
    np.testing.assert_allclose(parts["recurrent"], layer.W_hh @ trace.layers[0].h[t - 1], atol=1e-5)
    np.testing.assert_allclose(parts["bias"], layer.b_ih + layer.b_hh, atol=1e-7)
    pre = np.array(parts["preactivation"])
    np.testing.assert_allclose(pre, np.add(parts["input"], parts["recurrent"]) + parts["bias"], atol=1e-6)
    np.testing.assert_allclose(pre, trace.layers[0].a[t], atol=1e-5)
    np.testing.assert_array_equal(np.array(parts["value"], np.float32), trace.layers[0].h[t])
    np.testing.assert_allclose(parts["value"], np.tanh(pre), atol=1e-6)


def test_step_detail_of_an_rnn_by_post_and_at_step_zero(http):
    params = {"model": "lesson-rnn", "text": TENSE_PAST, "step": 0, "layer": 0}
    got, posted = http.get("/api/step", params=params), http.post("/api/step", json=params)
    assert got.status_code == posted.status_code == 200 and got.content == posted.content
    assert got.json()["h_prev"] == [0.0] * 100  # the zero state
    r = http.get("/api/step", params={**params, "step": 99})
    assert r.status_code == 422 and "step 99 is out of range" in r.json()["detail"]
    r = http.get("/api/step", params={**params, "layer": 1})
    assert r.status_code == 422 and "layer 1 is out of range" in r.json()["detail"]


def test_an_empty_text_traces_to_zero_steps(http):
    r = http.get("/api/trace", params={"model": "lesson-rnn", "text": ""})
    assert r.status_code == 200 and r.json()["layers"][0] == {"h": [], "a": []} and r.json()["predictions"] == []


def test_the_cli_traces_an_rnn_model(capsys):
    from app.cli import main

    assert main(["trace", "Today , I need", "--model", "lesson-rnn", "--top-k", "1"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert list(out["layers"][0]) == ["h", "a"] and out["model"] == "lesson-rnn"
    assert main(["trace", "Today", "--model", "lesson-rnn", "--format", "csv", "--quantities", "a"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "layer,step,token,unit,a" and len(lines) == 1 + 100
    assert main(["trace", "Today", "--model", "lesson-rnn", "--quantities", "o"]) == 2
    assert "choose from h, a" in capsys.readouterr().err


def test_the_service_refuses_lstm_quantities_for_an_rnn_trace(rnn):
    from app.engine.lstm import QUANTITIES
    from app.serving.service import InputError, parse_quantities, run_trace, trace_payload

    result = run_trace(rnn, TENSE_PRESENT, Settings())
    with pytest.raises(InputError, match=r"belong to an LSTM; model 'lesson-rnn' is a vanilla RNN: choose from h, a"):
        trace_payload(result, 0, QUANTITIES, "json")
    assert parse_quantities(None, rnn) == ("h", "a") and parse_quantities("a,h", rnn) == ("h", "a")
    assert parse_quantities(None) == QUANTITIES  # without a model: the LSTM's, as before
