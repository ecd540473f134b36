"""Small state indexes for tests: a bundled model over a few short texts, in many runs and pieces."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from app.analysis.indexing import build_index
from app.model_store import Model, load_model
from app.resources import resource_dir

SOURCES = [
    ("lecture", "Last year, due to my current job situation and family conditions, I had to take a loan."),
    ("today", "Today, due to my current job situation and family conditions, I need to take a loan."),
    ("unicode", "Café naïve — ünïcödé 😀 words: last week I had to go, and now I need to stay.\nA second line."),
    ("empty", ""),
]


@lru_cache(maxsize=1)
def _lesson_texts() -> tuple[str, ...]:
    from app.corpora import lesson

    return tuple(d.text for d in lesson.test_records(0)[:100])  # the split takes seconds: made once


def lesson_sources(count: int = 30) -> list[tuple[str, str]]:
    return SOURCES + [(f"lesson {n}", text) for n, text in enumerate(_lesson_texts()[:count])]


def bundled(model_id: str) -> Model:
    return load_model(resource_dir("models") / f"{model_id}.safetensors")


def small_index(data_dir: Path, model: Model, sources=None, **options) -> Path:
    options = {"segment_tokens": 20, "run_tokens": 150, "report": lambda line: None, **options}
    return build_index(model, sources if sources is not None else lesson_sources(), data_dir, "test", "test texts",
                       **options)
