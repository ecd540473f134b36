"""Training a vanilla RNN in NumPy: the batched forward pass that keeps what backward needs, and
backpropagation through time, of one layer: the network around it (embedding, stacked layers, decoder,
their gradients), the loss, clipping and Adam are app.training.network's, shared by every cell.

Parameters are a dict of arrays named as a PyTorch state_dict of Embedding + `nn.RNN` + Linear
(`embedding.weight`, `rnn.weight_ih_l{k}` (H, In), `rnn.weight_hh_l{k}` (H, H), `rnn.bias_ih_l{k}`,
`rnn.bias_hh_l{k}` (H,), `decoder.weight`, `decoder.bias`), the names of the model files. Arrays are
time-major: ids (T, B), per-layer states (T, B, H). Every sequence starts from the zero state.

Forward, per layer, per step:   a_t = x_t·W_ihᵀ + h_{t-1}·W_hhᵀ + b_ih + b_hh,   h_t = tanh(a_t)

Backward, per layer, per step from the last (⊙ elementwise):

    da_t = (dh_out_t + dh_next) ⊙ (1 − h_t²)
    dh_next = da_t · W_hh,   dx_t = da_t · W_ih
    dW_ih = Σ_t da_tᵀ x_t,   dW_hh = Σ_t da_tᵀ h_{t-1},   db_ih = db_hh = Σ_t da_t

The factor (1 − h_t²) ≤ 1 and W_hh, multiplied once per step going back, are why a plain RNN's
gradients vanish (or explode) over long distances: the lecture's case for the LSTM.

Option (a keyword argument of `layer_forward`, kept in the cache for `layer_backward`): `nonlinearity`, one of
NONLINEARITIES: tanh (the default; app.engine.rnn's, the only one a model card may name so far) or relu,
h_t = max(a_t, 0) (PyTorch's `nn.RNN(nonlinearity="relu")`), whose derivative is 1 where a_t > 0 and 0
elsewhere (0 at a_t = 0 too, as torch's): da_t = (dh_out_t + dh_next) ⊙ [h_t > 0].
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from app.engine import rnn

NONLINEARITIES = (*rnn.NONLINEARITIES, "relu")  # the engine's, then relu (these gradients only, so far)


@dataclass(frozen=True)
class LayerCache:
    """What backward needs from one layer: its input x (T, B, In), hidden states h (T, B, H) and its option."""

    x: np.ndarray
    h: np.ndarray
    nonlinearity: str = "tanh"


def layer_forward(W_ih: np.ndarray, W_hh: np.ndarray, b_ih: np.ndarray, b_hh: np.ndarray,
                  x: np.ndarray, *, nonlinearity: str = "tanh") -> LayerCache:
    """One layer over (T, B, In) inputs from the zero state, h = nonlinearity(a)."""
    if nonlinearity not in NONLINEARITIES:
        raise ValueError(f"nonlinearity {nonlinearity!r} is not supported; use one of {NONLINEARITIES}")
    relu = nonlinearity == "relu"
    T, B, _ = x.shape
    H = W_hh.shape[1]
    h = x @ W_ih.T + (b_ih + b_hh)  # (T, B, H): input projection for every step at once, then a_t, then h_t in place
    h_prev = np.zeros((B, H), x.dtype)
    for t in range(T):
        h[t] += h_prev @ W_hh.T
        if relu:
            np.maximum(h[t], 0, out=h[t])
        else:
            np.tanh(h[t], out=h[t])
        h_prev = h[t]
    return LayerCache(x, h, nonlinearity)


def layer_backward(
    W_ih: np.ndarray, W_hh: np.ndarray, cache: LayerCache, dh_out: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of one layer given d loss / d h for every step (T, B, H), with the option its cache kept.
    Returns dW_ih, dW_hh, db_ih, db_hh (equal: both biases add before the nonlinearity) and dx (T, B, In)."""
    T, B, H = cache.h.shape
    relu = cache.nonlinearity == "relu"
    da_all = np.empty_like(cache.h)  # (T, B, H)
    dh_next = np.zeros((B, H), cache.h.dtype)
    for t in reversed(range(T)):
        h_t = cache.h[t]
        da = da_all[t]
        np.multiply(dh_out[t] + dh_next, h_t > 0 if relu else 1 - h_t * h_t, out=da)
        dh_next = da @ W_hh
    h_prev = np.concatenate([np.zeros((1, B, H), cache.h.dtype), cache.h[:-1]])  # (T, B, H)
    da_flat = da_all.reshape(T * B, H)
    dW_ih = da_flat.T @ cache.x.reshape(T * B, -1)
    dW_hh = da_flat.T @ h_prev.reshape(T * B, H)
    db = da_flat.sum(axis=0)
    dx = da_all @ W_ih  # (T, B, In)
    return dW_ih, dW_hh, db, db.copy(), dx
