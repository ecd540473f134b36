"""Request limits set on the command line reach every worker of `lstm-viz serve`, and `lstm-viz trace`."""

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.servers import children, lstm_viz_serve

SIX_TOKENS = "I need to take a loan"  # six tokens for the word model `untrained`


def test_serve_help_lists_the_limit_options():
    out = subprocess.run([sys.executable, "-m", "app.cli", "serve", "--help"], capture_output=True, text=True,
                         check=True).stdout
    for option in ("--max-chars", "--max-tokens", "--max-top-k", "--max-body-bytes", "--default-model"):
        assert option in out
    assert "LSTM_VIZ_MAX_TOKENS" in out


def test_trace_help_lists_its_limit_options():
    out = subprocess.run([sys.executable, "-m", "app.cli", "trace", "--help"], capture_output=True, text=True,
                         check=True).stdout
    assert "--max-chars" in out and "--max-tokens" in out


def test_serve_refuses_a_limit_below_its_minimum():
    r = subprocess.run([sys.executable, "-m", "app.cli", "serve", "--max-tokens", "0"], capture_output=True,
                       text=True)
    assert r.returncode == 2 and "--max-tokens: 0 is below the minimum, 1" in r.stderr


def test_serve_refuses_a_bad_environment_value_before_starting():
    env = {**os.environ, "LSTM_VIZ_MAX_CHARS": "many"}
    r = subprocess.run([sys.executable, "-m", "app.cli", "serve"], capture_output=True, text=True, env=env,
                       timeout=60)
    assert r.returncode == 2 and "LSTM_VIZ_MAX_CHARS = 'many'" in r.stderr


def test_trace_honours_max_tokens_and_max_chars():
    cli = [sys.executable, "-m", "app.cli", "trace", "--model", "untrained", SIX_TOKENS]
    r = subprocess.run([*cli, "--max-tokens", "5"], capture_output=True, text=True)
    assert r.returncode == 2 and "the limit is max_tokens = 5" in r.stderr
    r = subprocess.run([*cli, "--max-chars", "20"], capture_output=True, text=True)
    assert r.returncode == 2 and "the limit is max_chars = 20" in r.stderr
    assert subprocess.run([*cli, "--max-tokens", "6"], capture_output=True).returncode == 0


def test_the_command_line_beats_the_environment_for_trace():
    env = {**os.environ, "LSTM_VIZ_MAX_TOKENS": "3"}
    cli = [sys.executable, "-m", "app.cli", "trace", "--model", "untrained", SIX_TOKENS]
    assert "max_tokens = 3" in subprocess.run(cli, capture_output=True, text=True, env=env).stderr
    assert subprocess.run([*cli, "--max-tokens", "6"], capture_output=True, env=env).returncode == 0


def test_serve_max_tokens_reaches_the_server():
    with lstm_viz_serve("--max-tokens", "5") as (base, _):
        r = httpx.get(f"{base}/api/trace", params={"model": "untrained", "text": SIX_TOKENS}, timeout=30)
        assert r.status_code == 413
        assert "max_tokens = 5" in r.json()["detail"]
        r = httpx.post(f"{base}/api/trace", json={"model": "untrained", "text": "I need to take a"}, timeout=30)
        assert r.status_code == 200 and len(r.json()["tokens"]) == 5


def test_serve_limits_reach_every_worker():
    with lstm_viz_serve("--workers", "2", "--max-chars", "20", "--max-top-k", "3") as (base, server):
        deadline = time.monotonic() + 30
        while len(workers := children(server.pid)) < 2:  # uvicorn's supervisor starts two workers
            assert time.monotonic() < deadline, "two worker processes did not start"
            time.sleep(0.2)
        for pid in workers:  # each worker builds its Settings from the environment it was started with
            assert b"LSTM_VIZ_MAX_CHARS=20\0" in Path(f"/proc/{pid}/environ").read_bytes()
        # A new connection per request (no keep-alive), so the requests spread over both workers.
        for _ in range(12):
            with httpx.Client(timeout=30) as client:
                r = client.get(f"{base}/api/trace", params={"model": "untrained", "text": "x" * 21, "top_k": 3})
                assert r.status_code == 413 and "max_chars = 20" in r.json()["detail"], r.text
                r = client.get(f"{base}/api/trace", params={"model": "untrained", "text": "x" * 20, "top_k": 4})
                assert r.status_code == 422 and "max_top_k = 3" in r.json()["detail"]
                r = client.get(f"{base}/api/trace", params={"model": "untrained", "text": "x" * 20, "top_k": 3})
                assert r.status_code == 200
