"""A multi-layer vanilla RNN forward pass in NumPy that records its state and pre-activation at every step.

The traditional RNN of the lecture, whose hidden state is its only memory, per layer, per step t:

    a_t = W_ih·x_t + b_ih + W_hh·h_{t-1} + b_hh     pre-activation
    h_t = tanh(a_t)                                  hidden state (the layer's output)

Weights follow PyTorch's `nn.RNN(nonlinearity="tanh")` exactly: `W_ih` (H, In), `W_hh` (H, H), `b_ih` and
`b_hh` (H,); layer k > 0 takes layer k-1's h as its x. Shapes: T tokens, V vocabulary, E embedding,
H hidden units, L layers.

The interface mirrors `app.engine.lstm` so the service treats both cells alike: `compile_params`, then
`forward(compiled, ids, initial)` -> a `Trace` whose layers hold `h` and `a`, each (T, H), with the
`initial` and `final` states (a `State` holds h only: an RNN has no cell state).

Determinism, as in `app.engine.lstm`: tracing a text whole or in pieces (carrying the state) gives identical
bits. Layer 0's input projection is a row lookup in a V×H table built once per model; upper layers
project per step. No result depends on how many rows a product had.

This module imports NumPy, the standard library and app.engine.lstm (whose records it shares).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# the same records (the weights, a pass's layers and states) and the step's input part
from app.engine.lstm import StackedParams, Trace, layer_input

QUANTITIES = ("h", "a")
NONLINEARITIES = ("tanh",)


@dataclass(frozen=True)
class RNNParams(StackedParams):
    """app.engine.lstm's StackedParams (embedding, layers, decoder) of a vanilla RNN, with its nonlinearity."""

    nonlinearity: str = "tanh"


@dataclass(frozen=True)
class State:
    """The recurrent state between steps: h (L, H)."""

    h: np.ndarray


@dataclass(frozen=True)
class LayerTrace:
    """The pre-activation a and hidden state h = tanh(a) of one layer at every step, each (T, H)."""

    h: np.ndarray
    a: np.ndarray

    def __getitem__(self, name: str) -> np.ndarray:
        return getattr(self, name)


@dataclass(frozen=True)
class Compiled:
    """Per-model tables computed once at load: layer 0's input projection per token id, V×H, bias
    included; upper layers' input weights and summed biases."""

    params: RNNParams
    x_table: np.ndarray  # (V, H), layer 0: W_ih·x + b_ih + b_hh
    W_ih: tuple[np.ndarray | None, ...]  # layer k > 0: (H, H); None for layer 0
    b: tuple[np.ndarray, ...]  # (H,) b_ih + b_hh
    W_hh: tuple[np.ndarray, ...]  # (H, H)


def zero_state(params: RNNParams) -> State:
    """The all-zero state: h of shape (L, H)."""
    return State(h=np.zeros((params.num_layers, params.hidden_size), params.dtype))


def compile_params(params: RNNParams) -> Compiled:
    """Build the lookup table once per model (see the module docstring)."""
    if params.nonlinearity not in NONLINEARITIES:
        raise ValueError(f"nonlinearity {params.nonlinearity!r} is not supported; use one of {NONLINEARITIES}")
    dt = params.dtype
    first = params.layers[0]
    bias0 = first.b_ih + first.b_hh  # (H,)
    if params.embedding is None:
        x_table = first.W_ih.T + bias0  # (V, H): a one-hot input selects a column of W_ih
    else:
        x_table = params.embedding @ first.W_ih.T + bias0  # (V, E) @ (E, H) -> (V, H)
    W_ih: list[np.ndarray | None] = [None]
    W_ih += [np.ascontiguousarray(layer.W_ih, dtype=dt) for layer in params.layers[1:]]
    b = tuple(np.ascontiguousarray(layer.b_ih + layer.b_hh, dtype=dt) for layer in params.layers)
    W_hh = tuple(np.ascontiguousarray(layer.W_hh, dtype=dt) for layer in params.layers)
    return Compiled(params, np.ascontiguousarray(x_table, dtype=dt), tuple(W_ih), b, W_hh)


def _run_layer(compiled: Compiled, k: int, inputs: np.ndarray, h0: np.ndarray) -> LayerTrace:
    """Run layer k over T steps. inputs: token ids (T,) for k = 0, else layer k-1's h (T, In)."""
    T, H, dt = len(inputs), compiled.params.hidden_size, compiled.params.dtype
    W_hh, W_ih, b = compiled.W_hh[k], compiled.W_ih[k], compiled.b[k]
    A = np.empty((T, H), dt)
    Hs = np.empty((T, H), dt)
    x_proj = np.empty(H, dt)
    rows = inputs.tolist() if k == 0 else None  # Python ints index a table faster than NumPy scalars
    h_prev = h0
    for t in range(T):
        a_t = A[t]
        np.dot(W_hh, h_prev, out=a_t)  # recurrent part
        if k == 0:
            a_t += compiled.x_table[rows[t]]  # input part and bias, one row lookup
        else:
            np.dot(W_ih, inputs[t], out=x_proj)
            a_t += x_proj
            a_t += b
        np.tanh(a_t, out=Hs[t])
        h_prev = Hs[t]
    return LayerTrace(h=Hs, a=A)


