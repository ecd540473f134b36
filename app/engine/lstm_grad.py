"""Training an LSTM layer in NumPy: the batched forward pass that keeps what backward needs, and
backpropagation through time; the network around it (embedding, stacked layers, decoder, loss, Adam) is
app.training.network's. Gate order in the 4H rows is i, f, g, o. Arrays are time-major: x (T, B, In),
activations (T, B, 4H), states (T, B, H). Every sequence starts from the zero state.

Backward, per step from the last (⊙ elementwise; σ' = σ(1 − σ) for the sigmoid):

    dc   = dc_next + dh ⊙ o ⊙ (1 − tanh²(c_t))
    do   = dh ⊙ tanh(c_t)         di = dc ⊙ g        dg = dc ⊙ i        df = dc ⊙ c_{t-1}
    dz   = [di ⊙ σ'(i), df ⊙ σ'(f), dg ⊙ (1 − g²), do ⊙ σ'(o)]
    dh_{t-1} = dz · W_hh,   dc_{t-1} = dc ⊙ f,   dx_t = dz · W_ih
    dW_ih = Σ_t dzᵀ x_t,    dW_hh = Σ_t dzᵀ h_{t-1},   db_ih = db_hh = Σ_t dz

Options (keyword arguments of `layer_forward`, kept in the cache for `layer_backward`): `recurrent_activation`,
the σ of i, f and o, one of app.engine.lstm.RECURRENT_ACTIVATIONS. With a hard σ, clip(slope·x + ½, 0, 1)
(app.engine.lstm.sigma), σ' is the slope where the gate is strictly inside (0, 1) and 0 where it is clipped,
including exactly at a kink (a gate of exactly 0 or 1, x = ±1/(2·slope) up to rounding): the clipped side's
derivative, as app.engine.lstm.sigma_prime (torch's clamp takes the slope there instead). The default, sigmoid,
runs this module's own σ and σ' in the order the trainer always has (its checkpoints' bits depend on it).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from app.engine.lstm import RECURRENT_ACTIVATIONS, sigma, sigma_prime


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def gate_activation(recurrent_activation: str = "sigmoid"):
    """x -> σ(x) for a gate: the trainer's sigmoid (a new array), or app.engine.lstm's hard σ (x in place)."""
    if recurrent_activation not in RECURRENT_ACTIVATIONS:
        raise ValueError(f"recurrent_activation {recurrent_activation!r} is not supported; "
                         f"use one of {RECURRENT_ACTIVATIONS}")
    if recurrent_activation == "sigmoid":
        return _sigmoid
    return lambda x: sigma(x, recurrent_activation)


def times_sigma_prime(d: np.ndarray, gate: np.ndarray, recurrent_activation: str = "sigmoid") -> np.ndarray:
    """d ⊙ σ'(x) from the gate's value σ(x): d·σ·(1 − σ) in that order, or d times a hard σ's slope where the
    gate is strictly inside (0, 1) and 0 where it is clipped, at a kink too (app.engine.lstm.sigma_prime)."""
    if recurrent_activation == "sigmoid":
        return d * gate * (1 - gate)
    return d * sigma_prime(gate, recurrent_activation)


@dataclass(frozen=True)
class LayerCache:
    """What backward needs from one layer: its input x (T, B, In), activated gates [i f g o]
    (T, B, 4H), cell states c (T, B, H), hidden states h (T, B, H), and the layer's option."""

    x: np.ndarray
    gates: np.ndarray
    c: np.ndarray
    h: np.ndarray
    recurrent_activation: str = "sigmoid"


def layer_forward(W_ih: np.ndarray, W_hh: np.ndarray, b_ih: np.ndarray, b_hh: np.ndarray,
                  x: np.ndarray, *, recurrent_activation: str = "sigmoid") -> LayerCache:
    """One layer over (T, B, In) inputs from the zero state, its gates' σ `recurrent_activation`."""
    sig = gate_activation(recurrent_activation)
    T, B, _ = x.shape
    H = W_hh.shape[1]
    gates = x @ W_ih.T + (b_ih + b_hh)  # (T, B, 4H): input projection for every step at once
    c = np.empty((T, B, H), x.dtype)
    h = np.empty((T, B, H), x.dtype)
    h_prev = np.zeros((B, H), x.dtype)
    c_prev = np.zeros((B, H), x.dtype)
    for t in range(T):
        z = gates[t]
        z += h_prev @ W_hh.T
        z[:, : 2 * H] = sig(z[:, : 2 * H])
        z[:, 2 * H : 3 * H] = np.tanh(z[:, 2 * H : 3 * H])
        z[:, 3 * H :] = sig(z[:, 3 * H :])
        i, f, g, o = z[:, :H], z[:, H : 2 * H], z[:, 2 * H : 3 * H], z[:, 3 * H :]
        c[t] = f * c_prev + i * g
        h[t] = o * np.tanh(c[t])
        h_prev, c_prev = h[t], c[t]
    return LayerCache(x, gates, c, h, recurrent_activation)


def layer_backward(
    W_ih: np.ndarray, W_hh: np.ndarray, cache: LayerCache, dh_out: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of one layer given d loss / d h for every step (T, B, H), with the option its cache kept.
    Returns dW_ih, dW_hh, db_ih, db_hh (equal: both biases add before the gates) and dx (T, B, In)."""
    T, B, H = cache.h.shape
    act = cache.recurrent_activation
    dz_all = np.empty_like(cache.gates)  # (T, B, 4H)
    dh_next = np.zeros((B, H), cache.h.dtype)
    dc_next = np.zeros((B, H), cache.h.dtype)
    for t in reversed(range(T)):
        z = cache.gates[t]
        i, f, g, o = z[:, :H], z[:, H : 2 * H], z[:, 2 * H : 3 * H], z[:, 3 * H :]
        c_prev = cache.c[t - 1] if t > 0 else np.zeros_like(dc_next)
        tanh_c = np.tanh(cache.c[t])
        dh = dh_out[t] + dh_next
        dc = dc_next + dh * o * (1 - tanh_c**2)
        dz = dz_all[t]
        dz[:, :H] = times_sigma_prime(dc * g, i, act)
        dz[:, H : 2 * H] = times_sigma_prime(dc * c_prev, f, act)
        dz[:, 2 * H : 3 * H] = dc * i * (1 - g**2)
        dz[:, 3 * H :] = times_sigma_prime(dh * tanh_c, o, act)
        dh_next = dz @ W_hh
        dc_next = dc * f
    h_prev = np.concatenate([np.zeros((1, B, H), cache.h.dtype), cache.h[:-1]])  # (T, B, H)
    dz_flat = dz_all.reshape(T * B, 4 * H)
    dW_ih = dz_flat.T @ cache.x.reshape(T * B, -1)
    dW_hh = dz_flat.T @ h_prev.reshape(T * B, H)
    db = dz_flat.sum(axis=0)
    dx = dz_all @ W_ih  # (T, B, In)
    return dW_ih, dW_hh, db, db.copy(), dx


def forget_bias_one(b_ih: np.ndarray, H: int) -> None:
    """A fresh LSTM's forget-gate bias starts at 1 (rows H..2H): it keeps memory by default early on."""
    b_ih[H : 2 * H] = 1.0
