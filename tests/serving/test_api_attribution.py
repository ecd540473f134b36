"""/api/attribution over real HTTP with the bundled models: the prediction it explains is /api/trace's, occlusion
equals two traces' difference, integrated gradients report their completeness error, "had" after "Last year …"
lights up "Last" or "year" on every bundled word model, every cell with every card option (a Keras import's hard σ,
a GRU with reset_after=False) is explained as the analysis function explains it, and bad requests get 4xx messages
saying what to change. (The methods' maths against finite differences: tests/analysis/test_attribution.py.)"""

from __future__ import annotations

import math

import httpx
import numpy as np
import pytest

from app.analysis import attribution as attr
from app.corpora.lecture import TENSE_PAST
from app.model_store import load_model
from app.serving.app import create_app
from app.serving.config import Settings
from tests.helpers import TEXT, cell_variants, variant_id
from tests.servers import serve

WORD_MODELS = ("lesson", "lesson-gru", "lesson-rnn")
UNKNOWN_WORD = "qzxvq"  # outside every bundled vocabulary: traced as the unknown token


@pytest.fixture(scope="module")
def http():
    with serve(create_app(Settings())) as base, httpx.Client(base_url=base, timeout=60) as client:
        yield client


def before_had(text: str = TENSE_PAST) -> tuple[list[str], int]:
    words = text.replace(",", " ,").replace(".", " .").split()
    return words, words.index("had") - 1


def trace_predictions(http, model: str, text: str) -> list[list[dict]]:
    answer = http.get("/api/trace", params={"model": model, "text": text, "top_k": 50, "quantities": "h"})
    assert answer.status_code == 200, answer.text
    return answer.json()["predictions"]


@pytest.mark.parametrize("model", WORD_MODELS)
def test_the_default_target_is_the_traces_likeliest_and_its_probability(http, model):
    _, step = before_had()
    got = http.get("/api/attribution", params={"model": model, "text": TENSE_PAST, "step": step})
    assert got.status_code == 200, got.text
    body = got.json()
    top = trace_predictions(http, model, TENSE_PAST)[step][0]
    assert body["target"]["token"] == top["token"]
    assert body["prob"] == pytest.approx(top["prob"], rel=1e-4)  # float64 here, the engine's float32 there
    assert body["value"] == pytest.approx(math.log(body["prob"]))
    assert len(body["scores"]) == len(body["tokens"]) == step + 1
    assert [t["text"] for t in body["tokens"]][:2] == ["Last", "year"]


def test_occlusion_is_two_traces_difference(http):
    words, step = before_had()
    body = http.get("/api/attribution", params={"model": "lesson", "text": TENSE_PAST, "step": step,
                                                 "target": "had", "method": "occlusion"}).json()
    whole = {p["token"]: p["prob"] for p in trace_predictions(http, "lesson", TENSE_PAST)[step]}
    checked = 0
    for t in (0, 1, step - 1):
        occluded = " ".join(UNKNOWN_WORD if n == t else w for n, w in enumerate(words))
        probs = {p["token"]: p["prob"] for p in trace_predictions(http, "lesson", occluded)[step]}
        if "had" in probs:  # within the top 50 of the occluded text
            assert body["scores"][t] == pytest.approx(math.log(whole["had"]) - math.log(probs["had"]), abs=1e-3)
            checked += 1
    assert checked >= 2


def test_integrated_gradients_report_their_completeness(http):
    _, step = before_had()
    body = http.post("/api/attribution", json={"model": "lesson", "text": TENSE_PAST, "step": step, "target": "had",
                                               "method": "integrated_gradients", "m": 64}).json()
    assert body["m"] == 64
    gap = abs(sum(body["scores"]) - (body["value"] - body["baseline"]))
    assert body["completeness_error"] == pytest.approx(gap, abs=1e-9)
    assert body["completeness_error"] < 0.05 * abs(body["value"] - body["baseline"])


