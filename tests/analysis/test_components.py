"""app.analysis.components: the sign split, the NMF solvers (HALS, multiplicative updates) against matrices whose
factors are known, the error they report against one recomputed here, and the ordering of components."""

from __future__ import annotations

import numpy as np
import pytest

from app.analysis.components import (
    components,
    cost,
    nmf,
    nndsvd,
    peaks,
    relative_error,
    shares,
    sign_split,
    top_singular,
    top_units,
)


def low_rank(T: int, N: int, k: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """X = W0·H0 (T, N) with W0 (T, k), H0 (k, N) ≥ 0, half their entries zero (parts that differ)."""
    rng = np.random.default_rng(seed)
    W0 = rng.random((T, k)) * (rng.random((T, k)) < 0.5)
    H0 = rng.random((k, N)) * (rng.random((k, N)) < 0.5)
    return W0 @ H0, W0, H0


def signed(T: int, H: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((T, H))


def test_sign_split_keeps_both_signs_apart():
    A = np.array([[1.5, -2.0, 0.0], [-0.25, 3.0, -1.0]], dtype=np.float32)
    X = sign_split(A)
    assert X.shape == (2, 6) and X.dtype == np.float64
    np.testing.assert_array_equal(X, [[1.5, 0, 0, 0, 2, 0], [0, 3, 0, 0.25, 0, 1]])
    np.testing.assert_array_equal(X[:, :3] - X[:, 3:], A)


@pytest.mark.parametrize("shape", [(30, 12), (12, 30)])  # both sides of the Gram matrix
def test_top_singular_equals_a_full_svd(shape):
    X = np.abs(signed(*shape, seed=2))
    U, s, Vt = top_singular(X, 4)
    U0, s0, Vt0 = np.linalg.svd(X, full_matrices=False)
    np.testing.assert_allclose(s, s0[:4], rtol=1e-10)
    signs = np.sign(np.sum(U * U0[:, :4], axis=0))  # singular vectors are defined up to sign
    np.testing.assert_allclose(U * signs, U0[:, :4], atol=1e-8)
    np.testing.assert_allclose(Vt * signs[:, None], Vt0[:4], atol=1e-8)


@pytest.mark.parametrize(("T", "N", "k", "seed"), [(30, 40, 3, 0), (40, 64, 4, 1), (20, 128, 4, 2), (60, 20, 3, 4)])
def test_an_exact_low_rank_matrix_is_recovered(T, N, k, seed):
    X, _, H0 = low_rank(T, N, k, seed)
    result = nmf(X, k)
    assert result.error < 1e-3, result.error
    assert result.W.shape == (T, k) and result.H.shape == (k, N)
    # Not just the product: each true part is found, as a loading row pointing its way (cosine > 0.999).
    parts = H0 / np.linalg.norm(H0, axis=1, keepdims=True)
    assert np.all((result.H @ parts.T).max(axis=0) > 0.999)


def test_a_slow_matrix_needs_more_sweeps_than_the_cap():
    """Some exact factorisations are approached slowly (here the parts overlap much): 200 sweeps get within 1 %,
    3,000 all the way. The cap bounds the cost, not the error: the answer reports the error it reached."""
    X, _, _ = low_rank(60, 20, 3, seed=3)
    capped, longer = nmf(X, 3), nmf(X, 3, max_iter=3000, tol=-np.inf)
    assert capped.iterations == 200 and 1e-3 < capped.error < 1e-2
    assert longer.error < 1e-6


@pytest.mark.parametrize("method", ["mu", "hals"])
def test_the_error_never_rises_from_one_sweep_to_the_next(method):
    """Lee & Seung's updates and HALS both never increase ‖X − WH‖: the exact error after i sweeps (computed by
    relative_error from the factors of a run stopped there) falls, sweep after sweep, and by a lot in all."""
    X = np.abs(signed(25, 32, seed=5))  # full rank: no exact factorisation, the error keeps falling
    runs = [nmf(X, 4, method, max_iter=i, tol=-np.inf) for i in range(41)]
    assert [r.iterations for r in runs] == list(range(41))
    errors = np.array([r.error for r in runs])
    np.testing.assert_array_equal(errors, [relative_error(X, r.W, r.H) for r in runs])
    assert np.all(np.diff(errors) <= 1e-12), np.diff(errors).max()
    assert errors[-1] < errors[1] - 0.01
    # The history a run keeps (from products, not W·H) is the same curve.
    np.testing.assert_allclose(runs[-1].history, errors, atol=1e-9)


def test_the_factors_are_non_negative_and_the_loadings_unit_rows():
    for method in ("hals", "mu"):
        result = nmf(sign_split(signed(20, 16, seed=4)), 5, method)
        assert np.all(result.W >= 0) and np.all(result.H >= 0)
        np.testing.assert_allclose(np.linalg.norm(result.H, axis=1), 1.0, rtol=1e-12)
        assert np.all(result.W.sum(axis=0) > 0)  # no component left empty here


def test_the_reported_error_is_that_of_the_returned_factors():
    X = sign_split(signed(18, 10, seed=6))
    result = nmf(X, 3)
    by_hand = np.sqrt(np.sum((X - result.W @ result.H) ** 2) / np.sum(X**2))
    assert result.error == pytest.approx(by_hand, rel=1e-12)
    assert 0.05 < result.error < 1  # a random matrix is not rank 3: the check is not of 0 against 0
    assert result.history[-1] == pytest.approx(result.error, abs=1e-9)


def test_stopping_by_tolerance_and_by_the_cap():
    X = sign_split(signed(20, 12, seed=7))
    assert nmf(X, 4, tol=1.0).iterations == 1  # the first sweep already improves by less than 1
    assert nmf(X, 4, max_iter=7, tol=-np.inf).iterations == 7
    loose, tight = nmf(X, 4, tol=1e-2), nmf(X, 4, tol=1e-9, max_iter=1000)
    assert loose.iterations < tight.iterations and tight.error <= loose.error


def test_the_same_input_gives_the_same_numbers():
    A = signed(25, 20, seed=8)
    first, second = components(A, 4), components(A.copy(), 4)
    for name in ("W", "Hc", "share"):
        np.testing.assert_array_equal(getattr(first, name), getattr(second, name))
    assert (first.error, first.iterations) == (second.error, second.iterations)
    np.testing.assert_array_equal(nndsvd(sign_split(A), 4)[0], nndsvd(sign_split(A), 4)[0])


def test_components_are_ordered_by_their_share_of_the_reconstruction():
    A = signed(30, 16, seed=9)
    found = components(A, 5)
    assert found.W.shape == (30, 5) and found.Hc.shape == (5, 32)
    assert np.all(np.diff(found.share) <= 0) and found.share.sum() == pytest.approx(1.0, abs=1e-12)
    # share_j is component j's part of sum(W·Hc): the outer products' sums, one by one.
    total = np.sum(found.W @ found.Hc)
    for j in range(5):
        assert found.share[j] == pytest.approx(np.sum(np.outer(found.W[:, j], found.Hc[j])) / total, rel=1e-12)
    # The same factors as nmf's, permuted: the error is theirs.
    assert found.error == pytest.approx(relative_error(sign_split(A), found.W, found.Hc), rel=1e-12)
    unordered = nmf(sign_split(A), 5)
    assert sorted(shares(unordered.W, unordered.H).tolist(), reverse=True) == pytest.approx(found.share.tolist())


def test_a_two_pattern_memory_splits_into_its_patterns():
    """Units 0, 1 up and unit 2 down on the first half of the text; unit 3 down on the second: two components,
    their top units with the right signs, their peaks in their halves."""
    T = 10
    on = np.linspace(1, 2, T // 2)
    A = np.zeros((T, 6))
    A[: T // 2, 0], A[: T // 2, 1], A[: T // 2, 2] = on, on, -on
    A[T // 2:, 3] = -4 * on
    found = components(A, 2)
    assert found.error < 1e-6
    first, second = found.Hc  # the larger share first: unit 3's component (4·(1..2) over 5 steps: 30, to 22.5)
    assert [(u, s) for u, s, _ in top_units(second)] == [(0, 1), (1, 1), (2, -1)]
    assert [(u, s) for u, s, _ in top_units(first)] == [(3, -1)]  # zero loadings are not listed
    assert top_units(second)[0][2] == pytest.approx(1 / np.sqrt(3))
    assert peaks(found.W[:, 0]) == [9, 8, 7] and peaks(found.W[:, 1]) == [4, 3, 2]
    assert found.share[0] > found.share[1]


def test_peaks_and_top_units_break_ties_by_position():
    assert peaks(np.array([0.0, 2.0, 1.0, 2.0, 2.0])) == [1, 3, 4]
    assert peaks(np.array([1.0, 0.5])) == [0, 1]  # fewer tokens than 3
    loadings = np.array([0.0, 0.6, 0.0, 0.0, 0.6, 0.5])  # H = 3: unit 1 +, unit 1 −, unit 2 −
    assert top_units(loadings) == [(1, 1, 0.6), (1, -1, 0.6), (2, -1, 0.5)]


def test_an_all_zero_memory_has_zero_components_and_no_error():
    result = nmf(np.zeros((5, 8)), 2)
    assert result.error == 0.0 and result.iterations == 0 and not result.W.any() and not result.H.any()
    found = components(np.zeros((5, 4)), 2)
    np.testing.assert_array_equal(found.share, [0.0, 0.0])


@pytest.mark.parametrize(("X", "k", "message"), [
    (np.ones((4, 3)), 4, "k = 4 must be 1 to min(T, N) = 3"),
    (np.ones((4, 3)), 0, "k = 0"),
    (-np.ones((4, 3)), 2, "non-negative"),
    (np.full((4, 3), np.nan), 2, "finite"),
])
def test_bad_arguments_are_refused(X, k, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        nmf(X, k)
    with pytest.raises(ValueError, match="method 'als'"):
        nmf(np.ones((4, 3)), 2, method="als")


def test_the_cost_bound_grows_with_tokens_components_and_sweeps():
    assert cost(100, 128, 4) < cost(200, 128, 4) < cost(200, 256, 4) and cost(200, 128, 4) < cost(200, 128, 5)
    assert cost(200, 128, 4, max_iter=10) < cost(200, 128, 4)
    # 2,000 tokens of an H = 64 model (N = 128) with 10 components: the start and 200 sweeps of 5.8 M.
    assert cost(2000, 128, 10) == 2000 * 128 * 128 + 4 * 128**3 + 200 * (2 * 2000 * 128 * 10 + 3 * 100 * 2128)
