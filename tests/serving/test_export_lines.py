"""static/js/core/export.js end to end: the `lstm-viz trace` and `curl` lines it writes, run by bash, give the
app's numbers for nasty texts, and nothing else runs; its CSV is the CLI's, byte for byte; its numbers
print as NumPy prints a float32.

The lines are made by Node (the texts go in as JSON on stdin, never into code) and run with
`bash -c LINE` in an empty folder with HOME pointing at a sandbox, so a quoting bug could at worst
touch files there, which the tests then look for.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import numpy as np
import pytest

from app.serving.config import Settings
from app.serving.service import get_model, load_models, run_trace, trace_payload

ROOT = Path(__file__).resolve().parent.parent.parent
NODE = shutil.which("node")
BASH = shutil.which("bash")
CURL = shutil.which("curl")
BIN = Path(sys.executable).parent  # the venv's bin: lstm-viz lives there
LSTM_VIZ = BIN / "lstm-viz"
MODEL = "lesson"  # word-level; unknown words are fine

needs_node = pytest.mark.skipif(NODE is None, reason="export.js is run with Node.js (`node` is not on PATH)")
needs_bash = pytest.mark.skipif(BASH is None, reason="the command lines are run with bash (`bash` is not on PATH)")
needs_curl = pytest.mark.skipif(CURL is None, reason="the curl lines need curl (`curl` is not on PATH)")
needs_cli = pytest.mark.skipif(not LSTM_VIZ.exists(), reason=f"lstm-viz is not installed at {LSTM_VIZ}")

LONG = ("It's $(id) `id` ; rm -rf ~ 'q' \"dq\" \\ back ! * glob 👨‍👩‍👧 עברית -dash\n\ttabs, commas. " * 60)[:3000]
TEXTS = [
    "'; rm -rf ~; '",
    "$(id)",
    "`id`",
    "a\nb",
    "\"quoted\" 'single'",
    "\\back\\slash",
    "-starts-with-dash",
    "--format csv",
    "--",
    "!history",
    "*glob*",
    "emoji 👨‍👩‍👧 and עברית",
    "$(touch INJECTED_1) `touch INJECTED_2` ; touch INJECTED_3 #",
    "'; touch INJECTED_4; echo '",
    "",
    LONG,
]
IDS = [json.dumps(t)[:40] if t is not LONG else "3000-chars" for t in TEXTS]
CSV_TEXTS = ['He said "hi", then left.', "\"quoted\" 'single'", "emoji 👨‍👩‍👧 and עברית", "", LONG]


def test_the_long_text_is_long():
    assert len(LONG) == 3000


def node(code: str, data) -> str:
    """Run an ES-module snippet with Node in the checkout; `data` arrives as JSON on stdin."""
    result = subprocess.run(
        [NODE, "--input-type=module", "-e", code], input=json.dumps(data), cwd=ROOT,
        capture_output=True, text=True, encoding="utf-8", timeout=60, check=False,
    )
    assert result.returncode == 0, f"node failed:\n{result.stderr}"
    return result.stdout


LINES_JS = """
import { readFileSync } from "node:fs";
import { cliLine, curlLine } from "./static/js/core/export.js";
const { origin, model, text, topK, method } = JSON.parse(readFileSync(0, "utf8"));
process.stdout.write(JSON.stringify({
  cli: cliLine({ model, text, topK, format: "json" }),
  curl: origin ? curlLine({ origin, model, text, topK, method }) : null,
}));
"""


def lines(text: str, origin: str | None = None, top_k: int = 5, method: str | None = None) -> dict:
    return json.loads(node(LINES_JS, {"origin": origin, "model": MODEL, "text": text, "topK": top_k,
                                      "method": method}))


@pytest.fixture(scope="module")
def settings() -> Settings:
    return Settings()


@pytest.fixture(scope="module")
def model(settings):
    return get_model(load_models(settings), MODEL)


@pytest.fixture(scope="module")
def id_output() -> str:
    return subprocess.run(["id"], capture_output=True, text=True, check=False).stdout.strip()


@pytest.fixture
def sandbox(tmp_path):
    """An empty working folder and a HOME holding one canary file."""
    home = tmp_path / "home"
    home.mkdir()
    (home / "canary").write_text("still here")
    work = tmp_path / "work"
    work.mkdir()
    return work, home


def run_line(line: str, sandbox) -> subprocess.CompletedProcess:
    """`bash -c LINE` in the sandbox, the venv's bin first on PATH."""
    work, home = sandbox
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", "HOME": str(home)}
    return subprocess.run([BASH, "-c", line], cwd=work, env=env, capture_output=True, timeout=120, check=False)


