"""Benchmark: time per step of the NumPy engine (app.engine.lstm.forward) against simpler ways to run an LSTM.

Run from the repository root:

    python bench/engine.py             # the full table (7 rounds, T = 1000)
    python bench/engine.py --quick     # a few seconds (3 rounds, T = 200)
    python bench/engine.py --markdown  # the table as markdown, for docs/performance.md

One layer, batch 1, E = 64, H in {64, 256, 512}, float32, one thread everywhere. Contenders, all on the
same weights and token ids:

    engine      app.engine.lstm.forward on a compiled model; records i, f, g, o, c, h at every step
    naive       per-step NumPy as one would first write it: concatenate [h_prev, x], one matvec with
                the (4H, H + E) weight matrix, separate sigmoid / tanh, new arrays every step,
                gates recorded by appending to lists and stacked at the end
    torch       fused torch.nn.LSTM (records only h; no gates)         [when torch is importable]
    torch loop  an nn.LSTMCell-like loop of torch ops that records the gates  [when torch is importable]

Then, at H = 256, the batched engine for corpora (app.engine.batched, `lstm-viz index`): BATCH_DOCS documents of
T tokens each, traced from the zero state in one process and split over two processes (fork, one BLAS thread
each: the "2 cores" of the target), in tokens per second against the one-sequence engine's tokens per second
on the same documents one by one. Target: two processes >= 5x the one-sequence engine.

Each round runs every contender once, in an order rotated from round to round; the figure is the
median over rounds. Ratios are computed from those same medians. Prints figures only: there are no
timed assertions anywhere in the tests.
"""

from __future__ import annotations

import os

# One BLAS/OpenMP thread, as in the server; must be set before NumPy (or torch) is imported.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import gc  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # so `app` imports from a checkout

import numpy as np  # noqa: E402

from app.engine.batched import trace_run  # noqa: E402
from app.engine.lstm import LayerWeights, LSTMParams, compile_params, forward  # noqa: E402

try:
    import torch
except ImportError:  # the torch contenders are optional
    torch = None
else:
    torch.set_num_threads(1)

E = 64
V = 96  # a character vocabulary; layer 0's lookup table is V × 4H
HIDDEN_SIZES = (64, 256, 512)
TARGET_H = 256  # the speed targets are set at H = 256; other sizes are shown for reference
TARGETS = (  # (label, numerator, denominator, comparison, threshold)
    ("engine vs naive NumPy: naive / engine", "naive", "engine", ">=", 1.5),
    ("engine vs torch loop recording gates: torch loop / engine", "torch loop", "engine", ">=", 2.0),
    ("engine vs fused torch nn.LSTM: engine / torch", "engine", "torch", "<=", 1.5),
)


@dataclass(frozen=True)
class Weights:
    """float32 weights in PyTorch's layout: emb (V, E), W_ih (4H, E), W_hh (4H, H), b_ih, b_hh (4H,)."""

    emb: np.ndarray
    W_ih: np.ndarray
    W_hh: np.ndarray
    b_ih: np.ndarray
    b_hh: np.ndarray


def make_weights(H: int, rng: np.random.Generator) -> Weights:
    bound = 1 / np.sqrt(H)  # torch's default initialisation range

    def uniform(*shape: int) -> np.ndarray:
        return rng.uniform(-bound, bound, size=shape).astype(np.float32)

    emb = rng.standard_normal((V, E)).astype(np.float32)
    return Weights(emb, uniform(4 * H, E), uniform(4 * H, H), uniform(4 * H), uniform(4 * H))


def engine_contender(w: Weights) -> Callable[[np.ndarray], np.ndarray]:
    compiled = compile_params(LSTMParams((LayerWeights(w.W_ih, w.W_hh, w.b_ih, w.b_hh),), V, w.emb))

    def run(ids: np.ndarray) -> np.ndarray:
        return forward(compiled, ids).layers[0].h  # (T, H)

    return run


def naive_contender(w: Weights) -> Callable[[np.ndarray], np.ndarray]:
    H = w.W_hh.shape[1]
    W = np.concatenate([w.W_hh, w.W_ih], axis=1)  # (4H, H + E), acts on [h_prev, x]
    b = w.b_ih + w.b_hh  # (4H,)

    def sigmoid(z: np.ndarray) -> np.ndarray:
        return 1 / (1 + np.exp(-z))

    def run(ids: np.ndarray) -> np.ndarray:
        h_prev, c_prev = np.zeros(H, np.float32), np.zeros(H, np.float32)
        record: dict[str, list[np.ndarray]] = {q: [] for q in "ifgoch"}
        for token in ids:
            x = w.emb[token]  # (E,)
            z = W @ np.concatenate([h_prev, x]) + b  # (4H,)
            i, f = sigmoid(z[:H]), sigmoid(z[H : 2 * H])
            g, o = np.tanh(z[2 * H : 3 * H]), sigmoid(z[3 * H :])
            c = f * c_prev + i * g
            h = o * np.tanh(c)
            for q, value in zip("ifgoch", (i, f, g, o, c, h), strict=True):
                record[q].append(value)
            h_prev, c_prev = h, c
        trace = {q: np.stack(rows) for q, rows in record.items()}  # each (T, H)
        return trace["h"]

    return run


