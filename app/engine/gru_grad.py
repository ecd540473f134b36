"""Training a GRU in NumPy: one layer's batched forward pass that keeps what backward needs, and its
backpropagation through time; the network around it is app.training.network's.

Parameters are named as a PyTorch state_dict of Embedding + `nn.GRU` + Linear: `gru.weight_ih_l{k}`
(3H, In), `gru.weight_hh_l{k}` (3H, H), `gru.bias_ih_l{k}`, `gru.bias_hh_l{k}` (3H,), rows in PyTorch's
gate order r, z, n. Arrays are time-major: x (T, B, In), states (T, B, H). Every sequence starts from zero.

Forward, per layer, per step (PyTorch's nn.GRU; b_hn stays inside the reset gate's product):

    r_t = σ(W_ir·x_t + b_ir + W_hr·h_{t-1} + b_hr)       reset gate
    z_t = σ(W_iz·x_t + b_iz + W_hz·h_{t-1} + b_hz)       update gate: 1 keeps h_{t-1}
    n_t = tanh(W_in·x_t + b_in + r_t ⊙ (W_hn·h_{t-1} + b_hn))   candidate
    h_t = (1 − z_t) ⊙ n_t + z_t ⊙ h_{t-1}

Backward, per step from the last, with q_t = W_hn·h_{t-1} + b_hn and dh = dh_out_t + dh_next:

    dn = dh ⊙ (1 − z),   dz = dh ⊙ (h_{t-1} − n)
    da_n = dn ⊙ (1 − n²),   da_z = dz ⊙ σ'(z),   da_r = da_n ⊙ q ⊙ σ'(r)
    input side  [da_r, da_z, da_n]:      dW_ih += ·ᵀ x_t,      db_ih += ·,   dx_t = · W_ih
    hidden side [da_r, da_z, da_n ⊙ r]:  dW_hh += ·ᵀ h_{t-1},  db_hh += ·
    dh_next = dh ⊙ z + [da_r, da_z, da_n ⊙ r] · W_hh

Options (keyword arguments of `layer_forward`, kept in the cache for `layer_backward`):

- `recurrent_activation`, the σ of r and z (app.engine.lstm.RECURRENT_ACTIVATIONS), σ' as app.engine.lstm_grad's
  (a hard σ: its slope strictly inside (0, 1), 0 where clipped, at a kink too).
- `reset_after=False` (Keras's other GRU): n_t = tanh(W_in·x_t + b_in + W_hn·(r_t ⊙ h_{t-1}) + b_hn), so q_t =
  W_hn·(r_t ⊙ h_{t-1}) + b_hn and, with g = da_n · W_hn (d of r ⊙ h_{t-1}):

    da_r = g ⊙ h_{t-1} ⊙ σ'(r)
    hidden side [da_r, da_z, da_n]:  dW_hh += [da_r, da_z]ᵀ h_{t-1} stacked on da_nᵀ (r ⊙ h_{t-1}),  db_hh += ·
    dh_next = dh ⊙ z + [da_r, da_z] · [W_hr; W_hz] + g ⊙ r

The defaults (sigmoid, reset_after=True) run in the order the trainer always has (its checkpoints' bits).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from app.engine.lstm_grad import gate_activation, times_sigma_prime


@dataclass(frozen=True)
class LayerCache:
    """What backward needs from one layer: input x (T, B, In), gates r, z, n (T, B, H), the recurrent
    candidate part q (T, B, H): W_hn·h_{t-1} + b_hn (W_hn·(r ⊙ h_{t-1}) + b_hn with reset_after=False),
    hidden states h (T, B, H), and the layer's options."""

    x: np.ndarray
    r: np.ndarray
    z: np.ndarray
    n: np.ndarray
    q: np.ndarray
    h: np.ndarray
    recurrent_activation: str = "sigmoid"
    reset_after: bool = True


