"""The model card's schema: every card field the app reads, and what it must be.

A card (`NAME.json`) is a file anyone can write, read by the model store, /api/models, the page and
`lstm-viz eval`. `ModelCard` types each field they read, strictly (JSON has types: a "5" is not a 5, `true` is
not a 1). Cards carry more (notes, a generated sample, figures the page shows as they are): fields the schema
does not name are allowed, at every level. A field may be left out; when present it must have its type (null
only where the type says so). The model store validates a card with `ModelCard` and keeps the dict it read.

`problems` turns pydantic's ValidationError into one line: the first few problems, each the field's path
(`evaluation.memory_span.tense.training_range`, `examples[0]`) and what it must be.
"""

from __future__ import annotations

import json
import re
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError

from app.engine import cells

ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")
MAX_DEPTH = 64  # levels of nesting a card may have (the bundled ones have 7); orjson refuses to write past 255
SHOWN = 3  # problems a refusal names; the count of the others follows

Pair = Annotated[list[int], Field(min_length=2, max_length=2)]


def _rule(message: str) -> PydanticCustomError:
    """A problem whose whole sentence the schema writes (it names its field itself)."""
    return PydanticCustomError("card_rule", "{message}", {"message": message})


class _Section(BaseModel):
    model_config = ConfigDict(strict=True, extra="allow")


class TokenizerSection(_Section):
    """What app.engine.tokenizer.Tokenizer.from_card reads (it checks the tokens are distinct and unk among them)."""

    kind: str
    vocab: list[str] = Field(min_length=1)
    unk: str | None = None
    lowercase: bool = False

    @field_validator("kind")
    @classmethod
    def _kind(cls, value: str) -> str:
        if value not in ("char", "word"):
            raise _rule(f"card field 'tokenizer.kind' must be 'char' or 'word', got {value!r}")
        return value


class Provenance(_Section):
    """How the model was made, shown as written. The corpus fields tell `lstm-viz eval` which evaluation to run;
    `steps` orders a run's snapshots (app.model_store.display_order), so a snapshot's must be a whole number
    (ModelCard checks it; another card's is only shown)."""

    corpus_name: str = Field(default=None)
    corpus: str = Field(default=None)
    command: str = Field(default=None)


class SpanCurve(_Section):
    """One task's memory-span curve (app/analysis/memory_span.py curve): one entry per distance in each list."""

    accuracy: list[float | None]
    in_training_range: list[bool]
    training_range: Pair  # [low, high] filler words the corpus trains on
    mean_prob: list[float | None] = Field(default=None)
    n: list[int] = Field(default=None)
    token_distance: list[Pair | None] = Field(default=None)
    chance: float | None = None
    frame: str = Field(default=None)
    example: str = Field(default=None)


PER_DISTANCE = ("accuracy", "in_training_range", "mean_prob", "n", "token_distance")


class MemorySpan(_Section):
    """evaluation.memory_span (the page's *Memory that lasts* chart and the tour read it): `distances` and one
    curve per task, `tense` and `cuisine` by name; any other key holding an object with `accuracy` is a task too."""

    distances: list[int]
    tense: SpanCurve | None = None
    cuisine: SpanCurve | None = None
    definition: str = Field(default=None)
    unit: str = Field(default=None)
    probes_per_point: int = Field(default=None)
    seed: int = Field(default=None)
    command: str = Field(default=None)

    @model_validator(mode="after")
    def _curves(self) -> MemorySpan:
        curves = {"tense": self.tense, "cuisine": self.cuisine}
        for key, value in (self.model_extra or {}).items():
            if isinstance(value, dict) and "accuracy" in value:
                try:
                    curves[key] = SpanCurve.model_validate(value)
                except ValidationError as e:
                    raise _rule(problems(e, prefix=f"evaluation.memory_span.{key}")) from None
        for task, curve in curves.items():
            for key in PER_DISTANCE:
                values = getattr(curve, key, None) if curve is not None else None
                if values is not None and len(values) != len(self.distances):
                    raise _rule(f"card field 'evaluation.memory_span.{task}.{key}' must have one entry per distance "
                                f"({len(self.distances)}), has {len(values)}")
        return self


class Evaluation(_Section):
    """What `lstm-viz eval --write-card` measured. The page shows any other key as it is."""

    memory_span: MemorySpan | None = None
    command: str = Field(default=None)


