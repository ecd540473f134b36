"""A class of students typing at once: a bounded load test of /api/trace, over loopback only.

    python bench/load.py [--students 40] [--duration 60] [--warmup 150] [--workers 1] [--port 8810] [--seed 0]
    python bench/load.py --soak                                   # the same for 5 minutes
    python bench/load.py --url http://127.0.0.1:8000 [--pid PID]  # a server already running on this machine

What one student does, as the page does it (static/js/main.js, static/js/api.js): types into the text box;
after each pause the page sends `GET /api/trace?model=…&text=…&top_k=5&encoding=u1&quantities=kept,forgotten,
written&layer=0` (the default view) with `since` and `prefix` naming the leading tokens it already holds
(static/js/core/trace_store.js: those ending before the first changed character, less one) and then only the
text after them, from code point `offset` (the same request with the whole text when the server answers
409: another worker's cache held them, counted as "resent"), a POST of the same
fields as JSON when that URL would pass 2,000 characters, and aborts the request still in flight when a
newer one starts. Here each student sends about --rate requests a second (intervals uniform within ±40 %
of 1/rate); each text is 1-4 tokens longer than the last, from 20 up to 200 tokens, then a new text
begins, on the word model `lesson` or the character model `shakespeare` (the models that are loaded, if
not both). A request still unanswered at the student's next one is cancelled, its connection closed, as
the browser's AbortController does. Texts are built from the models' example texts (and a word model's
vocabulary) by a generator seeded with --seed: the same seed sends the same texts.

Unless --url is given, the script starts `lstm-viz serve --port P --workers W` itself and stops it at the
end. Load runs for --warmup seconds (not measured), then --duration seconds (measured), then stops.
The warm-up is 150 s by default: each worker's trace cache (LSTM_VIZ_TRACE_CACHE_MB, 64 MiB) fills to
its bound in about two minutes of this load (since a typed text keeps one entry, not one per keystroke
counting the same buffers again), and the memory target is about growth beyond it (a leak), not about
the cache filling.
It reports, for the measured window: throughput (requests completed per second), p50/p95/p99 latency of
completed requests (send to last byte), cancelled and error counts (non-2xx answers or exceptions), the
CPU used by the server, by this load generator and by everything else (a busy machine distorts the
figures), and the server's resident memory (VmRSS summed over its process tree) before load, after the
warm-up and at the end. Targets: zero errors; p99 <= 250 ms with 40 students; RSS at the end within 10 %
of RSS after the warm-up. Exit status: 0 when all are met, 1 when one is missed, 2 when no run happened.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import math
import os
import random
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from app.serving.digest import ids_digest  # noqa: E402

MAX_GET_URL = 2000  # static/js/api.js: longer URLs go as a POST with a JSON body
TOP_K = 5  # static/js/main.js: predictions asked for when the model has a decoder
MIN_TOKENS, MAX_TOKENS = 20, 200
TARGET_P99_MS, TARGET_STUDENTS, TARGET_RSS_DRIFT = 250.0, 40, 0.10
SOAK_SECONDS = 300
GREEDY_TOKENS = 2000  # the default max_tokens: the longest trace a greedy client may ask for
WORD = re.compile(r"[\w'’]+|[^\w\s]")  # one token of app/engine/tokenizer.py's word tokenizer, near enough


# ---- Texts: what the students type ----

@dataclass
class Material:
    """What a model's texts are made of: its example texts and, for a word model, its vocabulary."""

    id: str
    kind: str  # "word" or "char"
    has_decoder: bool
    version: str
    examples: list[str]
    vocab: list[str] = field(default_factory=list)

    def stream(self, rng: random.Random) -> list[str]:
        """At least MAX_TOKENS tokens: example sentences (lines, for a char model) in random order, and
        for a word model runs of vocabulary words between them."""
        tokens: list[str] = []
        if self.kind == "char":
            lines = [line for text in self.examples for line in text.splitlines() if line.strip()]
            while len(tokens) < MAX_TOKENS:
                tokens.extend(rng.choice(lines) + "\n")
            return tokens
        sentences = [WORD.findall(text) for text in self.examples] or [["."]]
        while len(tokens) < MAX_TOKENS:
            tokens.extend(rng.choice(sentences))
            if self.vocab and rng.random() < 0.5:
                tokens.extend(rng.choice(self.vocab) for _ in range(rng.randint(3, 12)))
                tokens.append(".")
        return tokens

    def text(self, tokens: list[str]) -> str:
        return "".join(tokens) if self.kind == "char" else " ".join(tokens)


