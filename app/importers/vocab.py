"""Vocabularies from files: a JSON list, a JSON token→id map (Keras's `word_index`), or one token a line.

Keras tokenizers number tokens from 1: id 0 is padding (textgenrnn also maps unknown characters to 0).
The app needs a token for every id, so an id 0 that the file leaves out becomes the unknown token:
`--unk` names it (default `<unk>` for words, U+FFFD for characters, `<unk>` if the file has U+FFFD),
and tokens outside the vocabulary read as id 0, as they do in textgenrnn. If `--unk` names a token
the file already has (Keras's `oov_token`, id 1), id 0 is called `<pad>` and unknown tokens read as
that token, as they do in a Keras Tokenizer.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from pathlib import Path

from app.engine.tokenizer import Tokenizer
from app.importers import limits
from app.importers.errors import ImportRefused
from app.importers.limits import check_file_size

DEFAULT_UNK = {"word": "<unk>", "char": "\ufffd"}
PAD = "<pad>"
# Unknown tokens by convention, used when no --unk is given and the file lists one.
KNOWN_UNKS = ("<unk>", "<UNK>", "[UNK]", "<OOV>", "<oov>", "\ufffd")


@dataclass(frozen=True)
class Vocabulary:
    """tokens: index = id; None where the file names no token (Keras's id 0). source: the file's form."""

    tokens: tuple[str | None, ...]
    source: str


def _from_map(mapping: dict, path: Path) -> Vocabulary:
    """A token→id map, or an id→token map whose keys are all whole numbers."""
    if all(isinstance(v, str) for v in mapping.values()) and all(k.isdigit() for k in mapping):
        pairs = {int(k): v for k, v in mapping.items()}
        source = "JSON id→token map"
    elif all(isinstance(v, int) and not isinstance(v, bool) for v in mapping.values()):
        pairs = {}
        for token, n in mapping.items():
            if n in pairs:
                raise ImportRefused(f"{path}: tokens {pairs[n]!r} and {token!r} share id {n}")
            pairs[n] = token
        source = "JSON token→id map"
    else:
        raise ImportRefused(f"{path}: a JSON object must map tokens to whole-number ids (or ids to tokens)")
    if not pairs:
        raise ImportRefused(f"{path}: the vocabulary is empty")
    if min(pairs) < 0:
        raise ImportRefused(f"{path}: ids must be 0 or more, found {min(pairs)}")
    size = max(pairs) + 1
    missing = list(itertools.islice((n for n in range(1, size) if n not in pairs), 5))  # stops at the 5th gap
    if missing:
        raise ImportRefused(f"{path}: ids {missing[:5]} have no token; only id 0 may be left out (Keras's padding)")
    return Vocabulary(tuple(pairs.get(n) for n in range(size)), source)


def read_vocabulary(path: Path) -> Vocabulary:
    """Read a .json list or map, or a text file of one token per line (line breaks are not tokens)."""
    path = Path(path)
    try:
        check_file_size(path, limits.MAX_JSON_BYTES, "the vocabulary")
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ImportRefused(f"vocabulary file {path} does not exist") from None
    except UnicodeDecodeError as e:
        raise ImportRefused(f"{path}: the vocabulary is not UTF-8 text ({e})") from None
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as e:
            raise ImportRefused(f"{path}: not valid JSON ({e})") from None
        except RecursionError:
            raise ImportRefused(f"{path}: the JSON is nested too deeply to be a vocabulary") from None
        if isinstance(data, list):
            if not data or not all(isinstance(t, str) for t in data):
                raise ImportRefused(f"{path}: a JSON vocabulary list must hold token strings, index = id")
            return Vocabulary(tuple(data), "JSON list")
        if isinstance(data, dict):
            return _from_map(data, path)
        raise ImportRefused(f"{path}: a JSON vocabulary is a list of tokens or a token→id object")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # the file's final line break
    lines = [line.removesuffix("\r") for line in lines]
    for n, line in enumerate(lines):
        if line == "":
            raise ImportRefused(f"{path}: line {n + 1} is empty; a text vocabulary holds one token per line, so "
                                "write tokens such as a line break in a JSON list instead")
    if not lines:
        raise ImportRefused(f"{path}: the vocabulary is empty")
    return Vocabulary(tuple(lines), "text file, one token per line")


def make_tokenizer(vocab: Vocabulary, V: int, kind: str, unk: str | None = None,
                   lowercase: bool = False) -> tuple[Tokenizer, list[str]]:
    """Fit the vocabulary to the model's V ids; returns the tokenizer and notes for the card."""
    notes: list[str] = []
    tokens = list(vocab.tokens)
    if len(tokens) > V and vocab.source.startswith("JSON") and "map" in vocab.source:
        notes.append(f"the vocabulary maps {len(tokens)} ids but the model has {V}: ids {V} and up are dropped "
                     "(as a Keras Tokenizer's num_words does) and read as unknown")
        tokens = tokens[:V]
    if len(tokens) != V:
        raise ImportRefused(f"the vocabulary has {len(tokens)} ids but the model has {V} (its embedding or input "
                            "size): give the vocabulary the model was trained with")
    if tokens[0] is None:
        if unk is not None and unk in tokens:  # Keras's oov_token: unknown tokens read as it, as in Keras
            tokens[0] = PAD
            notes.append(f"id 0 (padding, not in the vocabulary file) is named {PAD!r}; unknown tokens read as "
                         f"{unk!r}")
        else:  # unknown tokens read as id 0, as textgenrnn's `vocab.get(char, 0)` does
            unk = unk or next(n for n in (DEFAULT_UNK[kind], "<unk>", "<id 0>") if n not in tokens)
            tokens[0] = unk
            notes.append(f"id 0 (padding, not in the vocabulary file) is the unknown token {unk!r}")
    elif unk is None:
        unk = next((t for t in KNOWN_UNKS if t in tokens), None)
        if unk is not None:
            notes.append(f"unknown tokens read as {unk!r}")
        else:
            notes.append("the vocabulary has no unknown token: text with other tokens is refused (see --unk)")
    elif unk not in tokens:
        raise ImportRefused(f"--unk {unk!r} is not in the vocabulary; name a token it has")
    try:
        tokenizer = Tokenizer(kind, tuple(tokens), unk, lowercase)
    except ValueError as e:
        raise ImportRefused(f"the vocabulary cannot be used: {e}") from None
    if kind == "char":
        long = [t for t in tokens if len(t) != 1]
        if long:
            notes.append(f"{len(long)} tokens are not single characters (e.g. {long[0]!r}); "
                         "the char tokenizer never produces them")
    return tokenizer, notes
