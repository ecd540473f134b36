"""Model files: round trips, validation messages, versions, the registry and the bundled model."""

import json
import logging
import shutil

import numpy as np
import pytest
from safetensors.numpy import load_file, save_file

from app.engine.lstm import LSTMParams
from app.engine.tokenizer import Tokenizer
from app.model_store import (
    ModelError,
    display_order,
    load_folder,
    load_model,
    load_registry,
    params_to_tensors,
    write_model,
)
from app.resources import resource_dir
from tests.helpers import random_params


def card_for(model_id: str, V: int, kind: str = "char") -> dict:
    vocab = ["?"] + [chr(ord("a") + n) for n in range(V - 1)]
    return {
        "id": model_id,
        "title": model_id.title(),
        "description": "test model",
        "cell": "lstm",
        "recurrent_activation": "sigmoid",
        "tokenizer": Tokenizer(kind, tuple(vocab), "?").to_card(),
    }


def assert_same_params(a: LSTMParams, b: LSTMParams) -> None:
    ta, tb = params_to_tensors(a), params_to_tensors(b)
    assert ta.keys() == tb.keys()
    for name in ta:
        assert ta[name].dtype == tb[name].dtype
        np.testing.assert_array_equal(ta[name], tb[name], err_msg=name)


@pytest.mark.parametrize(
    "shape",
    [dict(E=5, L=2, decoder=True), dict(E=None, L=1, decoder=False), dict(E=3, L=3, decoder=False),
     dict(E=None, L=2, decoder=True)],
    ids=["emb+dec", "onehot-nodec", "emb-nodec", "onehot+dec"],
)
def test_write_then_load_round_trips_every_tensor(tmp_path, shape):
    params = random_params(np.random.default_rng(3), V=9, **shape)
    write_model(tmp_path, card_for("m1", 9), params)
    model = load_model(tmp_path / "m1.safetensors")
    assert_same_params(model.params, params)
    assert model.id == "m1" and model.tokenizer.vocab[0] == "?"


def test_writer_makes_transposed_views_contiguous(tmp_path):
    params = random_params(np.random.default_rng(3), V=9, E=4, L=1)
    layer = params.layers[0]
    W_hh_view = np.ascontiguousarray(layer.W_hh.T).T  # same values, Fortran-ordered memory
    assert not W_hh_view.flags.c_contiguous
    params = LSTMParams((type(layer)(layer.W_ih, W_hh_view, layer.b_ih, layer.b_hh),), 9, params.embedding)
    write_model(tmp_path, card_for("m1", 9), params)
    np.testing.assert_array_equal(load_file(tmp_path / "m1.safetensors")["lstm.weight_hh_l0"], layer.W_hh)