class Typist:
    """One student's texts: each a few tokens longer than the last, from 20 to at most 200 tokens."""

    def __init__(self, materials: list[Material], rng: random.Random) -> None:
        self.materials, self.rng = materials, rng
        self.n = self.target = 0

    def next(self) -> tuple[Material, str, int]:
        rng = self.rng
        if self.n >= self.target:
            self.material = rng.choice(self.materials)
            self.tokens = self.material.stream(rng)
            self.n = rng.randint(MIN_TOKENS, 2 * MIN_TOKENS)  # an example pasted, or the page's own text
            self.target = rng.randint(self.n, MAX_TOKENS)
        else:
            self.n = min(self.n + rng.randint(1, 4), self.target)
        return self.material, self.material.text(self.tokens[: self.n]), self.n


# ---- The server and its process tree (/proc) ----

def process_tree(pid: int) -> list[int]:
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            parents.setdefault(ppid, []).append(int(entry.name))
    tree, todo = [], [pid]
    while todo:
        p = todo.pop()
        tree.append(p)
        todo.extend(parents.get(p, []))
    return tree


def rss_mb(pid: int) -> float:
    """VmRSS of the process and all its descendants, in MB (10^6 bytes)."""
    total_kb = 0
    for p in process_tree(pid):
        try:
            status = Path(f"/proc/{p}/status").read_text()
        except OSError:
            continue
        total_kb += next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")), 0)
    return total_kb * 1024 / 1e6


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of the process and all its descendants."""
    ticks = 0
    for p in process_tree(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def machine_busy_seconds() -> float:
    """CPU time spent by the whole machine (all cores) outside idle and iowait, from /proc/stat."""
    user, nice, system, _idle, _iowait, irq, softirq, steal = map(int, Path("/proc/stat").read_text().split()[1:9])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def require_loopback(url: str) -> None:
    host = urlsplit(url).hostname
    if not host:
        raise SystemExit(f"error: {url!r} has no host: give a URL such as http://127.0.0.1:8000")
    try:
        addresses = {ipaddress.ip_address(host)}
    except ValueError:
        try:
            addresses = {ipaddress.ip_address(a[4][0]) for a in socket.getaddrinfo(host, None)}
        except socket.gaierror as e:
            raise SystemExit(f"error: cannot resolve {host!r}: {e}") from None
    if not all(a.is_loopback for a in addresses):
        raise SystemExit(f"error: {host} is not a loopback address: this load generator only targets this machine "
                         "(127.0.0.1, ::1, localhost)")


def start_server(port: int, workers: int, log: Path) -> subprocess.Popen:
    with socket.socket() as s:
        if s.connect_ex(("127.0.0.1", port)) == 0:
            raise SystemExit(f"error: port {port} is in use: pick another --port, or --url for that server")
    script = Path(sys.executable).parent / "lstm-viz"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "app.cli"]
    command += ["serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
    with log.open("wb") as out:  # uvicorn's access log: one line per request, as a real deployment writes
        return subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
                                cwd=Path(__file__).resolve().parent.parent)


def wait_until_ready(base: str, server: subprocess.Popen | None, workers: int, log: Path | None) -> None:
    """/healthz answers 200, every worker is up, and the tree's memory has settled (workers load models)."""
    deadline = time.monotonic() + 120
    while True:
        if server is not None and server.poll() is not None:
            tail = log.read_text(errors="replace")[-3000:] if log else ""
            raise SystemExit(f"error: the server exited with status {server.returncode}:\n{tail}")
        try:
            if httpx.get(f"{base}/healthz", timeout=5).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise SystemExit(f"error: {base}/healthz did not answer 200 within 120 s")
        time.sleep(0.25)
    if server is None:
        return
    while len(process_tree(server.pid)) < 1 + (workers if workers > 1 else 0) and time.monotonic() < deadline:
        time.sleep(0.25)
    last = rss_mb(server.pid)
    while time.monotonic() < deadline:
        time.sleep(1.0)
        now = rss_mb(server.pid)
        if abs(now - last) < 0.01 * last:
            return
        last = now


