"""Shared by the importer tests (tests/importers/) and the tests that import a fixture: the committed fixtures
and their framework-made golden outputs.

tests/fixtures/import/ is written by tools/make_import_fixtures.py with torch and Keras 3; each
NAME.golden.npz holds the framework's own h (and an LSTM's c) at every step per layer, final states, and
logits (torch) or softmax outputs (Keras). See that script's docstring for what each file is.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from app.engine.cells import spec_of_params
from app.engine.lstm import StackedParams, Trace, logits, softmax

FIXTURES = Path(__file__).parent / "fixtures" / "import"
TOLERANCE = 1e-5  # max abs error, float32 engine vs the float32 framework


def golden(name: str) -> dict[str, np.ndarray]:
    with np.load(FIXTURES / f"{name}.golden.npz") as g:
        return {k: g[k] for k in g.files}


def max_errors(params: StackedParams, expected: dict[str, np.ndarray]) -> tuple[dict[str, float], Trace]:
    """Run the cell's engine (app.engine.cells) from zeros on the golden ids; the max abs error of everything
    the golden file recorded, each of which must be something the engine records too."""
    cell = spec_of_params(params)
    trace = cell.forward(cell.compile(params), expected["ids"])
    errors = {}
    for k, layer in enumerate(trace.layers):
        for q in cell.quantities:
            if f"l{k}.{q}" in expected:
                errors[f"l{k}.{q}"] = layer[q] - expected[f"l{k}.{q}"]
        for state in cell.states:
            if f"l{k}.{state}_final" in expected:
                errors[f"l{k}.{state}_final"] = getattr(trace.final, state)[k] - expected[f"l{k}.{state}_final"]
    if "logits" in expected:
        errors["logits"] = logits(params, trace.layers[-1].h) - expected["logits"]
    if "probs" in expected and params.W_dec is not None:
        errors["probs"] = softmax(logits(params, trace.layers[-1].h)) - expected["probs"]
    unread = set(expected) - set(errors) - {"ids", "probs"}
    assert not unread, f"the golden file records {sorted(unread)}, which {cell.article}'s trace does not have"
    assert {"l0.h", "l0.h_final"} <= set(errors)
    return {k: float(np.max(np.abs(v))) for k, v in errors.items()}, trace


def assert_matches(params: StackedParams, name: str) -> Trace:
    errors, trace = max_errors(params, golden(name))
    bad = {k: f"{v:.1e}" for k, v in errors.items() if not v <= TOLERANCE}
    assert not bad, f"{name}: max abs errors above {TOLERANCE:.0e}: {bad}"
    return trace
