"""Memory components: a layer's memory over a text (T tokens × H units) factored into k non-negative parts.

The ecco recipe for transformers' activations, applied to a recurrent cell's memory (c for an LSTM, h for a
GRU or a vanilla RNN). The memory is signed, and non-negative matrix factorisation (NMF) needs a
non-negative matrix, so each unit is split in two columns, its positive and its negative part:

    A  (T, H)   the memory, row t = the state after token t
    A⁺ = max(A, 0), A⁻ = max(−A, 0)       so A = A⁺ − A⁻ and |A| = A⁺ + A⁻
    X = [A⁺ | A⁻]  (T, 2H) ≥ 0            column u: unit u positive; column H + u: unit u negative

    X ≈ W · Hc     W (T, k) ≥ 0: each component's activation over the tokens
                   Hc (k, 2H) ≥ 0: each component's loading on every unit's positive and negative side

A component is then "a kind of memory": a pattern of units (some pushed up, some down) that switches on at
some tokens and off at others. Each row of Hc is scaled to unit Euclidean norm, so W[t, j] is the length of
component j's part of the reconstructed memory at token t, in the memory's own units.

The solver (`nmf`) minimises ‖X − W·Hc‖_F by HALS (hierarchical alternating least squares: each column of W,
then each row of Hc, set to its exact non-negative least-squares optimum with the others fixed; Cichocki &
Phan 2009, Gillis 2014) or by Lee & Seung's multiplicative updates (`method="mu"`, slower, kept for
comparison). Both never increase the error. It starts from NNDSVD (Boutsidis & Gallopoulos 2008: the
top-k singular pairs of X split into their non-negative parts; for the multiplicative updates, which cannot
move a zero, zeros filled with mean(X): "NNDSVDa"), which has no random numbers: the same X gives the same
numbers on one machine. It stops after `max_iter` sweeps, or once a sweep lowers the relative error by less
than the fraction `tol` of itself.

Components are ordered by their share of the reconstruction: share_j = sum(W[:, j] ⊗ Hc[j]) / sum(W·Hc),
the part of the reconstructed |memory| (summed over tokens and units) that component j carries; the shares
add up to 1 exactly, because every term is non-negative. Ties keep the solver's order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MAX_ITER = 200  # sweeps of HALS (one sweep: every column of W, then every row of Hc)
TOL = 1e-4  # stop once a sweep lowers the relative error by less than this fraction of itself
METHODS = ("hals", "mu")
EPS = 1e-12  # the multiplicative updates' guard against 0/0


@dataclass(frozen=True)
class NMF:
    """X (T, N) ≈ W (T, k) · H (k, N), both non-negative."""

    W: np.ndarray  # (T, k) float64 ≥ 0
    H: np.ndarray  # (k, N) float64 ≥ 0, each nonzero row of unit Euclidean norm
    error: float  # ‖X − W·H‖_F / ‖X‖_F, computed from the returned W and H (0 when X is all zeros)
    iterations: int  # sweeps done (0 when X is all zeros)
    history: np.ndarray  # (iterations + 1,) the relative error before the first sweep and after each one


def sign_split(A: np.ndarray) -> np.ndarray:
    """A (T, H) signed -> X = [max(A, 0) | max(−A, 0)] (T, 2H) float64 ≥ 0, so A = X[:, :H] − X[:, H:]."""
    A = np.asarray(A, dtype=np.float64)
    return np.concatenate([np.maximum(A, 0.0), np.maximum(-A, 0.0)], axis=1)


def top_singular(X: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The k largest singular values of X (T, N) with their vectors: U (T, k), s (k,), Vt (k, N), from the
    eigendecomposition of the Gram matrix of X's shorter side (a fraction of a full SVD's cost; squaring the
    condition number does not matter for a starting point). Vectors of a zero singular value are zero."""
    T, N = X.shape
    if N <= T:
        values, V = np.linalg.eigh(X.T @ X)  # ascending
        V = V[:, ::-1][:, :k]
        s = np.sqrt(np.clip(values[::-1][:k], 0.0, None))
        U = np.divide(X @ V, s, out=np.zeros((T, k)), where=s > 0)
        return U, s, V.T
    values, U = np.linalg.eigh(X @ X.T)
    U = U[:, ::-1][:, :k]
    s = np.sqrt(np.clip(values[::-1][:k], 0.0, None))
    Vt = np.divide(U.T @ X, s[:, None], out=np.zeros((k, N)), where=s[:, None] > 0)
    return U, s, Vt