def stop_server(server: subprocess.Popen) -> None:
    server.send_signal(signal.SIGINT)  # uvicorn's graceful shutdown, as Ctrl-C
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)  # the group this script started the server in
        server.wait()


def materials(base: str, wanted: list[str]) -> list[Material]:
    listed = {m["id"]: m for m in httpx.get(f"{base}/api/models", timeout=30).json()["models"]}
    chosen = [m for m in wanted if m in listed]
    missing = [m for m in wanted if m not in listed]
    if not chosen:
        chosen = list(listed)[:2]
    if missing:
        print(f"note: {', '.join(missing)} not loaded on this server; using {', '.join(chosen)}")
    out = []
    for model_id in chosen:
        summary = listed[model_id]
        vocab = []
        if summary["tokenizer"] == "word":
            card = httpx.get(f"{base}/api/models/{model_id}", timeout=30).json()
            unk = card["tokenizer"].get("unk")
            vocab = [w for w in card["tokenizer"]["vocab"] if w != unk and " " not in w]
        examples = summary["examples"] or ["To be, or not to be, that is the question."]
        out.append(Material(model_id, summary["tokenizer"], summary["has_decoder"], summary["version"], examples,
                            vocab))
    return out


# ---- The load ----

@dataclass
class Outcome:
    model: str
    tokens: int
    started: float  # loop time
    ended: float
    status: int = 0  # 0: an exception; -1: cancelled
    error: str = ""
    post: bool = False
    resent: bool = False  # answered 409 to the text sent in part, then sent again whole


@dataclass
class Held:
    """What one student's page holds: the text and the tokens of its last answer."""

    model: str = ""
    text: str = ""
    tokens: list[dict] = field(default_factory=list)
    salt: str = field(default_factory=lambda: secrets.token_hex(16))  # the tab's salt (static/js/core/digest.js)


def kept_tokens(old: str, new: str, tokens: list[dict]) -> int:
    """static/js/core/trace_store.js keptTokens: tokens ending before the first changed character, less one."""
    shared = next((k for k, (a, b) in enumerate(zip(old, new, strict=False)) if a != b), min(len(old), len(new)))
    n = 0
    while n < len(tokens) and tokens[n]["end"] < shared:
        n += 1
    return max(0, n - 1)


async def request(client: httpx.AsyncClient, material: Material, text: str, tokens: int, held: Held,
                  outcomes: list[Outcome]) -> None:
    loop = asyncio.get_running_loop()
    params = {"model": material.id, "text": text, "top_k": TOP_K if material.has_decoder else 0, "encoding": "u1",
              "quantities": "kept,forgotten,written", "layer": 0, "salt": held.salt}
    since = kept_tokens(held.text, text, held.tokens) if held.model == material.id else 0
    whole = params
    if since:
        whole = params | {"since": since,
                          "prefix": ids_digest(material.version, [t["id"] for t in held.tokens[:since]], held.salt)}
        offset = held.tokens[since - 1]["end"]  # code points, as Python slices a str
        params = whole | {"text": text[offset:], "offset": offset}
    url = f"/api/trace?{urlencode(params)}"  # urlencode writes spaces as "+", as URLSearchParams does
    outcome = Outcome(material.id, tokens, loop.time(), 0.0, post=len(url) > MAX_GET_URL)
    try:
        if outcome.post:
            response = await client.post("/api/trace", json=params)
        else:
            response = await client.get(url)
        if response.status_code == 409 and "offset" in params:
            outcome.resent = True
            whole_url = f"/api/trace?{urlencode(whole)}"
            response = await (client.get(whole_url) if len(whole_url) <= MAX_GET_URL
                              else client.post("/api/trace", json=whole))
        outcome.status = response.status_code
        if not response.is_success:
            outcome.error = f"{response.status_code} {response.text[:200]}"
        else:
            answer = response.json()
            held.tokens = held.tokens[: answer["start"]] + answer["tokens"] if held.model == material.id \
                else answer["tokens"]
            held.model, held.text = material.id, text
    except asyncio.CancelledError:
        outcome.status = -1
        raise
    except httpx.HTTPError as e:
        outcome.error = f"{type(e).__name__}: {e}"
    finally:
        outcome.ended = loop.time()
        outcomes.append(outcome)


