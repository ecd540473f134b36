"""The typed-array encodings' predictions ({k, tokens, index, prob}) are the json encoding's per-step lists
[{token, prob}] exactly: the same tokens and the same float64 probabilities, bit for bit, in Python and as the
page decodes them (static/js/core/predictions.js, run with Node.js)."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
from pathlib import Path

import httpx
import numpy as np
import pytest

from app.model_store import load_model
from app.resources import resource_dir
from app.serving.app import create_app
from app.serving.config import Settings
from app.serving.digest import ids_digest
from app.serving.service import TraceResult, run_trace, trace_payload
from tests.helpers import write_cell_model
from tests.servers import serve

ROOT = Path(__file__).resolve().parents[2]
NODE = shutil.which("node")
TEXTS = {
    "lesson": "Last year, due to my current job situation and family conditions, I had to take a loan. Zyzzyva!",
    "shakespeare": "HAMLET. To be, or not to be, that is the question:\nWhether 'tis nobler in the mind — 👍",
    "untrained": "Today , I need to take a loan .",
}
DECODE_JS = """
import { readFileSync } from "node:fs";
import { readTraceAnswer } from "./static/js/core/predictions.js";
const answers = JSON.parse(readFileSync(0, "utf8"));
process.stdout.write(JSON.stringify(answers.map((a) => readTraceAnswer(a).predictions)));
"""


@pytest.fixture(scope="module")
def http():
    with serve(create_app(Settings(max_top_k=100))) as base, httpx.Client(base_url=base, timeout=60) as client:
        yield client


def typed(spec: dict, dtype: str) -> np.ndarray:
    T, k = map(int, spec["shape"].split(","))
    return np.frombuffer(base64.b64decode(spec["bdata"]), dtype).reshape(T, k)


def decoded(predictions: dict | None) -> list[list[dict]] | None:
    """The typed arrays as per-step lists [{token, prob}]; prob the float64 the bytes hold."""
    if predictions is None:
        return None
    index, prob = typed(predictions["index"], "<i4"), typed(predictions["prob"], "<f8")
    assert index.shape == prob.shape and index.shape[1] == predictions["k"]
    assert len(set(predictions["tokens"])) == len(predictions["tokens"])  # each predicted token once
    return [[{"token": predictions["tokens"][i], "prob": p} for i, p in zip(row, probs, strict=True)]
            for row, probs in zip(index.tolist(), prob.tolist(), strict=True)]


def bits(predictions: list[list[dict]]) -> list[list[tuple[str, int]]]:
    """Each prediction as (token, the float64's bit pattern): equal only when bit-identical."""
    return [[(p["token"], int(np.float64(p["prob"]).view(np.uint64))) for p in step] for step in predictions]


@pytest.mark.parametrize("model", list(TEXTS))
@pytest.mark.parametrize("top_k", [0, 1, 5, 100])
def test_f4_and_u1_predictions_are_the_json_numbers_bit_for_bit(http, model, top_k):
    params = {"model": model, "text": TEXTS[model], "top_k": top_k, "quantities": "h"}
    exact = http.post("/api/trace", json=params)
    assert exact.status_code == 200, exact.text
    exact = exact.json()
    T = len(exact["tokens"])
    assert len(exact["predictions"]) == T and len({len(step) for step in exact["predictions"]}) <= 1
    for encoding in ("f4", "u1"):
        compact = http.post("/api/trace", json={**params, "encoding": encoding}).json()
        assert compact["tokens"] == exact["tokens"]  # tokens keep their form
        p = compact["predictions"]
        assert set(p) == {"k", "tokens", "index", "prob"}
        assert p["index"]["dtype"] == "i4" and p["prob"]["dtype"] == "f8"
        assert p["index"]["shape"] == p["prob"]["shape"] == f"{T},{p['k']}"
        assert p["k"] == min(top_k, len(load_model(resource_dir("models") / f"{model}.safetensors").tokenizer.vocab))
        assert bits(decoded(p)) == bits(exact["predictions"]), encoding


def test_a_part_of_the_text_and_an_empty_text(http):
    model = load_model(resource_dir("models") / "shakespeare.safetensors")
    text, since = TEXTS["shakespeare"], 20
    prefix = ids_digest(model.version, [t.id for t in model.tokenizer.tokenize(text)][:since])
    params = {"model": "shakespeare", "text": text, "top_k": 3, "since": since, "prefix": prefix}
    exact = http.post("/api/trace", json=params).json()
    compact = http.post("/api/trace", json={**params, "encoding": "u1"}).json()
    assert exact["start"] == compact["start"] == since
    assert bits(decoded(compact["predictions"])) == bits(exact["predictions"]) and len(exact["predictions"]) > 10
    empty = http.post("/api/trace", json={"model": "shakespeare", "text": "", "encoding": "f4"}).json()
    assert empty["predictions"] == {"k": 5, "tokens": [], "index": {"dtype": "i4", "bdata": "", "shape": "0,5"},
                                    "prob": {"dtype": "f8", "bdata": "", "shape": "0,5"}}
    assert decoded(empty["predictions"]) == [] == http.post("/api/trace", json={"model": "shakespeare",
                                                                                 "text": ""}).json()["predictions"]


def test_a_model_without_a_decoder_predicts_null_in_every_encoding(tmp_path):
    model = load_model(write_cell_model(tmp_path, "enc", "lstm", decoder=False))
    result = run_trace(model, "abc de!", Settings())
    for encoding in ("json", "f4", "u1"):
        assert trace_payload(result, 5, ("h",), encoding)["predictions"] is None


def test_the_compact_form_is_much_smaller(http):
    params = {"model": "lesson", "text": TEXTS["lesson"] * 8, "top_k": 5, "quantities": "h", "layer": 0}
    exact = http.post("/api/trace", json=params).json()
    compact = http.post("/api/trace", json={**params, "encoding": "u1"}).json()
    size = len(json.dumps(exact["predictions"])), len(json.dumps(compact["predictions"]))
    assert size[1] < size[0] / 2, size


@pytest.mark.skipif(NODE is None, reason="static/js/core/predictions.js is run with Node.js (`node` is not on PATH)")
def test_the_page_decodes_the_same_predictions(http):
    """What api.js hands the page from an f4 or u1 answer is the json answer's predictions, number for number."""
    cases, answers = [], []
    for model, text in TEXTS.items():
        for encoding in ("json", "f4", "u1"):
            r = http.post("/api/trace", json={"model": model, "text": text, "top_k": 7, "encoding": encoding,
                                              "quantities": "h"})
            assert r.status_code == 200
            cases.append((model, encoding))
            answers.append(r.json())
    out = subprocess.run([NODE, "--input-type=module", "-e", DECODE_JS], input=json.dumps(answers), cwd=ROOT,
                         capture_output=True, text=True, timeout=60, check=False)
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout)
    for (model, encoding), predictions, answer in zip(cases, got, answers, strict=True):
        exact = answers[cases.index((model, "json"))]["predictions"]
        assert bits(predictions) == bits(exact), (model, encoding)
        if encoding == "json":
            assert predictions == answer["predictions"]  # the json form passes through as it came


def test_trace_payload_in_process_agrees():
    model = load_model(resource_dir("models") / "lesson.safetensors")
    result = run_trace(model, TEXTS["lesson"], Settings())
    assert isinstance(result, TraceResult)
    exact = json.loads(json.dumps(trace_payload(result, 4, ("h",), "json")["predictions"]))
    assert bits(decoded(trace_payload(result, 4, ("h",), "f4")["predictions"])) == bits(exact)
