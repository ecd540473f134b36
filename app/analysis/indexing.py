"""Build a state index (app/analysis/state_index.py): tokenize a corpus, trace it with the batched engine
(app/engine/batched.py) in runs of whole documents, quantise each run and write it into memory-mapped files.

Resumable: the plan (tokens, documents, runs) is written first, then one run at a time, each flushed before
progress.json says it is done; a rerun with the same plan continues at the first run not done. A finished index
is left alone unless `force`.
"""

from __future__ import annotations

import shutil
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from app.analysis.state_index import FORMAT, QMAX, index_folder, read_json, write_json
from app.engine.batched import trace_run
from app.model_store import Model

SEGMENT_TOKENS = 2_000  # the page's default max_tokens: at most what a person could trace in the page
RUN_TOKENS = 65_536


def utf8_offsets(text: str) -> np.ndarray:
    """Byte offset of every code point of text in its UTF-8 encoding, and of the end: int64 (len(text) + 1,)."""
    cp = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    size = 1 + (cp >= 0x80).astype(np.int64) + (cp >= 0x800) + (cp >= 0x10000)
    return np.concatenate([[0], np.cumsum(size)])


def first_spans(tokenizer, text: str, count: int | None) -> np.ndarray:
    """Code-point spans (n, 2) of text's first `count` tokens (all when None), tokenizing a prefix only: the
    tokens of a prefix are the text's except the last, which the cut may have shortened."""
    cut = len(text) if count is None else min(len(text), 2 * count + 1024)
    while True:
        spans = np.array(tokenizer.spans(text[:cut]), dtype=np.int64).reshape(-1, 2)
        if cut == len(text):
            return spans if count is None else spans[:count]
        if len(spans) - 1 >= count:
            return spans[:count]
        cut = min(len(text), 2 * cut)


