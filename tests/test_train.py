"""The NumPy trainer: gradients against centred finite differences, learning, resuming, reproducibility."""

import hashlib
import json

import numpy as np
import pytest

from app.engine.lstm import compile_params
from app.engine.lstm import forward as engine_forward
from app.model_store import load_model, params_from_tensors
from app.training.loop import Documents, RunState, Stream, TrainConfig, evaluate, train
from app.training.network import Adam, clip_by_global_norm, cross_entropy, forward, init_params, loss_and_grads


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


@pytest.mark.parametrize("E, L", [(4, 2), (None, 2)], ids=["embedding-2-layers", "one-hot-2-layers"])
def test_gradients_match_centred_finite_differences_for_every_parameter(E, L):
    rng = np.random.default_rng(0)
    params = init_params(rng, V=6, E=E, H=4, L=L, dtype=np.float64)
    for name in params:  # move away from the init so no gradient is trivially small
        params[name] += rng.normal(scale=0.3, size=params[name].shape)
    T, B = 5, 3
    ids, targets = rng.integers(0, 6, (T, B)), rng.integers(0, 6, (T, B))
    mask = np.ones((T, B))
    mask[3:, 1] = 0  # a padded sequence
    _, grads = loss_and_grads(params, ids, targets, mask)
    assert set(grads) == set(params)
    for name in params:
        num = numerical_gradient(params, name, ids, targets, mask)
        rel = np.abs(num - grads[name]).max() / max(np.abs(num).max(), np.abs(grads[name]).max())
        assert rel <= 1e-5, (name, rel)


def test_training_forward_equals_the_engine():
    rng = np.random.default_rng(1)
    params = init_params(rng, V=9, E=5, H=6, L=2)
    ids = rng.integers(0, 9, (7, 2))
    cache = forward(params, ids)
    compiled = compile_params(params_from_tensors(params, 9))
    for b in range(2):
        trace = engine_forward(compiled, ids[:, b])
        for k in range(2):
            np.testing.assert_allclose(cache.layers[k].h[:, b], trace.layers[k].h, atol=1e-6)
            np.testing.assert_allclose(cache.layers[k].c[:, b], trace.layers[k].c, atol=1e-6)


def test_cross_entropy_ignores_masked_positions():
    rng = np.random.default_rng(2)
    logits = rng.normal(size=(3, 2, 5))
    targets = rng.integers(0, 5, (3, 2))
    mask = np.array([[1, 1], [1, 0], [0, 0]], dtype=float)
    loss, d = cross_entropy(logits, targets, mask)
    log_p = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    expected = -np.mean([log_p[0, 0, targets[0, 0]], log_p[0, 1, targets[0, 1]], log_p[1, 0, targets[1, 0]]])
    assert loss == pytest.approx(expected, rel=1e-12)
    assert not d[1, 1].any() and not d[2].any()


def test_clip_scales_to_the_global_norm():
    grads = {"a": np.array([3.0, 0.0]), "b": np.array([[4.0]])}
    assert clip_by_global_norm(grads, 1.0) == pytest.approx(5.0)
    assert np.sqrt((grads["a"] ** 2).sum() + (grads["b"] ** 2).sum()) == pytest.approx(1.0)


def pattern_docs(n=200, seed=0):
    """Documents whose next token is predictable: a b c d ... cycling from a random start."""
    rng = np.random.default_rng(seed)
    return Documents(tuple((rng.integers(0, 8) + np.arange(rng.integers(6, 14))) % 8 for _ in range(n)))


def fresh_state(seed=0, H=16, dtype=np.float32):
    params = init_params(np.random.default_rng(seed), V=8, E=8, H=H, L=1, dtype=dtype)
    return RunState(params=params, adam=Adam(lr=1e-2), best={k: v.copy() for k, v in params.items()})


def test_a_tiny_run_learns_its_data():
    data = pattern_docs()
    valid = pattern_docs(40, seed=1).fixed_batches(20)
    state = fresh_state()
    before = evaluate(state.params, valid)
    state = train(state, data, valid, TrainConfig(steps=150, batch_size=16, lr=1e-2, valid_every=50, progress=False))
    assert state.best_valid < 0.25 * before
    assert [h["step"] for h in state.history] == [50, 100, 150]
    assert state.best_step == min(state.history, key=lambda h: h["valid_loss"])["step"]


