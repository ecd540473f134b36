"""The JSON API over real HTTP, checked against the engine run directly on the same model file."""

import base64
import json
import re
import shutil

import httpx
import numpy as np
import pytest

from app.corpora.lecture import TENSE_PAST, TENSE_PRESENT
from app.engine.lstm import QUANTITIES, forward, logits, softmax
from app.model_store import load_model, load_registry
from app.resources import resource_dir
from app.serving.app import create_app
from app.serving.config import Settings
from app.serving.service import model_summary
from tests.servers import serve

LIMITS = Settings(max_chars=200, max_tokens=20, max_top_k=7, max_body_bytes=2048)


@pytest.fixture(scope="module")
def http():
    with serve(create_app(Settings())) as base, httpx.Client(base_url=base, timeout=30) as client:
        yield client


@pytest.fixture(scope="module")
def small():
    with serve(create_app(LIMITS)) as base, httpx.Client(base_url=base, timeout=30) as client:
        yield client


@pytest.fixture(scope="module")
def untrained():
    return load_model(resource_dir("models") / "untrained.safetensors")


def test_healthz_is_ok_when_models_are_loaded(http):
    r = http.get("/healthz")
    assert r.status_code == 200
    assert r.json() == {"status": "ok", "models": len(list(resource_dir("models").glob("*.safetensors"))),
                        "refused": []}


def test_healthz_is_503_without_models():
    with serve(create_app(Settings(bundled_models=False))) as base:
        assert httpx.get(f"{base}/healthz").status_code == 503


def test_models_lists_the_bundled_model(http, untrained):
    r = http.get("/api/models")
    assert r.status_code == 200
    assert r.json()["models"][0]["id"] == "lesson"  # the default model comes first
    (entry,) = [m for m in r.json()["models"] if m["id"] == "untrained"]
    assert entry["id"] == "untrained" and entry["version"] == untrained.version
    assert (entry["num_layers"], entry["hidden_size"], entry["vocab_size"]) == (1, 32, len(untrained.tokenizer.vocab))
    assert entry["tokenizer"] == "word" and TENSE_PRESENT in entry["examples"]
    assert entry["unk_id"] == untrained.tokenizer.unk_id == 0


def test_model_card_includes_the_vocabulary(http, untrained):
    r = http.get("/api/models/untrained")
    assert r.status_code == 200
    assert r.json()["tokenizer"]["vocab"] == list(untrained.tokenizer.vocab)
    assert r.json()["version"] == untrained.version


def test_unknown_model_is_404_listing_the_ids(http):
    for r in (http.get("/api/models/nope"), http.get("/api/trace", params={"model": "nope", "text": "x"})):
        assert r.status_code == 404
        assert "unknown model 'nope'" in r.json()["detail"] and "untrained" in r.json()["detail"]


def test_trace_returns_exactly_the_engines_numbers(http, untrained):
    r = http.get("/api/trace", params={"model": "untrained", "text": TENSE_PAST, "top_k": 3})
    assert r.status_code == 200
    body = r.json()
    tokens = untrained.tokenizer.tokenize(TENSE_PAST)
    assert [t["text"] for t in body["tokens"]] == [t.text for t in tokens]
    assert [(t["id"], t["start"], t["end"]) for t in body["tokens"]] == [(t.id, t.start, t.end) for t in tokens]
    trace = forward(untrained.compiled, np.array([t.id for t in tokens]))
    assert body["version"] == untrained.version and len(body["layers"]) == 1
    for q in QUANTITIES:
        got = np.array(body["layers"][0][q], dtype=np.float32)
        assert got.shape == (len(tokens), 32)
        assert np.array_equal(got, trace.layers[0][q]), q  # full float32 precision survives JSON
    probs = softmax(logits(untrained.params, trace.layers[0].h))
    for t, preds in enumerate(body["predictions"]):
        assert len(preds) == 3
        expected = np.argsort(-probs[t], kind="stable")[:3]
        assert [p["token"] for p in preds] == [untrained.tokenizer.vocab[j] for j in expected]
        assert [p["prob"] for p in preds] == pytest.approx(probs[t, expected], rel=1e-12)