async def student(k: int, base: str, seed: int, rate: float, start: float, stop: float,
                  mats: list[Material], outcomes: list[Outcome]) -> None:
    rng = random.Random(seed * 1_000_003 + k)
    typist = Typist(mats, rng)
    loop = asyncio.get_running_loop()
    interval = 1.0 / rate
    at = start + rng.uniform(0, interval)  # students do not all type in step
    in_flight: asyncio.Task | None = None
    held = Held()
    # No cap on the pool: httpcore 1.0.9 leaks a pool slot when a request is cancelled between getting a new
    # connection and using it (encode/httpcore#1093), and a capped pool then fails with PoolTimeout. In flight
    # there are at most two requests per student anyway (the one cancelled and the new one).
    limits = httpx.Limits(max_connections=None, max_keepalive_connections=2)
    async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as client:
        while at < stop:
            await asyncio.sleep(max(0.0, at - loop.time()))
            if in_flight is not None and not in_flight.done():
                in_flight.cancel()  # the page aborts the answer it no longer needs
            material, text, tokens = typist.next()
            in_flight = asyncio.create_task(request(client, material, text, tokens, held, outcomes))
            at += interval * rng.uniform(0.6, 1.4)
        if in_flight is not None:  # the student stops typing and waits for the last answer
            await asyncio.gather(in_flight, return_exceptions=True)