def test_resuming_from_a_checkpoint_gives_the_same_weights(tmp_path):
    data, valid = pattern_docs(), pattern_docs(20, seed=1).fixed_batches(20)
    straight = train(fresh_state(), data, valid, TrainConfig(steps=30, batch_size=8, valid_every=10, progress=False))
    ckpt = tmp_path / "run.safetensors"
    train(fresh_state(), data, valid,
          TrainConfig(steps=20, batch_size=8, valid_every=10, checkpoint=ckpt, progress=False))
    resumed = train(RunState.load(ckpt), data, valid,
                    TrainConfig(steps=30, batch_size=8, valid_every=10, progress=False))
    for name in straight.params:
        assert np.array_equal(straight.params[name], resumed.params[name]), name
    assert resumed.history == straight.history


def test_stream_windows_start_anywhere_and_have_the_right_shape():
    stream = Stream((np.arange(500) % 50, np.arange(300) % 50), seq_len=20)
    ids, targets, mask = stream.sample(np.random.default_rng(0), 6)
    assert ids.shape == targets.shape == mask.shape == (20, 6)
    assert np.array_equal(targets[:-1], ids[1:]) and mask.all()


def test_documents_batch_similar_lengths_and_carry_their_weights_into_the_mask():
    rng = np.random.default_rng(0)
    docs = tuple(np.arange(n) % 5 for n in rng.integers(3, 60, 400))
    weights = tuple(np.where(np.arange(len(d)) == len(d) - 1, 10.0, 1.0).astype(np.float32) for d in docs)
    data = Documents(docs, weights=weights)
    ids, targets, mask = data.sample(np.random.default_rng(1), 16)
    lengths = mask.astype(bool).sum(axis=0) + 1
    spread = np.ptp(lengths)
    random_spread = np.median([np.ptp(rng.choice([len(d) for d in docs], 16)) for _ in range(50)])
    assert spread < random_spread / 3, (spread, random_spread)
    for b, n in enumerate(lengths):  # the last target of each document weighs 10, the others 1
        assert mask[n - 2, b] == 10 and set(mask[: n - 2, b].tolist()) <= {1.0} and not mask[n - 1 :, b].any()
    seen = {tuple(d) for d in docs}
    assert all(tuple(np.r_[ids[: n - 1, b], targets[n - 2, b]]) in seen for b, n in enumerate(lengths))
    batches = data.fixed_batches(100, limit=250)
    assert [b[0].shape[1] for b in batches] == [100, 100, 50]


def weights_digest(params):
    """Digest of weights rounded to 7 significant digits (float64 runs), so BLAS kernels that round the
    last bits differently on another CPU still give the recorded digest."""
    h = hashlib.sha256()
    for name in sorted(params):
        h.update(name.encode())
        h.update(np.array([float(f"{x:.7g}") for x in params[name].ravel()]).tobytes())
    return h.hexdigest()[:16]


def test_fifty_steps_from_a_fixed_seed_give_the_recorded_weights():
    data, valid = pattern_docs(), pattern_docs(20, seed=1).fixed_batches(20)
    state = train(fresh_state(seed=3, H=8, dtype=np.float64), data, valid,
                  TrainConfig(steps=50, batch_size=8, seed=5, valid_every=25, progress=False))
    assert weights_digest(state.params) == RECORDED_DIGEST


RECORDED_DIGEST = "4a1b43bd7667c1e3"  # batches of similar-length documents (Documents.sample)


def test_train_command_writes_a_model_with_a_complete_card(tmp_path):
    from app.cli import main

    corpus = tmp_path / "corpora" / "shakespeare"
    corpus.mkdir(parents=True)
    for n in range(3):
        (corpus / f"play{n}.txt").write_text("to be or not to be, that is the question. " * 80)
    argv = ["train", "--corpus", "shakespeare", "--corpora-dir", str(tmp_path / "corpora"), "--id", "tiny",
            "--out", str(tmp_path / "models"), "--hidden", "8", "--embedding", "4", "--steps", "12",
            "--seq-len", "20", "--batch", "4", "--valid-every", "6", "--valid-size", "8", "--snapshots", "0,6",
            "--quiet"]
    assert main(argv) == 0
    model = load_model(tmp_path / "models" / "tiny.safetensors")
    card = json.loads((tmp_path / "models" / "tiny.json").read_text())
    prov = card["provenance"]
    assert prov["command"].startswith("lstm-viz train --corpus shakespeare")
    assert prov["run_steps"] == 12 and prov["steps"] in (6, 12)
    assert prov["valid_loss"] < np.log(len(model.tokenizer.vocab)) and prov["train_loss"] > 0
    assert prov["wall_time_s"] >= 0 and "licence" in prov
    assert model.tokenizer.kind == "char" and model.params.hidden_size == 8
    for step in (0, 6):
        assert load_model(tmp_path / "models" / f"tiny-step{step}.safetensors").card["provenance"]["steps"] == step
