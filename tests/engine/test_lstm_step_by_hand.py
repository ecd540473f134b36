"""One LSTM step worked out by hand: H = 2, one-hot inputs over V = 2, float64 weights.

The expected numbers below were computed on paper from the equations (σ and tanh values looked up
once with Python's math module and rounded to 7 decimals), not taken from the engine.

Rows of the (4H, ·) matrices in PyTorch's gate order: i0 i1 f0 f1 g0 g1 o0 o1.
The input is token 1, so x = [0, 1] and W_ih·x is W_ih's second column.
h_{t-1} = [0.5, -1.0], c_{t-1} = [1.0, -2.0].
"""

from __future__ import annotations

import numpy as np
import pytest

from app.engine.lstm import LayerWeights, LSTMParams, State, compile_params, forward, ledger, step_detail

# W_ih (4H, V) = (8, 2); column 1 is the part token 1 selects.
W_ih = np.array(
    [
        [0.1, 0.5],  # i0
        [0.2, -0.5],  # i1
        [0.3, 1.0],  # f0
        [0.4, 0.25],  # f1
        [0.5, -1.0],  # g0
        [0.6, 0.75],  # g1
        [0.7, 0.5],  # o0
        [0.8, -0.25],  # o1
    ]
)
# W_hh (4H, H) = (8, 2).
W_hh = np.array(
    [
        [0.5, -0.5],  # i0
        [1.0, 0.0],  # i1
        [0.0, 1.0],  # f0
        [-1.0, 0.5],  # f1
        [0.25, 0.25],  # g0
        [-0.5, 1.0],  # g1
        [1.0, 1.0],  # o0
        [0.0, -1.0],  # o1
    ]
)
b_ih = np.array([0.1, 0.0, 0.5, 0.0, 0.0, -0.1, 0.2, 0.0])  # (4H,)
b_hh = np.array([0.0, 0.1, 0.5, 1.0, 0.1, 0.0, 0.0, -0.2])  # (4H,)
h_prev = np.array([0.5, -1.0])  # (H,)
c_prev = np.array([1.0, -2.0])  # (H,)
TOKEN = 1

# Pre-activation = input part (W_ih·x) + recurrent part (W_hh·h_prev) + bias (b_ih + b_hh):
#   i0:  0.5   + ( 0.5·0.5  + -0.5·-1)  =  0.75   + 0.1 =  1.35
#   i1: -0.5   + ( 1.0·0.5  +  0.0·-1)  =  0.5    + 0.1 =  0.1
#   f0:  1.0   + ( 0.0·0.5  +  1.0·-1)  = -1.0    + 1.0 =  1.0
#   f1:  0.25  + (-1.0·0.5  +  0.5·-1)  = -1.0    + 1.0 =  0.25
#   g0: -1.0   + ( 0.25·0.5 + 0.25·-1)  = -0.125  + 0.1 = -1.025
#   g1:  0.75  + (-0.5·0.5  +  1.0·-1)  = -1.25   - 0.1 = -0.6
#   o0:  0.5   + ( 1.0·0.5  +  1.0·-1)  = -0.5    + 0.2 =  0.2
#   o1: -0.25  + ( 0.0·0.5  + -1.0·-1)  =  1.0    - 0.2 =  0.55
INPUT_PART = [0.5, -0.5, 1.0, 0.25, -1.0, 0.75, 0.5, -0.25]
RECURRENT_PART = [0.75, 0.5, -1.0, -1.0, -0.125, -1.25, -0.5, 1.0]
BIAS = [0.1, 0.1, 1.0, 1.0, 0.1, -0.1, 0.2, -0.2]
PRE_ACTIVATION = [1.35, 0.1, 1.0, 0.25, -1.025, -0.6, 0.2, 0.55]

# Gates, σ(x) = 1 / (1 + e^-x):
#   i = [σ(1.35), σ(0.1)]         = [0.7941296, 0.5249792]
#   f = [σ(1.0), σ(0.25)]         = [0.7310586, 0.5621765]
#   g = [tanh(-1.025), tanh(-0.6)] = [-0.7718952, -0.5370496]
#   o = [σ(0.2), σ(0.55)]         = [0.5498340, 0.6341356]
# Memory ledger:
#   kept      = f ⊙ c_prev       = [0.7310586 ·  1.0, 0.5621765 · -2.0] = [0.7310586, -1.1243530]
#   forgotten = (1 − f) ⊙ c_prev = [0.2689414 ·  1.0, 0.4378235 · -2.0] = [0.2689414, -0.8756470]
#   written   = i ⊙ g            = [0.7941296 · -0.7718952, 0.5249792 · -0.5370496] = [-0.6129849, -0.2819398]
# New state:
#   c = kept + written = [0.7310586 - 0.6129849, -1.1243530 - 0.2819398] = [0.1180737, -1.4062928]
#   tanh(c)            = [0.1175280, -0.8867043]
#   h = o ⊙ tanh(c)    = [0.5498340 · 0.1175280, 0.6341356 · -0.8867043] = [0.0646209, -0.5622908]
EXPECTED = {
    "i": [0.7941296, 0.5249792],
    "f": [0.7310586, 0.5621765],
    "g": [-0.7718952, -0.5370496],
    "o": [0.5498340, 0.6341356],
    "c": [0.1180737, -1.4062928],
    "h": [0.0646209, -0.5622908],
}
EXPECTED_LEDGER = {
    "kept": [0.7310586, -1.1243530],
    "forgotten": [0.2689414, -0.8756470],
    "written": [-0.6129849, -0.2819398],
}
TOLERANCE = 1e-6  # the literals above are rounded to 7 decimals


