"""Training in NumPy: the network around a recurrent cell's layers (embedding, stacked layers, decoder),
backpropagation through it, softmax cross-entropy, gradient-norm clipping and Adam. No web imports.

Parameters are a dict of arrays named as a PyTorch state_dict (`embedding.weight`, `{cell}.weight_ih_l{k}`,
..., `decoder.weight`, `decoder.bias`), the names of the model files, so a trained dict is written as it is.
A cell's own layer (its batched forward and backward through time) is its CellSpec's (app.engine.cells).
Arrays are time-major: ids (T, B), states (T, B, H). Every sequence starts from the zero state, as typed
text does in the app.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from app.engine.cells import LSTM, CellSpec

Params = dict[str, np.ndarray]


@dataclass(frozen=True)
class Cache:
    ids: np.ndarray  # (T, B)
    layers: tuple  # one layer cache per layer (the cell's layer cache)
    logits: np.ndarray  # (T, B, V)


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


def num_layers(params: Params, cell: CellSpec = LSTM) -> int:
    return sum(1 for name in params if name.startswith(f"{cell.name}.weight_hh_l"))


def init_params(
    rng: np.random.Generator, V: int, E: int | None, H: int, L: int, dtype=np.float32, cell: CellSpec = LSTM
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


def forward(params: Params, ids: np.ndarray, cell: CellSpec = LSTM) -> Cache:
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


def backward(params: Params, cache: Cache, dlogits: np.ndarray, cell: CellSpec = LSTM) -> Params:
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
    params: Params, ids: np.ndarray, targets: np.ndarray, mask: np.ndarray, cell: CellSpec = LSTM
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