def assert_nothing_else_ran(result: subprocess.CompletedProcess, sandbox, id_output: str) -> None:
    work, home = sandbox
    assert list(work.iterdir()) == [], "the line created files"
    assert sorted(p.name for p in home.iterdir()) == ["canary"], "the line touched HOME"
    assert (home / "canary").read_text() == "still here"
    for out in (result.stdout, result.stderr):
        text = out.decode("utf-8", "replace")
        assert "uid=" not in text and (not id_output or id_output not in text), "`id` ran"
    assert not list(ROOT.glob("INJECTED*")), "an injection payload created a file in the checkout"


def assert_same_trace(body: dict, text: str, model, settings) -> None:
    """body (parsed JSON) holds tokens re-joining to text and exactly the service's numbers."""
    for tok in body["tokens"]:
        assert text[tok["start"]:tok["end"]] == tok["text"]
    assert "".join(tok["text"] for tok in body["tokens"]) == "".join(text.split()), "tokens do not re-join"
    quantities = model.spec.quantities  # what the CLI and the API send by default: the cell's recorded quantities
    want = trace_payload(run_trace(model, text, settings), 5, quantities, "json")
    assert body["model"] == want["model"] and body["version"] == want["version"]
    assert body["tokens"] == want["tokens"]
    assert body["predictions"] == want["predictions"]
    assert len(body["layers"]) == len(want["layers"])
    H = model.params.hidden_size
    for got_layer, want_layer in zip(body["layers"], want["layers"], strict=True):
        assert list(got_layer) == list(quantities)
        for q in quantities:
            got = np.array(got_layer[q], dtype=np.float32).reshape(-1, H)
            np.testing.assert_array_equal(got, want_layer[q], err_msg=q)


@needs_node
@needs_bash
@needs_cli
@pytest.mark.parametrize("text", TEXTS, ids=IDS)
def test_cli_line_run_by_bash_traces_exactly_the_text(text, sandbox, model, settings, id_output):
    line = lines(text)["cli"]
    assert line.startswith(f"lstm-viz trace --model {MODEL} --format json --top-k 5 -- '")
    result = run_line(line, sandbox)
    assert_nothing_else_ran(result, sandbox, id_output)
    assert result.returncode == 0, result.stderr.decode()
    assert_same_trace(json.loads(result.stdout), text, model, settings)


