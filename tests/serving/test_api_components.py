"""/api/components over real HTTP on the bundled lesson models: the answer's shape and bounds, its numbers against
app.analysis.components on the engine's own trace and against /api/trace's memory, the error it reports against
one recomputed from its own numbers (full=true), the cost budget, and what is refused."""

from __future__ import annotations

import httpx
import numpy as np
import pytest

from app.analysis.components import components as factor
from app.analysis.components import cost, relative_error, sign_split
from app.corpora.lecture import TENSE_PAST
from app.engine.cells import forward
from app.model_store import load_model
from app.resources import resource_dir
from app.serving.app import create_app
from app.serving.components import BUDGET, check_cost, max_tokens
from app.serving.config import Settings
from app.serving.service import InputError
from tests.servers import serve

MODELS = resource_dir("models")
# The relative error ‖X − W·Hc‖/‖X‖ of k = 4 on the lecture sentence (20 tokens), and a bound a little above it.
# An LSTM's c is structured (it grows as the sentence goes on): 0.162; h of a GRU or an RNN is not: 0.499, 0.537.
ERROR_BOUNDS = {"lesson": ("lstm", "c", 0.17), "lesson-gru": ("gru", "h", 0.51), "lesson-rnn": ("rnn", "h", 0.55)}


@pytest.fixture(scope="module")
def app():
    return create_app(Settings())


def engine_memory(model_id: str, text: str, quantity: str, layer: int = 0) -> np.ndarray:
    """The layer's quantity (T, H) as the engine computes it, from the model file (no server)."""
    model = load_model(MODELS / f"{model_id}.safetensors")
    trace = forward(model.compiled, np.array([t.id for t in model.tokenizer.tokenize(text)]))
    return trace.layers[layer][quantity]


@pytest.mark.parametrize("model_id", sorted(ERROR_BOUNDS))
def test_shapes_and_bounds_on_the_lecture_sentence(http, model_id):
    cell, memory, bound = ERROR_BOUNDS[model_id]
    r = http.get("/api/components", params={"model": model_id, "text": TENSE_PAST})
    assert r.status_code == 200, r.text
    body = r.json()
    H = 100 if model_id == "lesson-rnn" else 64
    T = len(body["tokens"])
    assert (body["model"], body["cell"], body["layer"], body["quantity"], body["memory"], body["k"]) == \
        (model_id, cell, 0, memory, memory, 4)
    assert body["hidden_size"] == H and T == 20 and body["method"] == "hals"
    assert [t["text"] for t in body["tokens"][:3]] == ["Last", "year", ","]
    assert len(body["components"]) == 4
    shares = [c["share"] for c in body["components"]]
    assert shares == sorted(shares, reverse=True) and sum(shares) == pytest.approx(1, abs=1e-12)
    assert all(s > 0.1 for s in shares)  # four components that each carry a part, none empty
    for c in body["components"]:
        activation = np.array(c["activation"])
        assert activation.shape == (T,) and np.all(activation >= 0) and activation.max() > 0
        assert 1 <= len(c["top_units"]) <= 5 and "loadings" not in c
        loadings = [u["loading"] for u in c["top_units"]]
        assert loadings == sorted(loadings, reverse=True) and all(0 < v <= 1 for v in loadings)
        assert all(0 <= u["unit"] < H and u["sign"] in ("+", "-") for u in c["top_units"])
        assert len(c["peaks"]) == 3
        for peak in c["peaks"]:
            assert peak["text"] == body["tokens"][peak["step"]]["text"]
            assert peak["activation"] == activation[peak["step"]]
        assert [p["step"] for p in c["peaks"]] == list(np.argsort(-activation, kind="stable")[:3])
    assert 0 < body["reconstruction_error"] <= bound
    assert 1 <= body["iterations"] <= 200


def test_the_numbers_are_those_of_the_pure_function_on_the_engines_trace(http):
    for model_id, quantity in (("lesson", "c"), ("lesson", "h"), ("lesson-gru", "h")):
        body = http.get("/api/components", params={"model": model_id, "text": TENSE_PAST, "quantity": quantity,
                                                   "k": 3}).json()
        found = factor(engine_memory(model_id, TENSE_PAST, quantity), 3)
        np.testing.assert_array_equal(np.array([c["activation"] for c in body["components"]]).T, found.W)
        assert [c["share"] for c in body["components"]] == found.share.tolist()
        assert (body["reconstruction_error"], body["iterations"]) == (found.error, found.iterations)


