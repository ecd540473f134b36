"""Shared by the importer tests: the committed fixtures and their framework-made golden outputs.

tests/fixtures/import/ is written by tools/make_import_fixtures.py with torch and Keras 3; each
NAME.golden.npz holds the framework's own h at every step per layer, final states, and logits (torch)
or softmax outputs (Keras). See that script's docstring for what each file is.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from app.engine.lstm import LSTMParams, Trace, compile_params, forward, logits, softmax

FIXTURES = Path(__file__).parent / "fixtures" / "import"
TOLERANCE = 1e-5  # max abs error, float32 engine vs the float32 framework


def golden(name: str) -> dict[str, np.ndarray]:
    with np.load(FIXTURES / f"{name}.golden.npz") as g:
        return {k: g[k] for k in g.files}


def max_errors(params: LSTMParams, expected: dict[str, np.ndarray]) -> tuple[dict[str, float], Trace]:
    """Run the app's engine from zeros on the golden ids; the max abs error of everything recorded."""
    trace = forward(compile_params(params), expected["ids"])
    errors = {}
    for k, layer in enumerate(trace.layers):
        errors[f"l{k}.h"] = layer.h - expected[f"l{k}.h"]
        if f"l{k}.c" in expected:
            errors[f"l{k}.c"] = layer.c - expected[f"l{k}.c"]
        errors[f"l{k}.h_final"] = trace.final.h[k] - expected[f"l{k}.h_final"]
        errors[f"l{k}.c_final"] = trace.final.c[k] - expected[f"l{k}.c_final"]
    if "logits" in expected:
        errors["logits"] = logits(params, trace.layers[-1].h) - expected["logits"]
    if "probs" in expected and params.W_dec is not None:
        errors["probs"] = softmax(logits(params, trace.layers[-1].h)) - expected["probs"]
    assert len(errors) >= 3
    return {k: float(np.max(np.abs(v))) for k, v in errors.items()}, trace


def assert_matches(params: LSTMParams, name: str) -> Trace:
    errors, trace = max_errors(params, golden(name))
    bad = {k: f"{v:.1e}" for k, v in errors.items() if not v <= TOLERANCE}
    assert not bad, f"{name}: max abs errors above {TOLERANCE:.0e}: {bad}"
    return trace