class ModelCard(_Section):
    """A model card. `id` must equal the file's stem (pass it as the validation context's `stem`); `cell` names a
    cell of app.engine.cells.CELLS, and the card may name that cell's options only, each one of its allowed
    values (options are extra fields: a registered cell brings its own)."""

    id: Any = None
    cell: Any = Field(default=None, validate_default=True)
    tokenizer: TokenizerSection
    title: str = Field(default=None)
    description: str = Field(default=None)
    examples: list[str] = Field(default=None)
    sizes: dict[str, int | None] = Field(default=None)  # vocab_size, embedding_size, hidden_size, num_layers
    provenance: Provenance = Field(default=None)
    snapshot_of: str = Field(default=None)  # the run this model is a training snapshot of
    # Read leniently on purpose: /api/models (app.serving.service.notable_units) and the page leave out the
    # entries that name no unit of this model or say nothing it carries, so one odd entry does not cost the model.
    notable_units: list[Any] = Field(default=None)
    evaluation: Evaluation = Field(default=None)
    sample_prompt: str = Field(default=None)  # `lstm-viz eval`'s prompt for a generated sample

    @field_validator("cell", mode="before")
    @classmethod
    def _cell(cls, value: Any) -> Any:
        if not isinstance(value, str) or value not in cells.CELLS:
            raise _rule(f"cell must be one of {tuple(cells.CELLS)}, got {value!r}")
        return value

    @model_validator(mode="after")
    def _id_and_options(self, info: ValidationInfo) -> ModelCard:
        stem = (info.context or {}).get("stem")
        if stem is not None:
            if self.id != stem:
                raise _rule(f"card id {self.id!r} must equal the file name {stem!r}")
            if not ID_PATTERN.match(stem):
                raise _rule(f"model id {stem!r} must match {ID_PATTERN.pattern}")
        steps = (self.provenance.model_extra or {}).get("steps", 0) if self.provenance is not None else 0
        if self.snapshot_of is not None and type(steps) is not int:
            raise _rule(f"card field 'provenance.steps' must be a whole number in a training snapshot's card "
                        f"(snapshot_of {self.snapshot_of!r}), got {_got(steps)}")
        cell = cells.spec(self.cell)
        extra = self.model_extra or {}
        for key in sorted({k for c in cells.CELLS.values() for k in c.options} - set(cell.options)):
            if key in extra:
                raise _rule(f"{key} is not an option of {cell.article}; its card may name "
                            f"{', '.join(cell.options) or 'no options'}")
        for key, allowed in cell.options.items():
            value = extra.get(key, allowed[0])
            if not any(value == a and type(value) is type(a) for a in allowed):
                raise _rule(f"{key} must be one of {allowed}, got {value!r}")
        return self


def depth(value: object) -> int:
    """Levels of nesting of a JSON value (a scalar is 0), counted without recursion; it stops counting a level
    past MAX_DEPTH."""
    deepest, stack = 0, [(value, 1)] if isinstance(value, dict | list) else []
    while stack:
        item, level = stack.pop()
        deepest = max(deepest, level)
        if level > MAX_DEPTH:
            break
        children = item.values() if isinstance(item, dict) else item
        stack.extend((child, level + 1) for child in children if isinstance(child, dict | list))
    return deepest


_MUST = {"string_type": "a string", "int_type": "a whole number", "float_type": "a number",
         "bool_type": "true or false", "list_type": "a list", "dict_type": "an object", "model_type": "an object",
         "model_attributes_type": "an object"}


def _path(loc: tuple, prefix: str = "") -> str:
    path = prefix
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else f".{part}" if path else str(part)
    return path


def _got(value: object) -> str:
    """A JSON value as a refusal says what it got: 'the string "8"', 'the number 3', 'a list', 'null'."""
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    if isinstance(value, str | int | float):
        text = json.dumps(value, ensure_ascii=False)
        return f"the {'string' if isinstance(value, str) else 'number'} {text[:40] + '…' if len(text) > 40 else text}"
    return {list: "a list", dict: "an object"}.get(type(value), type(value).__name__)


def _problem(error: dict, prefix: str = "") -> str:
    kind, path = error["type"], _path(error["loc"], prefix)
    if kind == "card_rule":
        return error["msg"]
    if kind == "missing":
        return f"card field {path!r} is missing"
    if kind in _MUST:
        return f"card field {path!r} must be {_MUST[kind]}, got {_got(error['input'])}"
    ctx = error.get("ctx") or {}
    if kind in ("too_short", "too_long"):
        bound = ctx.get("min_length") if kind == "too_short" else ctx.get("max_length")
        return (f"card field {path!r} must hold at {'least' if kind == 'too_short' else 'most'} {bound} "
                f"item{'s' * (bound != 1)}, has {ctx.get('actual_length')}")
    return f"card field {path!r}: {error['msg']}"


def problems(error: ValidationError, prefix: str = "") -> str:
    """The first SHOWN problems of a failed validation, '; '-separated, then how many more there are."""
    found = [_problem(e, prefix) for e in error.errors(include_url=False)]
    more = len(found) - SHOWN
    return "; ".join(found[:SHOWN]) + (f"; and {more} more problem{'s' * (more > 1)}" if more > 0 else "")