def nndsvd(X: np.ndarray, k: int, fill: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """A deterministic non-negative start W (T, k), H (k, N) for X (T, N) ≥ 0 (NNDSVD, Boutsidis & Gallopoulos
    2008); with `fill`, zeros replaced by mean(X) so the multiplicative updates, which cannot move a zero, can
    ("NNDSVDa")."""
    T, N = X.shape
    U, s, Vt = top_singular(X, k)
    W, H = np.zeros((T, k)), np.zeros((k, N))
    for j in range(k):
        u, v = U[:, j], Vt[j]
        if j == 0:  # X ≥ 0: its leading singular vectors can be taken non-negative (Perron–Frobenius)
            u, v = np.abs(u), np.abs(v)
            W[:, j], H[j] = np.sqrt(s[j]) * u, np.sqrt(s[j]) * v
            continue
        up, un, vp, vn = np.maximum(u, 0), np.maximum(-u, 0), np.maximum(v, 0), np.maximum(-v, 0)
        n_up, n_un, n_vp, n_vn = (float(np.linalg.norm(x)) for x in (up, un, vp, vn))
        pos, neg = n_up * n_vp, n_un * n_vn
        if pos >= neg:
            x, y, norm_x, norm_y, sigma = up, vp, n_up, n_vp, pos
        else:
            x, y, norm_x, norm_y, sigma = un, vn, n_un, n_vn, neg
        if sigma > 0:
            scale = np.sqrt(s[j] * sigma)
            W[:, j], H[j] = scale * x / norm_x, scale * y / norm_y
    if fill:
        mean = float(X.mean())
        W[W == 0], H[H == 0] = mean, mean
    return W, H


def relative_error(X: np.ndarray, W: np.ndarray, H: np.ndarray) -> float:
    """‖X − W·H‖_F / ‖X‖_F (0 when X is all zeros)."""
    norm = float(np.linalg.norm(X))
    return float(np.linalg.norm(X - W @ H)) / norm if norm > 0 else 0.0


def _error_from_products(norm2: float, WtX: np.ndarray, WtW: np.ndarray, H: np.ndarray) -> float:
    """‖X − W·H‖_F / ‖X‖_F from ‖X‖², WᵀX (k, N), WᵀW (k, k) and H, without forming W·H (k²N, not TNk):
    ‖X − WH‖² = ‖X‖² − 2⟨WᵀX, H⟩ + ⟨WᵀW, HHᵀ⟩. Accurate to about 1e-8 relative error (cancellation)."""
    residual = norm2 - 2.0 * float(np.vdot(WtX, H)) + float(np.vdot(WtW, H @ H.T))
    return float(np.sqrt(max(residual, 0.0) / norm2))


def _hals_sweep(X: np.ndarray, W: np.ndarray, H: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One HALS sweep in place: each column of W, then each row of H, to its non-negative optimum. Returns WᵀX
    and WᵀW of the new W (the error's products)."""
    k = W.shape[1]
    XHt, HHt = X @ H.T, H @ H.T  # (T, k), (k, k)
    for j in range(k):
        if HHt[j, j] > 0:
            W[:, j] = np.maximum(W[:, j] + (XHt[:, j] - W @ HHt[:, j]) / HHt[j, j], 0.0)
    WtX, WtW = W.T @ X, W.T @ W  # (k, N), (k, k)
    for j in range(k):
        if WtW[j, j] > 0:
            H[j] = np.maximum(H[j] + (WtX[j] - WtW[j] @ H) / WtW[j, j], 0.0)
    return WtX, WtW


def _mu_sweep(X: np.ndarray, W: np.ndarray, H: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One sweep of Lee & Seung's multiplicative updates (Frobenius loss) in place: W, then H."""
    W *= (X @ H.T) / (W @ (H @ H.T) + EPS)
    WtX, WtW = W.T @ X, W.T @ W
    H *= WtX / (WtW @ H + EPS)
    return WtX, WtW


def nmf(X: np.ndarray, k: int, method: str = "hals", max_iter: int = MAX_ITER, tol: float = TOL) -> NMF:
    """Factor X (T, N) ≥ 0 as W (T, k) · H (k, N), both ≥ 0, minimising ‖X − W·H‖_F.

    Starts from NNDSVDa (deterministic); sweeps `method` ("hals" or "mu") at most `max_iter` times, stopping
    early once a sweep lowers the relative error by less than `tol` times itself (tol = -inf: never early). Needs
    1 ≤ k ≤ min(T, N). The returned rows of H have unit norm (W takes the scale), and `error` is computed from
    the returned W and H themselves."""
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or np.any(X < 0) or not np.all(np.isfinite(X)):
        raise ValueError("X must be a finite non-negative matrix (T, N)")
    T, N = X.shape
    if not 1 <= k <= min(T, N):
        raise ValueError(f"k = {k} must be 1 to min(T, N) = {min(T, N)}")
    if method not in METHODS:
        raise ValueError(f"method {method!r}: use one of {', '.join(METHODS)}")
    norm2 = float(np.vdot(X, X))
    if norm2 == 0:
        return NMF(np.zeros((T, k)), np.zeros((k, N)), 0.0, 0, np.zeros(1))
    W, H = nndsvd(X, k, fill=method == "mu")
    sweep = _hals_sweep if method == "hals" else _mu_sweep
    history = [relative_error(X, W, H)]
    iterations = 0
    while iterations < max_iter:
        WtX, WtW = sweep(X, W, H)
        iterations += 1
        history.append(_error_from_products(norm2, WtX, WtW, H))
        if history[-2] - history[-1] < tol * history[-2]:
            break
    norms = np.linalg.norm(H, axis=1)  # move the scale into W: H's rows of unit length
    nonzero = norms > 0
    W[:, nonzero] *= norms[nonzero]
    H[nonzero] /= norms[nonzero, None]
    return NMF(W, H, relative_error(X, W, H), iterations, np.array(history))


def shares(W: np.ndarray, H: np.ndarray) -> np.ndarray:
    """(k,) each component's part of sum(W·H): sum(W[:, j]) · sum(H[j]) / sum(W·H); they add up to 1 (all 0
    when W·H is 0)."""
    parts = W.sum(axis=0) * H.sum(axis=1)
    total = float(parts.sum())
    return parts / total if total > 0 else np.zeros_like(parts)


@dataclass(frozen=True)
class Components:
    """A (T, H) as k ordered components: X = sign_split(A) ≈ W · Hc."""

    W: np.ndarray  # (T, k) activations, column j = component j over the tokens; largest share first
    Hc: np.ndarray  # (k, 2H) loadings, unit rows: Hc[j, u] on unit u positive, Hc[j, H + u] on unit u negative
    share: np.ndarray  # (k,) descending, adding up to 1
    error: float  # ‖X − W·Hc‖_F / ‖X‖_F
    iterations: int


def components(A: np.ndarray, k: int, method: str = "hals", max_iter: int = MAX_ITER, tol: float = TOL) -> Components:
    """A (T, H) signed -> k components of sign_split(A) (T, 2H), ordered by share, largest first (a stable sort:
    equal shares keep the solver's order)."""
    X = sign_split(A)
    result = nmf(X, k, method, max_iter, tol)
    share = shares(result.W, result.H)
    order = np.argsort(-share, kind="stable")
    return Components(result.W[:, order], result.H[order], share[order], result.error, result.iterations)


def top_units(loadings: np.ndarray, n: int = 5) -> list[tuple[int, int, float]]:
    """One component's loadings (2H,) -> its n largest nonzero ones, largest first (ties by column), as
    (unit, sign +1 or −1, loading)."""
    H = loadings.shape[0] // 2
    order = np.argsort(-loadings, kind="stable")[:n]
    return [(int(c % H), 1 if c < H else -1, float(loadings[c])) for c in order if loadings[c] > 0]


def peaks(activation: np.ndarray, n: int = 3) -> list[int]:
    """One component's activation (T,) -> the steps of its n largest values, largest first (ties by step)."""
    return [int(t) for t in np.argsort(-activation, kind="stable")[:n]]


def sweep_cost(T: int, N: int, k: int) -> int:
    """Multiply-adds of one HALS sweep on X (T, N) with k components: X·Hᵀ and Wᵀ·X (T·N·k each), the k×k
    products and the column and row updates (about 3·k²·(T + N))."""
    return 2 * T * N * k + 3 * k * k * (T + N)


def cost(T: int, N: int, k: int, max_iter: int = MAX_ITER) -> int:
    """An upper bound of the multiply-adds of `nmf(X (T, N), k)`: the start (the Gram matrix of the shorter side,
    m = min(T, N): T·N·m, its eigendecomposition about 4·m³) plus max_iter sweeps."""
    m = min(T, N)
    return T * N * m + 4 * m**3 + max_iter * sweep_cost(T, N, k)
