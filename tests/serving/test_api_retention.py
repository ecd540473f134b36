"""/api/retention over real HTTP: ∏f and what step s wrote against /api/trace's own gates, the Jacobian
norms against app.engine.lstm and app.engine.rnn on the engine's trace, the window rule, and what is refused."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np
import pytest

from app.corpora.lecture import CUISINE_TWO, TENSE_PRESENT
from app.engine.cells import forward
from app.engine.lstm import LayerWeights, LSTMParams, lstm_jacobian_norms
from app.engine.rnn import rnn_jacobian_norms
from app.engine.tokenizer import Tokenizer
from app.model_store import load_model, write_model
from app.resources import resource_dir
from app.serving.app import create_app
from app.serving.config import Settings
from app.serving.retention import MAX_WINDOW, MIN_WINDOW, max_window
from tests.helpers import random_params

MODELS = resource_dir("models")


def card(model_id: str) -> dict:
    return json.loads((MODELS / f"{model_id}.json").read_text(encoding="utf-8"))
HARD = "hard_sigmoid_keras2"
HARD_TEXT = "a cab, a bad cab."


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    """`hard`: a random two-layer char LSTM with Keras 2's hard σ, weights steep enough that gates clip."""
    folder = tmp_path_factory.mktemp("models")
    vocab = ("?", *sorted(set("abcdefghijklmnopqrstuvwxyz ,.")))
    card = {"id": "hard", "title": "Hard σ (random)", "description": "Keras 2's hard sigmoid", "cell": "lstm",
            "recurrent_activation": HARD, "tokenizer": Tokenizer("char", vocab, "?").to_card()}
    p = random_params(np.random.default_rng(3), V=len(vocab), E=6, H=12, L=2)
    layers = tuple(LayerWeights(*(4 * w for w in (lw.W_ih, lw.W_hh, lw.b_ih, lw.b_hh))) for lw in p.layers)
    write_model(folder, card, LSTMParams(layers, p.vocab_size, p.embedding, p.W_dec, p.b_dec, HARD))
    return folder


@pytest.fixture(scope="module")
def app(folder):
    return create_app(Settings(models_dir=folder))


def f32(rows) -> np.ndarray:
    return np.array(rows, dtype=np.float32)


def engine(path: Path, text: str):
    """The model file loaded directly and its trace of text, computed by the engine (no server)."""
    model = load_model(path)
    return model, forward(model.compiled, np.array([t.id for t in model.tokenizer.tokenize(text)]))


def test_kept_is_the_product_of_the_forget_gates_from_the_trace(http):
    text, s = TENSE_PRESENT, 2
    r = http.get("/api/retention", params={"model": "lesson", "text": text, "step": s})
    assert r.status_code == 200
    body = r.json()
    gates = http.get("/api/trace", params={"model": "lesson", "text": text, "top_k": 0}).json()["layers"][0]
    f, i, g = f32(gates["f"]), f32(gates["i"]), f32(gates["g"])
    T = len(f)
    assert (body["cell"], body["step"], body["window"], body["num_steps"]) == ("lstm", s, T - 1 - s, T)
    assert body["steps"] == list(range(s + 1, T)) and body["token"]["text"] == "due"
    kept = f32(body["kept"])
    assert kept.shape == (T - 1 - s, 64)
    expected = np.ones(64, np.float32)
    for n, t in enumerate(range(s + 1, T)):  # ∏_{k=s+1..t} f_k, one factor at a time, in float32
        expected = expected * f[t]
        assert np.array_equal(kept[n], expected), t
    written = f32(body["written"])
    assert np.array_equal(written, (i[s] * g[s])[None, :] * kept)  # i_s ⊙ g_s ⊙ ∏f, the same float32 bits
    assert np.all((kept >= 0) & (kept <= 1))


def test_f4_encoding_carries_the_same_numbers(http):
    params = {"model": "lesson", "text": TENSE_PRESENT, "step": 4, "window": 6}
    exact = http.get("/api/retention", params=params).json()
    compact = http.get("/api/retention", params={**params, "encoding": "f4"}).json()
    assert compact["encoding"] == "f4" and compact["jacobian_norm"] == exact["jacobian_norm"]
    for q in ("kept", "written"):
        spec = compact[q]
        assert spec["dtype"] == "f4" and spec["shape"] == "6,64"
        decoded = np.frombuffer(base64.b64decode(spec["bdata"]), dtype="<f4").reshape(6, 64)
        assert np.array_equal(decoded, f32(exact[q]))