def test_post_and_get_give_the_same_body(http):
    params = {"model": "untrained", "text": TENSE_PRESENT, "top_k": 2}
    assert http.post("/api/trace", json=params).content == http.get("/api/trace", params=params).content


def test_compact_encoding_decodes_to_the_same_numbers(http):
    params = {"model": "untrained", "text": TENSE_PRESENT}
    exact = http.get("/api/trace", params=params).json()
    compact = http.get("/api/trace", params={**params, "encoding": "f4"}).json()
    assert compact["encoding"] == "f4"
    T = len(exact["tokens"])
    for q in QUANTITIES:
        spec = compact["layers"][0][q]
        assert spec["dtype"] == "f4" and spec["shape"] == f"{T},32"
        decoded = np.frombuffer(base64.b64decode(spec["bdata"]), dtype="<f4").reshape(T, 32)
        assert np.array_equal(decoded, np.array(exact["layers"][0][q], dtype=np.float32))


def test_ledger_quantities_follow_their_definition(http):
    r = http.get("/api/trace", params={"model": "untrained", "text": TENSE_PRESENT,
                                       "quantities": "written,f,kept,forgotten,c,i,g"})
    assert r.status_code == 200
    layer = {k: np.array(v, dtype=np.float64) for k, v in r.json()["layers"][0].items()}
    assert list(r.json()["layers"][0]) == ["i", "f", "g", "c", "kept", "forgotten", "written"]
    c_prev = np.vstack([np.zeros(32), layer["c"][:-1]])
    np.testing.assert_allclose(layer["kept"], layer["f"] * c_prev, atol=1e-7)
    np.testing.assert_allclose(layer["forgotten"], (1 - layer["f"]) * c_prev, atol=1e-7)
    np.testing.assert_allclose(layer["written"], layer["i"] * layer["g"], atol=1e-7)
    np.testing.assert_allclose(layer["kept"] + layer["written"], layer["c"], atol=1e-6)


def test_step_detail_parts_add_up_to_the_gates(http, untrained):
    text, t = TENSE_PRESENT, 4
    r = http.get("/api/step", params={"model": "untrained", "text": text, "step": t})
    assert r.status_code == 200
    body = r.json()
    tokens = untrained.tokenizer.tokenize(text)
    assert body["token"]["text"] == tokens[t].text and body["step"] == t and body["layer"] == 0
    trace = forward(untrained.compiled, np.array([tok.id for tok in tokens]))
    np.testing.assert_array_equal(np.array(body["h_prev"], np.float32), trace.layers[0].h[t - 1])
    np.testing.assert_array_equal(np.array(body["c_prev"], np.float32), trace.layers[0].c[t - 1])
    H = 32
    layer = untrained.params.layers[0]
    x = untrained.params.embedding[tokens[t].id]
    for n, gate in enumerate("ifgo"):
        parts = body["gates"][gate]
        rows = slice(n * H, (n + 1) * H)
        np.testing.assert_allclose(parts["input"], layer.W_ih[rows] @ x, atol=1e-6)
        np.testing.assert_allclose(parts["bias"], layer.b_ih[rows] + layer.b_hh[rows], atol=1e-7)
        pre = np.array(parts["preactivation"])
        np.testing.assert_allclose(pre, np.add(parts["input"], parts["recurrent"]) + parts["bias"], atol=1e-6)
        act = np.tanh(pre) if gate == "g" else 1 / (1 + np.exp(-pre))
        np.testing.assert_allclose(parts["value"], act, atol=1e-6)


