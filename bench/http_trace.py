"""Benchmark: one full trace over HTTP against fused torch.nn.LSTM on the same weights, in the same run.

    python bench/http_trace.py [--rounds 7] [--tokens 1000] [--models python,shakespeare] [--port 8831]
    python bench/http_trace.py --tokens 2000
    python bench/http_trace.py --markdown     # the tables as markdown, for docs/performance.md

Starts `lstm-viz serve` on a loopback port (its own process, one worker, as deployed), then for each bundled
character model (H = 256) and a text of T characters (tokens) built from the model's example texts times,
median of several rounds, each round running every contender once in an order rotated from round to round:

    torch         fused torch.nn.LSTM with the model's own weights (layer 0's input as the engine builds it:
                  the model's embedding of the token ids, or one-hot over V), one thread: h only, no gates
    engine        the NumPy engine alone (app.engine.cells.forward on the compiled model), one BLAS thread
    http f4 ...   POST /api/trace, the client (httpx, keep-alive) reading the whole body and parsing it with
                  orjson: `f4, all` the API's default quantities (i, f, g, o, c, h), every layer, top_k = 5;
                  `f4, page view` the page's default view, quantities=kept,forgotten,written&layer=0, top_k = 5;
                  `u1, page view` the same as the page sends it (encoding=u1); `json, all` for reference;
                  `f4, all (http.client)` the first with the standard library's leaner client instead of
                  httpx: how much of the time is the client's own

Answers estimated above large_answer_mb (4 MiB: `f4, all`, `f4, page view`, `json, all` at T = 1,000) are computed
in the large lane's process (app/serving/lane_process.py), at a lower CPU priority: on a busy machine they wait for
a core; `--no-lane` serves them in the worker, to see what that costs.

It prints the ratio of each to torch (of the medians; and of the fastest rounds, less disturbed by other work on a
busy machine). No salt is sent, so the server's trace cache is neither read nor written: every
request computes its trace whole. A second table breaks the server's work down by calling the service's own
functions in this process (tokenize, engine, the answer's body built by service.trace_payload, of which tokens
and predictions, orjson.dumps, the bytes, and the client's orjson.loads); what the HTTP time has beyond their
sum is transport, the large lane's process hop (answers above large_answer_mb) and httpx.

Prints figures only (no assertions anywhere depend on time). Needs torch (a tool, never a dependency of app/).
"""

from __future__ import annotations

import os

# One BLAS/OpenMP thread, as in the server; must be set before NumPy (or torch) is imported.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import gc  # noqa: E402
import http.client  # noqa: E402
import platform  # noqa: E402
import socket  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # so `app` and `bench` import from a checkout

import httpx  # noqa: E402
import numpy as np  # noqa: E402
import orjson  # noqa: E402

from app.engine.cells import forward  # noqa: E402
from app.model_store import Model, load_model  # noqa: E402
from app.resources import resource_dir  # noqa: E402
from app.serving.config import Settings  # noqa: E402
from app.serving.service import TraceResult, parse_quantities, tokens_of, trace_payload  # noqa: E402
from bench.engine import format_table  # noqa: E402
from bench.load import start_server, stop_server, wait_until_ready  # noqa: E402

try:
    import torch
except ImportError:
    torch = None
else:
    torch.set_num_threads(1)

TOP_K = 5  # the API's default and the page's (static/js/main.js TOP_K)
PAGE_VIEW = "kept,forgotten,written"  # the page's default view (an LSTM's memory ledger)
REQUESTS = {  # label: the request's fields beyond model and text
    "http f4, all": {"encoding": "f4", "top_k": TOP_K},
    "http f4, page view": {"encoding": "f4", "top_k": TOP_K, "quantities": PAGE_VIEW, "layer": 0},
    "http u1, page view": {"encoding": "u1", "top_k": TOP_K, "quantities": PAGE_VIEW, "layer": 0},
    "http json, all": {"encoding": "json", "top_k": TOP_K},
}


RAW = "http f4, all (http.client)"


