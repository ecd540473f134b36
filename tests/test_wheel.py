"""The built wheel carries static/, templates/ and the bundled models, and serves from anywhere."""

import subprocess
import sys
import time
import zipfile
from pathlib import Path

import httpx
import pytest

from tests.servers import free_port

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out),
                    str(ROOT)], check=True, capture_output=True)
    (path,) = out.glob("*.whl")
    return path


def test_wheel_holds_the_package_data(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in ("app/engine/lstm.py", "app/templates/index.html", "app/static/js/main.js", "app/static/favicon.svg",
                   "app/models/untrained.safetensors", "app/models/untrained.json"):
        assert needed in names
    assert not any(n.startswith(("tests/", "tools/")) for n in names)


@pytest.mark.slow  # installs the wheel into a fresh virtual environment: about a minute on a loaded machine
def test_installed_wheel_serves_page_static_file_and_trace_from_elsewhere(wheel, tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "-q", str(wheel)], check=True, capture_output=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    port = free_port()
    server = subprocess.Popen([str(venv / "bin" / "lstm-viz"), "serve", "--port", str(port)], cwd=elsewhere,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline and server.poll() is None, "the installed app did not start"
            time.sleep(0.2)
        page = httpx.get(f"{base}/")
        assert page.status_code == 200 and "/vendor/plotly-" in page.text
        assert httpx.get(f"{base}/static/js/main.js").status_code == 200
        trace = httpx.get(f"{base}/api/trace", params={"model": "untrained", "text": "I need to take a loan"})
        assert trace.status_code == 200 and len(trace.json()["tokens"]) == 6
        where = subprocess.run([str(python), "-c", "import app.resources as r; print(r.resource_dir('models'))"],
                               cwd=elsewhere, capture_output=True, text=True, check=True).stdout.strip()
        assert where.startswith(str(venv)), where
    finally:
        server.terminate()
        server.wait(timeout=10)
