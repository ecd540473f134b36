"""Run the app for tests over real HTTP: in a thread (`serve`) or as `lstm-viz serve` (`lstm_viz_serve`)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import uvicorn

LSTM_VIZ = Path(sys.executable).parent / "lstm-viz"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serve(app) -> Iterator[str]:
    """Start `app` in a background thread; yield its base URL; stop it on exit."""
    with serve_with_server(app) as (base, _):
        yield base


@contextmanager
def serve_with_server(app) -> Iterator[tuple[str, uvicorn.Server]]:
    """As `serve`, yielding the base URL and the uvicorn.Server too (its `server_state.connections` are the
    open connections: a test can wait until the server has seen a client go)."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    try:
        httpx.get(f"{base}/healthz", timeout=5)
        yield base, server
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def children(pid: int) -> list[int]:
    """The process ids whose parent is `pid` (from /proc)."""
    kids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                kids.append(int(entry.name))
    return kids


class ServerLog:
    """The server's output (uvicorn's log), read line by line in a thread; `wait_for` waits for a line."""

    def __init__(self, server: subprocess.Popen) -> None:
        self.lines: list[str] = []
        self.changed = threading.Condition()
        self.thread = threading.Thread(target=self._pump, args=(server,), daemon=True)
        self.thread.start()

    def _pump(self, server: subprocess.Popen) -> None:
        try:
            for line in server.stdout:
                with self.changed:
                    self.lines.append(line.decode(errors="replace"))
                    self.changed.notify_all()
        except (OSError, ValueError):  # the pipe closed under the reader as the server stopped
            pass

    def mark(self) -> int:
        with self.changed:
            return len(self.lines)

    def wait_for(self, text: str, since: int = 0, timeout: float = 60) -> str:
        """The first line from line `since` on that contains `text`, waiting up to `timeout` for it."""
        def found() -> str | None:
            return next((line for line in self.lines[since:] if text in line), None)

        with self.changed:
            if not self.changed.wait_for(found, timeout):
                raise AssertionError(f"no log line with {text!r} within {timeout} s:\n{''.join(self.lines[-30:])}")
            return found()


@contextmanager
def lstm_viz_serve(*options: str) -> Iterator[tuple[str, subprocess.Popen]]:
    """`lstm-viz serve --port P OPTIONS` in its own process group; yields its base URL once /healthz
    answers 200, and stops it with Ctrl-C (SIGINT) on exit. Its output is read as it comes (`server.log`)."""
    if not LSTM_VIZ.exists():
        pytest.skip(f"{LSTM_VIZ} is missing: install the package (pip install -e .)")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LSTM_VIZ_")}
    server = subprocess.Popen([str(LSTM_VIZ), "serve", "--port", str(port), *options], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    # Always drained: ~27 logged requests fill a 64 KiB pipe, and a server whose log blocks stops answering.
    server.log = ServerLog(server)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            if server.poll() is not None:
                server.log.thread.join(timeout=10)
                raise AssertionError("".join(server.log.lines))
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the server did not answer /healthz within 90 s"
            time.sleep(0.2)
        yield base, server
        server.send_signal(signal.SIGINT)
        assert server.wait(timeout=30) == 0
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)  # the group of the server started above, nothing else
            server.wait()
        server.stdout.close()