def segments(spans: np.ndarray, text: str, limit: int) -> list[tuple[int, int]]:
    """Cut a source's tokens (spans (n, 2) code points) into pieces of at most `limit` tokens, each ending after a
    line break when one is within its last quarter (else at the limit): [(token start, token end)]."""
    n, out, start = len(spans), [], 0
    while n - start > limit:
        end = start + limit
        for j in range(end, start + (3 * limit) // 4, -1):  # piece [start, j): token j−1 then the gap before j
            if "\n" in text[spans[j - 1, 0] : spans[j, 0]]:
                end = j
                break
        out.append((start, end))
        start = end
    if n > start or not out:
        out.append((start, n))
    return out


def plan(model: Model, sources: Sequence[tuple[str, str]], segment_tokens: int, run_tokens: int,
         max_tokens: int | None = None) -> dict:
    """Tokenize every source: token ids, offsets, documents (zero-state pieces), runs and the text, as arrays
    (stopping after `max_tokens` tokens, a whole source or piece at a time, when given)."""
    tok = model.tokenizer
    ids, offsets, documents, texts, names = [], [], [], [], []
    tokens = byte_base = 0
    for s, (name, text) in enumerate(sources):
        if max_tokens is not None and tokens >= max_tokens:
            break
        spans = first_spans(tok, text, None if max_tokens is None else max_tokens - tokens)
        try:
            source_ids = np.array([tok.lookup(text[a:b]) for a, b in spans.tolist()], dtype=np.int32)
        except ValueError as e:
            raise ValueError(f"{name}: {e}") from None
        cut = text[: spans[-1, 1]] if len(spans) else ""
        to_bytes = utf8_offsets(cut)
        byte_spans = to_bytes[spans] + byte_base if len(spans) else np.zeros((0, 2), np.int64)
        encoded = cut.encode("utf-8")
        names.append({"name": name, "byte_start": byte_base, "byte_end": byte_base + len(encoded), "chars": len(cut)})
        for a, b in segments(spans, text, segment_tokens):
            if b > a:
                documents.append((tokens + a, tokens + b, s))
        ids.append(source_ids)
        offsets.append(np.concatenate([byte_spans, spans], axis=1))
        texts.append(encoded)
        tokens += len(spans)
        byte_base += len(encoded)
    documents_a = np.array(documents, dtype=np.int64).reshape(-1, 3)
    runs, size = [0], 0
    for start, end, _ in documents_a.tolist():
        if size and size + (end - start) > run_tokens:
            runs.append(start)
            size = 0
        size += end - start
    runs.append(tokens)
    return {"ids": np.concatenate(ids) if ids else np.zeros(0, np.int32),
            "offsets": np.concatenate(offsets) if offsets else np.zeros((0, 4), np.int64),
            "documents": documents_a, "runs": np.array(runs if tokens else [0], dtype=np.int64),
            "text": b"".join(texts), "sources": names}


def quantise(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """float32 (n, H) -> int8 (n, H) and the per-unit scale (H,): values ≈ q × scale, |error| ≤ scale / 2."""
    largest = np.abs(values).max(axis=0) if len(values) else np.zeros(values.shape[1], np.float32)
    scale = np.where(largest > 0, largest / QMAX, 1.0).astype(np.float32)
    q = np.rint(values / scale)
    np.clip(q, -QMAX, QMAX, out=q)
    return q.astype(np.int8), scale


def progress_bar(done: int, total: int, started: float, width: int = 30) -> str:
    share = done / total if total else 1.0
    elapsed = time.monotonic() - started
    rate = done / elapsed if elapsed > 0 else 0.0
    eta = (total - done) / rate if rate > 0 else 0.0
    bar = "#" * round(share * width) + "-" * (width - round(share * width))
    return f"\r[{bar}] {share:6.1%}  {done:,}/{total:,} tokens  {rate:,.0f} tokens/s  ETA {eta:,.0f} s"


def build_index(model: Model, sources: Sequence[tuple[str, str]], data_dir: Path, corpus: str, about: str,
                quantity: str | None = None, force: bool = False, segment_tokens: int = SEGMENT_TOKENS,
                run_tokens: int = RUN_TOKENS, max_tokens: int | None = None, stop_after: int | None = None,
                report: Callable[[str], None] | None = None) -> Path:
    """Trace `sources` ((name, text) pairs) with `model` and write its index under data_dir; returns the folder.
    `quantity`: the state to keep (default the cell's memory: c for an LSTM, h otherwise). `stop_after`: write at
    most that many runs, then stop as an interruption would (for tests). `report`: where progress lines go
    (default: a bar on stderr)."""
    cell = model.spec
    quantity = quantity or cell.memory
    if quantity not in cell.states:
        raise ValueError(f"{cell.article} carries {', '.join(cell.states)} between steps, not {quantity!r}")
    folder = index_folder(data_dir, model.id, model.version)
    wanted = {"format": FORMAT, "model": model.id, "version": model.version, "cell": cell.name,
              "quantity": quantity, "layers": model.params.num_layers, "hidden_size": model.params.hidden_size,
              "corpus": corpus, "segment_tokens": segment_tokens, "run_tokens": run_tokens, "max_tokens": max_tokens}
    say = report or (lambda line: print(line, end="", file=sys.stderr, flush=True))
    meta = read_json(folder / "meta.json") if (folder / "meta.json").is_file() else None
    same = meta is not None and all(meta.get(k) == v for k, v in wanted.items())
    if same and meta.get("complete") and not force:
        say(f"{folder}: complete ({meta['tokens']:,} tokens); --force rebuilds it\n")
        return folder
    if not same or force:
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        meta = start_index(folder, model, sources, wanted, about, max_tokens)
    return write_runs(folder, model, meta, quantity, stop_after, say)


def start_index(folder: Path, model: Model, sources, wanted: dict, about: str, max_tokens: int | None) -> dict:
    """Write the plan: token arrays, text, empty state and scale files, meta.json (not complete), no runs done."""
    p = plan(model, sources, wanted["segment_tokens"], wanted["run_tokens"], max_tokens)
    N, H, L, R = len(p["ids"]), model.params.hidden_size, model.params.num_layers, len(p["runs"]) - 1
    for name in ("ids", "offsets", "documents", "runs"):
        np.save(folder / f"{name}.npy", p[name])
    (folder / "text.utf8").write_bytes(p["text"])
    np.lib.format.open_memmap(folder / "scales.npy", mode="w+", dtype=np.float32, shape=(L, R, H)).flush()
    for k in range(L):
        np.lib.format.open_memmap(folder / f"states{k}.npy", mode="w+", dtype=np.int8, shape=(H, N)).flush()
    meta = {**wanted, "about": about, "tokens": N, "documents": len(p["documents"]), "runs": R,
            "sources": p["sources"], "complete": False}
    write_json(folder / "progress.json", {"runs_done": 0})
    write_json(folder / "meta.json", meta)
    return meta


def write_runs(folder: Path, model: Model, meta: dict, quantity: str, stop_after: int | None, say) -> Path:
    """Trace, quantise and write every run not yet done; mark the index complete after the last."""
    ids = np.load(folder / "ids.npy", mmap_mode="r")
    documents = np.load(folder / "documents.npy")
    runs = np.load(folder / "runs.npy")
    scales = np.load(folder / "scales.npy", mmap_mode="r+")
    states = [np.load(folder / f"states{k}.npy", mmap_mode="r+") for k in range(meta["layers"])]
    done = read_json(folder / "progress.json")["runs_done"]
    started, total = time.monotonic(), meta["tokens"]
    first_token = int(runs[done])
    written = 0
    for r in range(done, meta["runs"]):
        if stop_after is not None and written >= stop_after:
            say("\n")
            return folder
        a, b = int(runs[r]), int(runs[r + 1])
        docs = documents[(documents[:, 0] >= a) & (documents[:, 1] <= b)]
        pieces = [np.asarray(ids[s:e], dtype=np.int64) for s, e, _ in docs.tolist()]
        for k, values in enumerate(trace_run(model.compiled, pieces, quantity)):
            q, scale = quantise(values)
            states[k][:, a:b] = q.T
            scales[k, r] = scale
            states[k].flush()
        scales.flush()
        write_json(folder / "progress.json", {"runs_done": r + 1})
        written += 1
        say(progress_bar(b - first_token, total - first_token, started))
    meta = {**meta, "complete": True, "seconds": round(time.monotonic() - started, 1)}
    write_json(folder / "meta.json", meta)
    say(f"\n{folder}: {meta['tokens']:,} tokens, {meta['documents']:,} documents, {meta['layers']} layer(s) of "
        f"{meta['hidden_size']} units ({quantity})\n")
    return folder
