"""/api/search: find more like this, over a model's state index (app/analysis/search.py, docs/search.md).

Two modes. `match` (LSTMVis's match): `units` and a `threshold` (and optionally min_on, min_length, max_length);
or, instead of units, a span of a text (`text`, `start`, `end`: token indices, end exclusive), whose units on
inside and off before are found first (`derived` in the answer) and then searched for: the page's "select 'Last
year', find more like it". `top` (where does this cell fire): one `unit`'s highest (or, with `lowest`, lowest)
values. Each of at most `limit` results: its document and source, token positions, code-point offsets in the
source, its text, and a window of `context` tokens either side with the units' values over it.

Indexes are opened at start (app/serving/app.py: one per model whose id and version have a complete index under
the data dir) and memory-mapped: a query reads the units it asks for. Cost: a match reads |units| ≤ MAX_UNITS
int8 values per indexed token plus a few passes per overlap level, a top one unit; a text is traced within
max_chars and max_tokens, as /api/trace. The answer holds at most limit × (2·context + max_length) × |units|
numbers.

`GET /api/search/documents` gives the page the whole text of the documents its results are in (at most MAX_LIMIT
documents, each at most segment_tokens tokens): each was traced from the zero state, so the page opens a result by
tracing its document's text, the match at the same tokens (docs/search.md, "In the page").
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from app.analysis.search import derive_units, match, top
from app.analysis.state_index import QMAX, StateIndex, build_command, default_data_dir, find_index
from app.model_store import Model
from app.serving.config import Settings
from app.serving.schemas import LAYER, MODEL, SALT_PATTERN, TEXT_LIMITS, checked
from app.serving.service import InputError, get_model, run_trace
from app.serving.trace_cache import TraceCache

MAX_UNITS = 16
MAX_SPAN = 200  # the longest match (max_length) and the longest selected span
MAX_CONTEXT = 50
MAX_LIMIT = 50
MAX_APART = 200
DEFAULT_THRESHOLD = 0.3  # LSTMVis's default
UNITS_PATTERN = r"^[0-9]{1,6}(,[0-9]{1,6}){0,63}$"
DOCUMENTS_PATTERN = r"^[0-9]{1,9}(,[0-9]{1,9}){0,49}$"


@dataclass(frozen=True)
class SearchContext:
    """What an answer reads besides the models: the trace cache (for a text's span) and the open indexes."""

    cache: TraceCache | None
    indexes: dict[str, StateIndex]


def open_indexes(models: dict[str, Model], data_dir: Path | None) -> dict[str, StateIndex]:
    """Model id -> its index, for each model with a complete index of its id and version under data_dir."""
    folder = data_dir or default_data_dir()
    found = {}
    for model in models.values():
        index = find_index(folder, model.id, model.version)
        if index is not None:
            found[model.id] = index
    return found


def index_summary(index: StateIndex | None) -> dict | None:
    """What /api/models says of a model's index: None when it has none."""
    if index is None:
        return None
    m = index.meta
    return {"tokens": m["tokens"], "documents": m["documents"], "corpus": m["corpus"], "about": m.get("about", ""),
            "quantity": m["quantity"], "layers": m["layers"]}


class SearchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model: str = Field(description=MODEL, examples=["lesson"])
    mode: Literal["match", "top"] = Field("match", description="`match`: spans where `units` (or the units a span of "
                                          "`text` turns on) are on inside and off around; `top`: where one `unit` "
                                          "is highest.")
    layer: int = Field(0, description=LAYER, json_schema_extra=checked(minimum=0))
    units: str | None = Field(None, pattern=UNITS_PATTERN, description=f"match: comma-separated unit numbers "
                              f"(`47,25`), 1 to {MAX_UNITS} distinct ones below the model's hidden_size (422 "
                              "otherwise). Leave out to derive them from a span of `text`.", examples=["47,25"])
    unit: int | None = Field(None, description="top: the unit, below the model's hidden_size (422 otherwise).",
                             json_schema_extra=checked(minimum=0))
    lowest: bool = Field(False, description="top: the unit's lowest values instead of its highest.")
    threshold: float = Field(DEFAULT_THRESHOLD, ge=-1e4, le=1e4, allow_inf_nan=False,
                             description="match: a unit is on where its value (the index's quantity, c or h) is at "
                                         "least this.")
    min_on: int = Field(1, ge=1, le=MAX_UNITS, description="match: the fewest units on at every token of a match "
                        "(its overlap); at most the number of units (422 otherwise).")
    min_length: int = Field(1, ge=1, le=MAX_SPAN, description="match: the shortest match, in tokens.")
    max_length: int = Field(40, ge=1, le=MAX_SPAN, description="match: the longest match, in tokens; at least "
                            "min_length (422 otherwise).")
    text: str | None = Field(None, description="match without units: the text on screen, whose span start..end "
                             "selects the units. " + TEXT_LIMITS)
    start: int | None = Field(None, description="The span's first token (0-based), below the text's tokens.",
                              json_schema_extra=checked(minimum=0))
    end: int | None = Field(None, description=f"One past the span's last token: after start, at most the text's "
                            f"tokens, the span at most {MAX_SPAN} tokens (422 otherwise).",
                            json_schema_extra=checked(minimum=1))
    off_after: bool = Field(False, description="Deriving units: also require them off just after the span.")
    max_units: int = Field(8, ge=1, le=MAX_UNITS, description="Deriving units: keep at most this many, the most "
                           "clearly on first.")
    context: int = Field(10, ge=0, le=MAX_CONTEXT, description="Tokens of context either side of each result.")
    limit: int = Field(MAX_LIMIT, ge=1, le=MAX_LIMIT, description="Results, best first.")
    apart: int = Field(10, ge=0, le=MAX_APART, description="top: a token within this many tokens of a better one "
                       "in its document is left out (one burst, one result).")
    salt: str | None = Field(None, pattern=SALT_PATTERN, description="As for /api/trace, for the text's trace.")


class Window(BaseModel):
    start: int = Field(description="Index position of the window's first token.")
    end: int = Field(description="One past its last token.")
    tokens: list[str] = Field(description="The window's tokens' texts.")
    values: list[list[float]] = Field(description="Per unit of `units` (in that order), its value at each token of "
                                      "the window (dequantised: within the index's quantisation step).")


class SearchResult(BaseModel):
    rank: int
    document: int = Field(description="The document (a stretch traced from the zero state) it is in.")
    source: str = Field(description="The document's source: a file, or a lesson test document.")
    start: int = Field(description="Index position of its first token.")
    end: int = Field(description="One past its last token.")
    length: int
    overlap: int | None = Field(None, description="match: units on at every token of it.")
    value: float | None = Field(None, description="top: the unit's value there.")
    chars: list[int] = Field(description="[start, end): code points in the source.")
    text: str = Field(description="Its text.")
    window: Window


class SearchResponse(BaseModel):
    model_config = ConfigDict(extra="allow")

    model: str
    version: str
    mode: str
    layer: int
    quantity: str = Field(description="The indexed state: c or h.")
    units: list[int] = Field(description="The units searched (derived from the span when none were given).")
    threshold: float | None
    index: dict = Field(description="The index: tokens, documents, corpus, about, quantity, layers.")
    derived: dict | None = Field(None, description="match from a span: {start, end, text, units: [{unit, lowest, "
                                 "before, after}]}.")
    collected: int | None = Field(None, description="match: matches collected before the ranking was settled.")
    results: list[SearchResult]


def parse_units(spec: str, H: int) -> list[int]:
    units = [int(u) for u in spec.split(",")]
    if len(units) > MAX_UNITS:
        raise InputError(f"{len(units)} units given; at most {MAX_UNITS}: choose fewer")
    if len(set(units)) != len(units):
        raise InputError("a unit is given twice in units: list each once")
    bad = [u for u in units if u >= H]
    if bad:
        raise InputError(f"unit {bad[0]} is out of range: the model has units 0 to {H - 1}")
    return units


def index_of(context: SearchContext, model: Model) -> StateIndex:
    index = context.indexes.get(model.id)
    if index is None:
        raise InputError(f"model {model.id!r} has no state index on this server: build it with "
                         f"`{build_command(model.id)}` (then restart the server)", 404)
    return index


def check_request(model: Model, index: StateIndex, req: SearchRequest) -> None:
    L, H = index.num_layers, index.hidden_size
    if not 0 <= req.layer < L:
        raise InputError(f"layer {req.layer} is out of range: model {model.id!r} has layers 0 to {L - 1}")
    if req.mode == "top":
        if req.unit is None or req.units is not None:
            raise InputError("mode top takes one `unit` (and no `units`): e.g. unit=47")
        if not 0 <= req.unit < H:
            raise InputError(f"unit {req.unit} is out of range: the model has units 0 to {H - 1}")
        return
    if req.unit is not None:
        raise InputError("`unit` is for mode top; mode match takes `units` (comma-separated) or a span of `text`")
    if req.min_length > req.max_length:
        raise InputError(f"min_length {req.min_length} is above max_length {req.max_length}: swap or change them")
    if req.units is None and (req.text is None or req.start is None or req.end is None):
        raise InputError("mode match needs `units` (e.g. 47,25), or `text` with a span `start`..`end` (token "
                         "indices) to take the units from")


def span_units(model: Model, index: StateIndex, req: SearchRequest, settings: Settings,
               cache: TraceCache | None) -> dict:
    """Trace the text and take the units on inside its span start..end and off before (after, if asked)."""
    result = run_trace(model, req.text, settings, cache=cache, salt=req.salt)
    T = len(result.tokens)
    start, end = req.start, req.end
    if not (0 <= start < end <= T):
        raise InputError(f"the span {start}..{end} is not inside the text's {T} tokens: 0 ≤ start < end ≤ {T}")
    if end - start > MAX_SPAN:
        raise InputError(f"the span has {end - start} tokens; at most {MAX_SPAN}: select a shorter one")
    values = result.trace.layers[req.layer][index.meta["quantity"]]
    ranges = index.scales[req.layer].max(axis=0) * QMAX  # each unit's largest |value| over the corpus
    units = derive_units(values, start, end, req.threshold, req.max_units, req.off_after, ranges)
    if not units:
        raise InputError(f"no unit is on (≥ {req.threshold:g}) at every token of the span and off just before it"
                         f"{' and after it' if req.off_after else ''}: lower the threshold or select another span")
    chars = (result.tokens[start].start, result.tokens[end - 1].end)
    return {"start": start, "end": end, "text": req.text[chars[0] : chars[1]], "units": units}


def result_entry(index: StateIndex, layer: int, units: list[int], rank: int, start: int, end: int, context: int,
                 **extra) -> dict:
    """One result: where it is, its text, and the units' values over a window of `context` tokens either side
    (within its document)."""
    d = int(index.document_of(np.array([start]))[0])
    doc_start, doc_end, source = (int(x) for x in index.documents[d])
    w0, w1 = max(doc_start, start - context), min(doc_end, end + context)
    offsets = index.offsets
    return {"rank": rank, "document": d, "source": index.meta["sources"][source]["name"], "start": start, "end": end,
            "length": end - start, **extra, "chars": [int(offsets[start, 2]), int(offsets[end - 1, 3])],
            "text": index.text_of(start, end),
            "window": {"start": w0, "end": w1, "tokens": index.token_texts(w0, w1),
                       "values": np.round(index.values(layer, np.array(units), w0, w1).astype(np.float64), 4)}}


def search(models: dict[str, Model], settings: Settings, context: SearchContext, req: SearchRequest) -> dict:
    """The /api/search response body (NumPy arrays inside; serialise with orjson)."""
    model = get_model(models, req.model)
    index = index_of(context, model)
    check_request(model, index, req)
    derived = None
    out = {"model": model.id, "version": model.version, "mode": req.mode, "layer": req.layer,
           "quantity": index.meta["quantity"], "index": index_summary(index)}
    if req.mode == "top":
        found = top(index, req.layer, req.unit, req.limit, req.apart, -1 if req.lowest else 1)
        results = [result_entry(index, req.layer, [req.unit], n + 1, p, p + 1, req.context, value=round(v, 4))
                   for n, (p, v) in enumerate(found)]
        return {**out, "units": [req.unit], "threshold": None, "lowest": req.lowest, "results": results}
    if req.units is not None:
        units = parse_units(req.units, index.hidden_size)
    else:
        derived = span_units(model, index, req, settings, context.cache)
        units = [u["unit"] for u in derived["units"]]
    if req.min_on > len(units):
        raise InputError(f"min_on {req.min_on} is above the {len(units)} unit(s) searched: lower it")
    matches, collected = match(index, req.layer, units, req.threshold, req.min_on, req.min_length, req.max_length,
                               req.limit)
    results = [result_entry(index, req.layer, units, n + 1, m.start, m.end, req.context, overlap=m.overlap)
               for n, m in enumerate(matches)]
    return {**out, "units": units, "threshold": req.threshold, "derived": derived, "collected": collected,
            "results": results}


class DocumentsRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model: str = Field(description=MODEL, examples=["lesson"])
    documents: str = Field(pattern=DOCUMENTS_PATTERN, description=f"Comma-separated document numbers (a result's "
                           f"`document`), 1 to {MAX_LIMIT} of them, each below the index's documents (422 otherwise).",
                           examples=["1,19"])


class DocumentText(BaseModel):
    document: int
    source: str = Field(description="The document's source: a file, or a lesson test document.")
    start: int = Field(description="Index position of its first token: a result's token p is token p − start of "
                       "this text.")
    end: int = Field(description="One past its last token.")
    chars: list[int] = Field(description="[start, end): code points in the source.")
    text: str = Field(description="Its text, from its first token's first character to its last token's last: "
                      "traced from the zero state, it gives the index's tokens (and, within float32 rounding, states).")


class DocumentsResponse(BaseModel):
    model: str
    version: str
    documents: list[DocumentText]


def documents(models: dict[str, Model], indexes: dict[str, StateIndex], req: DocumentsRequest) -> dict:
    """The /api/search/documents body: each asked document's text and where it is, in the order asked."""
    model = get_model(models, req.model)
    index = index_of(SearchContext(None, indexes), model)
    asked = [int(d) for d in req.documents.split(",")]
    D = len(index.documents)
    bad = [d for d in asked if d >= D]
    if bad:
        raise InputError(f"document {bad[0]} is out of range: the index has documents 0 to {D - 1}")
    if len(asked) > MAX_LIMIT:
        raise InputError(f"{len(asked)} documents asked; at most {MAX_LIMIT}: ask fewer")
    out = []
    for d in dict.fromkeys(asked):
        start, end, source = (int(x) for x in index.documents[d])
        chars = [int(index.offsets[start, 2]), int(index.offsets[end - 1, 3])] if end > start else [0, 0]
        out.append({"document": d, "source": index.meta["sources"][source]["name"], "start": start, "end": end,
                    "chars": chars, "text": index.text_of(start, end)})
    return {"model": model.id, "version": model.version, "documents": out}