def layer_forward(W_ih: np.ndarray, W_hh: np.ndarray, b_ih: np.ndarray, b_hh: np.ndarray,
                  x: np.ndarray, *, recurrent_activation: str = "sigmoid", reset_after: bool = True) -> LayerCache:
    """One layer over (T, B, In) inputs from the zero state, with the GRU's options."""
    sig = gate_activation(recurrent_activation)
    if reset_after not in (True, False):
        raise ValueError(f"reset_after must be True or False, got {reset_after!r}")
    T, B, _ = x.shape
    H = W_hh.shape[1]
    xi = x @ W_ih.T + b_ih  # (T, B, 3H): input projection for every step at once
    r, z, n, q, h = (np.empty((T, B, H), x.dtype) for _ in range(5))
    h_prev = np.zeros((B, H), x.dtype)
    W_rz, b_rz, W_hn, b_hn = W_hh[: 2 * H], b_hh[: 2 * H], W_hh[2 * H :], b_hh[2 * H :]
    for t in range(T):
        hh = h_prev @ W_hh.T + b_hh if reset_after else h_prev @ W_rz.T + b_rz  # (B, 3H) or (B, 2H)
        r[t] = sig(xi[t, :, :H] + hh[:, :H])
        z[t] = sig(xi[t, :, H : 2 * H] + hh[:, H : 2 * H])
        if reset_after:
            q[t] = hh[:, 2 * H :]
            n[t] = np.tanh(xi[t, :, 2 * H :] + r[t] * q[t])
        else:
            q[t] = (r[t] * h_prev) @ W_hn.T + b_hn
            n[t] = np.tanh(xi[t, :, 2 * H :] + q[t])
        h[t] = (h_prev - n[t]) * z[t] + n[t]
        h_prev = h[t]
    return LayerCache(x, r, z, n, q, h, recurrent_activation, reset_after)


def layer_backward(W_ih: np.ndarray, W_hh: np.ndarray, cache: LayerCache, dh_out: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of one layer given d loss / d h for every step (T, B, H), with the options its cache kept.
    Returns dW_ih, dW_hh, db_ih, db_hh and dx (T, B, In)."""
    T, B, H = cache.h.shape
    act, after = cache.recurrent_activation, cache.reset_after
    d_in = np.empty((T, B, 3 * H), cache.h.dtype)  # d pre-activations, input side
    d_hid = np.empty((T, B, 3 * H), cache.h.dtype)  # d pre-activations, hidden side
    dh_next = np.zeros((B, H), cache.h.dtype)
    for t in reversed(range(T)):
        r, z, n, q = cache.r[t], cache.z[t], cache.n[t], cache.q[t]
        h_prev = cache.h[t - 1] if t > 0 else np.zeros_like(dh_next)
        dh = dh_out[t] + dh_next
        da_n = dh * (1 - z) * (1 - n * n)
        da_z = times_sigma_prime(dh * (h_prev - n), z, act)
        if after:
            da_r = times_sigma_prime(da_n * q, r, act)
        else:
            d_rh = da_n @ W_hh[2 * H :]  # d (r ⊙ h_{t-1})
            da_r = times_sigma_prime(d_rh * h_prev, r, act)
        d_in[t, :, :H], d_in[t, :, H : 2 * H], d_in[t, :, 2 * H :] = da_r, da_z, da_n
        d_hid[t, :, : 2 * H] = d_in[t, :, : 2 * H]
        if after:
            d_hid[t, :, 2 * H :] = da_n * r
            dh_next = dh * z + d_hid[t] @ W_hh
        else:
            d_hid[t, :, 2 * H :] = da_n
            dh_next = dh * z + d_hid[t, :, : 2 * H] @ W_hh[: 2 * H] + d_rh * r
    h_prev = np.concatenate([np.zeros((1, B, H), cache.h.dtype), cache.h[:-1]])  # (T, B, H)
    d_in_flat, d_hid_flat = d_in.reshape(T * B, 3 * H), d_hid.reshape(T * B, 3 * H)
    dW_ih = d_in_flat.T @ cache.x.reshape(T * B, -1)
    if after:
        dW_hh = d_hid_flat.T @ h_prev.reshape(T * B, H)
    else:  # the n rows act on r ⊙ h_{t-1}
        rh = (cache.r * h_prev).reshape(T * B, H)
        dW_hh = np.concatenate([d_hid_flat[:, : 2 * H].T @ h_prev.reshape(T * B, H), d_hid_flat[:, 2 * H :].T @ rh])
    return dW_ih, dW_hh, d_in_flat.sum(axis=0), d_hid_flat.sum(axis=0), d_in @ W_ih
