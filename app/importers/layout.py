"""Keras LSTM and GRU weights -> PyTorch's layout (the app's), for Keras's own layers and CuDNN-saved files.

Keras's LSTM computes z = x·kernel + h·recurrent_kernel + bias with kernel (In, 4u), recurrent_kernel
(u, 4u) and bias (4u,), gate column blocks i, f, c, o: the same order as PyTorch's rows i, f, g, o
(Keras's c is the candidate g). So W_ih = kernelᵀ, W_hh = recurrent_kernelᵀ, b_ih = bias, b_hh = 0.

A CuDNNLSTM (Keras 2, GPU only) keeps cuDNN's parameter buffers: each (In, u) gate block of its kernel
holds the raw memory of cuDNN's (u, In) matrix W, row-major, and its bias has 8u entries, input
biases then recurrent ones. Keras 2 converts such a block k for its own LSTM as
`k.T.reshape(k.shape, order='F')`, which is Wᵀ with W = k.reshape(u, In); recurrent blocks as `k.T`,
which for a square block is the same rule. PyTorch wants W itself, and b_ih, b_hh as the two halves.

Keras's GRU stacks its gate columns z, r, h (update, reset, candidate); PyTorch's nn.GRU stacks rows r, z, n,
so the first two blocks swap places: W_ih = kernelᵀ and W_hh = recurrent_kernelᵀ, blocks reordered. Its
bias is (2, 3u) with reset_after=True (Keras 3's default, and cuDNN's GRU): the input bias row, then the
recurrent one, which is PyTorch's b_ih and b_hh; with reset_after=False it is (3u,), the input bias only,
and b_hh = 0 (the engine adds b_hn outside r ⊙ W_hn·h then, where a zero changes nothing). A CuDNNGRU
(Keras 2, GPU only) keeps its blocks in z, r, h order as cuDNN's buffers, converted as a CuDNNLSTM's, and
its bias (6u,) is that (2, 3u) bias flattened (Keras 2 reads it back with reshape((2, -1))).
"""

from __future__ import annotations

import numpy as np

from app.engine.lstm import LayerWeights


def keras_lstm(kernel: np.ndarray, recurrent_kernel: np.ndarray, bias: np.ndarray | None) -> LayerWeights:
    """kernel (In, 4u), recurrent_kernel (u, 4u), bias (4u,) or None (use_bias=False)."""
    u = recurrent_kernel.shape[0]
    b = np.zeros(4 * u, np.float32) if bias is None else bias
    return LayerWeights(
        W_ih=np.ascontiguousarray(kernel.T),  # (4u, In)
        W_hh=np.ascontiguousarray(recurrent_kernel.T),  # (4u, u)
        b_ih=np.ascontiguousarray(b),
        b_hh=np.zeros(4 * u, np.float32),
    )


def _cudnn_blocks(k: np.ndarray, u: int, gates: int = 4) -> np.ndarray:
    """(In, gates·u) CuDNN kernel -> (gates·u, In): each gate block's buffer read as cuDNN's (u, In) matrix."""
    In = k.shape[0]
    return np.concatenate([block.reshape(u, In) for block in np.hsplit(k, gates)])


def cudnn_lstm(kernel: np.ndarray, recurrent_kernel: np.ndarray, bias: np.ndarray) -> LayerWeights:
    """kernel (In, 4u), recurrent_kernel (u, 4u), bias (8u,) as saved by Keras 2's CuDNNLSTM."""
    u = recurrent_kernel.shape[0]
    return LayerWeights(
        W_ih=np.ascontiguousarray(_cudnn_blocks(kernel, u)),  # (4u, In)
        W_hh=np.ascontiguousarray(_cudnn_blocks(recurrent_kernel, u)),  # (4u, u)
        b_ih=np.ascontiguousarray(bias[: 4 * u]),
        b_hh=np.ascontiguousarray(bias[4 * u :]),
    )


def _zrh_to_rzn(a: np.ndarray) -> np.ndarray:
    """Rows (3u, ...) or entries (3u,) in Keras's gate order z, r, h -> PyTorch's r, z, n."""
    z, r, h = np.split(a, 3)
    return np.ascontiguousarray(np.concatenate([r, z, h]))


def keras_gru(kernel: np.ndarray, recurrent_kernel: np.ndarray, bias: np.ndarray | None) -> LayerWeights:
    """kernel (In, 3u), recurrent_kernel (u, 3u), bias (2, 3u) (reset_after=True), (3u,) (reset_after=False)
    or None (use_bias=False)."""
    u = recurrent_kernel.shape[0]
    zeros = np.zeros(3 * u, np.float32)
    b_ih, b_hh = (zeros, zeros) if bias is None else (bias[0], bias[1]) if bias.ndim == 2 else (bias, zeros)
    return LayerWeights(
        W_ih=_zrh_to_rzn(kernel.T),  # (3u, In)
        W_hh=_zrh_to_rzn(recurrent_kernel.T),  # (3u, u)
        b_ih=_zrh_to_rzn(b_ih),
        b_hh=_zrh_to_rzn(b_hh),
    )


def cudnn_gru(kernel: np.ndarray, recurrent_kernel: np.ndarray, bias: np.ndarray) -> LayerWeights:
    """kernel (In, 3u), recurrent_kernel (u, 3u), bias (6u,) as saved by Keras 2's CuDNNGRU (reset after W_hn)."""
    u = recurrent_kernel.shape[0]
    return LayerWeights(
        W_ih=_zrh_to_rzn(_cudnn_blocks(kernel, u, 3)),  # (3u, In)
        W_hh=_zrh_to_rzn(_cudnn_blocks(recurrent_kernel, u, 3)),  # (3u, u)
        b_ih=_zrh_to_rzn(bias[: 3 * u]),
        b_hh=_zrh_to_rzn(bias[3 * u :]),
    )
