"""Static files, plotly.js and model ids cannot escape their folders. Paths go to the server byte for
byte through a socket (an HTTP client would normalise `..` and encodings away); every answer is a 4xx
and never a file's content. A models folder whose card claims an id like "../evil" is refused at
start-up."""

from __future__ import annotations

import json
import logging
import shutil
import socket
from pathlib import Path

import httpx
import pytest

from app.serving.app import create_app
from app.serving.config import Settings
from tests.servers import serve

ROOT = Path(__file__).resolve().parent.parent.parent
MAIN_PY = ROOT / "app" / "serving" / "app.py"
# Bytes that only the files a traversal aims at hold, never an error message.
SECRETS = [b"def create_app", b"root:x:", b"root:", b"[tool.ruff]", b"{% extends", b'"notable_units"', b"[extensions]",
           b"BEGIN", b"import "]

STATIC_ESCAPES = [
    "/static/../app/serving/app.py",
    "/static/%2e%2e/app/serving/app.py",
    "/static/%2E%2E/app/serving/app.py",
    "/static/.%2e/app/serving/app.py",
    "/static/%2e./app/serving/app.py",
    "/static/%2e%2e%2fapp%2fmain.py",
    "/static/..%2fapp%2fmain.py",
    "/static/..%2Fapp%2Fmain.py",
    "/static/%252e%252e/app/serving/app.py",  # double-encoded
    "/static/%252e%252e%252fapp%252fmain.py",
    "/static/..%252fapp%252fmain.py",
    "/static/..\\app\\main.py",  # backslashes
    "/static/..%5capp%5cmain.py",
    "/static/..%5Capp%5Cmain.py",
    "/static/..%255capp%255cmain.py",
    "/static/%c0%ae%c0%ae/app/serving/app.py",  # overlong UTF-8 dots
    "/static/%e0%80%ae%e0%80%ae/app/serving/app.py",
    "/static/%u002e%u002e/app/serving/app.py",
    "/static/js/../../app/serving/app.py",
    "/static/js/..%2f..%2fapp%2fmain.py",
    "/static/js/%2e%2e/%2e%2e/app/serving/app.py",
    "/static/....//app/serving/app.py",
    "/static/..;/app/serving/app.py",
    "/static/../../../../../../../../etc/passwd",
    "/static/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    "/static//etc/passwd",  # absolute paths
    "/static/%2fetc%2fpasswd",
    "/static/%2Fetc/passwd",
    f"/static/{MAIN_PY}",
    f"/static//{MAIN_PY}",
    f"/static/%2f{str(MAIN_PY)[1:].replace('/', '%2f')}",
    "/static/C:\\Windows\\win.ini",
    "/static/C:%5cWindows%5cwin.ini",
    "/static/..%00/app/serving/app.py",  # null bytes
    "/static/%00../app/serving/app.py",
    "/static/js/main.js%00.py",
    "/static/../templates/index.html",
    "/static/../models/lesson.json",
    "/static/../pyproject.toml",
    "/static/../.git/config",
    "/%2e%2e/app/serving/app.py",
    "/..%2fapp%2fmain.py",
    "/favicon.ico/../app/serving/app.py",
    "/static%2f..%2fapp%2fmain.py",
]
VENDOR_ESCAPES = [
    "/vendor/plotly-../../x.min.js",
    "/vendor/plotly-../../app/serving/app.py",
    "/vendor/plotly-..%2f..%2fapp%2fmain.py%00.min.js",
    "/vendor/plotly-%2e%2e%2f%2e%2e%2fapp%2fmain.min.js",
    "/vendor/plotly-..%5c..%5capp%5cmain.min.js",
    "/vendor/plotly-%252e%252e%252fx.min.js",
    "/vendor/../app/serving/app.py",
    "/vendor/%2e%2e/app/serving/app.py",
]
MODEL_ESCAPES = [
    "/api/models/..%2f..%2fetc%2fpasswd",
    "/api/models/../../etc/passwd",
    "/api/models/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "/api/models/%2e%2e",
    "/api/models/..",
    "/api/models/..%5c..%5capp%5cmain",
    "/api/models/lesson%2f..%2f..%2fapp%2fmain",
    "/api/models/..%2fmodels%2flesson",
    "/api/models/%2fetc%2fpasswd",
    f"/api/models/{str(MAIN_PY).replace('/', '%2f')}",
    "/api/models/lesson%00",
    "/api/models/lesson.json",
    "/api/models/lesson.safetensors",
    "/api/trace?model=..%2f..%2fapp%2fmain&text=x",
    "/api/trace?model=../models/lesson&text=x",
    "/api/trace?model=%2fetc%2fpasswd&text=x",
    "/api/trace?model=lesson%2f..%2flesson&text=x",
    "/api/step?model=..%2flesson&text=x&step=0",
    "/api/models/lesson/../../../app/serving/app.py",
]


