"""One bad file in the models folder is refused by name while the model beside it serves: cards of the wrong
shape, cards nested too deep, folders where files belong, weights that overflow. Through the registry and a
real server (the page, /api/models, a trace)."""

import json

import httpx
import numpy as np
import pytest
from safetensors.numpy import load_file, save_file

from app.model_store import ModelError, load_folder, load_model
from app.serving.app import create_app
from app.serving.config import Settings
from tests.helpers import write_cell_model
from tests.servers import serve


def edit_card(path, **fields):
    card = json.loads(path.with_suffix(".json").read_text())
    path.with_suffix(".json").write_text(json.dumps({**card, **fields}))


def nested_card(path):
    depth = 200_000
    path.with_suffix(".json").write_text('{"id": "bad", "x": ' + "[" * depth + "]" * depth + "}")


def folder_as(suffix):
    def make(path):
        target = path.with_suffix(suffix)
        target.unlink()
        target.mkdir()
    return make


def overflowing(path):
    tensors = load_file(path)
    tensors = {k: np.where(v >= 0, 3e38, -3e38).astype(np.float32) for k, v in tensors.items()}
    save_file(tensors, path)


BAD = {  # case -> (how to spoil bad.safetensors / bad.json, words the refusal must say)
    "provenance-a-list": (lambda p: edit_card(p, provenance=["a"]), "'provenance' must be an object"),
    "sizes-a-list": (lambda p: edit_card(p, sizes=[1]), "'sizes' must be an object"),
    "sizes-not-numbers": (lambda p: edit_card(p, sizes={"hidden_size": "8"}), "whole numbers"),
    "examples-a-number": (lambda p: edit_card(p, examples=5), "'examples' must be a list"),
    "examples-not-strings": (lambda p: edit_card(p, examples=[1, 2]), "'examples' must hold strings"),
    "title-a-number": (lambda p: edit_card(p, title=3), "'title' must be a string"),
    "card-nested-too-deep": (nested_card, "nested too deeply"),
    "card-a-folder": (folder_as(".json"), "is a folder"),
    "weights-a-folder": (folder_as(".safetensors"), "is a folder"),
    "weights-overflow": (overflowing, "NaN or infinite"),
}


@pytest.fixture(params=sorted(BAD))
def folder(request, tmp_path):
    write_cell_model(tmp_path, "good", "lstm")
    spoil, words = BAD[request.param]
    spoil(write_cell_model(tmp_path, "bad", "gru", seed=1))
    return tmp_path, words


def test_the_bad_file_is_refused_by_name_and_the_good_one_loads(folder):
    path, words = folder
    models, errors = load_folder(path)
    assert list(models) == ["good"]
    assert len(errors) == 1 and "bad." in errors[0] and words in errors[0], errors
    with pytest.raises(ModelError, match="bad"):
        load_model(path / "bad.safetensors")


def test_the_server_serves_the_good_model_beside_it(folder):
    path, _ = folder
    with serve(create_app(Settings(models_dir=path, bundled_models=False))) as base, \
            httpx.Client(base_url=base, timeout=30) as client:
        assert client.get("/healthz").status_code == 200
        assert [m["id"] for m in client.get("/api/models").json()["models"]] == ["good"]
        assert client.get("/").status_code == 200
        r = client.get("/api/trace", params={"model": "good", "text": "abc"})
        assert r.status_code == 200 and len(r.json()["tokens"]) == 3
