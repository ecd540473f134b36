"""Small builders shared by tests: random parameters in PyTorch's layout."""

from __future__ import annotations

import numpy as np

from app.engine.lstm import LayerWeights, LSTMParams


def random_params(
    rng: np.random.Generator,
    V: int = 11,
    E: int | None = 5,
    H: int = 7,
    L: int = 2,
    decoder: bool = True,
    dtype=np.float32,
) -> LSTMParams:
    """Embedding (V, E) (one-hot inputs when E is None), L layers of H units, optional decoder (V, H)."""

    def normal(*shape: int) -> np.ndarray:
        return rng.normal(scale=0.5, size=shape).astype(dtype)

    layers = []
    in_size = V if E is None else E
    for _ in range(L):
        layers.append(LayerWeights(normal(4 * H, in_size), normal(4 * H, H), normal(4 * H), normal(4 * H)))
        in_size = H
    return LSTMParams(
        layers=tuple(layers),
        vocab_size=V,
        embedding=None if E is None else normal(V, E),
        W_dec=normal(V, H) if decoder else None,
        b_dec=normal(V) if decoder else None,
    )


def random_rnn_params(
    rng: np.random.Generator,
    V: int = 11,
    E: int | None = 5,
    H: int = 7,
    L: int = 2,
    decoder: bool = True,
    dtype=np.float32,
):
    """A vanilla RNN's parameters (app.engine.rnn.RNNParams) in PyTorch's layout, shaped as random_params."""
    from app.engine import rnn

    def normal(*shape: int) -> np.ndarray:
        return rng.normal(scale=0.5, size=shape).astype(dtype)

    layers = []
    in_size = V if E is None else E
    for _ in range(L):
        layers.append(LayerWeights(normal(H, in_size), normal(H, H), normal(H), normal(H)))
        in_size = H
    return rnn.RNNParams(
        layers=tuple(layers),
        vocab_size=V,
        embedding=None if E is None else normal(V, E),
        W_dec=normal(V, H) if decoder else None,
        b_dec=normal(V) if decoder else None,
    )