def test_tensor_names_are_pytorchs_state_dict_names(tmp_path):
    write_model(tmp_path, card_for("m1", 9), random_params(np.random.default_rng(3), V=9, L=2))
    assert sorted(load_file(tmp_path / "m1.safetensors")) == sorted(
        ["embedding.weight", "decoder.weight", "decoder.bias"]
        + [f"lstm.{p}_l{k}" for k in range(2) for p in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
    )


def write_good(folder, model_id="good", V=9):
    write_model(folder, card_for(model_id, V), random_params(np.random.default_rng(5), V=V))
    return folder / f"{model_id}.safetensors"


def edit_tensors(path, **changes):
    tensors = dict(load_file(path))
    for name, value in changes.items():
        if value is None:
            del tensors[name]
        else:
            tensors[name] = value
    save_file(tensors, path)


BAD_FILES = {
    "truncated": (lambda p: p.write_bytes(p.read_bytes()[: len(p.read_bytes()) // 2]), "safetensors"),
    "not-safetensors": (lambda p: p.write_bytes(b"PK\x03\x04 this is a zip, not tensors"), "safetensors"),
    "pickle": (lambda p: p.write_bytes(b"\x80\x04\x95 pickled torch"), "safetensors"),
    "nan": (lambda p: edit_tensors(p, **{"lstm.bias_ih_l1": np.full(28, np.nan, np.float32)}), "NaN"),
    "misshaped": (lambda p: edit_tensors(p, **{"lstm.weight_hh_l0": np.zeros((28, 6), np.float32)}), "weight_hh_l0"),
    "wrong-vocab": (lambda p: edit_tensors(p, **{"embedding.weight": np.zeros((8, 5), np.float32)}), "embedding"),
    "missing-part": (lambda p: edit_tensors(p, **{"lstm.bias_hh_l1": None}), "lacks"),
    "gap-in-layers": (lambda p: edit_tensors(p, **{f"lstm.{n}_l0": None for n in
                                                    ("weight_ih", "weight_hh", "bias_ih", "bias_hh")}), "layer"),
    "stray-tensor": (lambda p: edit_tensors(p, **{"attention.weight": np.zeros(3, np.float32)}), "unexpected"),
    "half-decoder": (lambda p: edit_tensors(p, **{"decoder.bias": None}), "decoder"),
    "int-weights": (lambda p: edit_tensors(p, **{"decoder.bias": np.zeros(9, np.int32)}), "float32"),
    "card-not-json": (lambda p: p.with_suffix(".json").write_text("{nope"), "JSON"),
    "card-missing": (lambda p: p.with_suffix(".json").unlink(), "missing file"),
    "card-wrong-id": (lambda p: p.with_suffix(".json").write_text(
        json.dumps({**card_for("other", 9)})), "must equal the file name"),
    "card-bad-cell": (lambda p: p.with_suffix(".json").write_text(
        json.dumps({**card_for("bad", 9), "cell": "transformer"})), "cell"),
    "card-bad-activation": (lambda p: p.with_suffix(".json").write_text(
        json.dumps({**card_for("bad", 9), "recurrent_activation": "relu"})), "recurrent_activation"),
    "card-sizes-disagree": (lambda p: p.with_suffix(".json").write_text(
        json.dumps({**card_for("bad", 9), "sizes": {"hidden_size": 99}})), "hidden_size"),
}


@pytest.mark.parametrize("name", list(BAD_FILES))
def test_a_bad_file_is_refused_naming_the_file_and_the_problem(tmp_path, name):
    damage, problem = BAD_FILES[name]
    bad = write_good(tmp_path, "bad")
    damage(bad)
    with pytest.raises(ModelError) as info:
        load_model(bad)
    assert f"{tmp_path}/bad." in str(info.value) and problem in str(info.value)


def test_the_other_models_still_load_and_the_refusal_is_logged(tmp_path, caplog):
    write_good(tmp_path, "alpha")
    write_good(tmp_path, "bad").write_bytes(b"garbage")
    write_good(tmp_path, "zulu")
    models, errors = load_folder(tmp_path)
    assert list(models) == ["alpha", "zulu"] and len(errors) == 1 and "bad.safetensors" in errors[0]
    with caplog.at_level(logging.ERROR):
        registry = load_registry([tmp_path])
    assert list(registry) == ["alpha", "zulu"]
    assert "bad.safetensors" in caplog.text


def test_a_repeated_id_in_a_later_folder_is_refused(tmp_path, caplog):
    first, second = tmp_path / "a", tmp_path / "b"
    write_good(first, "same")
    write_good(second, "same", V=7)
    with caplog.at_level(logging.ERROR):
        registry = load_registry([first, second])
    assert registry["same"].params.vocab_size == 9
    assert "already loaded" in caplog.text


def test_version_ignores_the_description_but_not_weights_or_tokenizer(tmp_path):
    path = write_good(tmp_path, "m")
    v0 = load_model(path).version
    card = json.loads(path.with_suffix(".json").read_text())
    path.with_suffix(".json").write_text(json.dumps({**card, "description": "edited", "title": "New"}))
    assert load_model(path).version == v0
    card["tokenizer"]["lowercase"] = True
    path.with_suffix(".json").write_text(json.dumps(card))
    v1 = load_model(path).version
    assert v1 != v0
    edit_tensors(path, **{"decoder.bias": np.ones(9, np.float32)})
    assert load_model(path).version not in (v0, v1)
    assert len(v0) == 12


def test_bundled_untrained_model_loads_and_covers_the_lecture():
    from app.corpora.lecture import EXAMPLES

    model = load_model(resource_dir("models") / "untrained.safetensors")
    assert model.params.hidden_size == 32 and model.tokenizer.kind == "word"
    unk = model.tokenizer.unk_id
    for text in EXAMPLES:
        assert all(t.id != unk for t in model.tokenizer.tokenize(text)), text


def test_bundled_untrained_model_is_reproduced_by_its_command(tmp_path):
    import subprocess
    import sys

    root = resource_dir("models").parent
    subprocess.run([sys.executable, str(root / "tools" / "make_untrained.py"), "--out", str(tmp_path)], check=True,
                   capture_output=True)
    for name in ("untrained.safetensors", "untrained.json"):
        assert (tmp_path / name).read_bytes() == (resource_dir("models") / name).read_bytes()


def test_user_models_folder_is_loaded_after_the_bundled_one(tmp_path):
    shutil.copy(resource_dir("models") / "untrained.json", tmp_path / "untrained.json")
    write_good(tmp_path, "mine")
    registry = load_registry([resource_dir("models"), tmp_path])
    assert list(registry)[-1] == "mine" and "untrained" in registry


def test_display_order_puts_the_default_first_and_snapshots_last(tmp_path):
    for model_id in ("zeta", "alpha", "run", "run-step100", "run-step20"):
        write_good(tmp_path, model_id)
    for model_id, step in (("run-step100", 100), ("run-step20", 20)):
        path = tmp_path / f"{model_id}.json"
        path.write_text(json.dumps({**json.loads(path.read_text()), "snapshot_of": "run",
                                    "provenance": {"steps": step}}))
    models, _ = load_folder(tmp_path)
    assert list(display_order(models, "zeta")) == ["zeta", "alpha", "run", "run-step20", "run-step100"]
    assert list(display_order(models, "absent"))[:3] == ["alpha", "run", "zeta"]
