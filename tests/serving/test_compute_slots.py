"""Under load the server computes only answers someone still waits for: a request whose client has
gone while it waited for a compute slot is skipped, not traced.

No sleeps and no client timeouts: the slow trace holds the only slot until the test releases it, each abandoned
request is known to be waiting for the slot (the semaphore reports it) before its client goes, and the slot is
released only once the server has seen every one of those clients go. A loaded machine only makes it slower.
"""

from __future__ import annotations

import asyncio
import queue
import socket
import threading
import time
from urllib.parse import urlencode, urlsplit

import httpx

from app.serving.app import create_app
from app.serving.config import Settings
from app.serving.routes import api
from tests.servers import serve_with_server

WAIT = 60  # seconds any one event may take before the test fails (never reached unless something hangs)


class WatchedSlots(asyncio.Semaphore):
    """The app's compute slots, reporting each request that asks for one."""

    def __init__(self, value: int, asked: queue.Queue) -> None:
        super().__init__(value)
        self.asked = asked

    async def acquire(self) -> bool:
        self.asked.put(None)
        return await super().acquire()


def wait_until(condition, what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        time.sleep(0.01)


def test_requests_abandoned_while_waiting_are_not_computed(monkeypatch):
    computed: list[str] = []
    started, release = threading.Event(), threading.Event()
    real_trace = api._trace

    def counting_trace(models, settings, cache, req):
        computed.append(req.text)
        if req.text == "slow":
            started.set()
            assert release.wait(WAIT), "the test never released the slow trace"  # holds the only compute slot
        return real_trace(models, settings, cache, req)

    monkeypatch.setattr(api, "_trace", counting_trace)
    asked: queue.Queue = queue.Queue()
    app = create_app(Settings(compute_slots=1))
    app.state.compute_slots = WatchedSlots(1, asked)
    with serve_with_server(app) as (base, server):
        answers = {}
        slow = threading.Thread(target=lambda: answers.update(slow=httpx.get(
            f"{base}/api/trace", params={"model": "lesson", "text": "slow"}, timeout=WAIT)))
        slow.start()
        assert started.wait(WAIT), "the slow trace never started"
        asked.get(timeout=WAIT)  # the slow request's own slot
        host, port = urlsplit(base).hostname, urlsplit(base).port
        clients = []
        for k in range(4):  # each asks for the slot the slow one holds, then goes away
            client = socket.create_connection((host, port), timeout=WAIT)
            query = urlencode({"model": "lesson", "text": f"abandoned {k}"})
            client.sendall(f"GET /api/trace?{query} HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode())
            asked.get(timeout=WAIT)  # it waits for the slot now
            clients.append(client)
        for client in clients:
            client.close()
        # The server has seen them go once only the slow request's connection is open.
        wait_until(lambda: len(server.server_state.connections) == 1, "the server saw the clients go")
        release.set()
        slow.join(WAIT)
        assert answers["slow"].status_code == 200
        answer = httpx.get(f"{base}/api/trace", params={"model": "lesson", "text": "I need to"}, timeout=WAIT)
    assert answer.status_code == 200
    assert computed == ["slow", "I need to"]
