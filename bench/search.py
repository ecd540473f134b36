"""Benchmark: /api/search's work over a state index (app/analysis/search.py) and what opening an index costs in memory.

    python bench/search.py --data-dir DIR --model python     # an index built by `lstm-viz index`
    python bench/search.py --data-dir DIR --model python --markdown

Prints: the index's size; the worker's resident memory (RSS, /proc/self/statm) before and after opening it (memory-
mapped: pages are read when a query touches them), and after the queries below; then the median latency on one
thread of: match with 1, 4, 8 and 16 units (threshold 0.3, up to 40 tokens), top for one unit, and the full answer
(results with their windows), over every indexed token. No timed assertions anywhere in the tests.
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

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # so `app` imports from a checkout

import numpy as np  # noqa: E402

from app.analysis.search import match, top  # noqa: E402
from app.analysis.state_index import default_data_dir, open_index  # noqa: E402

TARGET_MS = 200


def rss_mb() -> dict[str, float]:
    """Resident memory, MB: all of it, the process's own (anonymous) and the mapped files' pages (page cache)."""
    fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines() if ":" in line)
    kb = {name: int(fields[key].split()[0]) for name, key in (("rss", "VmRSS"), ("anon", "RssAnon"),
                                                               ("file", "RssFile"))}
    return {name: value / 1024 for name, value in kb.items()}


def rss_line(label: str, now: dict[str, float], base: dict[str, float]) -> str:
    grew = {name: now[name] - base[name] for name in now}
    return (f"RSS {label}: {now['rss']:.0f} MB (+{grew['rss']:.1f}: own memory +{grew['anon']:.1f}, mapped file "
            f"pages +{grew['file']:.1f})")


def median_ms(work, rounds: int) -> float:
    work()  # warm: the pages it reads are in the page cache, as on a server that has answered once
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        work()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--model", default="python")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args(argv)
    root = (args.data_dir or default_data_dir()) / "indexes" / args.model
    folders = sorted(p for p in root.glob("*") if (p / "meta.json").is_file()) if root.is_dir() else []
    if not folders:
        print(f"no index of {args.model} under {root}: build one with `lstm-viz index {args.model}`", file=sys.stderr)
        return 2
    before = rss_mb()
    index = open_index(folders[-1])
    opened = rss_mb()
    N, H = index.num_tokens, index.hidden_size
    print(f"{args.model}: {N:,} tokens, {index.meta['documents']:,} documents, H = {H}, {index.meta['quantity']}, "
          f"{sum(p.stat().st_size for p in folders[-1].iterdir()) / 2**20:,.0f} MB on disk")
    rng = np.random.default_rng(0)
    rows = []
    for count in (1, 4, 8, 16):
        units = sorted(rng.choice(H, size=count, replace=False).tolist())
        ms = median_ms(lambda u=units: match(index, 0, u, 0.3, 1, 1, 40, 50), args.rounds)
        rows.append((f"match, {count} unit{'s' * (count > 1)}", ms))
    rows.append(("top, 1 unit", median_ms(lambda: top(index, 0, 7, 50, 10), args.rounds)))
    from app.serving.search import SearchContext, SearchRequest, search

    class _Model:  # the answer needs a model's id and version only (get_model reads the dict)
        id, version = args.model, index.meta["version"]

    context = SearchContext(None, {args.model: index})
    request = SearchRequest(model=args.model, units="1,2,3,4,5,6,7,8")
    rows.append(("answer: match, 8 units, with windows",
                 median_ms(lambda: search({args.model: _Model()}, None, context, request), args.rounds)))
    after = rss_mb()
    sep = " | " if args.markdown else "  "
    if args.markdown:
        print("| query | median ms |\n|:---|---:|")
    for name, ms in rows:
        print(f"| {name} | {ms:.1f} |" if args.markdown else f"{name:<40}{sep}{ms:8.1f} ms")
    print(f"RSS before opening: {before['rss']:.0f} MB")
    print(rss_line("after opening", opened, before))
    print(rss_line("after the queries", after, before) + ": the file pages are the units the queries read, shared by "
          "every worker through the page cache and dropped by the kernel under pressure")
    worst = max(ms for _, ms in rows)
    print(f"target: every query <= {TARGET_MS} ms over {N:,} positions on one thread: "
          + ("met" if worst <= TARGET_MS else f"NOT met (slowest {worst:.0f} ms)"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
