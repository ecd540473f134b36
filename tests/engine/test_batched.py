"""app/engine/batched.py against the one-sequence engine (cells.forward) on random models of every cell and option:
every layer's states at every real token agree within float32 rounding; padding never leaks into a real token;
`stream` returns documents in order whatever batches they were traced in."""

from __future__ import annotations

import numpy as np
import pytest

from app.engine import batched
from app.engine.cells import CELLS, forward, spec
from tests.helpers import cell_variants, random_cell_params

VARIANTS = cell_variants()
TOLERANCE = 2e-5  # float32 rounding, carried through 150 steps of a random model (|values| ≲ a few units)


def documents(rng: np.random.Generator, V: int, count: int = 9) -> list[np.ndarray]:
    lengths = rng.integers(1, 40, size=count)
    lengths[2] = 1  # a one-token document beside long ones
    lengths[0] = 150  # longer than the lean layer's block of 64 steps
    return [rng.integers(0, V, size=n) for n in lengths]


def compiled_model(rng, name: str, options: dict, E: int | None):
    params = random_cell_params(rng, name, V=13, E=E, H=8, L=2, **options)
    return spec(name).compile(params)


@pytest.mark.parametrize("name, options", VARIANTS, ids=[f"{n}-{'-'.join(map(str, o.values()))}" for n, o in VARIANTS])
@pytest.mark.parametrize("E", [5, None], ids=["embedding", "onehot"])
def test_batch_matches_one_sequence_engine(name: str, options: dict, E: int | None) -> None:
    rng = np.random.default_rng(20)
    compiled = compiled_model(rng, name, options, E)
    docs = documents(rng, 13)
    ids, lengths = batched.pad(docs)
    layers = batched.forward_batch(compiled, ids)
    for row, doc in enumerate(docs):
        trace = forward(compiled, doc)
        for k, layer in enumerate(layers):
            for state in CELLS[name].states:
                expected = trace.layers[k][state]
                got = layer[state][: lengths[row], row]
                assert got.dtype == np.float32
                np.testing.assert_allclose(got, expected, rtol=0, atol=TOLERANCE, err_msg=f"{name} {state} layer {k}")


@pytest.mark.parametrize("name", list(CELLS))
def test_registered_layers_match_too(name: str) -> None:
    """The registry's training layer, the path of any cell without a lean layer, also agrees (the LSTM has one)."""
    rng = np.random.default_rng(21)
    compiled = compiled_model(rng, name, {}, 5)
    docs = documents(rng, 13)
    ids, lengths = batched.pad(docs)
    layers = batched._registered_layers(compiled, np.ascontiguousarray(ids.T), CELLS[name].states)
    for row, doc in enumerate(docs):
        trace = forward(compiled, doc)
        for k, layer in enumerate(layers):
            np.testing.assert_allclose(layer["h"][: lengths[row], row], trace.layers[k].h, atol=TOLERANCE)


def test_padding_does_not_change_a_document() -> None:
    rng = np.random.default_rng(22)
    compiled = compiled_model(rng, "lstm", {}, 5)
    doc = rng.integers(0, 13, size=12)
    alone = batched.forward_batch(compiled, doc[None, :])[1]["c"][:, 0]
    beside = batched.forward_batch(compiled, batched.pad([doc, rng.integers(0, 13, size=30)])[0])[1]["c"][:12, 0]
    np.testing.assert_allclose(alone, beside, atol=1e-6)


def test_stream_yields_documents_in_order() -> None:
    rng = np.random.default_rng(23)
    compiled = compiled_model(rng, "gru", {}, None)
    docs = documents(rng, 13, count=25)
    seen, chunks = 0, []
    for start, end, layers in batched.stream(compiled, docs, "h", run_tokens=60, max_rows=3, max_cells=50):
        assert start == seen and end > start
        seen = end
        chunks.append(layers[1])
    assert seen == len(docs)
    got = np.concatenate(chunks)
    expected = np.concatenate([forward(compiled, d).layers[1].h for d in docs])
    np.testing.assert_allclose(got, expected, atol=TOLERANCE)


def test_refusals() -> None:
    rng = np.random.default_rng(24)
    compiled = compiled_model(rng, "rnn", {}, 5)
    with pytest.raises(ValueError, match="no state c"):
        batched.forward_batch(compiled, np.zeros((1, 2), np.int64), ("c",))
    with pytest.raises(ValueError, match=r"\(B, T\)"):
        batched.forward_batch(compiled, np.zeros(3, np.int64))
    with pytest.raises(ValueError, match="must lie in"):
        batched.forward_batch(compiled, np.full((1, 2), 13))