@pytest.mark.parametrize("params, status, message", [
    ({"step": 99}, 422, "step 99 is out of range"),
    ({"step": 0, "layer": 1}, 422, "layer 1 is out of range"),
    ({"step": "x"}, 422, "step"),
])
def test_step_detail_refuses_out_of_range(http, params, status, message):
    r = http.get("/api/step", params={"model": "untrained", "text": "I need", **params})
    assert r.status_code == status and message in r.json()["detail"]


def test_empty_text_is_200_with_zero_steps(http):
    r = http.get("/api/trace", params={"model": "untrained", "text": ""})
    assert r.status_code == 200
    assert r.json()["tokens"] == [] and r.json()["predictions"] == [] and r.json()["layers"][0]["c"] == []


def test_unknown_words_get_the_unknown_id_and_keep_their_text(http, untrained):
    r = http.get("/api/trace", params={"model": "untrained", "text": "Zebras need 👍🏽"})
    assert r.status_code == 200
    tokens = r.json()["tokens"]
    assert [t["text"] for t in tokens] == ["Zebras", "need", "👍", "🏽"]
    assert tokens[0]["id"] == untrained.tokenizer.unk_id != tokens[1]["id"]
    assert [(t["start"], t["end"]) for t in tokens] == [(0, 6), (7, 11), (12, 13), (13, 14)]


@pytest.mark.parametrize("request_kwargs, status, message", [
    ({"params": {"model": "untrained", "text": "x" * 201}}, 413, "max_chars = 200"),
    ({"params": {"model": "untrained", "text": "a " * 21}}, 413, "max_tokens = 20"),
    ({"params": {"model": "untrained", "text": "x", "top_k": 8}}, 422, "max_top_k = 7"),
    ({"params": {"model": "untrained", "text": "x", "top_k": -1}}, 422, "top_k"),
    ({"json": {"model": "untrained", "text": "x" * 3000}}, 413, "max_body_bytes = 2048"),
    ({"content": b'{"model": "untrained", "text": "a\\ud800b"}'}, 422, "lone surrogate"),
    ({"content": b"[" * 1500}, 400, "not valid JSON"),
    ({"content": b'{"model": "untrained", "text": "x"'}, 400, "not valid JSON"),
    ({"content": b'["untrained", "x"]'}, 422, "not an object"),
    ({"json": {"model": "untrained"}}, 422, "text: Field required"),
    ({"json": {"model": "untrained", "text": 5}}, 422, "text: Input should be a valid string"),
    ({"json": {"model": "untrained", "text": "x", "colour": "red"}}, 422, "colour: unknown field"),
    ({"params": {"model": "untrained", "text": "x", "quantities": "c,zz"}}, 422, "unknown quantities ['zz']"),
    ({"params": {"model": "untrained", "text": "x", "encoding": "f16"}}, 422, "encoding: Input should be 'json'"),
])
def test_bad_input_gets_a_4xx_that_says_what_to_change(small, request_kwargs, status, message):
    if "params" in request_kwargs:
        r = small.get("/api/trace", **request_kwargs)
    else:
        r = small.post("/api/trace", headers={"content-type": "application/json"}, **request_kwargs)
    assert r.status_code == status, r.text
    assert message in r.json()["detail"]
    assert small.get("/healthz").status_code == 200


def test_every_response_carries_the_security_headers(http):
    for path in ("/", "/api/models", "/api/trace?model=nope&text=x", "/static/favicon.svg"):
        r = http.get(path)
        csp = r.headers["content-security-policy"]
        assert "script-src 'self';" in csp and "frame-ancestors 'none'" in csp and "unsafe-eval" not in csp
        assert r.headers["x-content-type-options"] == "nosniff"


