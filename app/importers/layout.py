"""Keras LSTM weights -> PyTorch's layout (the app's), for Keras's LSTM and for CuDNNLSTM-saved files.

Keras's LSTM computes z = x·kernel + h·recurrent_kernel + bias with kernel (In, 4u), recurrent_kernel
(u, 4u) and bias (4u,), gate column blocks i, f, c, o: the same order as PyTorch's rows i, f, g, o
(Keras's c is the candidate g). So W_ih = kernelᵀ, W_hh = recurrent_kernelᵀ, b_ih = bias, b_hh = 0.

A CuDNNLSTM (Keras 2, GPU only) keeps cuDNN's parameter buffers: each (In, u) gate block of its kernel
holds the raw memory of cuDNN's (u, In) matrix W, row-major, and its bias has 8u entries, input
biases then recurrent ones. Keras 2 converts such a block k for its own LSTM as
`k.T.reshape(k.shape, order='F')`, which is Wᵀ with W = k.reshape(u, In); recurrent blocks as `k.T`,
which for a square block is the same rule. PyTorch wants W itself, and b_ih, b_hh as the two halves.
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


def _cudnn_blocks(k: np.ndarray, u: int) -> np.ndarray:
    """(In, 4u) CuDNN kernel -> (4u, In): each gate block's buffer read as cuDNN's (u, In) matrix."""
    In = k.shape[0]
    return np.concatenate([block.reshape(u, In) for block in np.hsplit(k, 4)])


def cudnn_lstm(kernel: np.ndarray, recurrent_kernel: np.ndarray, bias: np.ndarray) -> LayerWeights:
    """kernel (In, 4u), recurrent_kernel (u, 4u), bias (8u,) as saved by Keras 2's CuDNNLSTM."""
    u = recurrent_kernel.shape[0]
    return LayerWeights(
        W_ih=np.ascontiguousarray(_cudnn_blocks(kernel, u)),  # (4u, In)
        W_hh=np.ascontiguousarray(_cudnn_blocks(recurrent_kernel, u)),  # (4u, u)
        b_ih=np.ascontiguousarray(bias[: 4 * u]),
        b_hh=np.ascontiguousarray(bias[4 * u :]),
    )
