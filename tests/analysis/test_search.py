"""app/analysis/search.py against a brute-force scan of every span (match) and every token (top) of a small index,
on the index's own dequantised values; and the units a span of a text derives."""

from __future__ import annotations

import numpy as np
import pytest

from app.analysis import search
from app.analysis.state_index import open_index
from tests.index_helpers import bundled, lesson_sources, small_index


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    return open_index(small_index(tmp_path_factory.mktemp("index"), bundled("lesson"), lesson_sources(12)))


def dequantised(index, layer: int = 0) -> np.ndarray:
    """(H, N) float32: every value as a scan reads it, q × its run's scale."""
    runs = index.run_of(np.arange(index.num_tokens))
    return index.states[layer].astype(np.float32) * index.scales[layer][runs].T


def brute_match(index, units, threshold, min_on, min_length, max_length, limit):
    values = dequantised(index)[units]
    k = (values >= np.float32(threshold)).sum(axis=0)
    found = []
    for s, e, _ in index.documents.tolist():
        for a in range(s, e):
            for b in range(a + min_length, min(e, a + max_length) + 1):
                n = int(k[a:b].min())
                if n < max(min_on, 1) or (a > s and k[a - 1] >= n) or (b < e and k[b] >= n):
                    continue
                found.append((-n, -(b - a), a, b))
    found.sort()
    return [(a, b, -n) for n, _, a, b in found[:limit]], len(found)


def brute_top(index, unit, limit, apart, sign):
    values = dequantised(index)[unit]
    docs = index.document_of(np.arange(index.num_tokens))
    picked = []
    for p in sorted(range(index.num_tokens), key=lambda p: (-values[p] * sign, p)):
        if all(docs[p] != docs[q] or abs(p - q) > apart for q, _ in picked):
            picked.append((p, float(values[p])))
        if len(picked) == limit:
            break
    return picked


@pytest.mark.parametrize("seed", range(12))
def test_match_equals_a_scan_of_every_span(index, seed) -> None:
    rng = np.random.default_rng(seed)
    units = rng.choice(index.hidden_size, size=int(rng.integers(1, 6)), replace=False).tolist()
    threshold = float(rng.choice([-0.5, 0.0, 0.3, 1.0, 2.0]))
    min_on = int(rng.integers(1, len(units) + 1))
    min_length, max_length = int(rng.integers(1, 3)), int(rng.integers(3, 9))
    limit = int(rng.choice([5, 50]))
    got, collected = search.match(index, 0, units, threshold, min_on, min_length, max_length, limit)
    expected, total = brute_match(index, units, threshold, min_on, min_length, max_length, limit)
    assert [(m.start, m.end, m.overlap) for m in got] == expected
    assert min(total, limit) <= collected <= total


@pytest.mark.parametrize("unit, apart, sign", [(47, 0, 1), (47, 3, 1), (25, 10, -1), (3, 2, 1)])
def test_top_equals_a_scan_of_every_token(index, unit, apart, sign) -> None:
    got = search.top(index, 0, unit, 20, apart, sign)
    expected = brute_top(index, unit, 20, apart, sign)
    assert [p for p, _ in got] == [p for p, _ in expected]
    np.testing.assert_array_equal([v for _, v in got], np.float32([v for _, v in expected]))


def test_q_thresholds_are_exact() -> None:
    rng = np.random.default_rng(1)
    scales = np.concatenate([rng.uniform(1e-4, 0.2, 200), [0.1, 0.3 / 127, 1.0]]).astype(np.float32)
    for threshold in (-1.0, 0.0, 0.3, 0.1, 5.0, 1e4):
        limits = search.q_thresholds(scales, threshold)
        q = np.arange(-127, 128, dtype=np.float32)
        for s, limit in zip(scales, limits.tolist(), strict=True):
            on = q * s >= np.float32(threshold)
            first = int(q[on][0]) if on.any() else 128
            assert limit == first


def test_derive_units_on_inside_off_before() -> None:
    values = np.array([[0.0, 0.5, 0.2, 0.2],
                       [0.6, 0.1, 0.8, 0.2],
                       [0.7, 0.4, 0.95, 0.1],
                       [0.1, 0.4, 0.0, 0.9]], dtype=np.float32)  # (T = 4, H = 4)
    units = search.derive_units(values, 1, 3, 0.3)
    assert [u["unit"] for u in units] == [2, 0]  # 1 is off at token 1; unit 2 has the higher lowest (0.8)
    assert [u["unit"] for u in search.derive_units(values, 1, 3, 0.3, ranges=np.array([0.7, 1, 10, 1]))] == [0, 2]
    assert [u["unit"] for u in search.derive_units(values, 1, 3, 0.3, off_after=True)] == [2, 0]
    assert [u["unit"] for u in search.derive_units(values, 0, 1, 0.3)] == [1]  # before token 0 the state is zero
    values[0, 2] = 0.9
    assert [u["unit"] for u in search.derive_units(values, 1, 3, 0.3)] == [0]  # unit 2 was on before: not selected