def torch_fused_contender(w: Weights) -> Callable[[np.ndarray], np.ndarray]:
    H = w.W_hh.shape[1]
    embedding = torch.nn.Embedding.from_pretrained(torch.from_numpy(w.emb))
    lstm = torch.nn.LSTM(E, H)
    with torch.no_grad():
        for name, value in (
            ("weight_ih_l0", w.W_ih),
            ("weight_hh_l0", w.W_hh),
            ("bias_ih_l0", w.b_ih),
            ("bias_hh_l0", w.b_hh),
        ):
            getattr(lstm, name).copy_(torch.from_numpy(value))

    def run(ids: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            x = embedding(torch.from_numpy(ids))[:, None, :]  # (T, 1, E)
            out, _ = lstm(x)  # (T, 1, H)
            return out[:, 0, :].numpy()

    return run


def torch_loop_contender(w: Weights) -> Callable[[np.ndarray], np.ndarray]:
    emb, W_ih, W_hh = torch.from_numpy(w.emb), torch.from_numpy(w.W_ih), torch.from_numpy(w.W_hh)
    b_ih, b_hh = torch.from_numpy(w.b_ih), torch.from_numpy(w.b_hh)
    H = W_hh.shape[1]
    linear = torch.nn.functional.linear

    def run(ids: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            X = emb[torch.from_numpy(ids)]  # (T, E)
            h_prev, c_prev = torch.zeros(H), torch.zeros(H)
            record: dict[str, list[torch.Tensor]] = {q: [] for q in "ifgoch"}
            for t in range(len(X)):
                z_i, z_f, z_g, z_o = (linear(X[t], W_ih, b_ih) + linear(h_prev, W_hh, b_hh)).chunk(4)
                i, f, g, o = torch.sigmoid(z_i), torch.sigmoid(z_f), torch.tanh(z_g), torch.sigmoid(z_o)
                c = f * c_prev + i * g
                h = o * torch.tanh(c)
                for q, value in zip("ifgoch", (i, f, g, o, c, h), strict=True):
                    record[q].append(value)
                h_prev, c_prev = h, c
            trace = {q: torch.stack(rows).numpy() for q, rows in record.items()}  # each (T, H)
        return trace["h"]

    return run


BATCH_DOCS = 128
BATCH_TARGET = 5.0
_BATCH: dict = {}  # what forked workers read: the compiled model and the documents


def _trace_share(share: tuple[int, int]) -> int:
    compiled, docs = _BATCH["compiled"], _BATCH["docs"]
    trace_run(compiled, docs[share[0] : share[1]], "c")
    return sum(len(d) for d in docs[share[0] : share[1]])


def batched_throughput(w: Weights, docs: list[np.ndarray], rounds: int) -> dict[str, float]:
    """Tokens per second (median of rounds): the one-sequence engine document by document, the batched engine in
    one process, and split over two processes (fork; each one BLAS thread, as set at the top of this file)."""
    import multiprocessing

    compiled = compile_params(LSTMParams((LayerWeights(w.W_ih, w.W_hh, w.b_ih, w.b_hh),), V, w.emb))
    _BATCH.update(compiled=compiled, docs=docs)
    tokens = sum(len(d) for d in docs)
    half = len(docs) // 2
    seconds: dict[str, list[float]] = {"engine": [], "batched, 1 process": [], "batched, 2 processes": []}
    with multiprocessing.get_context("fork").Pool(2) as pool:
        pool.map(_trace_share, [(0, 1), (1, 2)])  # warm the workers
        for _ in range(rounds):
            for name in seconds:
                gc.collect()
                start = time.perf_counter()
                if name == "engine":
                    for d in docs:
                        forward(compiled, d)
                elif name == "batched, 1 process":
                    _trace_share((0, len(docs)))
                else:
                    pool.map(_trace_share, [(0, half), (half, len(docs))])
                seconds[name].append(time.perf_counter() - start)
    return {name: tokens / statistics.median(s) for name, s in seconds.items()}


def contenders(w: Weights) -> dict[str, Callable[[np.ndarray], np.ndarray]]:
    runs = {"engine": engine_contender(w), "naive": naive_contender(w)}
    if torch is not None:
        runs["torch"] = torch_fused_contender(w)
        runs["torch loop"] = torch_loop_contender(w)
    return runs


def time_contenders(
    runs: dict[str, Callable[[np.ndarray], np.ndarray]], ids: np.ndarray, rounds: int
) -> dict[str, list[float]]:
    """Seconds per run of each contender, one per round; rounds interleave them in rotating order."""
    names = list(runs)
    outputs = {name: run(ids) for name, run in runs.items()}  # warm-up, and a check they agree
    for name, h in outputs.items():
        error = float(np.max(np.abs(h - outputs["engine"])))
        if error > 1e-4:
            raise SystemExit(f"{name} disagrees with the engine: max abs difference of h {error:.2e}")
    seconds: dict[str, list[float]] = {name: [] for name in names}
    for r in range(rounds):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            gc.collect()
            start = time.perf_counter()
            runs[name](ids)
            seconds[name].append(time.perf_counter() - start)
    return seconds


def check(value: float, comparison: str, threshold: float) -> bool:
    return value >= threshold if comparison == ">=" else value <= threshold


def format_table(header: list[str], rows: list[list[str]], markdown: bool) -> str:
    numeric = [all(row[j][:1].isdigit() for row in rows) for j in range(len(header))]  # right-aligned
    if markdown:
        rule = "|" + "|".join("---:" if right else ":---" for right in numeric) + "|"
        lines = ["| " + " | ".join(header) + " |", rule]
        lines += ["| " + " | ".join(row) + " |" for row in rows]
        return "\n".join(lines)
    widths = [max(len(cell) for cell in column) for column in zip(header, *rows, strict=True)]

    def line(row: list[str]) -> str:
        cells = zip(row, widths, numeric, strict=True)
        return "  ".join(cell.rjust(width) if right else cell.ljust(width) for cell, width, right in cells)

    lines = [line(row) for row in [header, *rows]]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="3 rounds of T = 200: runs in seconds")
    parser.add_argument("--markdown", action="store_true", help="print the tables as markdown")
    parser.add_argument("--rounds", type=int, help="rounds of interleaved runs (default 7, 3 with --quick)")
    parser.add_argument("--steps", type=int, help="tokens per run, T (default 1000, 200 with --quick)")
    parser.add_argument("--hidden", type=int, nargs="+", default=list(HIDDEN_SIZES), help="hidden sizes H")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    rounds = args.rounds or (3 if args.quick else 7)
    T = args.steps or (200 if args.quick else 1000)

    torch_version = torch.__version__ if torch is not None else "not installed"
    print(
        f"python {platform.python_version()}, numpy {np.__version__}, torch {torch_version}, "
        f"{os.cpu_count()} CPUs, one thread; E = {E}, V = {V}, one layer, batch 1, float32, "
        f"T = {T}, median of {rounds} interleaved rounds"
    )
    print()

    rng = np.random.default_rng(args.seed)
    ids = rng.integers(0, V, size=T, dtype=np.int64)  # (T,)
    runs: dict[int, dict[str, list[float]]] = {}
    for H in args.hidden:
        runs[H] = time_contenders(contenders(make_weights(H, rng)), ids, rounds)
    medians = {H: {name: statistics.median(s) for name, s in times.items()} for H, times in runs.items()}

    header = ["H", "contender", "µs / step", "ms / 1,000 tokens", "× engine time", "min–max µs / step"]
    rows = []
    for H, times in medians.items():
        for name, seconds in times.items():
            fastest, slowest = min(runs[H][name]) / T * 1e6, max(runs[H][name]) / T * 1e6
            rows.append(
                [
                    str(H),
                    name,
                    f"{seconds / T * 1e6:.1f}",
                    f"{seconds / T * 1e6:.1f}",
                    f"{seconds / times['engine']:.2f}",
                    f"{fastest:.1f}–{slowest:.1f}",
                ]
            )
    print(format_table(header, rows, args.markdown))
    print()

    header = ["H", "target", "ratio", "met"]
    rows = []
    all_met = True
    for H, times in medians.items():
        is_target = H == TARGET_H
        for label, numerator, denominator, comparison, threshold in TARGETS:
            if numerator not in times or denominator not in times:
                rows.append([str(H), f"{label} {comparison} {threshold}", "n/a (no torch)", "n/a"])
                continue
            ratio = times[numerator] / times[denominator]
            met = check(ratio, comparison, threshold)
            all_met &= met or not is_target
            verdict = ("yes" if met else "NO") if is_target else ("(yes)" if met else "(no)")
            rows.append([str(H), f"{label} {comparison} {threshold}", f"{ratio:.2f}", verdict])
    print(format_table(header, rows, args.markdown))
    print()
    print(f"targets at H = {TARGET_H}: " + ("all met" if all_met else "NOT all met")
          + "; other sizes in parentheses, for reference")
    print()
    docs = [rng.integers(0, V, size=T, dtype=np.int64) for _ in range(BATCH_DOCS)]
    rates = batched_throughput(make_weights(TARGET_H, rng), docs, rounds)
    header = ["H", "engine", "tokens / s", "× one-sequence engine"]
    rows = [[str(TARGET_H), name, f"{rate:,.0f}", f"{rate / rates['engine']:.2f}"] for name, rate in rates.items()]
    print(f"batched engine: {BATCH_DOCS} documents of T = {T} tokens, state c recorded, median of {rounds} rounds")
    print(format_table(header, rows, args.markdown))
    ratio = rates["batched, 2 processes"] / rates["engine"]
    print(f"target at H = {TARGET_H}: batched on 2 processes / one-sequence engine >= {BATCH_TARGET}: {ratio:.2f} "
          + ("met" if ratio >= BATCH_TARGET else "NOT met"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
