"""Training in NumPy: a batched forward pass that keeps what backward needs, backpropagation through
time, softmax cross-entropy, gradient-norm clipping and Adam. No web imports.

Parameters are a dict of arrays named as a PyTorch state_dict (`embedding.weight`,
`lstm.weight_ih_l{k}`, ..., `decoder.weight`, `decoder.bias`), the names of the model files, so a
trained dict is written as it is. Gate order in the 4H rows is i, f, g, o. Arrays are time-major:
ids (T, B), per-layer activations (T, B, 4H) and states (T, B, H). Every sequence starts from the zero
state, as typed text does in the app.

Backward, per layer, per step from the last (⊙ elementwise, σ' = σ(1 − σ)):

    dc   = dc_next + dh ⊙ o ⊙ (1 − tanh²(c_t))
    do   = dh ⊙ tanh(c_t)         di = dc ⊙ g        dg = dc ⊙ i        df = dc ⊙ c_{t-1}
    dz   = [di ⊙ σ'(i), df ⊙ σ'(f), dg ⊙ (1 − g²), do ⊙ σ'(o)]
    dh_{t-1} = dz · W_hh,   dc_{t-1} = dc ⊙ f,   dx_t = dz · W_ih
    dW_ih = Σ_t dzᵀ x_t,    dW_hh = Σ_t dzᵀ h_{t-1},   db_ih = db_hh = Σ_t dz
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

Params = dict[str, np.ndarray]


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))


@dataclass(frozen=True)
class LayerCache:
    """What backward needs from one layer: its input x (T, B, In), activated gates [i f g o]
    (T, B, 4H), cell states c (T, B, H) and hidden states h (T, B, H)."""

    x: np.ndarray
    gates: np.ndarray
    c: np.ndarray
    h: np.ndarray


@dataclass(frozen=True)
class Cache:
    ids: np.ndarray  # (T, B)
    layers: tuple  # one layer cache per layer (LayerCache here; app.engine.rnn_grad's for a vanilla RNN)
    logits: np.ndarray  # (T, B, V)


def _layer_forward(W_ih: np.ndarray, W_hh: np.ndarray, b_ih: np.ndarray, b_hh: np.ndarray,
                   x: np.ndarray) -> LayerCache:
    """One layer over (T, B, In) inputs from the zero state."""
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
        z[:, : 2 * H] = _sigmoid(z[:, : 2 * H])
        z[:, 2 * H : 3 * H] = np.tanh(z[:, 2 * H : 3 * H])
        z[:, 3 * H :] = _sigmoid(z[:, 3 * H :])
        i, f, g, o = z[:, :H], z[:, H : 2 * H], z[:, 2 * H : 3 * H], z[:, 3 * H :]
        c[t] = f * c_prev + i * g
        h[t] = o * np.tanh(c[t])
        h_prev, c_prev = h[t], c[t]
    return LayerCache(x, gates, c, h)


def cross_entropy(logits: np.ndarray, targets: np.ndarray, mask: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean next-token loss in nats over positions where mask is 1, and its gradient d logits.
    logits (T, B, V), targets (T, B) ints, mask (T, B) of 0/1."""
    z = logits - logits.max(axis=-1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=-1, keepdims=True))
    count = max(float(mask.sum()), 1.0)
    picked = np.take_along_axis(log_p, targets[..., None], axis=-1)[..., 0]  # (T, B)
    loss = -float((picked * mask).sum()) / count
    dlogits = np.exp(log_p)
    np.put_along_axis(dlogits, targets[..., None], np.take_along_axis(dlogits, targets[..., None], -1) - 1, -1)
    dlogits *= (mask / count)[..., None].astype(dlogits.dtype)
    return loss, dlogits


