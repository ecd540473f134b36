"""Search a state index (app/analysis/state_index.py) by what the memory does (docs/search.md).

match (LSTMVis's "match", Strobelt et al. 2017): a unit is *on* at a token when its value ≥ threshold (compared in
float32, on the index's dequantised values q × scale). For a set of units U, k[t] is how many of them are on at
token t. A match is a span [a, b) inside one document that is a maximal run of tokens with k ≥ n for its
*overlap* n = min k over the span, n ≥ min_on: at least n of the units are on at every token inside it, and fewer
than n just before a and at b (or the document's edge: before its first token the state is zero). Spans outside
[min_length, max_length] tokens are left out. Ranked by overlap (more units on), then length (longer), then
position. Computed level by level from n = |U| down, stopping once `limit` matches are found: every match of a
lower overlap would rank below them, so the answer is exact (tests/analysis/test_search.py checks it against a
scan of every span).

top (Karpathy et al. 2015, "where does this cell fire"): the tokens where one unit's value is highest (or, with
sign −1, lowest), ranked by value then position; a token within `apart` tokens of a better one in the same
document is left out, so one burst is one result.

derive_units (LSTMVis's selection): the units on at every token of a span of a traced text and off just before it
(and, if asked, just after), by how clearly they are on (the span's smallest value, largest first).

Cost: match reads |U| int8 values per token and makes a few passes per overlap level: O(|U|² · N) at worst,
O(|U| · N) when the top levels already hold `limit` matches; top reads one unit (O(N) plus a partial sort).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from app.analysis.state_index import QMAX, StateIndex


@dataclass(frozen=True)
class Match:
    start: int  # first token (index position)
    end: int  # one past the last token
    overlap: int  # units of U on at every token of [start, end)

    @property
    def length(self) -> int:
        return self.end - self.start


def q_thresholds(scale: np.ndarray, threshold: float) -> np.ndarray:
    """Per scale s (R,): the smallest whole q with float32(q) × s ≥ threshold (float32): int16 (R,), −QMAX when
    every q is on, QMAX + 1 when none is."""
    s = np.asarray(scale, dtype=np.float32)
    t32 = np.float32(threshold)
    with np.errstate(divide="ignore", invalid="ignore"):
        guess = np.ceil(np.float64(t32) / s.astype(np.float64)) - 1
    q = np.clip(np.nan_to_num(guess, nan=0.0, posinf=QMAX + 1, neginf=-QMAX), -QMAX - 1, QMAX + 1).astype(np.int64)
    for _ in range(3):  # step up while q is still off: at most a step or two from the division's rounding
        q += (q.astype(np.float32) * s < t32) & (q <= QMAX)
    return np.clip(q, -QMAX, QMAX + 1).astype(np.int16)


def on_mask(index: StateIndex, layer: int, unit: int, threshold: float) -> np.ndarray:
    """bool (N,): the unit's dequantised value ≥ threshold, run by run (each run has its own scale)."""
    q = index.states[layer][unit]
    limits = q_thresholds(index.scales[layer][:, unit], threshold)
    out = np.empty(index.num_tokens, dtype=bool)
    for r, limit in enumerate(limits.tolist()):
        a, b = int(index.runs[r]), int(index.runs[r + 1])
        if limit > QMAX:  # no value of this run reaches the threshold
            out[a:b] = False
        else:
            np.greater_equal(q[a:b], limit, out=out[a:b])
    return out


def document_starts(index: StateIndex) -> np.ndarray:
    """bool (N,): the first token of each document."""
    starts = np.zeros(index.num_tokens, dtype=bool)
    starts[index.documents[:, 0]] = True
    return starts


def count_on(index: StateIndex, layer: int, units: list[int], threshold: float) -> np.ndarray:
    """uint8 (N,): how many of `units` are on at each token."""
    k = np.zeros(index.num_tokens, dtype=np.uint8)
    for unit in units:
        k += on_mask(index, layer, unit, threshold)
    return k


