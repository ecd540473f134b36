"""Incremental tracing: an LSTM (or a vanilla RNN) is causal, so a text that extends or edits a recent one only needs
the steps after their longest common prefix of token ids.

`TraceCache` keeps recent traces per model version, bounded by bytes, least recently used first out.
`extend` computes a text's trace from the longest cached prefix: the state after the prefix starts
the new steps, whose bits equal a full trace's (the engine computes every step by the same operations
whatever the length; tests/test_incremental.py checks appends, deletions, edits and evictions).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import fields, replace

import numpy as np

from app.cells import forward
from app.lstm import Compiled, Trace


def common_prefix(a: np.ndarray, b: np.ndarray) -> int:
    """How many leading entries two id arrays (n,) and (m,) share."""
    n = min(len(a), len(b))
    differ = np.flatnonzero(a[:n] != b[:n])
    return int(differ[0]) if differ.size else n


def state_at(trace: Trace, p: int):
    """The state after the first p steps (the initial state when p = 0), of the trace's own cell: each
    field of its State (h and c for an LSTM, h for a vanilla RNN) is (L, H), stacked from the layers."""
    if p == 0:
        return trace.initial
    kind = type(trace.initial)
    return kind(**{f.name: np.stack([layer[f.name][p - 1] for layer in trace.layers]) for f in fields(kind)})


def head(trace: Trace, p: int) -> Trace:
    """The first p steps of a trace (views, no copy)."""
    layers = tuple(replace(layer, **{f.name: getattr(layer, f.name)[:p] for f in fields(layer)})
                   for layer in trace.layers)
    return type(trace)(layers=layers, initial=trace.initial, final=state_at(trace, p))


def join(first: Trace, rest: Trace) -> Trace:
    """`first` followed by `rest`, which started from first's final state: one trace, arrays copied."""
    layers = tuple(
        replace(a, **{f.name: np.concatenate([getattr(a, f.name), getattr(b, f.name)]) for f in fields(a)})
        for a, b in zip(first.layers, rest.layers, strict=True)
    )
    return type(first)(layers=layers, initial=first.initial, final=rest.final)


def trace_bytes(trace: Trace) -> int:
    return sum(getattr(layer, f.name).nbytes for layer in trace.layers for f in fields(layer))


class TraceCache:
    """Recent traces keyed by (model version, token ids), at most `max_bytes` of arrays in all.
    Safe to share between the threads of one worker; each worker process has its own."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._entries: OrderedDict[tuple[str, bytes], tuple[np.ndarray, Trace, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0  # steps taken from the cache, over the cache's life (for tests and benchmarks)
        self.computed = 0  # steps computed

    @property
    def nbytes(self) -> int:
        return self._bytes

    def __len__(self) -> int:
        return len(self._entries)

    def longest_prefix(self, version: str, ids: np.ndarray) -> tuple[int, Trace | None]:
        """(p, trace): a cached trace whose first p ids equal ids[:p], p as large as possible; (0, None)
        when nothing shares a first id. The entry becomes the most recently used."""
        best, best_key = 0, None
        with self._lock:
            for key, (cached_ids, _, _) in self._entries.items():
                if key[0] != version:
                    continue
                p = common_prefix(cached_ids, ids)
                if p > best:
                    best, best_key = p, key
            if best_key is None:
                return 0, None
            self._entries.move_to_end(best_key)
            return best, self._entries[best_key][1]

    def put(self, version: str, ids: np.ndarray, trace: Trace) -> None:
        """Remember a trace of these ids; evict the least recently used beyond max_bytes. A trace
        larger than the whole budget is not kept."""
        size = trace_bytes(trace) + ids.nbytes
        if size > self.max_bytes:
            return
        key = (version, ids.tobytes())
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= old[2]
            self._entries[key] = (ids.copy(), trace, size)
            self._bytes += size
            while self._bytes > self.max_bytes:
                _, (_, _, freed) = self._entries.popitem(last=False)
                self._bytes -= freed


def extend(compiled: Compiled, version: str, ids: np.ndarray, cache: TraceCache | None) -> Trace:
    """The trace of ids (T,) from the zero state, computing only the steps after the longest cached
    prefix; the result is cached. Bit-identical to forward(compiled, ids). Either cell (app.cells)."""
    if cache is None:
        return forward(compiled, ids)
    p, cached = cache.longest_prefix(version, ids)
    if cached is not None and p == len(ids) == cached.num_steps:
        trace = cached
    elif cached is not None:
        prefix = head(cached, p)
        trace = join(prefix, forward(compiled, ids[p:], prefix.final))
    else:
        trace = forward(compiled, ids)
    cache.hits += p
    cache.computed += len(ids) - p
    cache.put(version, ids, trace)
    return trace
