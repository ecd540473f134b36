"""Incremental tracing: every recurrent cell is causal, so a text that extends or edits a recent one only needs
the steps after their longest common prefix of token ids.

`TraceCache` keeps recent traces per salt and model version, bounded by bytes, least recently used first
out. `extend` computes a text's trace from the longest cached prefix: the state after the prefix starts
the new steps, whose bits equal a full trace's (the engine computes every step by the same operations
whatever the length; tests/serving/test_incremental.py checks appends, deletions, edits and evictions).

The salt. Every entry is stored under the salt of the request that made it and found only under that
salt: a random 128-bit hex string each browser tab makes and sends with every request (static/js/core/
digest.js `TAB_SALT`). So no request can hit, or time, an entry another salt made: whether a cached
trace exists for a guessed text (its digest is easy to compute) is never visible to anyone but its
maker. A request without a salt neither reads nor writes the cache (`extend(..., salt=None)`): it is
computed whole, as by a server that never saw anyone else. In-process callers (benchmarks, tests) use
the salt "" by default, which no HTTP request can send (a request's salt is 32 hex digits).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, fields, replace

import numpy as np

from app.engine.cells import forward
from app.engine.lstm import Compiled, Trace
from app.serving.digest import digest_at, running


def common_prefix(a: np.ndarray, b: np.ndarray) -> int:
    """How many leading entries two id arrays (n,) and (m,) share."""
    n = min(len(a), len(b))
    differ = np.flatnonzero(a[:n] != b[:n])
    return int(differ[0]) if differ.size else n


def state_at(trace: Trace, p: int):
    """The state after the first p steps (the initial state when p = 0), of the trace's own cell: each
    field of its State (h and c for an LSTM, h for a GRU or a vanilla RNN) is (L, H), stacked from the layers."""
    if p == 0:
        return trace.initial
    kind = type(trace.initial)
    return kind(**{f.name: np.stack([layer[f.name][p - 1] for layer in trace.layers]) for f in fields(kind)})


def head(trace: Trace, p: int) -> Trace:
    """The first p steps of a trace (views, no copy)."""
    layers = tuple(replace(layer, **{f.name: getattr(layer, f.name)[:p] for f in fields(layer)})
                   for layer in trace.layers)
    return type(trace)(layers=layers, initial=trace.initial, final=state_at(trace, p))


def join(first: Trace, rest: Trace, capacity: int | None = None) -> Trace:
    """`first` followed by `rest`, which started from first's final state: one trace, arrays copied into
    new buffers of `capacity` rows (at least the steps of both; the spare rows let a later append be
    written in place, see `append_into`). Each array is a view of the first rows of its buffer."""
    T = first.num_steps + rest.num_steps
    capacity = max(capacity or T, T)

    def grown(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        out = np.empty((capacity, *a.shape[1:]), a.dtype)
        out[: len(a)] = a
        out[len(a) : T] = b
        return out[:T]

    layers = tuple(replace(a, **{f.name: grown(getattr(a, f.name), getattr(b, f.name)) for f in fields(a)})
                   for a, b in zip(first.layers, rest.layers, strict=True))
    return type(first)(layers=layers, initial=first.initial, final=rest.final)


def append_into(first: Trace, rest: Trace) -> Trace:
    """`first` followed by `rest`, written into the spare rows of first's buffers (no copy of first's
    steps). Only for the one caller that claimed those rows (`Tail`): first's own arrays, views of the
    rows before, are not changed."""
    T0, T = first.num_steps, first.num_steps + rest.num_steps

    def extended(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        a.base[T0:T] = b
        return a.base[:T]

    layers = tuple(replace(a, **{f.name: extended(getattr(a, f.name), getattr(b, f.name)) for f in fields(a)})
                   for a, b in zip(first.layers, rest.layers, strict=True))
    return type(first)(layers=layers, initial=first.initial, final=rest.final)


def trace_bytes(trace: Trace) -> int:
    """The bytes a cached trace keeps alive: its arrays' whole buffers, spare rows included (a buffer
    shared by two entries is counted for each, so the budget errs on the safe side)."""
    return sum((a.base if a.base is not None else a).nbytes
               for layer in trace.layers for a in (getattr(layer, f.name) for f in fields(layer)))


class Tail:
    """The spare rows after a cached trace's last step, in the buffers its arrays are views of. The first
    request that extends that trace by a pure append claims them and writes its new steps there; any
    other request (another append of the same text, an edit) copies. A keystroke at the end of a long
    text then costs its new steps, not a copy of every step before them."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.free = True


GROWTH = 1.5  # buffers get this much room beyond the steps they hold


@dataclass
class Entry:
    """One cached trace: its ids (T,), the trace, the bytes it keeps alive, its spare rows, and the
    running digest hashes of its ids (T + 1, 2) (app/serving/digest.py `running`), which name any prefix."""

    ids: np.ndarray
    trace: Trace
    size: int
    tail: Tail | None
    hashes: np.ndarray