def test_post_equals_get(http):
    params = {"model": "lesson-rnn", "text": TENSE_PRESENT, "step": 3, "layer": 0, "window": 5}
    got, posted = http.get("/api/retention", params=params), http.post("/api/retention", json=params)
    assert got.status_code == posted.status_code == 200 and got.content == posted.content


def test_jacobian_norms_equal_app_retention_on_the_engines_trace(http):
    s = 5
    for model_id in ("lesson", "lesson-rnn"):
        body = http.get("/api/retention", params={"model": model_id, "text": CUISINE_TWO, "step": s}).json()
        model, trace = engine(MODELS / f"{model_id}.safetensors", CUISINE_TWO)
        layer, W_hh, W = trace.layers[0], model.params.layers[0].W_hh, body["window"]
        assert W == trace.num_steps - 1 - s
        if model_id == "lesson":
            want_h, want_c = lstm_jacobian_norms(W_hh, layer.i, layer.f, layer.g, layer.o, layer.c,
                                                 trace.initial.c[0], s, W)
            assert body["memory"] == "c" and body["recurrent_activation"] == "sigmoid"
        else:
            want_h = want_c = rnn_jacobian_norms(W_hh, layer.h, s, W)
            assert body["memory"] == "h" and "recurrent_activation" not in body
            assert "kept" not in body and "written" not in body  # an RNN has no forget gate
        got_h, got_c = np.array(body["jacobian_norm"]), np.array(body["memory_jacobian_norm"])
        assert np.all(np.isfinite(got_h)) and np.all(got_h > 0) and np.all(np.isfinite(got_c)) and np.all(got_c > 0)
        np.testing.assert_array_equal(got_h, want_h)
        np.testing.assert_array_equal(got_c, want_c)
        assert "note" not in body


def test_the_tense_unit_keeps_its_memory_while_the_rnns_fades(http):
    """The tour's claim in numbers, on the lesson sentence from "Today": the LSTM's tense unit (the card's
    first) keeps about 0.8 of its memory up to "need" while most units keep under a tenth; ‖∂c_t/∂c_s‖ ends
    about where it started, while the RNN's ‖∂h_t/∂h_s‖ falls below 1 %. (The LSTM's own ‖∂h_t/∂h_s‖ fades
    to about a quarter: h is a gated read-out.)"""
    unit = next(u["unit"] for u in card("lesson")["notable_units"] if u["carries"] == "tense")
    lstm = http.get("/api/retention", params={"model": "lesson", "text": TENSE_PRESENT, "step": 0}).json()
    rnn = http.get("/api/retention", params={"model": "lesson-rnn", "text": TENSE_PRESENT, "step": 0}).json()
    kept = f32(lstm["kept"])[lstm["steps"].index(13)]  # token 13 is "need"
    assert 0.7 < kept[unit] < 0.9 and np.mean(kept < 0.1) > 0.5
    m_lstm, m_rnn = np.array(lstm["memory_jacobian_norm"]), np.array(rnn["memory_jacobian_norm"])
    h_lstm = np.array(lstm["jacobian_norm"])
    assert 0.8 < m_lstm[-1] / m_lstm[0] < 1.5 and m_rnn[-1] / m_rnn[0] < 0.01
    assert 0.1 < h_lstm[-1] / h_lstm[0] < 0.5


def test_a_hard_sigmoid_lstm_gets_its_own_derivative(http, folder):
    s = 3
    body = http.get("/api/retention", params={"model": "hard", "text": HARD_TEXT, "step": s, "layer": 1}).json()
    assert body["recurrent_activation"] == HARD and body["layer"] == 1
    model, trace = engine(folder / "hard.safetensors", HARD_TEXT)
    layer, W_hh, W = trace.layers[1], model.params.layers[1].W_hh, body["window"]
    assert np.mean((layer.f == 0) | (layer.f == 1)) > 0.05  # the hard σ clips: its derivative is 0 there
    args = (W_hh, layer.i, layer.f, layer.g, layer.o, layer.c, trace.initial.c[1], s, W)
    want_h, want_c = lstm_jacobian_norms(*args, HARD)
    np.testing.assert_array_equal(body["jacobian_norm"], want_h)
    np.testing.assert_array_equal(body["memory_jacobian_norm"], want_c)
    assert not np.allclose(want_h, lstm_jacobian_norms(*args)[0], rtol=1e-3)  # σ's derivative would be wrong
    assert np.all(np.isfinite(want_h))


