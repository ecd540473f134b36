"""Hostile clients against `lstm-viz serve`: a bounded benchmark, over loopback only (issue #17).

    python bench/hostile_clients.py --scenario slow-readers [--clients 20] [--write-timeout 10] [--duration 180]
    python bench/hostile_clients.py --scenario idle [--connections 1100] [--nofile 1024] [--head-timeout 60]
    python bench/hostile_clients.py --scenario idle --max-connections 100000   # the same with the cap off

The script starts `lstm-viz serve` itself on a free loopback port (or --port), one worker, logging to a
temporary file, and stops it at the end. Scenarios:

slow-readers  --clients sockets (20), each with a 4 KiB receive buffer, POST a valid 2,000-token trace as JSON
              (the model `shakespeare`, 2,000 characters, a different text each; a 34 MB answer) and never read a
              byte. The server is started with --write-timeout 10 (not the default 30 s, so the run is short;
              --write-timeout changes it): a connection whose answer does not drain for that long is dropped, and
              answers that may be large take the large lane (one at a time, `large_queue` = 8 waiting, more
              answered 503 + Retry-After). Every 0.2 s the script samples the server's resident memory (VmRSS
              summed over its process tree) and its open sockets, until the server has dropped every client or
              --duration seconds pass; meanwhile a typist's small trace is sent every second. It prints RSS
              before, at the peak and after; how each client was answered (dropped mid-answer, turned away 503);
              the typist's latencies. Target: RSS growth (peak − before) <= 200 MB; every typist request 200;
              every client dropped within --duration.
idle          The server is started with its open-file limit at --nofile (1,024: RLIMIT_NOFILE soft = hard,
              set in the child before exec) and a head timeout of 60 s (--head-timeout: so it is the
              connection cap, 1,024 − 64 − 3 × 100 = 660, that must make room, not the head timeout); this
              process raises its own soft limit to its hard limit and opens --connections idle TCP
              connections (1,100) that send nothing,
              then times --probes GET /healthz (5, one a second, each on a new connection, 5 s timeout) while
              holding them. It prints each probe's time, how many idle connections the server closed, and how
              much the server's log grew (rate-limited: app/serving/log_limit.py). Targets: every probe answered
              200 within 1 s; log growth < 100 kB. With --max-connections 100000 (the cap off) the same run shows
              what the cap prevents.

Greedy clients (looping on the costliest valid trace while a class types) are measured by
`python bench/load.py --greedy 4`, not here.

Exit status: 0 when every target is met, 1 when one is missed, 2 when no run happened.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.load import process_tree, rss_mb, stop_server, wait_until_ready  # noqa: E402

SMALL_RCVBUF = 4096  # bytes: a slow reader's receive buffer, set before connecting
TRACE_CHARS = 2000  # the default max_tokens, one token per character for the char model
TARGET_GROWTH_MB = 200.0
TARGET_PROBE_S = 1.0
TARGET_LOG_KB = 100.0
SAMPLE_S = 0.2


# ---- The server ----

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int, options: list[str], log: Path, nofile: int | None = None) -> subprocess.Popen:
    """`lstm-viz serve` on 127.0.0.1:port with `options`, its output to `log`; with `nofile`, the child's
    open-file limit (soft and hard) set to it before exec."""
    with socket.socket() as s:
        if s.connect_ex(("127.0.0.1", port)) == 0:
            raise SystemExit(f"error: port {port} is in use: pick another --port")
    script = Path(sys.executable).parent / "lstm-viz"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "app.cli"]
    command += ["serve", "--host", "127.0.0.1", "--port", str(port), *options]

    def limit_files() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))

    with log.open("wb") as out:
        return subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True, cwd=ROOT,
                                preexec_fn=limit_files if nofile else None)


def open_sockets(pid: int) -> int:
    """Sockets open in the process and its descendants (the listener among them)."""
    n = 0
    for p in process_tree(pid):
        try:
            fds = os.listdir(f"/proc/{p}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                n += os.readlink(f"/proc/{p}/fd/{fd}").startswith("socket:")
            except OSError:
                continue
    return n


def held_by_server(port: int, client_ports: set[int]) -> int:
    """Connections from `client_ports` to the server's `port` that a process still holds (/proc/net/tcp: a
    socket the server closed or aborted has no inode, even while the kernel still sends what it buffered)."""
    held = 0
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote, inode = fields[1], fields[2], int(fields[9])
        if int(local.split(":")[1], 16) == port and int(remote.split(":")[1], 16) in client_ports and inode:
            held += 1
    return held


def log_counts(log: Path) -> dict[str, int]:
    text = log.read_text(errors="replace")
    return {"aborted": text.count("did not drain for write_timeout"),
            "closed idle": text.count("closing connection from") + text.count("closing the connection idle"),
            "accept failed": text.count("out of system resource"),
            "tracebacks": text.count("Traceback (most recent call last)"),
            "suppressed notes": text.count("similar messages were suppressed")}


# ---- Raw HTTP ----

def trace_request(text: str) -> bytes:
    body = json.dumps({"model": "shakespeare", "text": text}).encode()
    return (f"POST /api/trace HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode() + body


def long_texts(base: str, n: int) -> list[str]:
    """n different texts of TRACE_CHARS characters of the model's examples (rotations of one long text, so no
    text extends another and the trace cache cannot share their steps)."""
    listed = {m["id"]: m for m in httpx.get(f"{base}/api/models", timeout=30).json()["models"]}
    if "shakespeare" not in listed:
        raise SystemExit("error: the model `shakespeare` is not loaded on this server")
    source = "".join(listed["shakespeare"]["examples"])
    source = (source * (2 * TRACE_CHARS // len(source) + 2))
    return [source[k * 7: k * 7 + TRACE_CHARS] for k in range(n)]


@dataclass
class Answer:
    status: int | None = None
    length: int | None = None  # Content-Length
    body: int = 0  # body bytes that arrived
    retry_after: str | None = None
    note: str = ""


def read_answer(sock: socket.socket, timeout: float) -> Answer:
    """Read what the server sent until it closed the connection (or `timeout`): status, length, bytes."""
    sock.settimeout(timeout)
    data, answer = bytearray(), Answer()
    try:
        while True:
            chunk = sock.recv(1 << 20)
            if not chunk:
                break
            data += chunk
            if answer.length is None and b"\r\n\r\n" in data:
                head = bytes(data).partition(b"\r\n\r\n")[0].decode("latin-1").split("\r\n")
                answer.status = int(head[0].split()[1])
                headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in head[1:])}
                answer.length = int(headers.get("content-length", "-1"))
                answer.retry_after = headers.get("retry-after")
    except ConnectionResetError:
        answer.note = "reset"
    except TimeoutError:
        answer.note = "still open"
    if answer.length is not None:
        answer.body = len(data) - len(bytes(data).partition(b"\r\n\r\n")[0]) - 4
    return answer


# ---- slow-readers ----

def typist(base: str, stop: threading.Event, times: list[tuple[int, float]]) -> None:
    """A keystroke a second: a short text, as the page asks for it."""
    params = {"model": "shakespeare", "text": "To be, or not to be", "top_k": 5, "encoding": "u1",
              "quantities": "kept,forgotten,written", "layer": 0}
    with httpx.Client(base_url=base, timeout=30) as client:
        while not stop.is_set():
            started = time.monotonic()
            try:
                status = client.get("/api/trace", params=params).status_code
            except httpx.HTTPError:
                status = 0
            times.append((status, time.monotonic() - started))
            stop.wait(max(0.0, 1.0 - (time.monotonic() - started)))


def slow_readers(args, base: str, server: subprocess.Popen, log: Path) -> bool:
    pid = server.pid
    texts = long_texts(base, args.clients)
    httpx.get(f"{base}/api/trace", params={"model": "shakespeare", "text": "Warm up."}, timeout=30)
    before = rss_mb(pid)

    stop = threading.Event()
    probes: list[tuple[int, float]] = []
    probe_thread = threading.Thread(target=typist, args=(base, stop, probes), daemon=True)
    clients = []
    started = time.monotonic()
    for text in texts:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, SMALL_RCVBUF)
        sock.connect(("127.0.0.1", args.port))
        sock.sendall(trace_request(text))
        clients.append(sock)
    probe_thread.start()
    ports = {sock.getsockname()[1] for sock in clients}

    peak, peak_at, dropped_at, samples = before, 0.0, None, 0
    while time.monotonic() - started < args.duration:
        time.sleep(SAMPLE_S)
        now = rss_mb(pid)
        samples += 1
        if now > peak:
            peak, peak_at = now, time.monotonic() - started
        if held_by_server(args.port, ports) == 0:
            dropped_at = time.monotonic() - started
            break
    stop.set()
    probe_thread.join(timeout=35)
    time.sleep(1.0)
    after = rss_mb(pid)

    answers = [read_answer(sock, 5.0) for sock in clients]
    for sock in clients:
        sock.close()
    counts = log_counts(log)

    cut = [a for a in answers if a.status == 200 and a.length is not None and a.body < a.length]
    whole = [a for a in answers if a.status == 200 and a.length is not None and a.body >= a.length]
    busy = [a for a in answers if a.status == 503]
    other = [a for a in answers if a not in cut and a not in whole and a not in busy]
    print(f"scenario  slow-readers: {args.clients} clients, each POST /api/trace shakespeare {TRACE_CHARS} characters "
          f"as JSON, {SMALL_RCVBUF} B receive buffer, never reading")
    print(f"server    {base} (1 worker, started by this script: --write-timeout {args.write_timeout:g}, "
          "other settings default)")
    if dropped_at is not None:
        print(f"dropped   every client connection closed by the server {dropped_at:.1f} s after the requests "
              f"(sampled every {SAMPLE_S} s; {samples} samples)")
    else:
        print(f"dropped   NOT every client within {args.duration:g} s ({held_by_server(args.port, ports)} "
              "connections still held)")
    if cut:
        print(f"answers   {len(cut)} answered 200 and cut off: {statistics.mean(a.body for a in cut) / 1e6:.2f} MB of "
              f"{cut[0].length / 1e6:.1f} MB reached the client on average (max {max(a.body for a in cut) / 1e6:.2f} "
              "MB, what the kernels' buffers held)")
    if busy:
        print(f"          {len(busy)} answered 503 (Retry-After: {busy[0].retry_after}) at once: the large lane and "
              "its queue were full")
    if whole:
        print(f"          {len(whole)} answered whole (unexpected: the client read nothing)")
    for a in other:
        print(f"          other: status {a.status}, {a.body} bytes {a.note}")
    print(f"log       {counts['aborted']} 'did not drain' lines, {counts['suppressed notes']} suppression notes, "
          f"{counts['tracebacks']} tracebacks")
    ok_probes = [t for s, t in probes if s == 200]
    if probes:
        print(f"typist    {len(probes)} keystrokes meanwhile (one a second): {len(ok_probes)} answered 200; latency "
              f"p50 {1000 * statistics.median(t for _, t in probes):.0f} ms, "
              f"max {1000 * max(t for _, t in probes):.0f} ms")
    growth = peak - before
    print(f"memory    server RSS: before {before:.1f} MB, peak {peak:.1f} MB ({peak_at:.1f} s in), after "
          f"{after:.1f} MB; growth {growth:+.1f} MB")
    met = {f"RSS growth ≤ {TARGET_GROWTH_MB:g} MB": growth <= TARGET_GROWTH_MB,
           "every typist keystroke answered 200": bool(probes) and len(ok_probes) == len(probes),
           f"every client dropped within {args.duration:g} s": dropped_at is not None,
           "no client answered whole": not whole}
    return targets(met)


# ---- idle ----

def idle(args, base: str, server: subprocess.Popen, log: Path) -> bool:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < args.connections + 64:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        soft = hard
    if soft != resource.RLIM_INFINITY and soft < args.connections + 64:
        raise SystemExit(f"error: this process may open {soft} files, too few for {args.connections} connections: "
                         "lower --connections or raise `ulimit -Hn`")
    log_before = log.stat().st_size
    sockets_before = open_sockets(server.pid)
    started = time.monotonic()
    idle_sockets = [socket.create_connection(("127.0.0.1", args.port), timeout=10) for _ in range(args.connections)]
    opened = time.monotonic() - started

    probes: list[tuple[int, float, str]] = []
    for k in range(args.probes):
        at = time.monotonic()
        try:
            status, error = httpx.get(f"{base}/healthz", timeout=5).status_code, ""
        except httpx.HTTPError as e:
            status, error = 0, f"{type(e).__name__}"
        probes.append((status, time.monotonic() - at, error))
        if k + 1 < args.probes:
            time.sleep(max(0.0, 1.0 - (time.monotonic() - at)))
    server_sockets = open_sockets(server.pid)
    log_after = log.stat().st_size

    flags = [closed_by_server(sock) for sock in idle_sockets]
    closed = sum(flags)
    oldest_first = flags == [True] * closed + [False] * (len(flags) - closed)
    for sock in idle_sockets:
        sock.close()
    counts = log_counts(log)

    cap = f"--max-connections {args.max_connections}" if args.max_connections \
        else "the default cap (nofile − 64 − 3 × backlog)"
    print(f"scenario  idle: {args.connections} idle TCP connections (nothing sent), opened in {opened:.2f} s, then "
          f"{args.probes} GET /healthz, one a second, each on a new connection (5 s timeout)")
    print(f"server    {base} (1 worker, started by this script: open-file limit {args.nofile}, --head-timeout "
          f"{args.head_timeout:g}, {cap})")
    for status, seconds, error in probes:
        print(f"probe     /healthz {status or error} in {1000 * seconds:.0f} ms")
    print(f"server    {server_sockets} sockets open after the probes (listener included; {sockets_before} before); "
          f"{closed} of the {args.connections} idle connections closed by the server"
          + ("" if not closed else ", the oldest first" if oldest_first else ", not the oldest first"))
    growth_kb = (log_after - log_before) / 1000
    print(f"log       grew {growth_kb:.1f} kB during the run ({counts['closed idle']} 'closing' lines, "
          f"{counts['accept failed']} accept() failures, {counts['tracebacks']} tracebacks, "
          f"{counts['suppressed notes']} suppression notes)")
    met = {f"every /healthz answered 200 within {TARGET_PROBE_S:g} s":
           all(s == 200 and t <= TARGET_PROBE_S for s, t, _ in probes),
           f"log growth < {TARGET_LOG_KB:g} kB": growth_kb < TARGET_LOG_KB}
    return targets(met)


def closed_by_server(sock: socket.socket) -> bool:
    """Whether the server closed this idle connection (end of stream or a reset is waiting), without waiting."""
    sock.setblocking(False)
    try:
        return sock.recv(1, socket.MSG_PEEK) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True


def targets(met: dict[str, bool]) -> bool:
    for name, ok in met.items():
        print(f"target    {'met   ' if ok else 'MISSED'} {name}")
    return all(met.values())


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--scenario", required=True, choices=("slow-readers", "idle"),
                        help="slow-readers or idle (greedy clients: python bench/load.py --greedy 4)")
    parser.add_argument("--port", type=int, default=0, help="loopback port of the server (0: a free one)")
    parser.add_argument("--clients", type=int, default=20, help="slow-readers: clients that never read (1-200)")
    parser.add_argument("--write-timeout", type=float, default=10.0, help="slow-readers: the server's write "
                        "timeout, seconds (1-120)")
    parser.add_argument("--duration", type=float, default=180.0, help="slow-readers: longest wait for the server "
                        "to drop every client, seconds (10-600)")
    parser.add_argument("--connections", type=int, default=1100, help="idle: idle connections opened (1-20000)")
    parser.add_argument("--nofile", type=int, default=1024, help="idle: the server's open-file limit (256-65536)")
    parser.add_argument("--head-timeout", type=float, default=60.0, help="idle: the server's head timeout, "
                        "seconds (1-600)")
    parser.add_argument("--max-connections", type=int, default=0, help="idle: the server's connection cap "
                        "(0: its default, nofile − 64 − 3 × backlog)")
    parser.add_argument("--probes", type=int, default=5, help="idle: /healthz requests timed (1-60)")
    args = parser.parse_args(argv)
    if not (1 <= args.clients <= 200 and 1 <= args.write_timeout <= 120 and 10 <= args.duration <= 600
            and 1 <= args.connections <= 20_000 and 256 <= args.nofile <= 65_536 and 1 <= args.head_timeout <= 600
            and 0 <= args.max_connections <= 1_000_000 and 1 <= args.probes <= 60 and 0 <= args.port <= 65_535):
        parser.error("out of bounds: 1-200 clients, write timeout 1-120 s, duration 10-600 s, 1-20000 connections, "
                     "nofile 256-65536, head timeout 1-600 s, max-connections 0-1000000, 1-60 probes")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    args.port = args.port or free_port()
    base = f"http://127.0.0.1:{args.port}"
    if args.scenario == "slow-readers":
        options, nofile = ["--write-timeout", str(args.write_timeout)], None
    else:
        options, nofile = ["--head-timeout", str(args.head_timeout)], args.nofile
        if args.max_connections:
            options += ["--max-connections", str(args.max_connections)]
    server = None
    with tempfile.TemporaryDirectory(prefix="lstm-viz-hostile-") as tmp:
        log = Path(tmp) / "server.log"
        try:
            server = start_server(args.port, options, log, nofile)
            wait_until_ready(base, server, 1, log)
            run = slow_readers if args.scenario == "slow-readers" else idle
            ok = run(args, base, server, log)
        except SystemExit as e:
            print(e.code, file=sys.stderr)
            return 2
        finally:
            if server is not None:
                stop_server(server)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
