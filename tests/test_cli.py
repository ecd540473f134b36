"""The lstm-viz command line: help, models, trace as JSON and CSV for every cell, errors, one BLAS thread."""

import csv
import io
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from app.cli import main
from app.engine.cells import CELLS
from app.engine.lstm import forward
from app.model_store import load_model
from app.resources import resource_dir
from tests.helpers import TEXT, cell_variants, variant_id

CLI = [sys.executable, "-m", "app.cli"]


def run(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, check=check)


@pytest.mark.parametrize("command", ["serve", "models", "trace"])
def test_every_command_has_help(command):
    out = run(command, "--help").stdout
    assert out.startswith("usage: lstm-viz " + command)
    assert "--models-dir" in out


def test_serve_help_lists_its_options():
    out = run("serve", "--help").stdout
    for option in ("--host", "--port", "--workers", "--reload"):
        assert option in out


def test_models_lists_the_bundled_models_default_first():
    lines = run("models").stdout.splitlines()
    assert lines[0].startswith("lesson ")
    assert any(line.startswith("untrained ") and "H=32" in line for line in lines)


def test_trace_json_is_the_api_body():
    out = run("trace", "--model", "untrained", "I need to take a loan").stdout
    body = json.loads(out)
    assert [t["text"] for t in body["tokens"]] == ["I", "need", "to", "take", "a", "loan"]
    assert len(body["predictions"][0]) == 5 and np.array(body["layers"][0]["h"]).shape == (6, 32)


def test_trace_csv_has_one_row_per_layer_step_and_unit_with_exact_values():
    out = run("trace", "--model", "untrained", "--format", "csv", "I had to").stdout
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 3 * 32
    model = load_model(resource_dir("models") / "untrained.safetensors")
    trace = forward(model.compiled, np.array([t.id for t in model.tokenizer.tokenize("I had to")]))
    for row in rows:
        t, u = int(row["step"]), int(row["unit"])
        for q in "ifgoch":
            assert np.float32(row[q]) == trace.layers[0][q][t, u]
    assert rows[32]["token"] == "had"


@pytest.mark.parametrize("model_id", [pytest.param(variant_id(*v), id=variant_id(*v)) for v in cell_variants()])
def test_trace_of_every_cell_as_json_and_csv(cell_models, model_id, capsys):
    model = load_model(cell_models / f"{model_id}.safetensors")
    cell, folder = model.spec, ["--models-dir", str(cell_models)]
    assert main(["trace", TEXT, "--model", model_id, *folder, "--top-k", "1"]) == 0
    body = json.loads(capsys.readouterr().out)
    assert body["model"] == model_id and [list(layer) for layer in body["layers"]] == [list(cell.quantities)] * 2
    ids = np.array([t["id"] for t in body["tokens"]])
    trace = cell.forward(model.compiled, ids)
    assert all(np.array_equal(np.array(body["layers"][1][q], np.float32), trace.layers[1][q]) for q in cell.quantities)
    assert main(["trace", "ab", "--model", model_id, *folder, "--format", "csv", "--quantities",
                 ",".join(cell.offered)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "layer,step,token,unit," + ",".join(cell.offered) and len(lines) == 1 + 2 * 2 * 8
    foreign = next(q for c in CELLS.values() for q in c.offered if q not in cell.offered)
    assert main(["trace", "ab", "--model", model_id, *folder, "--quantities", foreign]) == 2
    assert f"choose from {', '.join(cell.offered)}" in capsys.readouterr().err


def test_trace_unknown_model_exits_2_with_a_message():
    r = run("trace", "--model", "nope", "x", check=False)
    assert r.returncode == 2 and "unknown model 'nope'" in r.stderr and "untrained" in r.stderr


def test_models_dir_adds_models(tmp_path):
    for suffix in (".safetensors", ".json"):
        data = (resource_dir("models") / f"untrained{suffix}").read_bytes()
        (tmp_path / f"copy{suffix}").write_bytes(data.replace(b'"id": "untrained"', b'"id": "copy"'))
    ids = [line.split()[0] for line in run("models", "--models-dir", str(tmp_path)).stdout.splitlines()]
    assert "copy" in ids and "untrained" in ids


def blas_threads_after(setup: str) -> list[int]:
    """Run `setup` in a fresh interpreter without *_NUM_THREADS in its environment and report the
    thread count of every BLAS library loaded."""
    code = setup + (
        "\nimport numpy, threadpoolctl\n"
        "print([p['num_threads'] for p in threadpoolctl.threadpool_info() if p['user_api'] == 'blas'])\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.endswith("_NUM_THREADS")}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env).stdout
    return json.loads(out.splitlines()[-1])


def test_the_cli_runs_blas_with_one_thread():
    counts = blas_threads_after("import sys; sys.argv = ['lstm-viz', 'models']\nfrom app.cli import main; main()")
    assert counts and set(counts) == {1}


def test_create_app_limits_blas_to_one_thread_even_after_numpy_loaded():
    counts = blas_threads_after("import numpy, threadpoolctl\nthreadpoolctl.threadpool_limits(2)\n"
                                "from app.serving.app import create_app; create_app()")
    assert counts and set(counts) == {1}


def test_the_server_caps_malloc_arenas():
    import platform

    if platform.libc_ver()[0] != "glibc":
        pytest.skip("malloc arenas are a glibc setting")
    code = ("import os; from app.serving.threads import limit_malloc_arenas as f; "
            "print(f(), os.environ['MALLOC_ARENA_MAX'])")
    env = {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env).stdout
    assert out.split() == ["True", "2"]
