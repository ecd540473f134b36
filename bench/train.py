"""Training throughput of the NumPy trainer: tokens per second.

    python bench/train.py [--quick]

1. A char-level setup like the bundled char models' (V = 80, E = 64, one layer, batch 32 × 100 steps) at
   H = 64 and 256.
2. The lesson models' setup: the lesson corpus's vocabulary (about 6,600 words), E = 32, the LSTM and the GRU
   at H = 64 and the vanilla RNN at H = 100 (the bundled lesson models), on batches of 32 documents drawn as
   `lstm-viz train` draws them (similar lengths together); tokens/s counts real (unpadded) tokens.

One BLAS thread. Prints the median of several timed steps after a warm-up step.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.training.network import Adam, clip_by_global_norm, init_params, loss_and_grads  # noqa: E402


def time_steps(H: int, rounds: int, V: int = 80, E: int = 64, B: int = 32, T: int = 100) -> float:
    """Median seconds per optimiser step (forward, backward, clip, Adam)."""
    rng = np.random.default_rng(0)
    params = init_params(rng, V, E, H, 1)
    adam = Adam()
    ids, targets = rng.integers(0, V, (T, B)), rng.integers(0, V, (T, B))
    mask = np.ones((T, B), np.float32)
    times = []
    for n in range(rounds + 1):
        start = time.perf_counter()
        _, grads = loss_and_grads(params, ids, targets, mask)
        clip_by_global_norm(grads, 5.0)
        adam.update(params, grads)
        if n:  # the first step warms caches and allocations
            times.append(time.perf_counter() - start)
    return float(np.median(times))


def time_lesson(cell: str, H: int, rounds: int) -> tuple[float, float]:
    """Median seconds per step and real tokens per step of the lesson corpus at batch 32."""
    from app.corpora import lesson
    from app.engine.cells import CELLS
    from app.engine.tokenizer import Tokenizer
    from app.training.loop import Documents

    tokenizer = Tokenizer("word", ("<unk>", *lesson.vocabulary()), "<unk>", lowercase=True)
    docs = Documents(tuple(np.array([t.id for t in tokenizer.tokenize(text)], np.int64)
                           for text in lesson.generate(4000, seed=0)))
    params = init_params(np.random.default_rng(0), len(tokenizer.vocab), 32, H, 1, cell=CELLS[cell])
    adam = Adam()
    times, tokens = [], []
    for n in range(rounds + 1):
        ids, targets, mask = docs.sample(np.random.default_rng([0, n]), 32)
        start = time.perf_counter()
        _, grads = loss_and_grads(params, ids, targets, mask, CELLS[cell])
        clip_by_global_norm(grads, 5.0)
        adam.update(params, grads)
        if n:
            times.append(time.perf_counter() - start)
            tokens.append(float(np.count_nonzero(mask)))
    return float(np.median(times)), float(np.mean(tokens))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 timed steps per size instead of 10")
    args = parser.parse_args()
    rounds = 3 if args.quick else 10
    B, T = 32, 100
    print(f"NumPy {np.__version__}, one BLAS thread, batch {B} x {T} tokens, V = 80, E = 64, one layer")
    print(f"{'H':>5} {'ms/step':>9} {'tokens/s':>10}")
    for H in (64, 256):
        seconds = time_steps(H, rounds)
        print(f"{H:>5} {seconds * 1e3:>9.1f} {B * T / seconds:>10,.0f}")
    print("\nlesson corpus, batch 32 documents, E = 32")
    print(f"{'cell':>5} {'H':>4} {'ms/step':>9} {'tokens/step':>12} {'tokens/s':>10}")
    for cell, H in (("lstm", 64), ("gru", 64), ("rnn", 100)):
        seconds, tokens = time_lesson(cell, H, rounds * 2)
        print(f"{cell:>5} {H:>4} {seconds * 1e3:>9.1f} {tokens:>12,.0f} {tokens / seconds:>10,.0f}")


if __name__ == "__main__":
    main()
