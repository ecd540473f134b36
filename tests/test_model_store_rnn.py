"""Model files of vanilla RNNs (card `cell: rnn`): round trips, names, and refusals that say what to change."""

import json

import numpy as np
import pytest
from safetensors.numpy import load_file, save_file

from app.engine import rnn
from app.engine.tokenizer import Tokenizer
from app.model_store import ModelError, load_model, params_to_tensors, write_model
from tests.helpers import random_params, random_rnn_params


def rnn_card(model_id: str, V: int) -> dict:
    vocab = ["?"] + [chr(ord("a") + n) for n in range(V - 1)]
    return {"id": model_id, "title": model_id, "description": "test RNN", "cell": "rnn", "nonlinearity": "tanh",
            "tokenizer": Tokenizer("char", tuple(vocab), "?").to_card()}


@pytest.mark.parametrize("shape", [dict(E=5, L=2, decoder=True), dict(E=None, L=1, decoder=False),
                                   dict(E=3, L=3, decoder=False)], ids=["emb+dec", "onehot-nodec", "emb-nodec"])
def test_write_then_load_round_trips_every_tensor(tmp_path, shape):
    params = random_rnn_params(np.random.default_rng(3), V=9, **shape)
    write_model(tmp_path, rnn_card("r1", 9), params)
    model = load_model(tmp_path / "r1.safetensors")
    assert model.cell == "rnn" and isinstance(model.params, rnn.RNNParams)
    assert isinstance(model.compiled, rnn.Compiled)
    mine, theirs = params_to_tensors(model.params), params_to_tensors(params)
    assert mine.keys() == theirs.keys()
    for name in mine:
        np.testing.assert_array_equal(mine[name], theirs[name], err_msg=name)


def test_tensor_names_are_pytorchs_nn_rnn_state_dict_names(tmp_path):
    write_model(tmp_path, rnn_card("r1", 9), random_rnn_params(np.random.default_rng(3), V=9, L=2))
    assert sorted(load_file(tmp_path / "r1.safetensors")) == sorted(
        ["embedding.weight", "decoder.weight", "decoder.bias"]
        + [f"rnn.{p}_l{k}" for k in range(2) for p in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
    )


def test_the_writer_refuses_a_card_that_names_the_other_cell(tmp_path):
    with pytest.raises(ModelError, match="card says cell 'lstm'"):
        write_model(tmp_path, {**rnn_card("r1", 9), "cell": "lstm"}, random_rnn_params(np.random.default_rng(3), V=9))
    with pytest.raises(ModelError, match="card says cell 'rnn'"):
        write_model(tmp_path, rnn_card("r1", 9), random_params(np.random.default_rng(3), V=9))


def write_good(folder, model_id="bad"):
    write_model(folder, rnn_card(model_id, 9), random_rnn_params(np.random.default_rng(5), V=9, H=7, L=2))
    return folder / f"{model_id}.safetensors"


def edit_tensors(path, **changes):
    tensors = dict(load_file(path))
    for name, value in changes.items():
        if value is None:
            del tensors[name]
        else:
            tensors[name] = value
    save_file(tensors, path)


def edit_card(path, **changes):
    card = json.loads(path.with_suffix(".json").read_text())
    card.update(changes)
    path.with_suffix(".json").write_text(json.dumps(card))


BAD_FILES = {
    "lstm-shaped": (lambda p: edit_tensors(p, **{"rnn.weight_hh_l0": np.zeros((28, 7), np.float32)}),
                    "rnn.weight_hh_l0 is (28, 7), expected (H, H)"),
    "misshaped-input": (lambda p: edit_tensors(p, **{"rnn.weight_ih_l1": np.zeros((7, 5), np.float32)}),
                        "rnn.weight_ih_l1 is (7, 5), expected (7, 7)"),
    "misshaped-bias": (lambda p: edit_tensors(p, **{"rnn.bias_hh_l0": np.zeros(28, np.float32)}),
                       "rnn.bias_hh_l0 is (28,), expected (7,)"),
    "missing-part": (lambda p: edit_tensors(p, **{"rnn.bias_ih_l1": None}), "layer 1 lacks ['rnn.bias_ih_l1']"),
    "lstm-card": (lambda p: edit_card(p, cell="lstm"), "belongs to an RNN, but the card says cell 'lstm': name the "
                                                        "tensors lstm.* or set the card's cell to 'rnn'"),
    "no-layers": (lambda p: edit_tensors(p, **{f"rnn.{n}_l{k}": None for k in (0, 1) for n in
                                                ("weight_ih", "weight_hh", "bias_ih", "bias_hh")}),
                  "no RNN layer: expected tensors named rnn.weight_ih_l0"),
    "relu": (lambda p: edit_card(p, nonlinearity="relu"), "nonlinearity must be one of ('tanh',)"),
    "gate-activation": (lambda p: edit_card(p, recurrent_activation="sigmoid"), "an rnn card names its nonlinearity"),
    "sizes-disagree": (lambda p: edit_card(p, sizes={"hidden_size": 64}), "card says hidden_size = 64"),
}


@pytest.mark.parametrize("name", list(BAD_FILES))
def test_a_bad_rnn_file_is_refused_naming_the_problem(tmp_path, name):
    damage, problem = BAD_FILES[name]
    bad = write_good(tmp_path)
    damage(bad)
    with pytest.raises(ModelError) as info:
        load_model(bad)
    assert f"{tmp_path}/bad." in str(info.value) and problem in str(info.value), str(info.value)
