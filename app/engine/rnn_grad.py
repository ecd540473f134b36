"""Training a vanilla RNN in NumPy: the batched forward pass that keeps what backward needs, and
backpropagation through time, of one layer: the network around it (embedding, stacked layers, decoder,
their gradients), the loss, clipping and Adam are app.training.network's, shared with the LSTM (`train.Cell`).

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
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from app.training import network as train
from app.training.network import Params


@dataclass(frozen=True)
class LayerCache:
    """What backward needs from one layer: its input x (T, B, In) and hidden states h (T, B, H)."""

    x: np.ndarray
    h: np.ndarray


def _layer_forward(W_ih: np.ndarray, W_hh: np.ndarray, b_ih: np.ndarray, b_hh: np.ndarray,
                   x: np.ndarray) -> LayerCache:
    """One layer over (T, B, In) inputs from the zero state."""
    T, B, _ = x.shape
    H = W_hh.shape[1]
    h = x @ W_ih.T + (b_ih + b_hh)  # (T, B, H): input projection for every step at once, then a_t, then h_t in place
    h_prev = np.zeros((B, H), x.dtype)
    for t in range(T):
        h[t] += h_prev @ W_hh.T
        np.tanh(h[t], out=h[t])
        h_prev = h[t]
    return LayerCache(x, h)


def _layer_backward(
    W_ih: np.ndarray, W_hh: np.ndarray, cache: LayerCache, dh_out: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of one layer given d loss / d h for every step (T, B, H).
    Returns dW_ih, dW_hh, db_ih, db_hh (equal: both biases add before tanh) and dx (T, B, In)."""
    T, B, H = cache.h.shape
    da_all = np.empty_like(cache.h)  # (T, B, H)
    dh_next = np.zeros((B, H), cache.h.dtype)
    for t in reversed(range(T)):
        h_t = cache.h[t]
        da = da_all[t]
        np.multiply(dh_out[t] + dh_next, 1 - h_t * h_t, out=da)
        dh_next = da @ W_hh
    h_prev = np.concatenate([np.zeros((1, B, H), cache.h.dtype), cache.h[:-1]])  # (T, B, H)
    da_flat = da_all.reshape(T * B, H)
    dW_ih = da_flat.T @ cache.x.reshape(T * B, -1)
    dW_hh = da_flat.T @ h_prev.reshape(T * B, H)
    db = da_flat.sum(axis=0)
    dx = da_all @ W_ih  # (T, B, In)
    return dW_ih, dW_hh, db, db.copy(), dx


RNN = train.Cell("rnn", 1, _layer_forward, _layer_backward)


def num_layers(params: Params) -> int:
    return train.num_layers(params, RNN)


def init_params(rng: np.random.Generator, V: int, E: int | None, H: int, L: int, dtype=np.float32) -> Params:
    """PyTorch's initialisation: U(−1/√H, 1/√H) for the RNN and decoder, N(0, 1) for the embedding."""
    return train.init_params(rng, V, E, H, L, dtype, RNN)


def forward(params: Params, ids: np.ndarray) -> train.Cache:
    """ids (T, B) -> logits (T, B, V), keeping every layer's states for backward."""
    return train.forward(params, ids, RNN)


def backward(params: Params, cache: train.Cache, dlogits: np.ndarray) -> Params:
    return train.backward(params, cache, dlogits, RNN)


def loss_and_grads(params: Params, ids: np.ndarray, targets: np.ndarray, mask: np.ndarray) -> tuple[float, Params]:
    """One batch: ids, targets, mask all (T, B)."""
    return train.loss_and_grads(params, ids, targets, mask, RNN)