def raw_get(base: str, target: str) -> tuple[int, bytes]:
    """GET `target` exactly as written (no normalisation); (status, whole answer)."""
    host, port = base.removeprefix("http://").split(":")
    request = f"GET {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode("latin-1")
    with socket.create_connection((host, int(port)), timeout=10) as s:
        s.sendall(request)
        answer = b""
        while chunk := s.recv(65536):
            answer += chunk
    return int(answer.split(b" ", 2)[1]), answer


def assert_refused(base: str, target: str) -> None:
    status, answer = raw_get(base, target)
    assert 400 <= status < 500, f"{target}: {status}"
    for secret in SECRETS:
        assert secret not in answer, f"{target} leaked {secret!r}"


def test_the_secrets_are_real(live_server):
    """The markers are in the files aimed at (so their absence means something), and the folders serve."""
    assert b"def create_app" in MAIN_PY.read_bytes() and b"[tool.ruff]" in (ROOT / "pyproject.toml").read_bytes()
    assert b'"notable_units"' in (ROOT / "models" / "lesson.json").read_bytes()
    assert raw_get(live_server, "/static/js/core/state.js")[0] == 200
    assert raw_get(live_server, "/api/models/lesson")[0] == 200


@pytest.mark.parametrize("target", STATIC_ESCAPES)
def test_static_files_cannot_escape_their_folder(live_server, target):
    assert_refused(live_server, target)


@pytest.mark.parametrize("target", VENDOR_ESCAPES)
def test_plotly_route_serves_only_the_bundle(live_server, target):
    assert_refused(live_server, target)


@pytest.mark.parametrize("target", MODEL_ESCAPES)
def test_model_ids_cannot_name_a_file(live_server, target):
    assert_refused(live_server, target)


def test_absolute_form_request_targets(live_server):
    host = live_server.removeprefix("http://")
    for target in (f"http://{host}/static/../app/serving/app.py", f"http://{host}/static/%2e%2e/app/serving/app.py",
                   "file:///etc/passwd", f"http://{host}/api/models/..%2f..%2fetc%2fpasswd"):
        assert_refused(live_server, target)


def test_httpx_with_an_unnormalised_url(live_server):
    """The same through an ordinary client, its URL set after building so it is sent as written."""
    with httpx.Client(base_url=live_server) as client:
        for target in ("/static/../app/serving/app.py", "/static/%2e%2e/app/serving/app.py",
                       "/api/models/..%2f..%2fetc%2fpasswd"):
            request = client.build_request("GET", "/")
            request.url = httpx.URL(live_server + target)
            r = client.send(request)
            assert 400 <= r.status_code < 500 and b"def create_app" not in r.content and b"root:" not in r.content


def copy_model(folder: Path, stem: str, card_id: str) -> None:
    """The bundled untrained model as folder/stem.*, its card claiming `card_id`."""
    shutil.copy(ROOT / "models" / "untrained.safetensors", folder / f"{stem}.safetensors")
    card = json.loads((ROOT / "models" / "untrained.json").read_text())
    card["id"] = card_id
    (folder / f"{stem}.json").write_text(json.dumps(card))


@pytest.mark.parametrize("card_id", ["../evil", "../../etc/passwd", "evil/../../x", "/etc/passwd", "..", "evil\\..\\x",
                                     "evil\x00"])
def test_a_card_whose_id_escapes_the_folder_is_refused_at_start_up(tmp_path, monkeypatch, caplog, card_id):
    copy_model(tmp_path, "evil", card_id)
    copy_model(tmp_path, "good", "good")  # the folder is read: its valid model loads
    monkeypatch.setenv("LSTM_VIZ_MODELS_DIR", str(tmp_path))
    monkeypatch.setenv("LSTM_VIZ_BUNDLED_MODELS", "false")
    with caplog.at_level(logging.ERROR):
        app = create_app(Settings())
    assert list(app.state.models) == ["good"]
    refusals = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
    assert any("evil" in m and "must equal the file name" in m for m in refusals), refusals
    with serve(app) as base:
        assert httpx.get(f"{base}/api/models").json()["models"][0]["id"] == "good"
        assert len(httpx.get(f"{base}/api/models").json()["models"]) == 1
        for target in ("/api/models/..%2fevil", "/api/models/evil", "/api/trace?model=..%2fevil&text=x"):
            assert_refused(base, target)