def test_the_reported_error_is_recomputed_from_the_answer_and_trace(http):
    """With full=true the loadings come too: W·Hc from the answer against X = [c⁺ | c⁻] from /api/trace's c."""
    for k in (1, 4, 10):
        body = http.post("/api/components", json={"model": "lesson", "text": TENSE_PAST, "k": k,
                                                  "full": True}).json()
        c = np.array(http.get("/api/trace", params={"model": "lesson", "text": TENSE_PAST, "quantities": "c",
                                                    "top_k": 0}).json()["layers"][0]["c"], dtype=np.float32)
        W = np.array([comp["activation"] for comp in body["components"]]).T  # (T, k)
        Hc = np.array([comp["loadings"]["positive"] + comp["loadings"]["negative"] for comp in body["components"]])
        assert W.shape == (20, k) and Hc.shape == (k, 128) and np.all(Hc >= 0)
        np.testing.assert_allclose(np.linalg.norm(Hc, axis=1), 1, rtol=1e-12)
        X = sign_split(c)
        by_hand = np.linalg.norm(X - W @ Hc) / np.linalg.norm(X)
        assert body["reconstruction_error"] == pytest.approx(by_hand, rel=1e-12)
        assert by_hand == pytest.approx(relative_error(X, W, Hc), rel=1e-12)
        top = body["components"][0]["top_units"][0]  # the largest loading, where the full loadings say
        side = "positive" if top["sign"] == "+" else "negative"
        assert body["components"][0]["loadings"][side][top["unit"]] == top["loading"] == Hc[0].max()
    errors = [http.get("/api/components", params={"model": "lesson", "text": TENSE_PAST, "k": k}).json()
              ["reconstruction_error"] for k in (1, 4, 10)]
    assert errors[0] > errors[1] > errors[2]  # more components, a closer reconstruction (0.29, 0.16, 0.09)


def test_the_same_request_gives_the_same_answer_and_post_equals_get(http):
    params = {"model": "lesson", "text": TENSE_PAST, "k": 5, "quantity": "h"}
    first, second = http.get("/api/components", params=params), http.get("/api/components", params=params)
    posted = http.post("/api/components", json=params)
    salted = http.get("/api/components", params={**params, "salt": "0123456789abcdef0123456789abcdef"})
    assert first.status_code == 200 and first.content == second.content == posted.content == salted.content


def test_a_layer_above_the_first_answers_with_its_own_memory(cell_models):
    """A random char LSTM of two layers of 8 units (conftest's `cell_models`): layer 1's c, not layer 0's."""
    text = "a cab, a bad cab."
    with serve(create_app(Settings(models_dir=cell_models, bundled_models=False))) as base:
        body = httpx.get(f"{base}/api/components", params={"model": "lstm", "text": text, "layer": 1, "k": 2},
                         timeout=30).json()
        refused = httpx.get(f"{base}/api/components", params={"model": "lstm", "text": text, "k": 10, "layer": 2},
                            timeout=30).json()
    model = load_model(cell_models / "lstm.safetensors")
    trace = forward(model.compiled, np.array([t.id for t in model.tokenizer.tokenize(text)]))
    found = factor(trace.layers[1].c, 2)
    assert body["layer"] == 1 and body["hidden_size"] == 8
    np.testing.assert_array_equal(np.array([c["activation"] for c in body["components"]]).T, found.W)
    assert not np.array_equal(found.W, factor(trace.layers[0].c, 2).W)
    assert refused["detail"] == "layer 2 is out of range: model 'lstm' has layers 0 to 1"


def test_the_budget_fits_the_bundled_models_and_refuses_above_it(app, http):
    lesson, rnn = load_model(MODELS / "lesson.safetensors"), load_model(MODELS / "lesson-rnn.safetensors")
    shakespeare = load_model(MODELS / "shakespeare.safetensors")
    for model in (lesson, rnn):  # H ≤ 100: any k up to 10 at max_tokens = 2,000
        check_cost(model, 2000, 10)
    check_cost(shakespeare, 2000, 2)  # H = 256: 2,000 tokens fit k ≤ 2
    with pytest.raises(InputError, match="use k ≤ 2 or a text of at most 1[0-9]{3} tokens"):
        check_cost(shakespeare, 2000, 3)
    longest = max_tokens(512, 10)  # the most tokens of an H = 256 model at k = 10: 604
    assert cost(longest, 512, 10) <= BUDGET < cost(longest + 1, 512, 10) and 500 < longest < 1000
    assert max_tokens(128, 10) > 2000
    # Over HTTP: refused before anything is traced, with what fits.
    cache = app.state.trace_cache
    before = cache.computed
    text = "To be, or not to be, that is the question. " * 47  # 2,021 characters: 2,000 tokens of a char model
    r = http.post("/api/components", json={"model": "shakespeare", "text": text[:2000], "k": 10})
    assert r.status_code == 422
    detail = r.json()["detail"]
    assert "k = 10 components of 2000 tokens of model 'shakespeare' (2·H = 512 columns)" in detail
    assert f"above the budget of {BUDGET:.0e}: use k ≤ 2 or a text of at most {max_tokens(512, 10)} tokens" in detail
    assert cache.computed == before


