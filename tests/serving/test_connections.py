"""Slow, idle and greedy clients against `lstm-viz serve` over real HTTP (issue #17): app/serving/connections.py
(head and write timeouts, the connection cap), the body timeout of app/serving/middleware.py and the large lane
of app/serving/admission.py. Only `lstm-viz serve` uses the guarded protocol, so each test runs it as a
subprocess, with timeouts of a second or two.

Every wait is on an event: recv() returning b'' (the server closed), a status line arriving, a line in the
server's log (read as it comes: the server's output is a pipe, which must be drained), or an answer that
changes from 503 to 200; each with a generous bound (GENEROUS, 30 s, against timeouts of 1-2 s). No test
asserts how fast anything happened, only that it did.
"""

from __future__ import annotations

import json
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from tests.servers import lstm_viz_serve

GENEROUS = 30.0  # seconds: the bound on every wait, against server timeouts of 1-2 s
SHAKESPEARE = Path(__file__).resolve().parents[2] / "models" / "shakespeare.json"
SMALL_RCVBUF = 4096  # bytes: a client that reads nothing then holds almost nothing of the answer


def long_text(chars: int = 2000) -> str:
    """`chars` characters of the shakespeare model's examples: 2,000 tokens of a char model, the most a trace
    may have by default, whose JSON answer (34 MB) takes the large lane."""
    examples = json.loads(SHAKESPEARE.read_text())["examples"]
    return ("".join(examples) * (chars // 50 + 1))[:chars]


def post_bytes(path: str, payload: dict) -> bytes:
    body = json.dumps(payload).encode()
    return (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode() + body


LARGE_TRACE = post_bytes("/api/trace", {"model": "shakespeare", "text": long_text()})


class Server:
    def __init__(self, base: str, server: subprocess.Popen) -> None:
        self.base = base
        parts = urlsplit(base)
        self.address = (parts.hostname, parts.port)
        self.log = server.log  # tests/servers.py ServerLog

    def connect(self, rcvbuf: int | None = None) -> socket.socket:
        """A raw TCP connection (a small receive buffer set before connecting, when given)."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        sock.settimeout(GENEROUS)
        sock.connect(self.address)
        return sock


@pytest.fixture(scope="module")
def quick() -> Iterator[Server]:
    """A server whose head, body and write timeouts are 1, 1 and 2 s."""
    with lstm_viz_serve("--head-timeout", "1", "--body-timeout", "1", "--write-timeout", "2") as (base, server):
        yield Server(base, server)


def read_until_closed(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection (recv → b'' or a reset)."""
    chunks = []
    while True:
        try:
            chunk = sock.recv(1 << 20)
        except ConnectionResetError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)


def split_answer(data: bytes) -> tuple[int, dict[str, str], bytes]:
    """An HTTP/1.1 answer's bytes (the whole head, some or all of the body): status, headers, body."""
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {name.strip().lower(): value.strip() for name, _, value in (line.partition(":") for line in lines)}
    return int(status_line.split()[1]), headers, body


def read_response(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """One whole HTTP/1.1 answer with a Content-Length: status, headers (lower-case names), body."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"the connection closed before the answer's head: {data!r}"
        data += chunk
    status, headers, body = split_answer(data)
    length = int(headers["content-length"])
    while len(body) < length:
        chunk = sock.recv(65536)
        assert chunk, "the connection closed in the middle of the answer's body"
        body += chunk
    return status, headers, body


def wait_for_status_line(sock: socket.socket) -> bytes:
    """The answer's first bytes, peeked (left in the socket): once they are here, the server is writing it."""
    status = b""
    while len(status) < 12:
        status = sock.recv(12, socket.MSG_PEEK)
        assert status, "the connection closed before the answer began"
    return status


def test_an_idle_connection_is_closed_and_the_server_still_answers(quick: Server):
    with quick.connect() as idle:
        assert idle.recv(1) == b""  # closed by the head timeout (1 s); bounded by the socket timeout
    assert httpx.get(f"{quick.base}/healthz", timeout=GENEROUS).status_code == 200


def test_a_connection_that_stops_halfway_through_its_head_is_closed(quick: Server):
    with quick.connect() as half:
        half.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: ")
        assert half.recv(1) == b""
    assert httpx.get(f"{quick.base}/healthz", timeout=GENEROUS).status_code == 200


def test_a_chunk_that_never_arrives_is_answered_408_and_the_connection_closed(quick: Server):
    with quick.connect() as sock:
        sock.sendall(b"POST /api/trace HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                     b"Transfer-Encoding: chunked\r\n\r\nffffffff\r\n")  # 4 GiB declared, none sent
        status, headers, body = read_response(sock)
        assert status == 408
        assert headers.get("connection", "").lower() == "close"
        assert headers["content-type"].startswith("application/json")
        assert "body_timeout" in json.loads(body)["detail"]
        assert read_until_closed(sock) == b""


def test_a_client_that_never_reads_its_large_answer_is_dropped(quick: Server):
    mark = quick.log.mark()
    with quick.connect(rcvbuf=SMALL_RCVBUF) as greedy:
        greedy.sendall(LARGE_TRACE)
        assert wait_for_status_line(greedy).startswith(b"HTTP/1.1 200")  # the answer is being written

        # Meanwhile a typist's keystroke is answered.
        small = httpx.post(f"{quick.base}/api/trace", json={"model": "shakespeare", "text": "To be, or not"},
                           timeout=GENEROUS)
        assert small.status_code == 200 and len(small.json()["tokens"]) == 13

        # The answer did not drain for write_timeout (2 s): the server aborts the connection ...
        quick.log.wait_for("did not drain for write_timeout", since=mark)
        # ... so what reaches the client afterwards (what the kernels held) is a fraction of the answer.
        status, headers, body = split_answer(read_until_closed(greedy))
    length = int(headers["content-length"])
    assert status == 200 and length > 30_000_000  # the whole answer: 34 MB of JSON
    assert len(body) < length
    assert httpx.get(f"{quick.base}/healthz", timeout=GENEROUS).status_code == 200


def test_above_the_connection_cap_the_oldest_idle_connections_are_closed():
    with lstm_viz_serve("--max-connections", "20", "--head-timeout", "120") as (base, process):
        server = Server(base, process)
        sockets = [server.connect() for _ in range(40)]
        try:
            # 40 idle connections, 20 allowed: each one past the 20th closed the oldest idle one; the GET makes
            # room for itself the same way (it closes the 21st), and is answered.
            assert httpx.get(f"{base}/healthz", timeout=GENEROUS).status_code == 200
            for k in range(21):
                assert sockets[k].recv(1) == b"", f"connection {k} (opened early) is still open"
            for k in range(21, 40):
                sockets[k].setblocking(False)
                with pytest.raises(BlockingIOError):  # neither data nor end of stream: still open
                    sockets[k].recv(1)
        finally:
            for sock in sockets:
                sock.close()


def test_a_second_large_trace_is_turned_away_with_retry_after_while_the_lane_is_held():
    # write_timeout 60: the first client, which reads nothing, holds the large lane for the whole test.
    with lstm_viz_serve("--large-queue", "0", "--write-timeout", "60") as (base, process):
        server = Server(base, process)
        first = server.connect(rcvbuf=SMALL_RCVBUF)
        try:
            first.sendall(LARGE_TRACE)
            assert wait_for_status_line(first).startswith(b"HTTP/1.1 200")  # it holds the lane until written
            with server.connect(rcvbuf=SMALL_RCVBUF) as second:
                second.sendall(LARGE_TRACE)
                status, headers, body = read_response(second)
            assert status == 503
            assert int(headers["retry-after"]) > 0
            detail = json.loads(body)["detail"]
            assert "busy with other long traces" in detail and "try again" in detail
            # Small traces do not wait for the large lane.
            small = httpx.post(f"{base}/api/trace", json={"model": "shakespeare", "text": "To be"}, timeout=GENEROUS)
            assert small.status_code == 200
        finally:
            first.close()  # unread data: a reset, which frees the lane
        # Once its holder hung up, the lane serves the next large trace.
        deadline = time.monotonic() + GENEROUS
        while (again := httpx.post(f"{base}/api/trace", content=LARGE_TRACE.partition(b"\r\n\r\n")[2],
                                   headers={"Content-Type": "application/json"}, timeout=GENEROUS)).status_code == 503:
            assert time.monotonic() < deadline, "the large lane was still held 30 s after its holder hung up"
            time.sleep(0.1)
        assert again.status_code == 200 and len(again.json()["tokens"]) == 2000


def test_the_access_log_leaves_out_the_text_a_person_traced(quick: Server):
    mark = quick.log.mark()
    secret = "my neighbour's name is Quentin"
    assert httpx.get(f"{quick.base}/api/trace", params={"model": "lesson", "text": secret},
                     timeout=GENEROUS).status_code == 200
    line = quick.log.wait_for('"GET /api/trace?… HTTP/1.1" 200', since=mark)
    assert "Quentin" not in "".join(quick.log.lines) and "Quentin" not in line