@needs_cli
@pytest.mark.parametrize("text", ["-x", "--", "--model", "-5", "-- -x", "--format=csv"])
def test_argparse_takes_anything_after_double_dash_as_the_text(text, model, settings):
    result = subprocess.run([str(LSTM_VIZ), "trace", "--model", MODEL, "--", text],
                            capture_output=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr.decode()
    assert_same_trace(json.loads(result.stdout), text, model, settings)


@needs_node
@needs_bash
@needs_curl
@pytest.mark.parametrize("method", [None, "POST"], ids=["auto", "POST"])
@pytest.mark.parametrize("text", TEXTS, ids=IDS)
def test_curl_line_run_by_bash_returns_the_api_body(text, method, live_server, sandbox, id_output, model, settings):
    line = lines(text, origin=live_server, method=method)["curl"]
    long = len(text) > 300
    if method == "POST" or long:
        assert line.startswith(f"curl -sS '{live_server}/api/trace' -H 'Content-Type: application/json' "
                               "--data-binary '")
    else:
        assert line.startswith(f"curl -sS --get '{live_server}/api/trace' --data-urlencode 'model={MODEL}' ")
    result = run_line(line, sandbox)
    assert_nothing_else_ran(result, sandbox, id_output)
    assert result.returncode == 0, result.stderr.decode()
    want = httpx.get(f"{live_server}/api/trace", params={"model": MODEL, "text": text, "top_k": 5}, timeout=30)
    assert want.status_code == 200, want.text
    assert result.stdout == want.content
    assert_same_trace(json.loads(result.stdout), text, model, settings)


EXPORT_JS = """
import { readFileSync } from "node:fs";
import { decodeSpec } from "./static/js/core/arrays.js";
import { traceCsv, traceJson } from "./static/js/core/export.js";
const body = JSON.parse(readFileSync(0, "utf8"));
const layers = body.layers.map((layer) =>
  Object.fromEntries(Object.entries(layer).map(([q, spec]) => [q, decodeSpec(spec)])));
const trace = { ...body, layers };
process.stdout.write(JSON.stringify({ csv: traceCsv(trace), json: traceJson(trace) }));
"""


@needs_node
@needs_cli
@pytest.mark.parametrize("text", CSV_TEXTS, ids=lambda t: "3000-chars" if t is LONG else json.dumps(t)[:40])
def test_trace_csv_is_the_cli_csv_byte_for_byte(text, live_server):
    # The trace as the page has it: typed-array specs (f4), decoded by arrays.js.
    f4 = httpx.get(f"{live_server}/api/trace", params={"model": MODEL, "text": text, "top_k": 5, "encoding": "f4"},
                   timeout=30)
    assert f4.status_code == 200, f4.text
    out = json.loads(node(EXPORT_JS, f4.json()))
    cli = subprocess.run([str(LSTM_VIZ), "trace", "--model", MODEL, "--format", "csv", "--", text],
                         capture_output=True, timeout=120, check=False)
    assert cli.returncode == 0, cli.stderr.decode()
    assert out["csv"].encode("utf-8") == cli.stdout
    # And traceJson reads back as the API's plain-JSON body, number for number.
    plain = httpx.get(f"{live_server}/api/trace", params={"model": MODEL, "text": text, "top_k": 5}, timeout=30)
    assert json.loads(out["json"]) == plain.json()


FLOAT_JS = """
import { readFileSync } from "node:fs";
import { float32String } from "./static/js/core/export.js";
const bits = new Uint32Array(JSON.parse(readFileSync(0, "utf8")));
process.stdout.write(JSON.stringify(Array.from(new Float32Array(bits.buffer), float32String)));
"""


@needs_node
def test_float32_string_is_numpy_str_of_float32():
    rng = np.random.default_rng(2024)
    values = np.concatenate([
        rng.integers(0, 2**32, 40_000, dtype=np.uint64).astype(np.uint32).view(np.float32),  # every exponent
        rng.uniform(-1, 1, 20_000).astype(np.float32),  # gates and states
        rng.uniform(-1e-3, 1e-3, 5_000).astype(np.float32),  # around the 1e-4 switch to scientific
        rng.uniform(1e5, 1e8, 5_000).astype(np.float32),  # around 1e6, and ties between shortest candidates
        np.arange(2**21, 2**21 + 2_000, dtype=np.float32) + np.float32(0.25),  # ties: 2097152.25, ...
        np.float32(2.0) ** np.arange(-149, 128, dtype=np.float32),  # powers of two: uneven gaps
        np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e-4, 1e6, 97474816.0], dtype=np.float32),
    ])
    got = json.loads(node(FLOAT_JS, values.view(np.uint32).tolist()))
    want = [str(v) for v in values]
    wrong = [(w, g) for w, g in zip(want, got, strict=True) if w != g]
    assert not wrong, f"{len(wrong)} differ from NumPy {np.__version__}, e.g. {wrong[:5]}"
