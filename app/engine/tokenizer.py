"""Text -> tokens with vocabulary ids and code-point offsets.

Two kinds, named in a model card's `tokenizer.kind`:
- `char`: one token per Unicode code point.
- `word`: words (apostrophes inside a word kept: "shouldn't", "Bhavin's"), numbers, and every other
  non-space character as its own token; whitespace separates tokens and is not a token.
A token outside the vocabulary gets the unknown id but keeps its own text. `start`/`end` index code
points of the original text (Python str indices), so `text[start:end] == token.text`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# Combining marks stay with the letter before them, so "e\u0301" is one word.
_MARKS = "\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f"
_WORD = re.compile(
    rf"\d+(?:[.,]\d+)*"  # numbers: 2019, 3.14, 1,000
    rf"|[^\W\d_][\w{_MARKS}]*(?:['’][\w{_MARKS}]+)*"  # words, with inner apostrophes
    rf"|[^\s{_MARKS}][{_MARKS}]*"  # any other visible character (punctuation, emoji, symbols)
)


@dataclass(frozen=True)
class Token:
    text: str
    id: int
    start: int
    end: int


@dataclass(frozen=True)
class Tokenizer:
    """kind: "char" or "word"; vocab: token strings, index = id; unk: the unknown token string."""

    kind: str
    vocab: tuple[str, ...]
    unk: str | None = None
    lowercase: bool = False
    index: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.kind not in ("char", "word"):
            raise ValueError(f"tokenizer kind must be 'char' or 'word', not {self.kind!r}")
        index = {tok: n for n, tok in enumerate(self.vocab)}
        if len(index) != len(self.vocab):
            raise ValueError("the vocabulary lists a token twice")
        if self.unk is not None and self.unk not in index:
            raise ValueError(f"the unknown token {self.unk!r} is not in the vocabulary")
        object.__setattr__(self, "index", index)

    @property
    def unk_id(self) -> int | None:
        return None if self.unk is None else self.index[self.unk]

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Code-point (start, end) of every token in text."""
        if self.kind == "char":
            return [(n, n + 1) for n in range(len(text))]
        return [m.span() for m in _WORD.finditer(text)]

    def lookup(self, piece: str) -> int:
        """Vocabulary id of one token's text; the unknown id when absent (ValueError if no unk)."""
        key = piece.lower() if self.lowercase else piece
        n = self.index.get(key)
        if n is None:
            if self.unk is None:
                raise ValueError(f"{piece!r} is not in the vocabulary and the model has no unknown token")
            return self.index[self.unk]
        return n

    def tokenize(self, text: str) -> list[Token]:
        """Split text into tokens with ids and code-point offsets."""
        return [Token(text[a:b], self.lookup(text[a:b]), a, b) for a, b in self.spans(text)]

    def to_card(self) -> dict:
        """The card's `tokenizer` section."""
        return {"kind": self.kind, "vocab": list(self.vocab), "unk": self.unk, "lowercase": self.lowercase}

    @classmethod
    def from_card(cls, section: dict) -> Tokenizer:
        return cls(
            kind=section["kind"],
            vocab=tuple(section["vocab"]),
            unk=section.get("unk"),
            lowercase=bool(section.get("lowercase", False)),
        )
