"""The NumPy vanilla-RNN trainer: gradients against centred finite differences, the engine's forward,
learning, and `lstm-viz train --cell rnn`."""

import json

import numpy as np
import pytest

from app.engine.rnn import compile_params
from app.engine.rnn import forward as engine_forward
from app.engine.rnn_grad import forward, init_params, loss_and_grads
from app.model_store import load_model, rnn_params_from_tensors
from app.training.loop import RunState, TrainConfig, evaluate, train
from app.training.network import Adam
from tests.test_train import pattern_docs


def numerical_gradient(params, name, ids, targets, mask, eps=1e-6):
    a = params[name]
    num = np.zeros_like(a)
    for ix in np.ndindex(a.shape):
        old = a[ix]
        a[ix] = old + eps
        plus, _ = loss_and_grads(params, ids, targets, mask)
        a[ix] = old - eps
        minus, _ = loss_and_grads(params, ids, targets, mask)
        a[ix] = old
        num[ix] = (plus - minus) / (2 * eps)
    return num


@pytest.mark.parametrize("E, L", [(4, 2), (None, 2), (3, 1)], ids=["embedding-2-layers", "one-hot-2-layers", "1-layer"])
def test_gradients_match_centred_finite_differences_for_every_parameter(E, L):
    rng = np.random.default_rng(0)
    params = init_params(rng, V=6, E=E, H=4, L=L, dtype=np.float64)
    for name in params:  # move away from the init so no gradient is trivially small
        params[name] += rng.normal(scale=0.3, size=params[name].shape)
    T, B = 6, 3
    ids, targets = rng.integers(0, 6, (T, B)), rng.integers(0, 6, (T, B))
    mask = np.ones((T, B))
    mask[3:, 1] = 0  # a padded sequence
    _, grads = loss_and_grads(params, ids, targets, mask)
    assert set(grads) == set(params)
    for name in params:
        num = numerical_gradient(params, name, ids, targets, mask)
        rel = np.abs(num - grads[name]).max() / max(np.abs(num).max(), np.abs(grads[name]).max())
        assert rel <= 1e-5, (name, rel)


def test_init_uses_pytorchs_names_and_bounds():
    params = init_params(np.random.default_rng(0), V=7, E=3, H=16, L=2)
    assert params["rnn.weight_ih_l0"].shape == (16, 3) and params["rnn.weight_ih_l1"].shape == (16, 16)
    assert params["rnn.weight_hh_l1"].shape == (16, 16) and params["rnn.bias_hh_l0"].shape == (16,)
    assert max(np.abs(params[f"rnn.{n}_l{k}"]).max() for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
               for k in (0, 1)) <= 1 / 4


def test_training_forward_equals_the_engine():
    rng = np.random.default_rng(1)
    params = init_params(rng, V=9, E=5, H=6, L=2)
    ids = rng.integers(0, 9, (7, 2))
    cache = forward(params, ids)
    compiled = compile_params(rnn_params_from_tensors(params, 9))
    for b in range(2):
        trace = engine_forward(compiled, ids[:, b])
        for k in range(2):
            np.testing.assert_allclose(cache.layers[k].h[:, b], trace.layers[k].h, atol=1e-6)


def test_a_tiny_rnn_run_learns_its_data():
    data, valid = pattern_docs(), pattern_docs(40, seed=1).fixed_batches(20)
    params = init_params(np.random.default_rng(0), V=8, E=8, H=16, L=1)
    state = RunState(params=params, adam=Adam(lr=1e-2), best={k: v.copy() for k, v in params.items()})
    before = evaluate(state.params, valid, "rnn")
    state = train(state, data, valid, TrainConfig(steps=150, batch_size=16, lr=1e-2, valid_every=50, progress=False,
                                                  cell="rnn"))
    assert state.best_valid < 0.25 * before
    assert set(state.best) == set(params)


def test_train_command_writes_an_rnn_model_with_its_card(tmp_path):
    from app.cli import main

    corpus = tmp_path / "corpora" / "shakespeare"
    corpus.mkdir(parents=True)
    for n in range(3):
        (corpus / f"play{n}.txt").write_text("to be or not to be, that is the question. " * 80)
    argv = ["train", "--corpus", "shakespeare", "--corpora-dir", str(tmp_path / "corpora"), "--id", "tiny-rnn",
            "--cell", "rnn", "--out", str(tmp_path / "models"), "--hidden", "8", "--embedding", "4", "--steps", "12",
            "--seq-len", "20", "--batch", "4", "--valid-every", "6", "--valid-size", "8", "--quiet"]
    assert main(argv) == 0
    model = load_model(tmp_path / "models" / "tiny-rnn.safetensors")
    card = json.loads((tmp_path / "models" / "tiny-rnn.json").read_text())
    assert card["cell"] == "rnn" and card["nonlinearity"] == "tanh" and "recurrent_activation" not in card
    assert "RNN" in card["description"]
    assert card["provenance"]["command"].startswith("lstm-viz train --corpus shakespeare")
    assert "--cell rnn" in card["provenance"]["command"]
    assert card["provenance"]["valid_loss"] < np.log(len(model.tokenizer.vocab))
    assert model.cell == "rnn" and model.params.hidden_size == 8


def test_resuming_a_checkpoint_with_the_other_cell_says_which_cell_it_holds(tmp_path, capsys):
    from app.cli import main

    corpus = tmp_path / "corpora" / "shakespeare"
    corpus.mkdir(parents=True)
    (corpus / "play.txt").write_text("to be or not to be, that is the question. " * 80)
    common = ["train", "--corpus", "shakespeare", "--corpora-dir", str(tmp_path / "corpora"), "--out",
              str(tmp_path / "models"), "--hidden", "8", "--embedding", "4", "--steps", "4", "--seq-len", "20",
              "--batch", "4", "--valid-every", "2", "--valid-size", "8", "--quiet",
              "--checkpoint", str(tmp_path / "run.safetensors"), "--resume"]
    assert main([*common, "--id", "tiny-rnn", "--cell", "rnn"]) == 0
    capsys.readouterr()
    assert main([*common, "--id", "tiny-lstm", "--cell", "lstm"]) == 2
    err = capsys.readouterr().err
    assert "holds a run of cell 'rnn', not 'lstm'" in err and "--cell rnn" in err and "Traceback" not in err