def forward(compiled: Compiled, ids: np.ndarray, initial: State | None = None) -> Trace:
    """Run the RNN over token ids (T,) from `initial` (zeros by default) and record h and a.

    Returns a Trace whose layers hold h and a as (T, H) arrays in the weights' dtype.
    With T = 0 the arrays are (0, H) and the final state is the initial one.
    """
    params = compiled.params
    ids = np.asarray(ids, dtype=np.int64)
    if ids.ndim != 1:
        raise ValueError(f"ids must be one-dimensional, got shape {ids.shape}")
    if ids.size and (ids.min() < 0 or ids.max() >= params.vocab_size):
        raise ValueError(f"token ids must lie in [0, {params.vocab_size})")
    initial = initial if initial is not None else zero_state(params)
    want = (params.num_layers, params.hidden_size)
    if initial.h.shape != want or initial.h.dtype != params.dtype:
        raise ValueError(f"initial h must be {want} {params.dtype}, got {initial.h.shape} {initial.h.dtype}")
    layers: list[LayerTrace] = []
    inputs: np.ndarray = ids
    for k in range(params.num_layers):
        layer = _run_layer(compiled, k, inputs, initial.h[k])
        layers.append(layer)
        inputs = layer.h
    if len(ids):
        final = State(h=np.stack([layer.h[-1] for layer in layers]))
    else:
        final = State(h=initial.h.copy())
    return Trace(layers=tuple(layers), initial=initial, final=final)


@dataclass(frozen=True)
class StepDetail:
    """Why h at one step of one layer is what it is: a = input (W_ih·x_t) + recurrent (W_hh·h_{t-1})
    + bias (b_ih + b_hh), each (H,), and h_t = tanh(a)."""

    x: np.ndarray  # (In,) the layer's input; for a one-hot layer 0, the one-hot vector (V,)
    h_prev: np.ndarray  # (H,)
    input: np.ndarray  # (H,)
    recurrent: np.ndarray  # (H,)
    bias: np.ndarray  # (H,)


def step_detail(params: RNNParams, trace: Trace, ids: np.ndarray, k: int, t: int) -> StepDetail:
    """Split the pre-activation of layer k at step t into input, recurrent and bias parts."""
    layer = params.layers[k]
    x, input_part = layer_input(params, trace, ids, k, t)
    h_prev = trace.initial.h[k] if t == 0 else trace.layers[k].h[t - 1]
    return StepDetail(x=x, h_prev=h_prev, input=input_part, recurrent=layer.W_hh @ h_prev,
                      bias=layer.b_ih + layer.b_hh)


def rnn_jacobian_norms(W_hh: np.ndarray, h: np.ndarray, s: int, window: int) -> np.ndarray:
    """‖∂h_t/∂h_s‖_F for t = s+1 .. s+window of a tanh RNN layer: (window,). W_hh (H, H); h (T, H)."""
    W = W_hh.astype(np.float64)
    J = np.eye(W.shape[0])
    out = np.empty(window)
    for n, t in enumerate(range(s + 1, s + 1 + window)):
        J = (1 - h[t].astype(np.float64) ** 2)[:, None] * (W @ J)
        out[n] = np.linalg.norm(J)
    return out


def step_parts(params: RNNParams, trace: Trace, ids: np.ndarray, k: int, t: int) -> dict:
    """step_detail as the cell registry reads it: {"gates": {"h": {input, recurrent, bias}}, "previous": {"h"}}:
    h_t = tanh(a_t) is the one 'gate', its pre-activation a_t split as an LSTM gate's is."""
    d = step_detail(params, trace, ids, k, t)
    return {"gates": {"h": {"input": d.input, "recurrent": d.recurrent, "bias": d.bias}}, "previous": {"h": d.h_prev}}


def jacobian_norms(params: RNNParams, trace: Trace, k: int, s: int, window: int) -> tuple[np.ndarray, np.ndarray]:
    """‖∂h_t/∂h_s‖_F of layer k for t = s+1 .. s+window, twice: h is the RNN's memory too."""
    norms = rnn_jacobian_norms(params.layers[k].W_hh, trace.layers[k].h, s, window)
    return norms, norms
