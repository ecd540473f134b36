"""/api/saturation over real HTTP: every fraction equals the count made here from /api/trace's own gates (f4 and
json), for an LSTM (`lesson`), a GRU (`lesson-gru`), a second layer and a hard σ that reaches 0 and 1; a vanilla
RNN (`lesson-rnn`) answered 200 with no gates and a note; GET equals POST; the trace cache is used; and bad input
is refused with a 4xx that says what to change."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np
import pytest

from app.corpora.lecture import CUISINE_TWO, TENSE_PRESENT
from app.serving.app import create_app
from app.serving.config import Settings
from app.serving.saturation import SaturationResponse
from tests.helpers import TEXT, write_cell_model

SALT = "0123456789abcdef0123456789abcdef"


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    """Two random two-layer char models: an LSTM, and an LSTM with Keras 2's hard σ and steep weights (its gates
    reach 0 and 1 exactly)."""
    folder = tmp_path_factory.mktemp("models")
    write_cell_model(folder, "deep", "lstm", seed=1, H=8, L=2)
    write_cell_model(folder, "hard", "lstm", seed=2, H=8, L=2, scale=2.0, recurrent_activation="hard_sigmoid_keras2")
    return folder


@pytest.fixture(scope="module")
def app(folder):
    return create_app(Settings(models_dir=folder))


def decode(spec: dict) -> np.ndarray:
    T, H = (int(n) for n in spec["shape"].split(","))
    return np.frombuffer(base64.b64decode(spec["bdata"]), dtype="<f4").reshape(T, H)


def traced_gates(http, model: str, text: str, gates: str, encoding: str, layer: int = 0) -> dict[str, np.ndarray]:
    r = http.get("/api/trace", params={"model": model, "text": text, "quantities": gates, "top_k": 0,
                                       "encoding": encoding, "layer": layer})
    assert r.status_code == 200, r.text
    arrays = r.json()["layers"][layer]
    return {g: decode(a) if encoding == "f4" else np.array(a, np.float32) for g, a in arrays.items()}


def expected(values: np.ndarray, threshold: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """Counted here: steps strictly below threshold, strictly above 1 − threshold, over the steps."""
    T = len(values)
    left = np.count_nonzero(values < threshold, axis=0) / T
    right = np.count_nonzero(values > round(1 - threshold, 12), axis=0) / T
    return left, right


def assert_matches(body: dict, gates: dict[str, np.ndarray], threshold: float = 0.1) -> None:
    assert list(body["gates"]) == list(gates)
    for g, values in gates.items():
        left, right = expected(values, threshold)
        entry = body["gates"][g]
        np.testing.assert_array_equal(entry["left"], left, err_msg=g)
        np.testing.assert_array_equal(entry["right"], right, err_msg=g)
        assert entry["mostly_left"] == np.sum(left > 0.5) and entry["mostly_right"] == np.sum(right > 0.5), g
        assert entry["neither"] == values.shape[1] - entry["mostly_left"] - entry["mostly_right"]
        assert entry["mean_left"] == pytest.approx(left.mean()) and entry["mean_right"] == pytest.approx(right.mean())
        assert f"{entry['mostly_right']} of {values.shape[1]} units" in entry["summary"]
        assert entry["summary"].startswith(f"{entry['title']} {g}: ")
    SaturationResponse.model_validate(body)  # the documented schema


@pytest.mark.parametrize(("model", "gates", "encoding"), [("lesson", "i,f,o", "f4"), ("lesson-gru", "r,z", "json")])
def test_fractions_are_the_counts_of_the_traced_gates(http, model, gates, encoding):
    r = http.get("/api/saturation", params={"model": model, "text": CUISINE_TWO})
    assert r.status_code == 200, r.text
    body = r.json()
    traced = traced_gates(http, model, CUISINE_TWO, gates, encoding)
    T, H = next(iter(traced.values())).shape
    assert (body["model"], body["layer"], body["num_steps"], body["hidden_size"]) == (model, 0, T, H) and T > 30
    assert body["cell"] == {"lesson": "lstm", "lesson-gru": "gru"}[model]
    assert (body["threshold"], body["thresholds"], body["mostly"]) == (0.1, {"left": 0.1, "right": 0.9}, 0.5)
    assert_matches(body, traced)
    # not vacuous: the trained gates saturate both ways somewhere
    assert any(np.any(body["gates"][g]["left"]) for g in traced) and any(np.any(body["gates"][g]["right"])
                                                                         for g in traced)


def test_a_threshold_moves_both_limits(http):
    r = http.get("/api/saturation", params={"model": "lesson", "text": TENSE_PRESENT, "threshold": 0.3})
    body = r.json()
    assert r.status_code == 200 and body["thresholds"] == {"left": 0.3, "right": 0.7}
    traced = traced_gates(http, "lesson", TENSE_PRESENT, "i,f,o", "f4")
    assert_matches(body, traced, 0.3)
    default = http.get("/api/saturation", params={"model": "lesson", "text": TENSE_PRESENT}).json()
    assert default["gates"]["f"]["right"] != body["gates"]["f"]["right"]


def test_a_vanilla_rnn_has_no_gates_and_says_so(http):
    r = http.get("/api/saturation", params={"model": "lesson-rnn", "text": TENSE_PRESENT})
    assert r.status_code == 200
    body = r.json()
    T = len(http.get("/api/trace", params={"model": "lesson-rnn", "text": TENSE_PRESENT, "top_k": 0}).json()["tokens"])
    assert body["gates"] == {} and body["cell"] == "rnn" and body["num_steps"] == T == 19
    assert "no gates" in body["note"] and "vanilla RNN" in body["note"]
    SaturationResponse.model_validate(body)


def test_no_note_when_there_are_gates(http):
    assert "note" not in http.get("/api/saturation", params={"model": "lesson", "text": TENSE_PRESENT}).json()


def test_another_layer_is_that_layers_gates(http):
    body = http.get("/api/saturation", params={"model": "deep", "text": TEXT, "layer": 1}).json()
    assert body["layer"] == 1
    assert_matches(body, traced_gates(http, "deep", TEXT, "i,f,o", "f4", layer=1))
    layer0 = http.get("/api/saturation", params={"model": "deep", "text": TEXT, "layer": 0}).json()
    assert layer0["gates"] != body["gates"]


def test_a_hard_sigmoid_gate_at_exactly_0_or_1_is_saturated(http):
    body = http.get("/api/saturation", params={"model": "hard", "text": TEXT}).json()
    assert body["recurrent_activation"] == "hard_sigmoid_keras2"
    traced = traced_gates(http, "hard", TEXT, "i,f,o", "json")
    assert any(np.any(v == 0) for v in traced.values()) and any(np.any(v == 1) for v in traced.values())
    assert_matches(body, traced)


def test_post_equals_get(http):
    params = {"model": "lesson-gru", "text": TENSE_PRESENT, "layer": 0, "threshold": 0.2}
    got, posted = http.get("/api/saturation", params=params), http.post("/api/saturation", json=params)
    assert got.status_code == posted.status_code == 200 and got.content == posted.content


def test_a_salted_request_traces_once_and_reuses_the_cache(app, http):
    cache = app.state.trace_cache
    text = "Last month, for a reason nobody could guess, I had to sell my old car."
    before = cache.computed
    first = http.get("/api/saturation", params={"model": "lesson", "text": text, "salt": SALT})
    T = first.json()["num_steps"]
    assert first.status_code == 200 and cache.computed - before == T
    again = http.get("/api/saturation", params={"model": "lesson", "text": text, "salt": SALT})
    assert again.content == first.content and cache.computed - before == T


def test_the_schema_states_the_limits(app):
    params = {p["name"]: p["schema"] for p in app.openapi()["paths"]["/api/saturation"]["get"]["parameters"]}
    assert (params["threshold"]["minimum"], params["threshold"]["maximum"], params["threshold"]["default"]) == (
        0.01, 0.49, 0.1)
    assert params["layer"]["minimum"] == 0 and set(params) == {"model", "text", "layer", "threshold", "salt"}


@pytest.mark.parametrize(("params", "status", "message"), [
    ({"model": "nope"}, 404, "unknown model 'nope'; choose one of:"),
    ({"layer": 1}, 422, "layer 1 is out of range: model 'lesson' has layers 0 to 0"),
    ({"layer": -1}, 422, "layer -1 is out of range"),
    ({"layer": 10**30}, 422, "has layers 0 to 0"),
    ({"layer": "x"}, 422, "layer: Input should be a valid integer"),
    ({"text": ""}, 422, "the text has no tokens: send a text with some"),
    ({"text": "   "}, 422, "the text has no tokens"),
    ({"model": "lesson-rnn", "text": ""}, 422, "the text has no tokens"),
    ({"threshold": 0.5}, 422, "threshold 0.5 is out of range: use 0.01 to 0.49"),
    ({"threshold": 0.005}, 422, "threshold 0.005 is out of range: use 0.01 to 0.49"),
    ({"threshold": "nan"}, 422, "threshold nan is out of range"),
    ({"threshold": "inf"}, 422, "threshold inf is out of range"),
    ({"threshold": "x"}, 422, "threshold: Input should be a valid number"),
    ({"salt": "abc"}, 422, "salt: String should match pattern"),
    ({"step": 3}, 422, "step: unknown field; remove it"),
])
def test_bad_requests_say_what_to_change(http, params, status, message):
    r = http.get("/api/saturation", params={"model": "lesson", "text": TENSE_PRESENT, **params})
    assert r.status_code == status and message in r.json()["detail"], r.json()


def test_a_lone_surrogate_is_refused(http):
    body = json.dumps({"model": "lesson", "text": "a\ud800b"})  # escaped: the body itself is valid UTF-8
    r = http.post("/api/saturation", content=body.encode(), headers={"content-type": "application/json"})
    assert r.status_code == 422 and "lone surrogate" in r.json()["detail"], r.json()


def test_bad_bodies_and_limits_are_refused(small):
    r = small.get("/api/saturation", params={"model": "lesson", "text": "need " * 21})
    assert r.status_code == 413 and "max_tokens = 20" in r.json()["detail"]
    r = small.post("/api/saturation", json={"model": "lesson", "text": "x" * 201})
    assert r.status_code == 413 and "max_chars = 200" in r.json()["detail"]
    r = small.get("/api/saturation?model=lesson&text=a+b&layer=0&layer=1")
    assert r.status_code == 422 and "layer given more than once" in r.json()["detail"]
    r = small.post("/api/saturation", json={"model": "lesson", "text": "a b", "threshold": "0.1"})
    assert r.status_code == 422 and "threshold" in r.json()["detail"]  # JSON has types: a string is no number
    r = small.post("/api/saturation", content=b'{"model": "lesson", "text": "a b"}',
                   headers={"content-type": "text/plain"})
    assert r.status_code == 415 and "Content-Type: application/json" in r.json()["detail"]
    r = small.post("/api/saturation", content=b'{"model": "lesson",', headers={"content-type": "application/json"})
    assert r.status_code == 400 and "not valid JSON" in r.json()["detail"]
    r = small.post("/api/saturation", json={"model": "lesson", "text": "a b", "threshold": 0.25})
    assert r.status_code == 200 and r.json()["thresholds"] == {"left": 0.25, "right": 0.75}
