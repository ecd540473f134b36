"""app.training.network around every cell's training layer (app.engine.cells CellSpec.layer_forward/backward):
gradients against centred finite differences, PyTorch's names and initialisation, the training forward pass
against the engine, the loss and clipping.

The trainer runs the training layers with the cards' defaults (a GRU's reset gate after W_hn, σ, tanh): the
options a trained model's card gets (app/training/cli.py writes CellSpec.card_options({})). The layers take every
card option too (attribution runs them so), each checked here against the engine and finite differences, and an
RNN's relu, which only its gradients have.
"""

import numpy as np
import pytest

from app.engine.cells import CELLS
from app.model_store import params_from_tensors
from app.training.network import clip_by_global_norm, cross_entropy, forward, init_params, loss_and_grads
from tests.helpers import RELU_RNN, cell_variants, kink_points, kinks, random_cell_params, variant_id

VARIANTS = [pytest.param(cell, options, id=variant_id(cell, options)) for cell, options in cell_variants()]
OTHER_OPTIONS = [pytest.param(cell, options, id=variant_id(cell, options))
                 for cell, options in [*cell_variants(), RELU_RNN] if options != CELLS[cell].card_options({})]


def numerical_gradient(params, name, ids, targets, mask, cell, eps=1e-6):
    a = params[name]
    num = np.zeros_like(a)
    for ix in np.ndindex(a.shape):
        old = a[ix]
        a[ix] = old + eps
        plus, _ = loss_and_grads(params, ids, targets, mask, cell)
        a[ix] = old - eps
        minus, _ = loss_and_grads(params, ids, targets, mask, cell)
        a[ix] = old
        num[ix] = (plus - minus) / (2 * eps)
    return num


@pytest.mark.parametrize("E, L", [(4, 2), (None, 2), (3, 1)], ids=["embedding-2-layers", "one-hot-2-layers", "1-layer"])
@pytest.mark.parametrize("name", list(CELLS))
def test_gradients_match_centred_finite_differences_for_every_parameter(name, E, L):
    cell = CELLS[name]
    rng = np.random.default_rng(0)
    params = init_params(rng, V=6, E=E, H=4, L=L, dtype=np.float64, cell=cell)
    for key in params:  # move away from the init so no gradient is trivially small
        params[key] += rng.normal(scale=0.3, size=params[key].shape)
    T, B = 5, 3
    ids, targets = rng.integers(0, 6, (T, B)), rng.integers(0, 6, (T, B))
    mask = np.ones((T, B))
    mask[3:, 1] = 0  # a padded sequence
    _, grads = loss_and_grads(params, ids, targets, mask, cell)
    assert set(grads) == set(params)
    for key in params:
        assert grads[key].shape == params[key].shape and grads[key].dtype == params[key].dtype, key
        num = numerical_gradient(params, key, ids, targets, mask, cell)
        rel = np.abs(num - grads[key]).max() / max(np.abs(num).max(), np.abs(grads[key]).max())
        assert rel <= 1e-5, (key, rel)


@pytest.mark.parametrize("name", list(CELLS))
def test_init_uses_pytorchs_names_and_bounds(name):
    cell = CELLS[name]
    H, n = 16, CELLS[name].rows * 16
    params = init_params(np.random.default_rng(0), V=7, E=3, H=H, L=2, cell=cell)
    parts = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
    assert set(params) == {"embedding.weight", "decoder.weight", "decoder.bias",
                           *(f"{name}.{p}_l{k}" for p in parts for k in (0, 1))}
    assert params[f"{name}.weight_ih_l0"].shape == (n, 3) and params[f"{name}.weight_ih_l1"].shape == (n, H)
    assert params[f"{name}.weight_hh_l1"].shape == (n, H) and params[f"{name}.bias_hh_l0"].shape == (n,)
    bound = 1 / np.sqrt(H)
    for k in (0, 1):
        for p in parts:
            a = params[f"{name}.{p}_l{k}"].copy()
            if p == "bias_ih" and cell.init_bias is not None:  # the cell's own change, e.g. the forget bias at 1
                changed = np.full_like(a, np.nan)
                cell.init_bias(changed, H)
                np.testing.assert_array_equal(a[~np.isnan(changed)], changed[~np.isnan(changed)])
                a = a[np.isnan(changed)]
            assert np.abs(a).max() <= bound, (p, k)
    assert np.abs(params["decoder.weight"]).max() <= bound