class TraceCache:
    """Recent traces keyed by (salt, model version, token ids), at most `max_bytes` of arrays in all.
    Lookups see only the entries of their own (salt, version): one asker's traces are never another's
    hit. Safe to share between the threads of one worker; each worker process has its own."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._entries: OrderedDict[tuple[str, str, bytes], Entry] = OrderedDict()  # all, least recent first
        self._spaces: dict[tuple[str, str], OrderedDict[tuple[str, str, bytes], Entry]] = {}  # per (salt, version)
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0  # steps taken from the cache, over the cache's life (for tests and benchmarks)
        self.computed = 0  # steps computed

    @property
    def nbytes(self) -> int:
        return self._bytes

    def __len__(self) -> int:
        return len(self._entries)

    def _touch(self, key: tuple[str, str, bytes]) -> None:
        self._entries.move_to_end(key)
        self._spaces[key[:2]].move_to_end(key)

    def _drop(self, key: tuple[str, str, bytes]) -> Entry:
        entry = self._entries.pop(key)
        space = self._spaces[key[:2]]
        del space[key]
        if not space:
            del self._spaces[key[:2]]
        self._bytes -= entry.size
        return entry

    def longest_prefix(self, version: str, ids: np.ndarray, salt: str = "") -> tuple[int, Entry | None]:
        """(p, entry): a cached entry of this salt and version whose first p ids equal ids[:p], p as large
        as possible; (0, None) when none shares a first id. The entry becomes the most recently used."""
        best, best_key = 0, None
        with self._lock:
            for key, entry in self._spaces.get((salt, version), {}).items():
                p = common_prefix(entry.ids, ids)
                if p > best:
                    best, best_key = p, key
            if best_key is None:
                return 0, None
            self._touch(best_key)
            return best, self._entries[best_key]

    def held(self, version: str, count: int, digest: str, salt: str = "") -> np.ndarray | None:
        """The first `count` ids of a cached trace of this salt and model version that `digest` names (as
        app/serving/digest.py ids_digest(version, ids, salt) would), or None when no such trace holds them
        (evicted, another worker's, or made under another salt). Costs one step per entry of this salt and
        version, not a pass over its ids."""
        with self._lock:
            for key, entry in reversed(self._spaces.get((salt, version), {}).items()):
                if len(entry.ids) >= count and digest_at(entry.hashes[count], count) == digest:
                    self._touch(key)
                    return entry.ids[:count].copy()
        return None

    def claim(self, tail: Tail | None, rows: int) -> bool:
        """Take a trace's spare rows for an append that needs `rows` rows in all; False when another
        request took them first or they are too few."""
        with self._lock:
            if tail is None or not tail.free or rows > tail.capacity:
                return False
            tail.free = False
            return True

    def put(self, version: str, ids: np.ndarray, trace: Trace, tail: Tail | None = None,
            hashes: np.ndarray | None = None, supersedes: Entry | None = None, salt: str = "") -> None:
        """Remember a trace of these ids under this salt (with their running digest hashes, computed when not
        given); evict the least recently used beyond max_bytes, whatever their salt. A trace larger than the
        whole budget is not kept. `supersedes`: the entry this trace was appended to in place (its buffers
        are this trace's, its ids a prefix of these; always of the same salt), which is dropped: it would
        count the same buffers twice, and this entry answers whatever it answered (a prefix, its digest) at
        the cost of one copy for exactly its ids."""
        hashes = running(version, ids, salt=salt) if hashes is None else hashes
        size = trace_bytes(trace) + ids.nbytes + hashes.nbytes
        if size > self.max_bytes:
            return
        key = (salt, version, ids.tobytes())
        with self._lock:
            if supersedes is not None:
                for old_key, entry in self._spaces.get((salt, version), {}).items():
                    if entry is supersedes:
                        self._drop(old_key)
                        break
            if key in self._entries:
                tail = tail or self._drop(key).tail
            self._entries[key] = entry = Entry(ids.copy(), trace, size, tail, hashes)
            self._spaces.setdefault((salt, version), OrderedDict())[key] = entry
            self._bytes += size
            while self._bytes > self.max_bytes:
                self._drop(next(iter(self._entries)))


def extend(compiled: Compiled, version: str, ids: np.ndarray, cache: TraceCache | None,
           salt: str | None = "") -> Trace:
    """The trace of ids (T,) from the zero state, computing only the steps after the longest prefix cached
    under this salt; the result is cached under it. Bit-identical to forward(compiled, ids). Any cell
    (app.engine.cells). A pure append to a cached trace is written into that trace's spare rows when it
    can claim them. salt None: computed whole, the cache neither read nor written (its steps are counted)."""
    if cache is None:
        return forward(compiled, ids)
    if salt is None:
        cache.computed += len(ids)
        return forward(compiled, ids)
    p, entry = cache.longest_prefix(version, ids, salt)
    cached = entry.trace if entry is not None else None
    superseded = None
    T = len(ids)
    if cached is not None and p == T == cached.num_steps:
        trace, new_tail = cached, None  # the same ids: put() keeps the entry's own tail
    elif cached is not None and p == cached.num_steps and cache.claim(entry.tail, T):
        trace = append_into(cached, forward(compiled, ids[p:], cached.final))
        new_tail, superseded = Tail(entry.tail.capacity), entry
    else:
        prefix = head(cached, p) if cached is not None else None
        rest = forward(compiled, ids[p:], prefix.final) if prefix is not None else forward(compiled, ids)
        capacity = int(T * GROWTH) + 16
        trace = join(prefix, rest, capacity) if prefix is not None else join(head(rest, 0), rest, capacity)
        new_tail = Tail(capacity)
    # The digest hashes of the kept ids are the entry's; only the new ids are hashed.
    hashes = (np.concatenate([entry.hashes[: p + 1], running(version, ids[p:], entry.hashes[p])[1:]])
              if entry is not None else None)
    cache.hits += p
    cache.computed += T - p
    cache.put(version, ids, trace, new_tail, hashes, superseded, salt)
    return trace
