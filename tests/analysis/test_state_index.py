"""The state index (app/analysis/state_index.py, indexing.py): values round-trip within the quantisation error, token
offsets slice back to the text, documents are traced from the zero state, and an interrupted build resumes."""

from __future__ import annotations

import numpy as np
import pytest

from app.analysis import indexing
from app.analysis.state_index import find_index, open_index, read_json
from app.engine.cells import forward
from tests.index_helpers import bundled, lesson_sources, small_index


@pytest.fixture(scope="module", params=["lesson", "lesson-gru"])
def model(request):
    return bundled(request.param)


def test_values_round_trip_within_the_quantisation_error(tmp_path, model) -> None:
    sources = lesson_sources(12)
    index = open_index(small_index(tmp_path, model, sources))
    assert index.meta["complete"] and index.meta["quantity"] == model.spec.memory
    assert index.meta["runs"] > 2 and index.meta["documents"] > len(sources)  # several runs; long texts cut
    for d, (start, end, _) in enumerate(index.documents.tolist()):
        trace = forward(model.compiled, np.asarray(index.ids[start:end], dtype=np.int64))
        exact = trace.layers[0][index.meta["quantity"]]  # (T, H): the one-sequence engine from the zero state
        stored = index.values(0, np.arange(index.hidden_size), start, end).T
        runs = index.run_of(np.arange(start, end))
        step = index.scales[0][runs]  # (T, H): one quantum
        assert np.all(np.abs(stored - exact) <= step / 2 + 1e-5), f"document {d}"


def test_offsets_slice_back_to_the_text(tmp_path, model) -> None:
    sources = lesson_sources(5)
    index = open_index(small_index(tmp_path, model, sources))
    for start, end, source in index.documents.tolist():
        name, text = sources[source]
        assert index.meta["sources"][source]["name"] == name
        for position, token in zip(range(start, end), index.token_texts(start, end), strict=True):
            a, b = index.offsets[position, 2:]
            assert text[a:b] == token
            assert model.tokenizer.lookup(token) == index.ids[position]
        assert index.text_of(start, end) == text[index.offsets[start, 2] : index.offsets[end - 1, 3]]
    assert "😀" in "".join(index.token_texts(0, index.num_tokens))


def test_segments_end_after_a_line_break_when_they_can() -> None:
    text = "ab\ncd\nefghij"
    spans = np.array([(n, n + 1) for n in range(len(text))])
    assert indexing.segments(spans, text, 7) == [(0, 6), (6, 12)]  # "ab\ncd\n" then the rest
    assert indexing.segments(spans[:0], "", 7) == [(0, 0)]


def test_an_interrupted_build_resumes(tmp_path, model) -> None:
    sources = lesson_sources(10)
    folder = small_index(tmp_path / "a", model, sources, stop_after=2)
    assert read_json(folder / "progress.json") == {"runs_done": 2}
    assert find_index(tmp_path / "a", model.id, model.version) is None  # not complete: not served
    with pytest.raises(ValueError, match="not complete"):
        open_index(folder)
    lines = []
    small_index(tmp_path / "a", model, sources, report=lines.append)
    runs = read_json(folder / "meta.json")["runs"]
    assert sum("tokens/s" in line for line in lines) == runs - 2  # only the runs not done were traced
    resumed = open_index(folder)
    whole = open_index(small_index(tmp_path / "b", model, sources))
    np.testing.assert_array_equal(resumed.ids, whole.ids)
    for k in range(resumed.num_layers):
        np.testing.assert_allclose(resumed.scales[k], whole.scales[k], rtol=1e-5)
        assert np.abs(resumed.states[k].astype(int) - whole.states[k]).max() <= 1  # within one quantum
    again = []
    small_index(tmp_path / "a", model, sources, report=again.append)  # complete: left alone
    assert any("complete" in line for line in again) and not any("tokens/s" in line for line in again)


def test_quantise_error_bound() -> None:
    rng = np.random.default_rng(0)
    values = (rng.standard_normal((500, 6)) * np.array([0.01, 1, 10, 100, 0, 3])).astype(np.float32)
    q, scale = indexing.quantise(values)
    assert q.dtype == np.int8 and np.abs(q).max() <= 127
    assert np.all(np.abs(q * scale - values) <= scale / 2 * (1 + 1e-6))
    assert np.all(q[:, 4] == 0)
