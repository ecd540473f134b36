"""Benchmark: what a trace costs to compute, to serialise for the browser, and to extend by one token.

    python bench/payload.py [--rounds 7] [--model shakespeare] [--tokens 1000]

On a bundled model (shakespeare: H = 256, char tokens) and a text of T tokens, in one process, with one
BLAS thread as in the server, median of several rounds:

    compute       the forward pass from the zero state (app.engine.lstm.forward)
    extend        one more token, from the trace cache (app.serving.trace_cache.extend): what a keystroke costs
    f4 / u1 / json  the /api/trace body for the page's default view (kept, forgotten, written) and for all
                six of i, f, g, o, c, h: encoding (service.trace_payload) plus orjson, and its size

The keystroke budget (docs/performance.md): serialising a trace for the browser costs less than computing it;
the ratios printed come from the same run. Prints figures only (no assertions anywhere depend on time).
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import orjson  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.engine.lstm import forward  # noqa: E402
from app.model_store import load_model  # noqa: E402
from app.resources import resource_dir  # noqa: E402
from app.serving.service import TraceResult, trace_payload  # noqa: E402
from app.serving.trace_cache import TraceCache, extend  # noqa: E402

DEFAULT_VIEW = ("kept", "forgotten", "written")
SIX = ("i", "f", "g", "o", "c", "h")


def median_ms(fn, rounds: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(rounds):
        t0 = time.perf_counter()
        out = fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times), out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--model", default="shakespeare")
    parser.add_argument("--tokens", type=int, default=1000)
    args = parser.parse_args()
    model = load_model(resource_dir("models") / f"{args.model}.safetensors")
    rng = np.random.default_rng(0)
    ids = rng.integers(1, model.params.vocab_size, args.tokens + 1)
    T, H, L = args.tokens, model.params.hidden_size, model.params.num_layers
    print(f"model {model.id}: L = {L}, H = {H}; T = {T} tokens; one BLAS thread; medians of {args.rounds} rounds")

    compute_ms, trace = median_ms(lambda: forward(model.compiled, ids[:T]), args.rounds)

    def one_more() -> None:
        cache = TraceCache(2**30)
        cache.put(model.version, ids[:T], trace)
        t0 = time.perf_counter()
        extend(model.compiled, model.version, ids, cache)
        return (time.perf_counter() - t0) * 1000

    extend_ms = statistics.median(one_more() for _ in range(args.rounds))
    result = TraceResult(model, [], ids[:T], trace)
    print(f"{'compute (forward pass)':<34} {compute_ms:8.1f} ms")
    print(f"{'extend by one token (cache hit)':<34} {extend_ms:8.1f} ms   ({extend_ms / compute_ms:.3f} x compute)")
    print(f"{'serialise':<34} {'ms':>8} {'MB':>8} {'x compute':>10}")
    for quantities, label in ((DEFAULT_VIEW, "default view"), (SIX, "six quantities")):
        for encoding in ("u1", "f4", "json"):
            ms, body = median_ms(lambda: orjson.dumps(  # noqa: B023
                trace_payload(result, 0, quantities, encoding, layer=L - 1),  # noqa: B023
                option=orjson.OPT_SERIALIZE_NUMPY), args.rounds)
            print(f"{encoding + ', ' + label:<34} {ms:8.1f} {len(body) / 1e6:8.2f} {ms / compute_ms:10.2f}")


if __name__ == "__main__":
    main()