@pytest.mark.parametrize(("params", "status", "message"), [
    ({"model": "nope"}, 404, "unknown model 'nope'; choose one of:"),
    ({"layer": 1}, 422, "layer 1 is out of range: model 'lesson' has layers 0 to 0"),
    ({"layer": -1}, 422, "layer -1 is out of range"),
    ({"layer": 10**30}, 422, "has layers 0 to 0"),
    ({"quantity": "f"}, 422, "quantity 'f' is not a state of model 'lesson', an LSTM: choose c or h (default c, "
                             "its memory)"),
    ({"model": "lesson-gru", "quantity": "c"}, 422, "quantity 'c' is not a state of model 'lesson-gru', a GRU: "
                                                     "choose h (default h, its memory)"),
    ({"model": "lesson-rnn", "quantity": "a"}, 422, "a vanilla RNN: choose h"),
    ({"quantity": "x" * 100}, 422, "quantity 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…' is not a state"),
    ({"k": 0}, 422, "k = 0 is out of range: use 1 to 10 components (default 4)"),
    ({"k": 11}, 422, "k = 11 is out of range: use 1 to 10"),
    ({"k": 10**30}, 422, "is out of range: use 1 to 10"),
    ({"k": "x"}, 422, "k: Input should be a valid integer"),
    ({"text": "Today, I"}, 422, "the text has 3 tokens for model 'lesson', fewer than k = 4 components: send a "
                                "longer text or use k ≤ 3"),
    ({"text": ""}, 422, "the text has 0 tokens for model 'lesson', fewer than k = 4 components: send a longer text"),
    ({"full": "maybe"}, 422, "full: Input should be a valid boolean"),
    ({"top_k": 3}, 422, "top_k: unknown field; remove it"),
    ({"salt": "x"}, 422, "salt: String should match pattern"),
])
def test_bad_requests_say_what_to_change(http, params, status, message):
    r = http.get("/api/components", params={"model": "lesson", "text": TENSE_PAST, **params})
    assert r.status_code == status and message in r.json()["detail"], r.json()


def test_too_long_texts_repeated_parameters_and_bodies_that_are_not_json_are_refused(small):
    r = small.get("/api/components", params={"model": "lesson", "text": "need " * 21})
    assert r.status_code == 413 and "max_tokens = 20" in r.json()["detail"]
    r = small.post("/api/components", json={"model": "lesson", "text": "x" * 201})
    assert r.status_code == 413 and "max_chars = 200" in r.json()["detail"]
    r = small.get("/api/components?model=lesson&text=a+b+c+d&k=1&k=2")
    assert r.status_code == 422 and "k given more than once" in r.json()["detail"]
    r = small.post("/api/components", json={"model": "lesson", "text": "a b c d", "k": "2"})
    assert r.status_code == 422 and "k: Input should be a valid integer" in r.json()["detail"]
    r = small.post("/api/components", content=b"model=lesson", headers={"content-type": "text/plain"})
    assert r.status_code == 415 and "application/json" in r.json()["detail"]
    r = small.post("/api/components", json={"model": "lesson", "text": "a b c d", "k": 2})
    assert r.status_code == 200 and len(r.json()["components"]) == 2


def test_the_operations_are_documented(http):
    paths = http.get("/openapi.json").json()["paths"]
    operations = paths["/api/components"]
    assert set(operations) == {"get", "post"}
    assert {"200", "400", "404", "413", "422"} <= set(operations["get"]["responses"])
    assert "415" in operations["post"]["responses"]
    names = {p["name"] for p in operations["get"]["parameters"]}
    assert names == {"model", "text", "layer", "quantity", "k", "full", "salt"}