def runs_at_level(k: np.ndarray, level: int, starts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Maximal runs of k ≥ level that do not cross a document start: (starts, ends, min k over each run)."""
    on = k >= level
    begins = on.copy()
    begins[1:] &= ~on[:-1] | starts[1:]
    finishes = on.copy()
    finishes[:-1] &= ~on[1:] | starts[1:]
    a = np.flatnonzero(begins)
    b = np.flatnonzero(finishes) + 1
    if not len(a):
        return a, b, a
    bounds = np.empty(2 * len(a), dtype=np.int64)
    bounds[0::2], bounds[1::2] = a, b
    padded = np.append(k, k.dtype.type(0))  # an end may be N: reduceat needs an element there
    mins = np.minimum.reduceat(padded, bounds)[0::2]
    return a, b, mins


def match(index: StateIndex, layer: int, units: list[int], threshold: float, min_on: int = 1, min_length: int = 1,
          max_length: int = 64, limit: int = 50) -> tuple[list[Match], int]:
    """The best `limit` matches of `units` (module docstring), and how many matches were collected."""
    k = count_on(index, layer, units, threshold)
    starts = document_starts(index)
    found_a, found_b, found_n = [], [], []
    total = 0
    for level in range(len(units), max(min_on, 1) - 1, -1):
        a, b, mins = runs_at_level(k, level, starts)
        keep = (mins == level) & (b - a >= min_length) & (b - a <= max_length)
        found_a.append(a[keep])
        found_b.append(b[keep])
        found_n.append(np.full(int(keep.sum()), level))
        total += int(keep.sum())
        if total >= limit:
            break
    if not total:
        return [], 0
    a, b, n = np.concatenate(found_a), np.concatenate(found_b), np.concatenate(found_n)
    order = np.lexsort((a, -(b - a), -n))[:limit]
    return [Match(int(a[i]), int(b[i]), int(n[i])) for i in order], total


def top(index: StateIndex, layer: int, unit: int, limit: int = 50, apart: int = 10, sign: int = 1
        ) -> list[tuple[int, float]]:
    """(position, value) of the unit's `limit` highest values (lowest with sign −1), a token within `apart` tokens
    of a better one in its document left out; by value (best first), then position."""
    q = index.states[layer][unit]
    scales = index.scales[layer][:, unit]
    wanted = limit * (2 * apart + 1)  # enough candidates: each pick hides at most 2·apart others
    positions, values = [], []
    for r in range(len(scales)):
        a, b = int(index.runs[r]), int(index.runs[r + 1])
        signed = q[a:b].astype(np.int16) * sign
        if b - a > wanted:
            floor = np.partition(signed, b - a - wanted)[b - a - wanted]
            where = np.flatnonzero(signed >= floor)
        else:
            where = np.arange(b - a)
        positions.append(where + a)
        values.append(signed[where].astype(np.float32) * scales[r] * np.float32(sign))
    pos, val = np.concatenate(positions), np.concatenate(values)
    order = np.lexsort((pos, -val * sign))
    docs = index.document_of(pos)
    picked: list[tuple[int, float]] = []
    picked_docs: list[int] = []
    for i in order.tolist():
        p, d = int(pos[i]), int(docs[i])
        if all(d != pd or abs(p - pp) > apart for (pp, _), pd in zip(picked, picked_docs, strict=True)):
            picked.append((p, float(val[i])))
            picked_docs.append(d)
            if len(picked) == limit:
                break
    return picked


def derive_units(values: np.ndarray, start: int, end: int, threshold: float, max_units: int = 8,
                 off_after: bool = False, ranges: np.ndarray | None = None) -> list[dict]:
    """From a traced text's state (T, H) and a token span [start, end): every unit on (≥ threshold) at each token
    of the span and off just before it (before token 0 the state is zero), and off just after it if `off_after`,
    as [{unit, lowest (its smallest value inside), before, after}], at most max_units, the most clearly on first:
    by `lowest` over the unit's range (H,) when given (its largest |value| over the corpus: a unit whose c spans
    ±10 is not more on at 1.5 than one whose c spans ±2 at 1.2), else by `lowest`."""
    t32 = np.float32(threshold)
    inside = values[start:end]
    before = values[start - 1] if start > 0 else np.zeros(values.shape[1], values.dtype)
    on = (inside >= t32).all(axis=0) & (before < t32)
    after = values[end] if end < len(values) else None
    if off_after and after is not None:
        on &= after < t32
    lowest = inside.min(axis=0)
    units = np.flatnonzero(on)
    clearly = lowest if ranges is None else lowest / np.maximum(np.asarray(ranges, dtype=np.float64), 1e-12)
    units = units[np.lexsort((units, -clearly[units]))][:max_units]
    return [{"unit": int(u), "lowest": float(lowest[u]), "before": float(before[u]),
             "after": None if after is None else float(after[u])} for u in units]