def test_plotly_js_is_served_locally_compressed_once_and_cached_for_a_year(http):
    html = http.get("/").text
    start = html.index("/vendor/plotly-")
    url = html[start : html.index('"', start)]
    r = http.get(url, headers={"accept-encoding": "gzip"})
    assert r.status_code == 200 and r.headers["content-encoding"] == "gzip"
    assert "immutable" in r.headers["cache-control"] and "max-age=31536000" in r.headers["cache-control"]
    assert len(r.content) > 1_000_000 and b"plotly" in r.content[:2000]  # httpx decoded the gzip
    assert http.get("/vendor/plotly-000000000000.min.js").status_code == 404
    assert "cdn" not in html.lower()


def test_docs_document_every_trace_field(http):
    spec = http.get("/openapi.json").json()
    post = spec["paths"]["/api/trace"]["post"]
    body_schema = post["requestBody"]["content"]["application/json"]["schema"]
    assert {"model", "text", "top_k", "quantities", "encoding"} <= set(body_schema["properties"])
    assert all(p.get("description") for p in body_schema["properties"].values())
    response = spec["components"]["schemas"]["TraceResponse"]
    assert {"model", "version", "tokens", "layers", "predictions"} <= set(response["properties"])
    assert http.get("/docs").status_code == 200


def test_the_schema_states_the_limits_the_server_enforces(http):
    """Every static limit is in /openapi.json, in the query parameters and the JSON bodies alike (the bounded
    schemathesis run, tests/serving/test_schemathesis.py, checks that the server refuses what it excludes);
    the settings' limits are in the descriptions, with their defaults."""
    spec = http.get("/openapi.json").json()

    def fields(path: str) -> dict[str, dict]:
        """name -> its schema (the non-null branch of an optional one), for GET's parameters and POST's body."""
        def plain(schema: dict) -> dict:
            return next((s for s in schema.get("anyOf", ()) if s.get("type") != "null"), schema) | {
                k: v for k, v in schema.items() if k != "anyOf"}

        query = {p["name"]: plain(p["schema"]) for p in spec["paths"][path]["get"]["parameters"]}
        body = spec["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"]
        assert body["additionalProperties"] is False and "max_body_bytes" in spec["paths"][path]["post"][
            "requestBody"]["description"]
        assert {name: plain(f) for name, f in body["properties"].items()}.keys() == query.keys()
        for name, f in body["properties"].items():
            for keyword in ("minimum", "maximum", "pattern", "enum"):
                assert plain(f).get(keyword) == query[name].get(keyword), (path, name, keyword)
        return query

    trace, step, retention = fields("/api/trace"), fields("/api/step"), fields("/api/retention")
    for name in ("top_k", "since", "offset", "layer", "unit"):
        assert trace[name]["minimum"] == 0, name
    assert trace["prefix"]["pattern"] == "^[0-9a-f]{16}$"
    assert trace["encoding"]["enum"] == ["json", "f4", "u1"] and retention["encoding"]["enum"] == ["json", "f4"]
    for f in (trace, step, retention):
        assert f["salt"]["pattern"] == "^[0-9a-f]{32}$"
        assert "max_chars" in f["text"]["description"] and "10,000" in f["text"]["description"]
    for f in (step, retention):
        assert f["step"]["minimum"] == 0 and f["layer"]["minimum"] == 0
        assert "num_layers" in f["layer"]["description"]
    assert (retention["window"]["minimum"], retention["window"]["maximum"]) == (1, 400)
    assert "max_top_k (default 50" in trace["top_k"]["description"]
    quantities = re.compile(trace["quantities"]["pattern"])
    for ok in ("f", "i,f,g,o,c,h", " kept , written ,", "r,z,n", "h,a", ",f,,c,"):
        assert quantities.fullmatch(ok), ok
    for bad in ("", ",", " , ", "x", "f c", "fc", "f;c", "F"):
        assert not quantities.fullmatch(bad), bad


def test_the_pages_own_static_files_are_revalidated(http):
    r = http.get("/static/js/main.js")
    assert r.status_code == 200 and r.headers["cache-control"] == "no-cache" and r.headers["etag"]
    assert http.get("/static/js/main.js", headers={"if-none-match": r.headers["etag"]}).status_code == 304