def test_a_fresh_lstm_keeps_its_memory_by_default():
    params = init_params(np.random.default_rng(0), V=7, E=3, H=4, L=1, cell=CELLS["lstm"])
    np.testing.assert_array_equal(params["lstm.bias_ih_l0"][4:8], 1.0)  # rows H..2H: the forget gate


@pytest.mark.parametrize("name", list(CELLS))
def test_training_forward_equals_the_engine(name):
    """The batched training pass and the engine agree on every quantity the training cache keeps by the same
    name (h always; c of an LSTM; r, z, n of a GRU), and on the decoder's logits."""
    cell = CELLS[name]
    rng = np.random.default_rng(1)
    params = init_params(rng, V=9, E=5, H=6, L=2, cell=cell)
    for key in params:
        params[key] += rng.normal(scale=0.3, size=params[key].shape).astype(np.float32)
    ids = rng.integers(0, 9, (7, 2))
    cache = forward(params, ids, cell)
    engine = params_from_tensors(params, 9, name)  # the card's defaults: what the training layers compute
    compiled = cell.compile(engine)
    shared = [q for q in cell.quantities if hasattr(cache.layers[0], q)]
    assert "h" in shared
    for b in range(2):
        trace = cell.forward(compiled, ids[:, b])
        for k in range(2):
            for q in shared:
                np.testing.assert_allclose(getattr(cache.layers[k], q)[:, b], trace.layers[k][q], atol=1e-5,
                                           err_msg=f"layer {k} {q}")
        top = trace.layers[-1].h @ engine.W_dec.T + engine.b_dec
        np.testing.assert_allclose(cache.logits[:, b], top, atol=1e-5)


@pytest.mark.parametrize(("name", "options"), VARIANTS)
def test_the_training_layers_with_every_option_equal_the_engine(name, options):
    """Each option's training layers (float32, batched) give the engine's gates and states to float32 rounding."""
    cell = CELLS[name]
    rng = np.random.default_rng(2)
    params = random_cell_params(rng, name, V=9, E=5, H=6, L=2, scale=0.8, **options)
    ids = rng.integers(0, 9, (7, 2))
    x, caches = params.embedding[ids], []
    for w in params.layers:
        caches.append(cell.layer_forward(w.W_ih, w.W_hh, w.b_ih, w.b_hh, x, **cell.options_of(params)))
        x = caches[-1].h
    assert x.dtype == np.float32
    shared = [q for q in cell.quantities if hasattr(caches[0], q)]
    assert "h" in shared
    for b in range(2):
        trace = cell.forward(cell.compile(params), ids[:, b])
        for k in range(2):
            for q in shared:
                np.testing.assert_allclose(getattr(caches[k], q)[:, b], trace.layers[k][q], atol=1e-5,
                                           err_msg=f"layer {k} {q}")


@pytest.mark.parametrize(("name", "options"), OTHER_OPTIONS)
def test_the_training_layers_gradients_with_other_options_match_finite_differences(name, options):
    """One layer, loss Σ h ⊙ R: its backward pass against centred differences for every weight and input, at
    weights and inputs whose kinked pre-activations (a hard σ's, relu's) are all over 1e-4 from a kink, with some
    on a flat side (the first seed that gives that), so that steps of 1e-6 never cross one."""
    cell, eps = CELLS[name], 1e-6
    for seed in range(0, 2000, 100):
        rng = np.random.default_rng(seed)
        scale = 1.0 if options.get("recurrent_activation", "sigmoid") != "sigmoid" else 0.6
        weights = [rng.normal(scale=scale, size=shape) for shape in ((cell.rows * 4, 3), (cell.rows * 4, 4),
                                                                      (cell.rows * 4,), (cell.rows * 4,))]
        x, R = rng.normal(size=(5, 2, 3)), rng.normal(size=(5, 2, 4))
        distance, flat = kinks(name, options, [weights], [cell.layer_forward(*weights, x, **options)])
        if distance > 1e-4 and (flat > 0 or not kink_points(options)):
            break
    else:
        raise AssertionError("no seed clear of the kinks")

    def loss() -> float:
        return float((cell.layer_forward(*weights, x, **options).h * R).sum())

    grads = cell.layer_backward(weights[0], weights[1], cell.layer_forward(*weights, x, **options), R)
    for a, grad in zip([*weights, x], grads, strict=True):
        num = np.zeros_like(a)
        for ix in np.ndindex(a.shape):
            old = a[ix]
            a[ix] = old + eps
            plus = loss()
            a[ix] = old - eps
            num[ix] = (plus - loss()) / (2 * eps)
            a[ix] = old
        np.testing.assert_allclose(grad, num, atol=1e-7)


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