def _layer_backward(
    W_ih: np.ndarray, W_hh: np.ndarray, cache: LayerCache, dh_out: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of one layer given d loss / d h for every step (T, B, H).
    Returns dW_ih, dW_hh, db_ih, db_hh (equal: both biases add before the gates) and dx (T, B, In)."""
    T, B, H = cache.h.shape
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
        dz[:, :H] = dc * g * i * (1 - i)
        dz[:, H : 2 * H] = dc * c_prev * f * (1 - f)
        dz[:, 2 * H : 3 * H] = dc * i * (1 - g**2)
        dz[:, 3 * H :] = dh * tanh_c * o * (1 - o)
        dh_next = dz @ W_hh
        dc_next = dc * f
    h_prev = np.concatenate([np.zeros((1, B, H), cache.h.dtype), cache.h[:-1]])  # (T, B, H)
    dz_flat = dz_all.reshape(T * B, 4 * H)
    dW_ih = dz_flat.T @ cache.x.reshape(T * B, -1)
    dW_hh = dz_flat.T @ h_prev.reshape(T * B, H)
    db = dz_flat.sum(axis=0)
    dx = dz_all @ W_ih  # (T, B, In)
    return dW_ih, dW_hh, db, db.copy(), dx


def _forget_bias_one(b_ih: np.ndarray, H: int) -> None:
    b_ih[H : 2 * H] = 1.0  # rows H..2H: the forget gate keeps memory by default early on


@dataclass(frozen=True)
class Cell:
    """What the network code below needs of a recurrent cell: its state_dict prefix (`lstm`, `rnn`), the
    rows per unit of its weights (4 for the LSTM's gates, 1 for a vanilla RNN), one layer's forward
    (W_ih, W_hh, b_ih, b_hh, x (T, B, In)) -> layer cache with .h (T, B, H), its backward (W_ih, W_hh,
    cache, dh (T, B, H)) -> (dW_ih, dW_hh, db_ih, db_hh, dx), and an optional change to a fresh b_ih (rows·H,)."""

    name: str
    rows: int
    layer_forward: Callable
    layer_backward: Callable
    init_bias: Callable[[np.ndarray, int], None] | None = None


LSTM = Cell("lstm", 4, _layer_forward, _layer_backward, _forget_bias_one)


def num_layers(params: Params, cell: Cell = LSTM) -> int:
    return sum(1 for name in params if name.startswith(f"{cell.name}.weight_hh_l"))


def init_params(
    rng: np.random.Generator, V: int, E: int | None, H: int, L: int, dtype=np.float32, cell: Cell = LSTM
) -> Params:
    """PyTorch's initialisation: U(−1/√H, 1/√H) for the cell and decoder, N(0, 1) for the embedding;
    then the cell's own bias change (the LSTM's forget-gate bias starts at 1)."""
    bound = 1 / np.sqrt(H)

    def uniform(*shape: int) -> np.ndarray:
        return rng.uniform(-bound, bound, size=shape).astype(dtype)

    params: Params = {}
    if E is not None:
        params["embedding.weight"] = rng.standard_normal((V, E)).astype(dtype)
    in_size = V if E is None else E
    rows, name = cell.rows * H, cell.name
    for k in range(L):
        params[f"{name}.weight_ih_l{k}"] = uniform(rows, in_size)
        params[f"{name}.weight_hh_l{k}"] = uniform(rows, H)
        params[f"{name}.bias_ih_l{k}"] = uniform(rows)
        if cell.init_bias is not None:
            cell.init_bias(params[f"{name}.bias_ih_l{k}"], H)
        params[f"{name}.bias_hh_l{k}"] = uniform(rows)
        in_size = H
    params["decoder.weight"] = uniform(V, H)
    params["decoder.bias"] = uniform(V)
    return params


def forward(params: Params, ids: np.ndarray, cell: Cell = LSTM) -> Cache:
    """ids (T, B) -> logits (T, B, V), keeping every layer's activations for backward."""
    emb = params.get("embedding.weight")
    if emb is not None:
        x = emb[ids]  # (T, B, E)
    else:
        V = params["decoder.weight"].shape[0]
        x = np.eye(V, dtype=params["decoder.weight"].dtype)[ids]  # (T, B, V) one-hot
    layers = []
    for k in range(num_layers(params, cell)):
        n = cell.name
        layer = cell.layer_forward(params[f"{n}.weight_ih_l{k}"], params[f"{n}.weight_hh_l{k}"],
                                   params[f"{n}.bias_ih_l{k}"], params[f"{n}.bias_hh_l{k}"], x)
        layers.append(layer)
        x = layer.h
    logits = x @ params["decoder.weight"].T + params["decoder.bias"]  # (T, B, V)
    return Cache(ids, tuple(layers), logits)


def backward(params: Params, cache: Cache, dlogits: np.ndarray, cell: Cell = LSTM) -> Params:
    """Gradients of the loss for every parameter, same names and shapes as params."""
    grads: Params = {}
    top = cache.layers[-1].h
    V, H = params["decoder.weight"].shape
    grads["decoder.weight"] = dlogits.reshape(-1, V).T @ top.reshape(-1, H)
    grads["decoder.bias"] = dlogits.reshape(-1, V).sum(axis=0)
    dh = dlogits @ params["decoder.weight"]  # (T, B, H)
    name = cell.name
    for k in reversed(range(len(cache.layers))):
        dW_ih, dW_hh, db_ih, db_hh, dh = cell.layer_backward(
            params[f"{name}.weight_ih_l{k}"], params[f"{name}.weight_hh_l{k}"], cache.layers[k], dh
        )
        grads[f"{name}.weight_ih_l{k}"] = dW_ih
        grads[f"{name}.weight_hh_l{k}"] = dW_hh
        grads[f"{name}.bias_ih_l{k}"] = db_ih
        grads[f"{name}.bias_hh_l{k}"] = db_hh
    if "embedding.weight" in params:
        d_emb = np.zeros_like(params["embedding.weight"])
        np.add.at(d_emb, cache.ids.reshape(-1), dh.reshape(-1, dh.shape[-1]))
        grads["embedding.weight"] = d_emb
    return grads


def loss_and_grads(
    params: Params, ids: np.ndarray, targets: np.ndarray, mask: np.ndarray, cell: Cell = LSTM
) -> tuple[float, Params]:
    """One batch: ids, targets, mask all (T, B)."""
    cache = forward(params, ids, cell)
    loss, dlogits = cross_entropy(cache.logits, targets, mask)
    return loss, backward(params, cache, dlogits, cell)


def clip_by_global_norm(grads: Params, max_norm: float) -> float:
    """Scale every gradient in place so their joint L2 norm is at most max_norm; return the norm before."""
    norm = float(np.sqrt(sum(float(np.vdot(g, g)) for g in grads.values())))
    if norm > max_norm:
        for g in grads.values():
            g *= max_norm / norm
    return norm


@dataclass
class Adam:
    """Adam (Kingma & Ba) with bias correction; moments m and v per parameter name."""

    lr: float = 2e-3
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8
    step: int = 0
    m: Params | None = None
    v: Params | None = None

    def update(self, params: Params, grads: Params) -> None:
        """Update params in place."""
        if self.m is None or self.v is None:
            self.m = {k: np.zeros_like(p) for k, p in params.items()}
            self.v = {k: np.zeros_like(p) for k, p in params.items()}
        self.step += 1
        correction1 = 1 - self.beta1**self.step
        correction2 = 1 - self.beta2**self.step
        for name, p in params.items():
            g, m, v = grads[name], self.m[name], self.v[name]
            m *= self.beta1
            m += (1 - self.beta1) * g
            v *= self.beta2
            v += (1 - self.beta2) * g * g
            p -= (self.lr / correction1) * m / (np.sqrt(v / correction2) + self.eps)