def test_the_window_cap_follows_the_flop_budget(http):
    lesson, rnn = load_model(MODELS / "lesson.safetensors"), load_model(MODELS / "lesson-rnn.safetensors")
    shakespeare = load_model(MODELS / "shakespeare.safetensors")  # H = 256: 1e9 / (4·256³) ≈ 15, so the floor
    assert (max_window(lesson), max_window(rnn), max_window(shakespeare)) == (MAX_WINDOW, MAX_WINDOW, MIN_WINDOW)
    text = "To be, or not to be, that is the question: whether 'tis nobler in the mind to suffer"
    body = http.get("/api/retention", params={"model": "shakespeare", "text": text, "step": 0}).json()
    assert body["window"] == body["max_window"] == MIN_WINDOW and body["steps"] == list(range(1, 21))
    r = http.get("/api/retention", params={"model": "shakespeare", "text": text, "step": 0, "window": 21})
    assert r.status_code == 422 and "1 to 20" in r.json()["detail"] and "max_window = 20" in r.json()["detail"]


def test_only_the_steps_up_to_s_plus_window_are_traced(app, http):
    cache = app.state.trace_cache
    text = "Last month, for a reason nobody could guess, I had to sell my old car and my bike."
    before = cache.computed
    r = http.get("/api/retention", params={"model": "lesson", "text": text, "step": 2, "window": 3})
    assert r.status_code == 200 and r.json()["num_steps"] > 10
    assert cache.computed - before == 2 + 1 + 3


@pytest.mark.parametrize(("params", "status", "message"), [
    ({"step": 18}, 422, "step 18 is the text's last token: nothing comes after it"),
    ({"step": 19}, 422, "step 19 is out of range: the text has 19 tokens, so use 0 to 18"),
    ({"step": -1}, 422, "step -1 is out of range"),
    ({"step": 10**30}, 422, "so use 0 to 18"),
    ({"step": "x"}, 422, "step: Input should be a valid integer"),
    ({}, 422, "step: Field required"),
    ({"step": 0, "layer": 1}, 422, "layer 1 is out of range: model 'lesson' has layers 0 to 0"),
    ({"step": 0, "window": 401}, 422, "the window is 1 to 400 later steps"),
    ({"step": 0, "window": 0}, 422, "window 0 is out of range"),
    ({"step": 0, "window": 10**30}, 422, "(max_window = 400)"),
    ({"step": 0, "layer": 10**30}, 422, "has layers 0 to 0"),
    ({"step": 10, "window": 9}, 422, "after step 10 the text has 8 later steps; use a window of 1 to 8"),
    ({"step": 0, "encoding": "u1"}, 422, "encoding"),
    ({"step": 0, "top_k": 3}, 422, "top_k"),
    ({"model": "nope", "step": 0}, 404, "unknown model 'nope'"),
    ({"text": "", "step": 0}, 422, "the text has no tokens"),
    ({"text": "Today", "step": 0}, 422, "step 0 is the text's only token"),
])
def test_bad_requests_say_what_to_change(http, params, status, message):
    r = http.get("/api/retention", params={"model": "lesson", "text": TENSE_PRESENT, **params})
    assert r.status_code == status and message in str(r.json()["detail"]), r.json()


def test_too_long_text_and_a_repeated_parameter_are_refused(small):
    r = small.get("/api/retention", params={"model": "lesson", "text": "need " * 21, "step": 0})
    assert r.status_code == 413 and "max_tokens = 20" in r.json()["detail"]
    r = small.post("/api/retention", json={"model": "lesson", "text": "x" * 201, "step": 0})
    assert r.status_code == 413 and "max_chars = 200" in r.json()["detail"]
    r = small.get("/api/retention?model=lesson&text=a+b&step=0&step=1")
    assert r.status_code == 422 and "step given more than once" in r.json()["detail"]
    r = small.post("/api/retention", json={"model": "lesson", "text": "a b", "step": "0"})
    assert r.status_code == 422  # JSON has types: a string is not a step