def text_for(model: Model, tokens: int) -> str:
    """A text of exactly `tokens` characters (a character model: as many tokens) from the model's examples."""
    base = "".join(model.card.get("examples") or ["To be, or not to be, that is the question:\n"])
    return (base * (tokens // len(base) + 1))[:tokens]


def torch_contender(model: Model) -> Callable[[np.ndarray], np.ndarray]:
    """Fused nn.LSTM with the model's weights (PyTorch's layout, as app.engine.lstm keeps them); layer 0's input
    is the embedding of the ids, or one-hot over V when the model has none (as compile_params' x_table)."""
    p = model.params
    first = p.layers[0]
    lstm = torch.nn.LSTM(first.input_size, p.hidden_size, p.num_layers)
    with torch.no_grad():
        for k, layer in enumerate(p.layers):
            for name, value in (("weight_ih", layer.W_ih), ("weight_hh", layer.W_hh), ("bias_ih", layer.b_ih),
                                ("bias_hh", layer.b_hh)):
                getattr(lstm, f"{name}_l{k}").copy_(torch.from_numpy(np.array(value, np.float32)))  # writable
    embedding = None if p.embedding is None else torch.nn.Embedding.from_pretrained(torch.from_numpy(
        np.array(p.embedding, np.float32)))

    def run(ids: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            t = torch.from_numpy(ids)
            x = embedding(t) if embedding is not None else torch.nn.functional.one_hot(t, p.vocab_size).float()
            out, _ = lstm(x[:, None, :])  # (T, 1, H): the top layer's h
            return out[:, 0, :].numpy()

    return run


def engine_contender(model: Model) -> Callable[[np.ndarray], np.ndarray]:
    def run(ids: np.ndarray) -> np.ndarray:
        return forward(model.compiled, ids).layers[-1].h

    return run


def http_contender(client: httpx.Client, body: dict) -> Callable[[np.ndarray], dict]:
    """POST the request, read the whole answer and parse it (what a client of the API has to do)."""
    content = orjson.dumps(body)
    headers = {"Content-Type": "application/json"}

    def run(_ids: np.ndarray) -> dict:
        r = client.post("/api/trace", content=content, headers=headers)
        if r.status_code != 200:
            raise SystemExit(f"error: /api/trace answered {r.status_code}: {r.text[:300]}")
        return orjson.loads(r.content)

    return run


def raw_contender(host: str, port: int, body: dict) -> Callable[[np.ndarray], dict]:
    """The same with the standard library's http.client (a leaner client than httpx: what the server and the
    transport cost, without most of the client's own)."""
    content = orjson.dumps(body)
    connection = http.client.HTTPConnection(host, port, timeout=120)

    def run(_ids: np.ndarray) -> dict:
        connection.request("POST", "/api/trace", body=content, headers={"Content-Type": "application/json"})
        r = connection.getresponse()
        data = r.read()
        if r.status != 200:
            raise SystemExit(f"error: /api/trace answered {r.status}: {data[:300]!r}")
        return orjson.loads(data)

    return run


def time_contenders(runs: dict[str, Callable], ids: np.ndarray, rounds: int) -> dict[str, list[float]]:
    """Milliseconds per run of each contender, one per round; rounds interleave them in rotating order."""
    for run in runs.values():
        run(ids)  # warm-up
    names = list(runs)
    ms: dict[str, list[float]] = {name: [] for name in names}
    for r in range(rounds):
        for name in names[r % len(names):] + names[: r % len(names)]:
            gc.collect()
            start = time.perf_counter()
            runs[name](ids)
            ms[name].append((time.perf_counter() - start) * 1000)
    return ms


def breakdown(model: Model, text: str, fields: dict, rounds: int) -> list[tuple[str, float, str]]:
    """The server's work for one request, step by step, in this process (medians of interleaved rounds, as the
    contenders): (what, ms, note)."""
    settings = Settings()
    tokens, ids = tokens_of(model, text, settings)
    trace = forward(model.compiled, ids)
    result = TraceResult(model, tokens, ids, trace)
    quantities = parse_quantities(fields.get("quantities"), model)
    encoding, layer = fields["encoding"], fields.get("layer")
    payload = trace_payload(result, TOP_K, quantities, encoding, 0, layer)
    body = orjson.dumps(payload, option=orjson.OPT_SERIALIZE_NUMPY)
    steps = {
        "tokenize": lambda _: tokens_of(model, text, settings),
        "engine": lambda _: forward(model.compiled, ids),
        "body built (trace_payload)": lambda _: trace_payload(result, TOP_K, quantities, encoding, 0, layer),
        "  of which tokens + predictions": lambda _: trace_payload(result, TOP_K, (), encoding, 0, layer),
        "orjson.dumps": lambda _: orjson.dumps(payload, option=orjson.OPT_SERIALIZE_NUMPY),
        "client orjson.loads": lambda _: orjson.loads(body),
    }
    ms = {name: statistics.median(times) for name, times in time_contenders(steps, ids, rounds).items()}
    total = sum(value for name, value in ms.items() if not name.startswith(" "))
    notes = {"  of which tokens + predictions": "trace_payload with no quantities",
             "orjson.dumps": f"{len(body) / 1e6:.2f} MB"}
    return [(name, value, notes.get(name, "")) for name, value in ms.items()] + [("sum", total, "")]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=7, help="rounds of interleaved runs (default 7)")
    parser.add_argument("--tokens", type=int, default=1000, help="characters (tokens) of the text, T (default 1000)")
    parser.add_argument("--models", default="python,shakespeare", help="bundled character models, comma-separated")
    parser.add_argument("--port", type=int, help="loopback port for the server (default: a free one)")
    parser.add_argument("--no-json", action="store_true", help="leave out the `json, all` reference request")
    parser.add_argument("--no-lane", action="store_true", help="serve every answer in the worker (LSTM_VIZ_LARGE_"
                        "ANSWER_MB=100000): what the large lane's process hop and its lower CPU priority cost")
    parser.add_argument("--markdown", action="store_true", help="print the tables as markdown")
    args = parser.parse_args(argv)
    if torch is None:
        raise SystemExit("error: torch is not importable: this benchmark compares against torch.nn.LSTM")
    requests = {k: v for k, v in REQUESTS.items() if not (args.no_json and v["encoding"] == "json")}
    models = [load_model(resource_dir("models") / f"{name}.safetensors") for name in args.models.split(",")]
    T = args.tokens
    print(f"python {platform.python_version()}, numpy {np.__version__}, torch {torch.__version__}, "
          f"{os.cpu_count()} CPUs, one thread; T = {T} characters, top_k = {TOP_K}; "
          f"median of {args.rounds} interleaved rounds" + ("; no large lane" if args.no_lane else ""))
    print()

    port = args.port or free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "server.log"
        if args.no_lane:
            os.environ["LSTM_VIZ_LARGE_ANSWER_MB"] = "100000"  # the server started next inherits it
        server = start_server(port, 1, log)
        try:
            wait_until_ready(base, server, 1, log)
            medians, fastest, sizes = {}, {}, {}
            with httpx.Client(base_url=base, timeout=120) as client:
                for model in models:
                    text = text_for(model, T)
                    ids = tokens_of(model, text, Settings())[1]
                    runs = {"torch": torch_contender(model), "engine": engine_contender(model)}
                    for label, fields in requests.items():
                        body = {"model": model.id, "text": text, **fields}
                        runs[label] = http_contender(client, body)
                        sizes[model.id, label] = len(client.post("/api/trace", json=body).content)
                        if label == "http f4, all":
                            runs[RAW] = raw_contender("127.0.0.1", port, body)
                            sizes[model.id, RAW] = sizes[model.id, label]
                    engine_h, torch_h = runs["engine"](ids), runs["torch"](ids)
                    error = float(np.max(np.abs(engine_h - torch_h)))
                    if error > 1e-4:
                        raise SystemExit(f"torch disagrees with the engine on {model.id}: max |Δh| = {error:.2e}")
                    ms = time_contenders(runs, ids, args.rounds)
                    medians[model.id] = {name: statistics.median(times) for name, times in ms.items()}
                    fastest[model.id] = {name: min(times) for name, times in ms.items()}
        finally:
            stop_server(server)

    header = ["model", "H", "contender", "ms", "MB", "× torch", "min ms", "min × torch min"]
    rows = []
    for model in models:
        times, best = medians[model.id], fastest[model.id]
        for name, value in times.items():
            size = sizes.get((model.id, name))
            rows.append([model.id, str(model.params.hidden_size), name, f"{value:.1f}",
                         f"{size / 1e6:.2f}" if size else "–", f"{value / times['torch']:.2f}",
                         f"{best[name]:.1f}", f"{best[name] / best['torch']:.2f}"])
    print(format_table(header, rows, args.markdown))
    print()

    header = ["model", "request", "server step (in process)", "ms", "note"]
    rows = []
    for model in models:
        text = text_for(model, T)
        for label in ("http f4, all", "http f4, page view"):
            steps = breakdown(model, text, requests[label], args.rounds)
            total = steps[-1][1]
            for what, value, note in steps:
                rows.append([model.id, label.removeprefix("http "), what, f"{value:.1f}", note or "–"])
            http_ms = medians[model.id][label]
            rows.append([model.id, label.removeprefix("http "), "HTTP (above)", f"{http_ms:.1f}",
                         f"{http_ms - total:+.1f} ms beyond the sum: transport, lane hop, httpx"])
    print(format_table(header, rows, args.markdown))
    return 0


if __name__ == "__main__":
    sys.exit(main())
