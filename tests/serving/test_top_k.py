"""top_k_indices is exactly a stable full sort's first k (ties by index), without sorting every row whole."""

from __future__ import annotations

import numpy as np
import pytest

from app.serving.service import top_k_indices


def stable_sort_top(probs: np.ndarray, k: int) -> np.ndarray:
    return np.argsort(-probs, axis=1, kind="stable")[:, :k]


@pytest.mark.parametrize("seed", range(40))
def test_equals_the_first_k_of_a_stable_sort_with_and_without_ties(seed):
    rng = np.random.default_rng(seed)
    T, V = int(rng.integers(1, 40)), int(rng.integers(1, 80))
    probs = rng.random((T, V))
    if seed % 2:  # few distinct values: ties across the k-th place in most rows
        probs = np.round(probs * int(rng.integers(2, 6))) / 5
    for k in {0, 1, min(5, V), V // 2, V - 1, V}:
        assert (top_k_indices(probs, k) == stable_sort_top(probs, k)).all(), (T, V, k)


def test_a_tie_across_the_kth_place_is_broken_by_index():
    probs = np.array([[0.1, 0.3, 0.2, 0.3, 0.3, 0.0]])
    assert top_k_indices(probs, 2).tolist() == [[1, 3]]
    assert top_k_indices(probs, 4).tolist() == [[1, 3, 4, 2]]