def test_static_files_cannot_escape_their_folder(http):
    for path in ("/static/../app/serving/app.py", "/static/%2e%2e/app/serving/app.py", "/static/..%2fpyproject.toml"):
        r = http.get(path)
        assert r.status_code == 404, path


def test_step_detail_by_post_equals_get_and_the_full_trace(http, untrained):
    text = TENSE_PAST
    params = {"model": "untrained", "text": text, "step": 5, "layer": 0}
    got = http.get("/api/step", params=params)
    posted = http.post("/api/step", json=params)
    assert got.status_code == posted.status_code == 200 and got.content == posted.content
    body = got.json()
    assert body["num_steps"] == len(untrained.tokenizer.tokenize(text)) and body["num_layers"] == 1
    assert body["recurrent_activation"] == "sigmoid"
    full = http.get("/api/trace", params={"model": "untrained", "text": text}).json()
    for gate in "ifgo":  # only the steps up to 5 were computed for /api/step: the same bits
        assert np.array_equal(np.array(body["gates"][gate]["value"], np.float32),
                              np.array(full["layers"][0][gate][5], np.float32))
    assert http.post("/api/step", json={**params, "step": 99}).status_code == 422


def test_the_page_scripts_and_styles_are_gzipped_but_the_api_is_not(http):
    """Compression where it pays: text yes; the API's base64 numbers no (docs/performance.md)."""
    for path in ("/", "/static/js/main.js", "/static/css/app.css"):
        r = http.get(path, headers={"Accept-Encoding": "gzip"})
        assert r.status_code == 200 and r.headers.get("content-encoding") == "gzip", path
        assert "content-security-policy" in r.headers
    r = http.get("/api/trace", params={"model": "lesson", "text": "Today , I need a loan ." * 20, "encoding": "u1"},
                 headers={"Accept-Encoding": "gzip"})
    assert r.status_code == 200 and "content-encoding" not in r.headers


def test_models_name_the_cards_notable_units_and_leave_out_broken_entries(http, tmp_path):
    lesson = next(m for m in http.get("/api/models").json()["models"] if m["id"] == "lesson")
    card = json.loads((resource_dir("models") / "lesson.json").read_text())
    assert lesson["notable_units"] == [{"layer": u["layer"], "unit": u["unit"], "carries": u["carries"],
                                        "weak": u.get("weak") is True} for u in card["notable_units"]]
    assert {u["carries"] for u in lesson["notable_units"]} == {"tense", "cuisine"}
    # A card is the user's file: entries that name no unit of this model, or no meaning, are left out.
    folder = tmp_path / "models"
    folder.mkdir()
    for suffix in (".safetensors", ".json"):
        shutil.copy(resource_dir("models") / f"untrained{suffix}", folder / f"mine{suffix}")
    mine = json.loads((folder / "mine.json").read_text())
    mine.update(id="mine", notable_units=[
        {"layer": 0, "unit": 3, "carries": "tense"}, {"layer": 0, "unit": 32, "carries": "past the units"},
        {"layer": 1, "unit": 3, "carries": "no such layer"}, {"unit": True, "carries": "bool"}, "x",
        {"layer": 0, "unit": 4}, {"layer": 0, "unit": 5, "carries": ["a"]},
        {"layer": 0, "unit": 6, "carries": "quotes", "weak": "yes"},
        {"layer": 0, "unit": 7, "carries": "x", "weak": True},
    ])
    (folder / "mine.json").write_text(json.dumps(mine))
    summary = model_summary(load_registry([folder])["mine"])
    assert summary["notable_units"] == [{"layer": 0, "unit": 3, "carries": "tense", "weak": False},
                                        {"layer": 0, "unit": 6, "carries": "quotes", "weak": False},
                                        {"layer": 0, "unit": 7, "carries": "x", "weak": True}]
