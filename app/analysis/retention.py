"""Memory that lasts: how much of what a layer held at step s is still there at later steps t.

For the LSTM (colah's notation, one layer, recorded gates i, f, g, o and states c, h, each (T, H)):

    kept_t      = ∏_{k=s+1..t} f_k                  the share of c_s that survives to c_t, per unit
    written_t   = (i_s ⊙ g_s) ⊙ ∏_{k=s+1..t} f_k     what step s wrote, as it survives in c_t

and for both cells the sensitivity of the hidden state, one number per pair s < t:

    ‖∂h_t/∂h_s‖_F   (Frobenius norm of the H × H Jacobian)

and for the LSTM also that of its long-term memory, the cell state (h_s held fixed):

    ‖∂c_t/∂c_s‖_F   whose direct path, c_s → c_{s+1} → … → c_t, is diag(∏_{k=s+1..t} f_k)

A vanilla RNN's only memory is h (app/engine/cells.py MEMORY), so ‖∂h_t/∂h_s‖ of the RNN and ‖∂c_t/∂c_s‖ of the
LSTM answer the same question: how strongly does the memory at t still depend on the memory at s?

For a vanilla RNN, h_t = tanh(a_t) with a_t = W_ih x_t + b + W_hh h_{t-1}, so
∂h_t/∂h_{t-1} = diag(1 − h_t²) W_hh: a product of these shrinks geometrically when W_hh's gains are
below one — the vanishing gradient, as a curve. For the LSTM the state is (h, c) and the step Jacobian is

    ∂c_t/∂h_{t-1} = diag(c_{t-1} σ'_f) W_f + diag(g σ'_i) W_i + diag(i (1−g²)) W_g =: C_t
    ∂c_t/∂c_{t-1} = diag(f_t)
    ∂h_t/∂h_{t-1} = diag(tanh(c_t) σ'_o) W_o + diag(o (1−tanh²c_t)) C_t
    ∂h_t/∂c_{t-1} = diag(o (1−tanh²c_t) f_t)

so that [∂h_t; ∂c_t] = [[∂h_t/∂h_{t-1}, ∂h_t/∂c_{t-1}], [C_t, diag(f_t)]] · [∂h_{t-1}; ∂c_{t-1}] with respect
to (h_s, c_s), starting from the identity at t = s.

(W_i, W_f, W_g, W_o: the gate blocks of W_hh (4H, H), PyTorch's order i, f, g, o; σ'_f = σ'(z_f) at
step t, f(1−f) for the logistic sigmoid). Through the cell path the product can stay near one as long
as the forget gates stay near one — the LSTM's claim.

σ' is read off the recorded gate values: σ(1−σ) for the logistic sigmoid; for a hard σ (Keras imports,
clip(slope·x + ½, 0, 1), app/engine/lstm.py) its slope where 0 < σ < 1 and 0 where it clips. Tests check every
formula against finite differences of the engine, for every recurrent activation.

Cost per later step t: two (H × H) @ (H × 2H) products for the LSTM (≈ 4·H³ multiply-adds), one
(H × H) @ (H × H) for the RNN (≈ H³); app/serving/retention.py caps the window by that.
"""

from __future__ import annotations

import numpy as np

from app.engine.lstm import HARD_SIGMOID_SLOPES


def sigma_prime(gate: np.ndarray, recurrent_activation: str = "sigmoid") -> np.ndarray:
    """σ'(z) from the gate value σ(z) (any shape): σ(1−σ), or a hard σ's slope inside (0, 1) and 0 outside."""
    if recurrent_activation == "sigmoid":
        return gate * (1 - gate)
    return np.where((gate > 0) & (gate < 1), HARD_SIGMOID_SLOPES[recurrent_activation], 0.0)


def forget_products(f: np.ndarray, s: int, window: int) -> np.ndarray:
    """∏_{k=s+1..t} f_k for t = s+1 .. s+window, per unit: (window, H). f: (T, H)."""
    return np.cumprod(f[s + 1 : s + 1 + window], axis=0)


def lstm_jacobian_norms(W_hh: np.ndarray, i: np.ndarray, f: np.ndarray, g: np.ndarray, o: np.ndarray,
                        c: np.ndarray, c0: np.ndarray, s: int, window: int,
                        recurrent_activation: str = "sigmoid") -> tuple[np.ndarray, np.ndarray]:
    """(‖∂h_t/∂h_s‖_F, ‖∂c_t/∂c_s‖_F) for t = s+1 .. s+window, each (window,). W_hh (4H, H) unscaled;
    gates and c (T, H); c0 (H,) the cell state before step 0; recurrent_activation the σ of i, f and o
    (see sigma_prime). Propagates the Jacobians of h_t and c_t with respect to the whole state
    (h_s, c_s), each (H, 2H): about 4·H³ multiply-adds per step."""
    H = W_hh.shape[1]
    W_i, W_f, W_g, W_o = (W_hh[k * H : (k + 1) * H].astype(np.float64) for k in range(4))
    dh = np.hstack([np.eye(H), np.zeros((H, H))])  # [∂h_s/∂h_s, ∂h_s/∂c_s]
    dc = np.hstack([np.zeros((H, H)), np.eye(H)])  # [∂c_s/∂h_s, ∂c_s/∂c_s]
    out_h, out_c = np.empty(window), np.empty(window)
    for n, t in enumerate(range(s + 1, s + 1 + window)):
        c_prev = c[t - 1] if t > 0 else c0
        it, ft, gt, ot = (x[t].astype(np.float64) for x in (i, f, g, o))
        tc = np.tanh(c[t].astype(np.float64))
        di, df, do = (sigma_prime(x, recurrent_activation) for x in (it, ft, ot))
        C = (c_prev * df)[:, None] * W_f + (gt * di)[:, None] * W_i + (it * (1 - gt**2))[:, None] * W_g
        A = (tc * do)[:, None] * W_o + (ot * (1 - tc**2))[:, None] * C
        b = ot * (1 - tc**2) * ft
        dh, dc = A @ dh + b[:, None] * dc, C @ dh + ft[:, None] * dc
        out_h[n], out_c[n] = np.linalg.norm(dh[:, :H]), np.linalg.norm(dc[:, H:])
    return out_h, out_c


def rnn_jacobian_norms(W_hh: np.ndarray, h: np.ndarray, s: int, window: int) -> np.ndarray:
    """‖∂h_t/∂h_s‖_F for t = s+1 .. s+window of a tanh RNN layer: (window,). W_hh (H, H); h (T, H)."""
    W = W_hh.astype(np.float64)
    J = np.eye(W.shape[0])
    out = np.empty(window)
    for n, t in enumerate(range(s + 1, s + 1 + window)):
        J = (1 - h[t].astype(np.float64) ** 2)[:, None] * (W @ J)
        out[n] = np.linalg.norm(J)
    return out
