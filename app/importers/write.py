"""Write an imported model: NAME.safetensors and a card that says where it came from, then load it back."""

from __future__ import annotations

import hashlib
import os
import shlex
import tempfile
from pathlib import Path

from app.engine.cells import spec_of_params
from app.engine.tokenizer import Tokenizer
from app.importers.errors import ImportRefused
from app.importers.imported import Imported
from app.importers.limits import READ_CHUNK
from app.model_store import (
    ID_PATTERN,
    Model,
    ModelError,
    load_model,
    params_from_tensors,
    params_to_tensors,
    write_model,
)
from app.resources import resource_dir

FRAMEWORKS = {"pytorch": "PyTorch", "keras": "Keras"}


def check_destination(model_id: str, out: Path, force: bool) -> None:
    """Refuse an id the page cannot serve (bad name, a bundled model's) or files that would be overwritten."""
    if not ID_PATTERN.match(model_id):
        raise ImportRefused(f"--id {model_id!r}: use lowercase letters, digits, '.', '_' and '-' "
                            f"(pattern {ID_PATTERN.pattern})")
    if (resource_dir("models") / f"{model_id}.safetensors").exists():
        raise ImportRefused(f"--id {model_id!r} is a bundled model's id, which the page would load instead: "
                            "choose another")
    existing = [p for p in (out / f"{model_id}.safetensors", out / f"{model_id}.json") if p.exists()]
    if existing and not force:
        raise ImportRefused(f"{existing[0]} exists: choose another --id, or pass --force to replace it")


def sha256_of(path: Path) -> str:
    """The file's SHA-256, read a chunk at a time (a model file may be as big as limits.MAX_FILE_BYTES)."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(READ_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def make_card(imported: Imported, tokenizer: Tokenizer, model_id: str, source: Path, title: str | None,
              description: str | None, examples: list[str], notes: list[str], argv: list[str]) -> dict:
    """The model card: cell, recurrent activation, tokenizer, sizes and provenance naming the source file."""
    p = imported.params
    cell = spec_of_params(p)
    name = FRAMEWORKS[imported.framework]
    shape = f"{p.num_layers} layer{'s' if p.num_layers > 1 else ''} of {p.hidden_size} units"
    inputs = "one-hot inputs" if p.embedding is None else f"embedding of {p.embedding.shape[1]}"
    head = "a softmax decoder" if p.W_dec is not None else "no decoder (no next-token predictions)"
    return {
        "id": model_id,
        "title": title or model_id,
        "description": description or f"{tokenizer.kind}-level {cell.title} imported from {name} ({source.name}): "
                                      f"{shape}, {inputs}, {head}.",
        "cell": cell.name,
        **cell.options_of(p),
        "tokenizer": tokenizer.to_card(),
        "sizes": {"vocab_size": p.vocab_size, "embedding_size": None if p.embedding is None else p.embedding.shape[1],
                  "hidden_size": p.hidden_size, "num_layers": p.num_layers},
        "provenance": {
            "imported_from": f"{name}: {source.name}",
            "source_sha256": sha256_of(source),
            "layout": imported.layout,
            "tensors": imported.sources,
            **{k: v for k, v in imported.extra.items() if v not in (None, [], "")},
            "notes": [*imported.notes, *notes],
            "command": shlex.join(["lstm-viz", "import", *argv]),
        },
        "examples": examples,
        "notable_units": [],
    }


def write_imported(out: Path, card: dict, imported: Imported) -> Model:
    """Check the weights as the app will, write the two files beside `out` and load them back (the app's own
    checks, its probe trace included), and only then move them into `out`: a model the page would refuse is
    refused here, and nothing is left behind."""
    p = imported.params
    try:
        cell = spec_of_params(p)
        params_from_tensors(params_to_tensors(p), p.vocab_size, cell.name, **cell.options_of(p))
    except ModelError as e:
        raise ImportRefused(f"the converted weights are not usable: {e}") from None
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out, prefix=".import-") as staging:
        staged = write_model(Path(staging), card, p)
        try:
            model = load_model(staged)
        except ModelError as e:
            reason = str(e).removeprefix(f"{staged}: ")
            raise ImportRefused(f"the converted weights are not usable: {reason}") from None
        for name in (staged.name, staged.with_suffix(".json").name):
            os.replace(Path(staging) / name, out / name)
    return model
