"""The recurrent activations of app/engine/lstm.py against the equations written out step by step in NumPy.

Keras-made files check the hard σ against Keras itself (tests/test_import_keras.py); here a plain
loop in float64 checks every activation, layer and step, and that the gates stay where they must.
"""

import numpy as np
import pytest

from app.engine.lstm import RECURRENT_ACTIVATIONS, LSTMParams, compile_params, forward
from tests.helpers import random_params

SIGMA = {
    "sigmoid": lambda x: 1 / (1 + np.exp(-x)),
    "hard_sigmoid": lambda x: np.clip(x / 6 + 0.5, 0, 1),
    "hard_sigmoid_keras2": lambda x: np.clip(0.2 * x + 0.5, 0, 1),
}


def reference(params: LSTMParams, ids: np.ndarray) -> list[dict[str, np.ndarray]]:
    """Every layer's i, f, g, o, c, h (T, H) by the equations, one step at a time, from zeros."""
    sigma = SIGMA[params.recurrent_activation]
    V, H = params.vocab_size, params.hidden_size
    x = np.eye(V)[ids] if params.embedding is None else params.embedding[ids]  # (T, In)
    out = []
    for layer in params.layers:
        h, c = np.zeros(H), np.zeros(H)
        rec = {q: [] for q in "ifgoch"}
        for x_t in x:
            z = layer.W_ih @ x_t + layer.W_hh @ h + layer.b_ih + layer.b_hh  # (4H,) rows i, f, g, o
            i, f, g, o = sigma(z[:H]), sigma(z[H : 2 * H]), np.tanh(z[2 * H : 3 * H]), sigma(z[3 * H :])
            c = f * c + i * g
            h = o * np.tanh(c)
            for q, v in zip("ifgoch", (i, f, g, o, c, h), strict=True):
                rec[q].append(v)
        layer_out = {q: np.array(v) for q, v in rec.items()}
        out.append(layer_out)
        x = layer_out["h"]
    return out


def with_activation(params: LSTMParams, name: str) -> LSTMParams:
    return LSTMParams(params.layers, params.vocab_size, params.embedding, params.W_dec, params.b_dec, name)


@pytest.mark.parametrize("name", RECURRENT_ACTIVATIONS)
@pytest.mark.parametrize("E", [5, None], ids=["embedding", "one-hot"])
def test_engine_follows_the_equations_for_every_recurrent_activation(name, E):
    rng = np.random.default_rng(11)
    params = with_activation(random_params(rng, V=9, E=E, H=6, L=2, dtype=np.float64), name)
    ids = rng.integers(0, 9, 40)
    trace = forward(compile_params(params), ids)
    for k, expected in enumerate(reference(params, ids)):
        for q, a in expected.items():
            np.testing.assert_allclose(trace.layers[k][q], a, rtol=0, atol=1e-12, err_msg=f"{name} layer {k} {q}")


@pytest.mark.parametrize("name", ["hard_sigmoid", "hard_sigmoid_keras2"])
def test_hard_sigmoid_gates_saturate_at_exactly_0_and_1(name):
    small = random_params(np.random.default_rng(3), V=7, E=4, H=5, L=1)
    big = tuple(type(lay)(lay.W_ih * 8, lay.W_hh * 8, lay.b_ih * 8, lay.b_hh * 8) for lay in small.layers)
    params = LSTMParams(big, small.vocab_size, small.embedding, None, None, name)
    layer = forward(compile_params(params), np.arange(7)).layers[0]
    for q in "ifo":
        gate = layer[q]
        assert gate.min() == 0.0 and gate.max() == 1.0, (q, gate.min(), gate.max())
    assert np.abs(layer.g).max() <= 1  # tanh, untouched by the clip


def test_the_slopes_differ_where_keras_2_and_3_differ():
    x = np.array([-3.0, -1.0, 0.0, 1.0, 2.5, 3.0])
    np.testing.assert_allclose(SIGMA["hard_sigmoid"](x), [0, 1 / 3, 0.5, 2 / 3, 11 / 12, 1])
    np.testing.assert_allclose(SIGMA["hard_sigmoid_keras2"](x), [0, 0.3, 0.5, 0.7, 1, 1])