@pytest.mark.parametrize("model", WORD_MODELS)
def test_why_had_lights_up_last_year(http, model):
    """The lecture's question: after "Last year, due to …, I", why "had"? Besides "I" just before it, the
    words that carry the tense are among the four that pushed it most."""
    _, step = before_had()
    body = http.get("/api/attribution", params={"model": model, "text": TENSE_PAST, "step": step, "target": "had",
                                                 "method": "occlusion"}).json()
    top = [body["tokens"][k]["text"] for k in np.argsort(body["scores"])[::-1][:4]]
    assert {"Last", "year"} & set(top), top


def test_get_and_post_agree_and_every_method_answers(http):
    _, step = before_had()
    for method in ("grad_input", "integrated_gradients", "occlusion", "connectivity"):
        query = {"model": "lesson-gru", "text": TENSE_PAST, "step": step, "target": "Had", "method": method, "m": 8}
        got, posted = http.get("/api/attribution", params=query), http.post("/api/attribution", json=query)
        assert got.status_code == posted.status_code == 200, (got.text, posted.text)
        assert got.json() == posted.json()
        assert got.json()["target"] == {"token": "had", "id": got.json()["target"]["id"]}  # the vocabulary's case
    scores = http.get("/api/attribution", params={**query, "method": "connectivity"}).json()["scores"]
    assert min(scores) >= 0  # a squared norm


@pytest.fixture(scope="module")
def cell_http(cell_models):
    app = create_app(Settings(models_dir=cell_models, bundled_models=False, default_model="lstm"))
    with serve(app) as base, httpx.Client(base_url=base, timeout=60) as client:
        yield client


@pytest.mark.parametrize("model", [variant_id(*v) for v in cell_variants()])
def test_every_cell_and_option_is_explained_as_the_analysis_explains_it(cell_http, cell_models, model):
    """A hard σ, reset_after=False, …: a 200 with finite scores, grad_input's those of the analysis function run
    on the model file directly, and every method answers."""
    step, target = 9, "a"
    got = cell_http.get("/api/attribution", params={"model": model, "text": TEXT, "step": step, "target": target})
    assert got.status_code == 200, got.text
    body = got.json()
    loaded = load_model(cell_models / f"{model}.safetensors")
    ids = np.array([t.id for t in loaded.tokenizer.tokenize(TEXT)])[: step + 1]
    direct = attr.grad_input(attr.network(loaded.spec, loaded.params), ids, loaded.tokenizer.index[target])
    assert np.all(np.isfinite(body["scores"])) and len(body["scores"]) == step + 1
    np.testing.assert_allclose(body["scores"], direct.scores, rtol=1e-12, atol=1e-15)
    assert body["value"] == pytest.approx(direct.value, abs=1e-12)
    for method in ("integrated_gradients", "occlusion", "connectivity"):
        other = cell_http.get("/api/attribution", params={"model": model, "text": TEXT, "step": step,
                                                          "target": target, "method": method, "m": 8})
        assert other.status_code == 200, other.text
        assert np.all(np.isfinite(other.json()["scores"]))


@pytest.mark.parametrize(("query", "status", "says"), [
    ({"model": "nope"}, 404, "lesson"),
    ({"step": 99}, 422, "use 0 to"),
    ({"target": "zebraish"}, 422, "not in the vocabulary"),
    ({"method": "saliency"}, 422, "grad_input"),
    ({"method": "integrated_gradients", "m": 0}, 422, "m"),
    ({"method": "integrated_gradients", "m": 65}, 422, "m"),
    ({"text": ""}, 422, "no tokens"),
    ({"text": " ".join(["and"] * 1_500), "step": 1_400, "method": "occlusion"}, 422, "choose a step from 0 to"),
    ({"salt": "not-hex"}, 422, "salt"),
])
def test_bad_requests_say_what_to_change(http, query, status, says):
    answer = http.get("/api/attribution", params={"model": "lesson", "text": TENSE_PAST, **query})
    assert answer.status_code == status, answer.text
    assert says in str(answer.json()["detail"])
