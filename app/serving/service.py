"""Text + model -> the numbers the API returns. No HTTP here: errors are InputError with a status."""

from __future__ import annotations

import binascii
import itertools
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from app.engine.cells import CELLS, LEDGER, CellSpec
from app.engine.lstm import Trace, logits, softmax
from app.engine.tokenizer import Token
from app.model_store import Model, display_order, load_registry
from app.resources import resource_dir
from app.serving.config import Settings
from app.serving.digest import ids_digest
from app.serving.trace_cache import TraceCache, extend

ENCODINGS = ("json", "f4", "u1")


class InputError(ValueError):
    """Input the service cannot use; `status` is the HTTP status, the message says what to change."""

    def __init__(self, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class TraceResult:
    model: Model
    tokens: list[Token]  # the text's tokens from token `first` on (all of them unless the text came in part)
    ids: np.ndarray  # (T,) every token's id
    trace: Trace  # of the model's cell: its layers hold that cell's quantities
    first: int = 0  # the index of tokens[0] in the text


def load_models(settings: Settings, refused: list[str] | None = None) -> dict[str, Model]:
    """The bundled models (unless turned off), then those of settings.models_dir, default model first;
    `refused`, if given, gets one line per file that was not loaded and why."""
    folders = [resource_dir("models")] if settings.bundled_models else []
    if settings.models_dir is not None:
        folders.append(settings.models_dir)
    return display_order(load_registry(folders, refused), settings.default_model)


FOLDERS_OF_PATHS = re.compile(r"(?:/[^/\s:()'\"]+)+/(?=[^/\s])")


def public_refusal(line: str) -> str:
    """A refusal as /healthz shows it: files by their names, not their paths on the server ("bad.json: …")."""
    return FOLDERS_OF_PATHS.sub("", line)


def get_model(models: dict[str, Model], model_id: str) -> Model:
    model = models.get(model_id)
    if model is None:
        shown = model_id if len(model_id) <= 64 else model_id[:63] + "…"  # a 4,000-character id is not echoed
        raise InputError(f"unknown model {shown!r}; choose one of: {', '.join(sorted(models))}", 404)
    return model


def check_text(text: str, settings: Settings, before: int = 0) -> None:
    """Refuse text that is too long or cannot be encoded (lone surrogates reach no serialiser); `before`:
    the characters of the whole text before this part of it."""
    if before + len(text) > settings.max_chars:
        raise InputError(
            f"text has {before + len(text)} characters; the limit is max_chars = {settings.max_chars}: shorten it",
            413,
        )
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as e:
        raise InputError(
            f"text holds a lone surrogate at character {e.start} ({text[e.start]!r}) that is not valid Unicode: "
            "remove it or send the full surrogate pair"
        ) from e


def run_trace(model: Model, text: str, settings: Settings, steps: int | None = None,
              cache: TraceCache | None = None, salt: str | None = "") -> TraceResult:
    """Tokenize text and run the model over it from the zero state; over its first `steps` tokens only
    when given (the numbers of those steps are bit-identical either way: the cell is causal). With a
    cache, only the steps after the longest prefix of the same ids cached under the same `salt` are
    computed (same bits); salt None (an HTTP request that sent none): the cache is neither read nor written."""
    tokens, ids = tokens_of(model, text, settings)
    return TraceResult(model, tokens, ids, extend(model.compiled, model.version, ids[:steps], cache, salt))


def tokens_of(model: Model, text: str, settings: Settings, offset: int = 0, since: int = 0,
              ) -> tuple[list[Token], np.ndarray]:
    """Check and tokenize text, the whole text from code point `offset` on, after `since` tokens (the
    tokens' offsets are the whole text's): the tokens and their ids (n,)."""
    check_text(text, settings, before=offset)
    try:
        tokens = model.tokenizer.tokenize(text)
    except ValueError as e:
        raise InputError(f"{e}; remove it or pick another model") from e
    if since + len(tokens) > settings.max_tokens:
        raise InputError(
            f"text has {since + len(tokens)} tokens for model {model.id!r}; the limit is max_tokens = "
            f"{settings.max_tokens}: shorten it",
            413,
        )
    if offset:
        tokens = [Token(t.text, t.id, t.start + offset, t.end + offset) for t in tokens]
    return tokens, np.fromiter((tok.id for tok in tokens), dtype=np.int64, count=len(tokens))


def run_tail(model: Model, tail: str, offset: int, since: int, prefix: str | None, settings: Settings,
             cache: TraceCache | None, salt: str | None = "") -> TraceResult:
    """The trace of a text sent in part: its first `since` tokens are those this worker's cache holds under
    this `salt` and `prefix` (their ids' digest, app/serving/digest.py), and `tail` is the text from code point `offset`
    on, where the last of them ends. Only the tail is checked and tokenized: a keystroke at the end of
    a long text costs the same as at the end of a short one. The tokenizers read a text left to right
    with no look-behind, so tokenizing the tail equals going on from there in the whole text, as long
    as the asker keeps only tokens its edit cannot have changed (static/js/core/trace_store.js keptTokens).
    409 when the cache no longer holds those tokens (evicted, or another worker's): send the whole text.
    Without a salt (None) always 409: such a request never reads the cache, so its answer cannot tell
    whether anyone traced a text with that digest."""
    if since == 0 or prefix is None:
        raise InputError("offset needs since and prefix: the tokens before `offset` are named by them; "
                         "send since > 0 with their prefix, or the whole text with offset=0")
    if offset < since:
        raise InputError(f"offset = {offset} is less than since = {since}, but each of the first {since} tokens "
                         "takes at least one character: offset is the code point where the last of them ends")
    check_text(tail, settings, before=offset)
    if salt is None:
        raise InputError("offset needs a salt: without one this server keeps no tokens for you (any cached trace "
                         "is found only by the salt that made it); send the whole text with offset=0, or send a "
                         "random salt (32 hex digits) with every request and name the tokens by its digest", 409)
    kept = cache.held(model.version, since, prefix, salt) if cache is not None else None
    if kept is None:
        raise InputError(f"this server no longer holds the first {since} tokens named by prefix (another worker "
                         "answered before, or they were evicted): send the whole text with offset=0", 409)
    tokens, tail_ids = tokens_of(model, tail, settings, offset, since)
    ids = np.concatenate([kept, tail_ids])
    return TraceResult(model, tokens, ids, extend(model.compiled, model.version, ids, cache, salt), first=since)


def resume_point(result: TraceResult, since: int, prefix: str | None, salt: str | None = "") -> int:
    """The first step to send: `since` when the asker's first `since` token ids (named by `prefix`, their
    digest under this salt, see app/serving/digest.py) are still this text's first ids under this model
    version; else 0 (send everything). No cache is read: the whole text came with the request."""
    if since == 0 or prefix is None or since > len(result.ids):
        return 0
    return since if ids_digest(result.model.version, result.ids[:since].tolist(), salt or "") == prefix else 0


def top_k_indices(probs: np.ndarray, k: int, blocks: int = 64) -> np.ndarray:
    """(T, V) probabilities -> (T, k) indices of each row's k largest, largest first, ties by index: exactly
    np.argsort(-probs, axis=1, kind="stable")[:, :k], without sorting or partitioning all V. Each row is cut
    into `blocks` stretches; the k-th largest of their maxima is a lower bound on the row's k-th largest value
    (k distinct stretches hold values at or above it), so every value of the top k, and every value tied with
    the k-th, is at or above it: only those candidates (a few dozen of V = 6,591) are sorted, by value then
    index."""
    T, V = probs.shape
    if k == 0 or k >= V or T == 0:
        return np.argsort(-probs, axis=1, kind="stable")[:, :k]
    width = -(-V // min(blocks, V))  # ceil: at least k stretches below (k < V)
    whole = V // width * width
    peaks = probs[:, :whole].reshape(T, -1, width).max(axis=2)  # (T, V // width)
    if whole < V:
        peaks = np.concatenate([peaks, probs[:, whole:].max(axis=1, keepdims=True)], axis=1)
    n = peaks.shape[1]
    if n < k:  # fewer stretches than k (V < k · width): no bound
        return np.argsort(-probs, axis=1, kind="stable")[:, :k]
    bound = np.partition(peaks, n - k, axis=1)[:, n - k]  # (T,)
    rows, cols = np.nonzero(probs >= bound[:, None])  # cols ascending within each row
    order = np.lexsort((cols, -probs[rows, cols], rows))  # by row, then value (largest first), then index
    starts = np.zeros(T, np.intp)
    np.cumsum(np.bincount(rows, minlength=T)[:-1], out=starts[1:])
    return cols[order][starts[:, None] + np.arange(k)]


PREDICTION_VALUES = 2**18  # probabilities per block of top_k_arrays: a block's float64 softmax (2 MiB) stays in cache


def prediction_rows(V: int) -> int:
    """Steps per block of top_k_arrays for a vocabulary of V: PREDICTION_VALUES // V (39 for `lesson`'s 6,591
    words; a character model's whole text in one block: each block costs a few dozen NumPy calls)."""
    return max(1, PREDICTION_VALUES // max(V, 1))


# A second thread for top_k_arrays' blocks: the decoder's products and the softmax's exp release the GIL, so a
# long text's predictions (0.4 s at 2,000 steps of `lesson`, V = 6,591) take half as long on two cores.
PREDICTION_HELPER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="predictions")


def in_blocks(count: int, work: Callable[[int], None]) -> None:
    """work(b) for b in 0…count-1, by this thread and the helper thread together, each taking the next block
    not yet taken. A helper busy with another request is not waited for: this thread does every block."""
    taken = itertools.count()  # next() is atomic under the GIL

    def drain() -> None:
        for b in iter(taken.__next__, None):
            if b >= count:
                return
            work(b)

    helper = PREDICTION_HELPER.submit(drain) if count > 1 else None
    drain()
    if helper is not None and not helper.cancel():  # it started: wait for the block it holds
        helper.result()


def top_k_arrays(model: Model, trace: Trace, k: int, start: int = 0) -> tuple[np.ndarray, np.ndarray] | None:
    """Per step from `start` on, the vocabulary ids of the min(k, V) likeliest next tokens, likeliest first
    (T - start, k') intp, and their softmax probabilities (T - start, k') float64; None if the model has no
    decoder. Computed in blocks of prediction_rows(V) steps on two threads (in_blocks): every row's numbers are
    its own (the decoder is one matrix-vector product per step, the softmax row-wise), so they are the whole
    computation's bit for bit, and the (T, V) probabilities (105 MB at 2,000 steps of `lesson`) are never held
    whole."""
    if model.params.W_dec is None:
        return None
    steps, k = max(trace.num_steps - start, 0), min(k, model.params.vocab_size)
    top, probs = np.empty((steps, k), np.intp), np.empty((steps, k), np.float64)
    if k == 0 or steps == 0:
        return top, probs
    h = trace.layers[-1].h[start:]
    n = prediction_rows(model.params.vocab_size)

    def block(b: int) -> None:
        rows = slice(b * n, (b + 1) * n)
        p = softmax(logits(model.params, h[rows]))  # (rows, V)
        top[rows] = top_k_indices(p, k)
        probs[rows] = np.take_along_axis(p, top[rows], 1)

    in_blocks(-(-steps // n), block)
    return top, probs


def top_k_predictions(model: Model, trace: Trace, k: int, start: int = 0) -> list[list[dict]] | None:
    """Per step from `start` on, the k likeliest next tokens with probabilities, [{token, prob}] likeliest first
    (the `json` encoding's form); None if the model has no decoder."""
    arrays = top_k_arrays(model, trace, k, start)
    if arrays is None:
        return None
    vocab = model.tokenizer.vocab
    return [[{"token": vocab[j], "prob": p} for j, p in zip(ids, probs, strict=True)]
            for ids, probs in zip(arrays[0].tolist(), arrays[1].tolist(), strict=True)]


def compact_predictions(model: Model, trace: Trace, k: int, start: int = 0) -> dict | None:
    """The same predictions as top_k_predictions in the typed-array encodings' form: {k, tokens: the distinct
    predicted tokens (by vocabulary id), index: i4 (T - start, k) indices into `tokens`, likeliest first, prob:
    f8 (T - start, k) their probabilities, the same float64 numbers the json encoding writes}; None if the model
    has no decoder."""
    arrays = top_k_arrays(model, trace, k, start)
    if arrays is None:
        return None
    top, probs = arrays
    used, index = np.unique(top, return_inverse=True)  # the vocabulary ids predicted, ascending
    vocab = model.tokenizer.vocab
    return {"k": top.shape[1], "tokens": [vocab[j] for j in used.tolist()],
            "index": typed_array(index.reshape(top.shape), "i4"), "prob": typed_array(probs, "f8")}


def typed_array(a: np.ndarray, dtype: str) -> dict:
    """A Plotly.js typed-array spec {dtype, bdata: base64 of the little-endian values, shape: "T,H"} of a (T, H)
    array as `dtype` ("f4", "f8", "i4", "u1")."""
    a = np.ascontiguousarray(a, dtype=np.dtype(dtype).newbyteorder("<"))  # a copy only if needed
    return {"dtype": dtype, "bdata": binascii.b2a_base64(a, newline=False).decode("ascii"),
            "shape": ",".join(str(n) for n in a.shape)}


def quantize(a: np.ndarray) -> tuple[np.ndarray, float, float]:
    """Range-quantise to uint8: q = round((a - lo) · 255 / (hi - lo)) with lo, hi the array's extremes,
    so a ≈ lo + q · (hi - lo) / 255 within (hi - lo) / 510. A constant array is all zeros."""
    lo, hi = (float(a.min()), float(a.max())) if a.size else (0.0, 0.0)
    if hi == lo:
        return np.zeros(a.shape, np.uint8), lo, hi
    q = a.astype(np.float64)  # the same operations as np.rint((a - lo) * (255 / (hi - lo))), in place
    q -= lo
    q *= 255.0 / (hi - lo)
    np.rint(q, out=q)
    return q.astype(np.uint8), lo, hi


def encode_array(a: np.ndarray, encoding: str) -> np.ndarray | dict:
    """A (T, H) array as itself (orjson writes NumPy arrays directly as nested lists), or as a Plotly.js
    typed-array spec {dtype, bdata, shape}: `f4` exact float32; `u1` range-quantised uint8 (see
    quantize) with its range in `lo` and `hi`. Non-finite values are an error, never a silent null."""
    a = np.ascontiguousarray(a, dtype=np.float32)
    if not np.isfinite(a).all():
        raise ValueError("a traced array holds NaN or infinite values")
    if encoding == "json":
        return a
    if encoding == "u1":
        q, lo, hi = quantize(a)
        return {**typed_array(q, "u1"), "lo": lo, "hi": hi}
    return typed_array(a, "f4")


def layer_arrays(result: TraceResult, k: int, quantities: tuple[str, ...], start: int = 0,
                 unit: int | None = None) -> dict[str, np.ndarray]:
    """The requested quantities of layer k from step `start` on, each (T - start, H), or (T - start, 1)
    for one unit; the ledger (kept, forgotten, written) from the cell's own ledger."""
    layer = result.trace.layers[k]
    cols = slice(None) if unit is None else slice(unit, unit + 1)
    out = {q: layer[q][start:, cols] for q in quantities if q not in LEDGER}
    if any(q in LEDGER for q in quantities):
        book = result.model.spec.ledger(layer, result.trace.initial, k, start, cols)
        out.update({q: book[q] for q in quantities if q in LEDGER})
    return out


def parse_quantities(spec: str | None, model: Model | None = None) -> tuple[str, ...]:
    """Comma-separated names -> a tuple in the cell's order; None means the quantities the model's cell
    records (an LSTM's i, f, g, o, c, h without a model). Names another cell has are refused saying so."""
    cell: CellSpec = model.spec if model is not None else CELLS["lstm"]
    offered = cell.offered
    if spec is None:
        return cell.quantities
    names = [s.strip() for s in spec.split(",") if s.strip()]
    unknown = [n for n in names if n not in offered]
    if not names:
        raise InputError(f"quantities is empty: choose from {', '.join(offered)}, or leave it out for all")
    others = [c for c in CELLS.values() if c is not cell and all(n in c.offered for n in unknown)]
    if unknown and model is not None and others:
        raise InputError(f"quantities {unknown} belong to {' or '.join(c.article for c in others)}; model "
                         f"{model.id!r} is {cell.article}: choose from {', '.join(offered)}")
    if unknown:
        raise InputError(f"unknown quantities {unknown}; choose from {', '.join(offered)}")
    return tuple(q for q in offered if q in names)


def trace_payload(result: TraceResult, top_k: int, quantities: tuple[str, ...], encoding: str, start: int = 0,
                  layer: int | None = None, unit: int | None = None) -> dict:
    """The /api/trace response body (NumPy arrays inside; serialise with orjson). From step `start` on
    (tokens, arrays and predictions alike; start ≥ result.first); only `layer` when given (the other
    layers' entries are empty), only `unit` when given (arrays (T - start, 1)). The predictions are per-step
    lists of {token, prob} with encoding `json` (top_k_predictions) and typed arrays with `f4` and `u1`
    (compact_predictions): the same tokens and the same float64 probabilities either way."""
    if encoding not in ENCODINGS:
        raise InputError(f"unknown encoding {encoding!r}; use one of {', '.join(ENCODINGS)}")
    model = result.model
    L, H = model.params.num_layers, model.params.hidden_size
    if layer is not None and not 0 <= layer < L:
        raise InputError(f"layer {layer} is out of range: model {model.id!r} has layers 0 to {L - 1}")
    if unit is not None and not 0 <= unit < H:
        raise InputError(f"unit {unit} is out of range: model {model.id!r} has units 0 to {H - 1}")
    if not set(quantities) <= set(model.spec.offered):
        parse_quantities(",".join(quantities), model)  # raises the message that says what to change
    return {
        "model": model.id,
        "version": model.version,
        "encoding": encoding,
        "num_tokens": result.first + len(result.tokens),
        "start": start,
        "tokens": [{"text": t.text, "id": t.id, "start": t.start, "end": t.end}
                   for t in result.tokens[start - result.first :]],
        "layers": [
            {q: encode_array(a, encoding) for q, a in layer_arrays(result, k, quantities, start, unit).items()}
            if layer is None or k == layer else {}
            for k in range(L)
        ],
        "predictions": (top_k_predictions if encoding == "json" else compact_predictions)(
            model, result.trace, top_k, start),
    }


def step_payload(result: TraceResult, step: int, layer: int) -> dict:
    """The /api/step response: each gate's pre-activation split into input, recurrent and bias, its value,
    the states before and after, the numbers the cell's equations name (`values`), and those equations."""
    model, T, L = result.model, len(result.tokens), result.model.params.num_layers
    if T == 0:
        raise InputError(f"step {step} is out of range: the text has no tokens; send a text with some")
    if not 0 <= step < T or step >= result.trace.num_steps:
        raise InputError(f"step {step} is out of range: the text has {T} tokens, so use 0 to {T - 1}")
    if not 0 <= layer < L:
        raise InputError(f"layer {layer} is out of range: model {model.id!r} has layers 0 to {L - 1}")
    cell = model.spec
    ids = np.array([t.id for t in result.tokens], dtype=np.int64)
    detail = cell.step_detail(model.params, result.trace, ids, layer, step)
    recorded = result.trace.layers[layer]
    gates = {}
    for gate, parts in detail["gates"].items():
        parts = {**parts, "preactivation": parts["input"] + parts["recurrent"] + parts["bias"],
                 "value": recorded[gate][step]}
        gates[gate] = {name: encode_array(a, "json") for name, a in parts.items()}
    tok = result.tokens[step]
    values = cell.step_values(detail, recorded, layer, step)
    return {
        "model": model.id,
        "version": model.version,
        "cell": cell.name,
        "step": step,
        "layer": layer,
        "num_steps": T,
        "num_layers": L,
        **cell.options_of(model.params),
        "token": {"text": tok.text, "id": tok.id, "start": tok.start, "end": tok.end},
        **{f"{s}_prev": encode_array(detail["previous"][s], "json") for s in cell.states},
        "gates": gates,
        "activations": cell.activations(model.params),
        **{s: encode_array(recorded[s][step], "json") for s in cell.states},
        "values": {name: encode_array(a, "json") for name, a in values.items()},
    }


def cell_summary(cell: CellSpec, params: object) -> dict:
    """What the page needs to draw a cell without knowing its name: the quantities, the memory, the panels
    and views, the step's gates, equations and ledger (segments: text, or {"ref": a number's name in
    /api/step's answer: "z.value", "h_prev", a `values` entry}), and the diagram to draw."""
    return {
        "name": cell.name,
        "title": cell.title,
        "article": cell.article,
        "description": cell.description,
        "quantities": list(cell.offered),
        "memory": cell.memory,
        "states": list(cell.states),
        "gates": list(cell.gates),
        "activations": cell.activations(params),
        "panels": {q: cell.panels[q] for q in cell.offered},
        "views": [{"id": view, "label": label, "panels": list(panels)} for view, (label, panels) in cell.views.items()],
        "equations": list(cell.equations),
        "ledger": list(cell.ledger_rows),
        "diagram": cell.diagram,
        "parts_note": cell.parts_note(params),
    }


def model_summary(model: Model) -> dict:
    """One entry of GET /api/models."""
    p = model.params
    return {
        "id": model.id,
        "title": model.title,
        "description": model.card.get("description", ""),
        "cell": model.cell,
        "quantities": list(model.spec.offered),
        "memory": model.spec.memory,
        "cell_spec": cell_summary(model.spec, p),
        "tokenizer": model.tokenizer.kind,
        "num_layers": p.num_layers,
        "hidden_size": p.hidden_size,
        "vocab_size": p.vocab_size,
        "unk_id": model.tokenizer.unk_id,
        "unk": model.tokenizer.unk,
        "lowercase": model.tokenizer.lowercase,
        "has_decoder": p.W_dec is not None,
        "version": model.version,
        "examples": list(model.card.get("examples", [])),
        "notable_units": notable_units(model),
    }


def notable_units(model: Model) -> list[dict]:
    """The card's notable units that name a layer and unit this model has and say what they carry, as
    {layer, unit, carries, weak}; anything else in the card's list is left out (a card is the user's file)."""
    p = model.params
    found = []
    for entry in model.card.get("notable_units") or []:
        if not isinstance(entry, dict):
            continue
        layer, unit, carries = entry.get("layer", 0), entry.get("unit"), entry.get("carries")
        if (type(layer) is int and type(unit) is int and isinstance(carries, str) and carries
                and 0 <= layer < p.num_layers and 0 <= unit < p.hidden_size):
            found.append({"layer": layer, "unit": unit, "carries": carries[:64], "weak": entry.get("weak") is True})
    return found
