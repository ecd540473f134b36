"""Fixtures of the browser tests that need models of their own (the session's `browser` and the default
`server` come from tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from app.engine.gru import GRUParams
from app.model_store import write_model
from tests.helpers import VOCAB, char_card, random_cell_params
from tests.servers import serve

# The lesson's three cells as the page knows them by id (its compare presets and memory-span chart name these):
# here small random char-level models, trained on nothing, so a test needs no bundled model and no training.
LESSON_CELLS = {"lesson": "lstm", "lesson-rnn": "rnn", "lesson-gru": "gru"}


@pytest.fixture(scope="session")
def cell_server(tmp_path_factory) -> Iterator[str]:
    """A server of three random char-level models of one layer, the bundled ones turned off, the GRU first:
    "lesson-gru" (a GRU of 8 units, PyTorch's layout, random N(0, 0.5²) weights), "lesson" (an LSTM) and
    "lesson-rnn" (a vanilla RNN). Yields its base URL."""
    from app.serving.app import create_app
    from app.serving.config import Settings

    folder = tmp_path_factory.mktemp("cell_page")
    for n, (model_id, cell) in enumerate(LESSON_CELLS.items()):
        params = random_cell_params(np.random.default_rng(40 + n), cell, V=len(VOCAB), E=6, H=8, L=1)
        if cell == "gru":
            assert isinstance(params, GRUParams)
        write_model(folder, {**char_card(model_id, cell), "examples": ["a cab, a bad cab. a dab."]}, params)
    settings = Settings(models_dir=folder, bundled_models=False, default_model="lesson-gru")
    with serve(create_app(settings)) as base:
        yield base


@pytest.fixture(scope="session")
def search_server(tmp_path_factory) -> Iterator[str]:
    """The bundled models served with a state index of `lesson` over its test split (3,000 documents, as
    `lstm-viz index lesson` builds it: app/analysis/index_cli.py), built once per session into a temporary data
    dir; the other models have none. Yields its base URL."""
    from pathlib import Path

    from app.analysis.held_out import held_out_documents
    from app.analysis.indexing import build_index
    from app.model_store import load_model
    from app.resources import resource_dir
    from app.serving.app import create_app
    from app.serving.config import Settings

    data_dir = tmp_path_factory.mktemp("search_data")
    model = load_model(resource_dir("models") / "lesson.safetensors")
    sources, about = held_out_documents("lesson", Path("corpora"))
    build_index(model, sources, data_dir, "lesson", about, report=lambda line: None)
    with serve(create_app(Settings(data_dir=data_dir))) as base:
        yield base
