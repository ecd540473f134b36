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


@pytest.mark.parametrize("blocks", [1, 2, 7, 64])
def test_any_number_of_stretches_gives_the_same_top_k(blocks):
    rng = np.random.default_rng(blocks)
    probs = rng.random((50, 6_591))
    probs[::3] = np.round(probs[::3] * 3)  # rows of four values: ties across the k-th place
    for k in (1, 5, 20):
        assert (top_k_indices(probs, k, blocks=blocks) == stable_sort_top(probs, k)).all(), k


def test_predictions_in_blocks_are_the_whole_softmax_bit_for_bit():
    """top_k_arrays works in blocks of steps: the ids and probabilities equal those of the whole (T, V) softmax
    sorted stably, for a length that is not a multiple of the block, and from an offset."""
    from app.engine.lstm import logits, softmax
    from app.model_store import load_model
    from app.resources import resource_dir
    from app.serving.config import Settings
    from app.serving.service import prediction_rows, run_trace, top_k_arrays

    model = load_model(resource_dir("models") / "lesson.safetensors")
    words = "Last year , due to my current job situation and family conditions , I had to take a loan .".split()
    rows = prediction_rows(model.params.vocab_size)
    text = " ".join(words * (3 * rows // len(words) + 2))
    trace = run_trace(model, text, Settings()).trace
    assert trace.num_steps % rows and trace.num_steps > 2 * rows
    for start in (0, 7):
        top, probs = top_k_arrays(model, trace, 5, start)
        whole = softmax(logits(model.params, trace.layers[-1].h[start:]))
        expected = stable_sort_top(whole, 5)
        assert (top == expected).all()
        assert (probs == np.take_along_axis(whole, expected, 1)).all()


def test_blocks_are_each_done_once_and_a_busy_helper_is_not_waited_for():
    import threading

    from app.serving.service import PREDICTION_HELPER, in_blocks

    done: list[int] = []
    in_blocks(40, done.append)
    assert sorted(done) == list(range(40))
    release, busy = threading.Event(), threading.Event()
    PREDICTION_HELPER.submit(lambda: (busy.set(), release.wait()))
    busy.wait()
    try:
        done.clear()
        in_blocks(7, done.append)  # returns without the helper, which is held by another request
        assert done == list(range(7))
    finally:
        release.set()
