"""Which text a model is measured on: the corpus it was trained on (its card) and that corpus's held-out part.

One choice for every command that reads held-out text (`lstm-viz eval`, `lstm-viz index`): a lesson model's test
split (app/corpora/lesson.py: every document held out of training), a char model's validation parts of its fetched
corpus (app/corpora/text_files.py split_parts: every 10th file, or the last 5 % of a single file: Shakespeare's
held-out plays, the Python tail).
"""

from __future__ import annotations

from pathlib import Path

from app.model_store import Model

CORPORA = ("lesson", "shakespeare", "python")


def corpus_of(model: Model) -> str:
    """The corpus a model was trained on: its card's provenance.corpus_name, else guessed from its description."""
    corpus = model.card.get("provenance", {}).get("corpus_name")
    if corpus:
        return corpus
    text = model.card.get("provenance", {}).get("corpus", "")
    return "lesson" if "lesson" in text else "python" if "CPython" in text else "shakespeare"


def held_out_parts(corpora_dir: Path, corpus: str) -> list[tuple[str, str]]:
    """(name, text) of each validation part of a fetched char corpus (corpora_dir/corpus/*.txt), in file order;
    a single file's held-out tail is named "<file> (last 5%)". FileNotFoundError when it is not fetched."""
    from app.corpora.text_files import load_parts, split_parts

    parts = load_parts(Path(corpora_dir) / corpus)
    _, valid = split_parts(parts)
    if len(parts) == 1:
        return [(f"{next(iter(parts))} (last 5%)", valid[0])]
    return [(name, text) for name, text in sorted(parts.items()) if any(text is v for v in valid)]


def held_out_documents(corpus: str, corpora_dir: Path, seed: int = 0) -> tuple[list[tuple[str, str]], str]:
    """(name, text) per held-out document of `corpus`, and what they are in words."""
    if corpus == "lesson":
        from app.corpora import lesson

        docs = lesson.test_records(seed)
        return ([(f"lesson test document {n}", d.text) for n, d in enumerate(docs)],
                f"the lesson test split (app/corpora/lesson.py, seed {seed}): {len(docs):,} documents held out of "
                "training")
    parts = held_out_parts(corpora_dir, corpus)
    chars = sum(len(text) for _, text in parts)
    plural = "s" * (len(parts) != 1)
    return parts, f"the {corpus} corpus's held-out text ({len(parts)} part{plural}, {chars:,} characters)"