async def greedy(k: int, base: str, stop: float, material: Material, outcomes: list[Outcome]) -> None:
    """A student who loops on the longest full trace the limits allow: 2,000 tokens of the model's example
    texts as JSON with every quantity (the costliest valid request), reading each answer whole."""
    loop = asyncio.get_running_loop()
    text = " ".join(material.examples * 2000)
    text = text[: GREEDY_TOKENS * (6 if material.kind == "word" else 1)]
    body = {"model": material.id, "text": text, "top_k": TOP_K if material.has_decoder else 0, "encoding": "json"}
    async with httpx.AsyncClient(base_url=base, timeout=120) as client:
        while loop.time() < stop:
            outcome = Outcome(material.id, GREEDY_TOKENS, loop.time(), 0.0, post=True)
            try:
                response = await client.post("/api/trace", json=body)
                await response.aread()
                outcome.status = response.status_code
                if response.status_code == 503:  # the large lane's queue is full: wait as Retry-After says
                    await asyncio.sleep(min(5.0, float(response.headers.get("retry-after", "1"))))
                elif response.status_code == 413:  # a word model's text over max_tokens: shorten it once
                    body["text"] = body["text"][: len(body["text"]) * 3 // 4]
            except httpx.HTTPError as e:
                outcome.error = f"{type(e).__name__}: {e}"
            outcome.ended = loop.time()
            outcomes.append(outcome)


async def loop_lag(stop: float, lags: list[tuple[float, float]]) -> None:
    """How late this process's event loop wakes up: a busy load generator delays its own requests."""
    loop = asyncio.get_running_loop()
    while loop.time() < stop:
        before = loop.time()
        await asyncio.sleep(0.05)
        lags.append((before, loop.time() - before - 0.05))


@dataclass
class Snapshot:
    at: float
    rss: float | None
    server_cpu: float | None
    machine_cpu: float
    own_cpu: float


async def run_load(args, base: str, pid: int | None, mats: list[Material]):
    loop = asyncio.get_running_loop()

    def snapshot() -> Snapshot:
        return Snapshot(loop.time(), rss_mb(pid) if pid else None, cpu_seconds(pid) if pid else None,
                        machine_busy_seconds(), time.process_time())

    before = snapshot()
    start = loop.time() + 0.5
    measure, stop = start + args.warmup, start + args.warmup + args.duration
    outcomes: list[Outcome] = []
    greedy_outcomes: list[Outcome] = []
    lags: list[tuple[float, float]] = []
    tasks = [asyncio.create_task(student(k, base, args.seed, args.rate, start, stop, mats, outcomes))
             for k in range(args.students)]
    greedy_material = next((m for m in mats if m.kind == "char"), mats[0])
    tasks += [asyncio.create_task(greedy(k, base, stop, greedy_material, greedy_outcomes)) for k in range(args.greedy)]
    tasks.append(asyncio.create_task(loop_lag(stop, lags)))
    await asyncio.sleep(max(0.0, measure - loop.time()))
    warm = snapshot()
    await asyncio.sleep(max(0.0, stop - loop.time()))
    end = snapshot()
    await asyncio.gather(*tasks)
    return before, warm, end, outcomes, greedy_outcomes, [lag for at, lag in lags if at >= measure]


# ---- The report ----

def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile of a non-empty list."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def report(args, base: str, started_here: bool, mats: list[Material], before: Snapshot, warm: Snapshot,
           end: Snapshot, outcomes: list[Outcome], greedy_outcomes: list[Outcome], lags: list[float]) -> bool:
    measured = [o for o in outcomes if o.started >= warm.at]
    done = [o for o in measured if 200 <= o.status < 300]
    cancelled = [o for o in measured if o.status == -1]
    errors = [o for o in outcomes if o.status != -1 and not 200 <= o.status < 300]
    finished_in_window = [o for o in outcomes if 200 <= o.status < 300 and warm.at <= o.ended <= end.at]
    seconds = end.at - warm.at
    ms = [1000 * (o.ended - o.started) for o in done]

    server = f"{base} ({args.workers} worker{'s' * (args.workers > 1)}, started by this script)" if started_here \
        else f"{base} (already running{f', pid {args.pid}' if args.pid else ''})"
    print(f"load      {args.students} students × ~{args.rate:g} requests/s, {MIN_TOKENS}–{MAX_TOKENS} tokens, "
          f"models {', '.join(m.id for m in mats)}, seed {args.seed}")
    print(f"server    {server}")
    print(f"time      {args.warmup:g} s warm-up (not measured) + {seconds:.1f} s measured; "
          f"{os.cpu_count()} cores on this machine")
    posts = sum(o.post for o in measured)
    resent = sum(o.resent for o in measured)
    print(f"requests  sent {len(measured)} ({posts} as POST, {resent} resent whole after a 409), completed {len(done)} "
          f"({len(finished_in_window) / seconds:.1f}/s), cancelled {len(cancelled)}; "
          f"errors {len(errors)} (whole run, warm-up included)")
    if ms:
        print(f"latency   p50 {percentile(ms, 50):.1f} ms, p95 {percentile(ms, 95):.1f} ms, "
              f"p99 {percentile(ms, 99):.1f} ms, max {max(ms):.1f} ms (completed requests, send to last byte)")
        for m in mats:
            mine = [1000 * (o.ended - o.started) for o in done if o.model == m.id]
            if mine:
                tokens = statistics.mean(o.tokens for o in done if o.model == m.id)
                print(f"  {m.id:<12}{len(mine):>6} done, mean {tokens:.0f} tokens: p50 {percentile(mine, 50):.1f} ms, "
                      f"p99 {percentile(mine, 99):.1f} ms")
    for o in errors[:5]:
        print(f"  error: {o.model}, {o.tokens} tokens: {o.error}")
    if args.greedy:
        mine = [o for o in greedy_outcomes if warm.at <= o.started]
        served = [o for o in mine if o.status == 200]
        busy = sum(o.status == 503 for o in mine)
        failed = [o for o in mine if o.status not in (200, 503)]
        print(f"greedy    {args.greedy} clients looping on {GREEDY_TOKENS}-token JSON traces: {len(served)} served "
              f"({len(served) / seconds:.2f}/s), {busy} told 503 busy, {len(failed)} failed"
              + (f" (first: {failed[0].status} {failed[0].error})" if failed else ""))
    busy = end.machine_cpu - warm.machine_cpu
    own = end.own_cpu - warm.own_cpu
    if warm.server_cpu is not None:
        srv = end.server_cpu - warm.server_cpu
        print(f"cpu       cores busy: server {srv / seconds:.2f}, load generator {own / seconds:.2f}, "
              f"everything else {max(0.0, busy - srv - own) / seconds:.2f} (of {os.cpu_count()})")
    else:
        print(f"cpu       cores busy: load generator {own / seconds:.2f}, everything else (server included) "
              f"{max(0.0, busy - own) / seconds:.2f} (of {os.cpu_count()})")
    if lags:
        print(f"client    event-loop lag p99 {1000 * percentile(lags, 99):.1f} ms "
              "(above ~10 ms the load generator itself adds to the latencies)")

    met = {"zero errors": not errors}
    if ms:
        note = "" if args.students == TARGET_STUDENTS else \
            f"; the target is for {TARGET_STUDENTS} students, this run had {args.students}"
        met[f"p99 ≤ {TARGET_P99_MS:g} ms{note}"] = percentile(ms, 99) <= TARGET_P99_MS
    else:
        met["p99 (no request completed)"] = False
    if warm.rss is not None:
        drift = (end.rss - warm.rss) / warm.rss
        print(f"memory    server RSS: before load {before.rss:.1f} MB, after warm-up {warm.rss:.1f} MB, "
              f"end {end.rss:.1f} MB ({drift:+.1%} since warm-up)")
        met[f"RSS at the end within {TARGET_RSS_DRIFT:.0%} of after warm-up"] = abs(drift) <= TARGET_RSS_DRIFT
    else:
        print("memory    server RSS: n/a (pass --pid with the server's process id to measure it)")
    for name, ok in met.items():
        print(f"target    {'met   ' if ok else 'MISSED'} {name}")
    return all(met.values())


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--students", type=int, default=40, help="students typing at once (1-500)")
    parser.add_argument("--rate", type=float, default=3.0, help="trace requests per second per student (0.1-10)")
    parser.add_argument("--duration", type=float, default=60.0, help="measured seconds, after the warm-up (≤ 3600)")
    parser.add_argument("--warmup", type=float, default=150.0, help="seconds of load before measuring")
    parser.add_argument("--soak", action="store_true", help=f"measure for {SOAK_SECONDS // 60} minutes")
    parser.add_argument("--workers", type=int, default=1, help="server workers (when this script starts it)")
    parser.add_argument("--port", type=int, default=8810, help="loopback port of the server this script starts")
    parser.add_argument("--url", default=None, help="a server already running on this machine (loopback only)")
    parser.add_argument("--pid", type=int, default=None, help="with --url: the server's process id, for its RSS")
    parser.add_argument("--models", default="lesson,shakespeare", help="models the students use, if loaded")
    parser.add_argument("--seed", type=int, default=0, help="seed of the texts and timings")
    parser.add_argument("--greedy", type=int, default=0, help="clients besides the students, each looping on a "
                        f"{GREEDY_TOKENS}-token full JSON trace (0-16)")
    args = parser.parse_args(argv)
    if args.soak:
        args.duration = SOAK_SECONDS
    if not (1 <= args.students <= 500 and 0.1 <= args.rate <= 10 and 0 < args.duration <= 3600
            and 0 <= args.warmup <= 600 and 1 <= args.workers <= 64 and 0 <= args.greedy <= 16):
        parser.error("out of bounds: 1-500 students, rate 0.1-10/s, duration up to 3600 s, "
                     "warm-up up to 600 s, 1-64 workers, 0-16 greedy clients")
    if args.pid is not None and args.url is None:
        parser.error("--pid goes with --url (a server this script starts is measured anyway)")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    server = None
    with tempfile.TemporaryDirectory(prefix="lstm-viz-load-") as tmp:
        log = Path(tmp) / "server.log"
        try:
            if args.url:
                require_loopback(args.url)
                base = args.url.rstrip("/")
                wait_until_ready(base, None, args.workers, None)
            else:
                base = f"http://127.0.0.1:{args.port}"
                server = start_server(args.port, args.workers, log)
                wait_until_ready(base, server, args.workers, log)
            mats = materials(base, [m for m in args.models.split(",") if m])
            pid = server.pid if server else args.pid
            before, warm, end, outcomes, greedy_outcomes, lags = asyncio.run(run_load(args, base, pid, mats))
            ok = report(args, base, server is not None, mats, before, warm, end, outcomes, greedy_outcomes, lags)
        except SystemExit as e:
            print(e.code, file=sys.stderr)
            return 2
        finally:
            if server is not None:
                stop_server(server)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