def one_hot_params() -> LSTMParams:
    """No embedding: layer 0 reads one-hot vectors over V = 2."""
    return LSTMParams(layers=(LayerWeights(W_ih, W_hh, b_ih, b_hh),), vocab_size=2)


def identity_embedding_params() -> LSTMParams:
    """The same model through the embedding path: Embedding(2, 2) = identity gives the same x."""
    return LSTMParams(layers=(LayerWeights(W_ih, W_hh, b_ih, b_hh),), vocab_size=2, embedding=np.eye(2))


MODELS = [pytest.param(one_hot_params, id="one_hot"), pytest.param(identity_embedding_params, id="embedding")]


def run_step(params: LSTMParams):
    ids = np.array([TOKEN])  # (T,) = (1,)
    initial = State(h=h_prev[None, :].copy(), c=c_prev[None, :].copy())  # (L, H) = (1, 2)
    return ids, forward(compile_params(params), ids, initial)


@pytest.mark.parametrize("make_params", MODELS)
@pytest.mark.parametrize("q", list(EXPECTED))
def test_step_matches_hand_arithmetic(make_params, q):
    _, trace = run_step(make_params())
    got = trace.layers[0][q]  # (T, H) = (1, 2)
    assert got.dtype == np.float64
    np.testing.assert_allclose(got[0], EXPECTED[q], rtol=0, atol=TOLERANCE)


@pytest.mark.parametrize("make_params", MODELS)
def test_final_state_is_the_step(make_params):
    _, trace = run_step(make_params())
    np.testing.assert_allclose(trace.final.h[0], EXPECTED["h"], rtol=0, atol=TOLERANCE)
    np.testing.assert_allclose(trace.final.c[0], EXPECTED["c"], rtol=0, atol=TOLERANCE)


@pytest.mark.parametrize("make_params", MODELS)
def test_ledger_matches_hand_arithmetic(make_params):
    _, trace = run_step(make_params())
    book = ledger(trace.layers[0], c_prev)
    for name, expected in EXPECTED_LEDGER.items():
        np.testing.assert_allclose(book[name][0], expected, rtol=0, atol=TOLERANCE, err_msg=name)
    # The definitions, on the engine's own numbers: kept + written is c, kept + forgotten is c_prev.
    layer = trace.layers[0]
    np.testing.assert_allclose(book["kept"], layer.f * c_prev, rtol=0, atol=1e-15)
    np.testing.assert_allclose(book["forgotten"], (1 - layer.f) * c_prev, rtol=0, atol=1e-15)
    np.testing.assert_allclose(book["written"], layer.i * layer.g, rtol=0, atol=1e-15)
    np.testing.assert_allclose(book["kept"] + book["written"], layer.c, rtol=0, atol=1e-12)
    np.testing.assert_allclose(book["kept"] + book["forgotten"], c_prev[None, :], rtol=0, atol=1e-12)


@pytest.mark.parametrize("make_params", MODELS)
def test_step_detail_parts_match_hand_arithmetic(make_params):
    params = make_params()
    ids, trace = run_step(params)
    detail = step_detail(params, trace, ids, k=0, t=0)
    np.testing.assert_allclose(detail.x, [0.0, 1.0], rtol=0, atol=0)
    np.testing.assert_allclose(detail.h_prev, h_prev, rtol=0, atol=0)
    np.testing.assert_allclose(detail.c_prev, c_prev, rtol=0, atol=0)
    np.testing.assert_allclose(detail.input, INPUT_PART, rtol=0, atol=1e-12)
    np.testing.assert_allclose(detail.recurrent, RECURRENT_PART, rtol=0, atol=1e-12)
    np.testing.assert_allclose(detail.bias, BIAS, rtol=0, atol=1e-12)
    np.testing.assert_allclose(detail.input + detail.recurrent + detail.bias, PRE_ACTIVATION, rtol=0, atol=1e-12)


@pytest.mark.parametrize("make_params", MODELS)
def test_step_detail_explains_the_recorded_gates(make_params):
    """σ / tanh of the summed parts gives back the gates the trace recorded."""
    params = make_params()
    ids, trace = run_step(params)
    detail = step_detail(params, trace, ids, k=0, t=0)
    z_i, z_f, z_g, z_o = np.split(detail.input + detail.recurrent + detail.bias, 4)  # each (H,)
    layer = trace.layers[0]
    sigmoid = 1 / (1 + np.exp(-np.array([z_i, z_f, z_o])))
    np.testing.assert_allclose(sigmoid, [layer.i[0], layer.f[0], layer.o[0]], rtol=0, atol=1e-12)
    np.testing.assert_allclose(np.tanh(z_g), layer.g[0], rtol=0, atol=1e-12)
