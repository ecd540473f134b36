"""Text + model -> /api/components' answer: a layer's memory over the text as k non-negative components.

A beginner's view of "what kinds of memory" instead of H rows of a heatmap (app/analysis/components.py has the
maths): the memory A (T tokens × H units; c for an LSTM, h for a GRU or a vanilla RNN, or another of the cell's
states on request) is split by sign into X = [max(A, 0) | max(−A, 0)] (T × 2H) and factored X ≈ W·Hc by NMF.
Per component, largest share first:

    activation[t]   W[t, j]: how strongly the component is on after token t, in the memory's units (its loading
                    row has unit length)
    top_units       its five largest loadings: {unit, sign "+" (the unit's positive side) or "-", loading}
    peaks           the three tokens where its activation is largest: a hint for a label
    share           its part of the reconstruction, sum(W[:, j] ⊗ Hc[j]) / sum(W·Hc); the shares add up to 1
    loadings        with full=true only: {positive: Hc[j, :H], negative: Hc[j, H:]}, enough to recompute W·Hc

Cost. NMF's start and its at most MAX_ITER sweeps cost at most `app.analysis.components.cost(T, 2H, k)`
multiply-adds; a request may spend BUDGET (about half a second of one BLAS thread). Every bundled model
of H ≤ 100 fits at any k ≤ 10 up to max_tokens = 2,000; an H = 256 model's 2,000 tokens only k ≤ 2. Above the
budget the request is refused before anything is traced, with the largest k and the longest text that fit.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from app.analysis import components as nmf
from app.model_store import Model
from app.serving.config import Settings
from app.serving.schemas import LAYER, MODEL, SALT_PATTERN, TEXT_LIMITS, TokenOut, checked
from app.serving.service import InputError, get_model, run_trace, tokens_of
from app.serving.trace_cache import TraceCache

MAX_K = 10
DEFAULT_K = 4
BUDGET = 2e9  # multiply-adds: about half a second of one BLAS thread on these machines
TOP_UNITS = 5
PEAKS = 3


class ComponentsRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model: str = Field(description=MODEL, examples=["lesson"])
    text: str = Field(description="The text, as for /api/trace; at least k tokens. " + TEXT_LIMITS,
                      examples=["Last year, due to my current job situation and family conditions, I had to take "
                                "a loan."])
    layer: int = Field(0, description=LAYER, json_schema_extra=checked(minimum=0))
    quantity: str | None = Field(None, description="The state to factor: one the model's cell carries between steps "
                                 "(an LSTM's c or h, a GRU's or a vanilla RNN's h; 422 otherwise). Default: the "
                                 "cell's memory (c for an LSTM, h otherwise).", examples=["c"])
    k: int = Field(DEFAULT_K, description=f"Components, 1 to {MAX_K} (422 otherwise), and at most the text's tokens. "
                   f"Refused (422) when the factorisation would cost more than {BUDGET:.0e} multiply-adds (only a "
                   "model of many units on a long text: the message gives the largest k and text that fit).",
                   json_schema_extra=checked(minimum=1, maximum=MAX_K))
    full: bool = Field(False, description="Also each component's `loadings` on every unit (2 × H numbers).")
    salt: str | None = Field(None, pattern=SALT_PATTERN, description="As for /api/trace: the text's steps are taken "
                             "from, and kept in, the cache of this salt.")


class UnitLoading(BaseModel):
    unit: int = Field(description="The unit, 0-based.")
    sign: Literal["+", "-"] = Field(description="`+`: the component pushes the unit's memory up (its positive "
                                    "part), `-`: down (its negative part).")
    loading: float = Field(description="Hc[j, column]: in 0 to 1 (each component's loadings have unit length).")


class Peak(BaseModel):
    step: int = Field(description="The token's index.")
    text: str = Field(description="The token as typed.")
    activation: float


class Loadings(BaseModel):
    positive: list[float] = Field(description="H numbers: the loading on each unit's positive part, Hc[j, :H].")
    negative: list[float] = Field(description="H numbers: on each unit's negative part, Hc[j, H:].")


class ComponentOut(BaseModel):
    activation: list[float] = Field(description="T numbers ≥ 0: W[:, j], the component's strength after each "
                                    "token, in the memory's units.")
    top_units: list[UnitLoading] = Field(description=f"Its {TOP_UNITS} largest nonzero loadings, largest first.")
    peaks: list[Peak] = Field(description=f"The {PEAKS} tokens where its activation is largest, largest first (a "
                              "hint for a label; fewer when the text is shorter).")
    share: float = Field(description="Its part of the reconstruction: sum(W[:, j] ⊗ Hc[j]) / sum(W·Hc). The "
                         "components come largest share first; the shares add up to 1.")
    loadings: Loadings | None = Field(None, description="With full=true: W·Hc can be recomputed from these.")


class ComponentsResponse(BaseModel):
    model: str
    version: str
    cell: str = Field(description="The model's cell: `lstm`, `gru` or `rnn`.")
    layer: int
    quantity: str = Field(description="The state factored (`c` or `h`).")
    memory: str = Field(description="The cell's memory: `c` for an LSTM, `h` for a GRU or a vanilla RNN.")
    k: int
    hidden_size: int = Field(description="H: the units; X has 2·H columns.")
    tokens: list[TokenOut]
    components: list[ComponentOut]
    reconstruction_error: float = Field(description="‖X − W·Hc‖_F / ‖X‖_F with X = [max(A, 0) | max(−A, 0)]: 0 is "
                                        "exact; 0 also when the memory is all zeros.")
    iterations: int = Field(description=f"HALS sweeps used, at most {nmf.MAX_ITER} (fewer once a sweep improves "
                            f"the error by less than {nmf.TOL:g} of itself).")
    method: str = Field(description="The solver: `hals` (from an NNDSVD start, no random numbers).")


def allowed_quantities(model: Model) -> tuple[str, ...]:
    """The states a model's cell carries between steps, its memory first."""
    spec = model.spec
    return (spec.memory, *(q for q in spec.states if q != spec.memory))


def check_request(model: Model, req: ComponentsRequest) -> str:
    """Refuse what can be refused before tokenizing (layer, quantity, k); the quantity to factor."""
    L = model.params.num_layers
    if not 0 <= req.layer < L:
        raise InputError(f"layer {req.layer} is out of range: model {model.id!r} has layers 0 to {L - 1}")
    allowed = allowed_quantities(model)
    quantity = req.quantity if req.quantity is not None else model.spec.memory
    if quantity not in allowed:
        shown = quantity if len(quantity) <= 32 else quantity[:31] + "…"
        raise InputError(f"quantity {shown!r} is not a state of model {model.id!r}, {model.spec.article}: choose "
                         f"{' or '.join(allowed)} (default {model.spec.memory}, its memory)")
    columns = 2 * model.params.hidden_size
    if not 1 <= req.k <= min(MAX_K, columns):
        raise InputError(f"k = {req.k} is out of range: use 1 to {min(MAX_K, columns)} components (default "
                         f"{DEFAULT_K})")
    return quantity


def check_cost(model: Model, T: int, k: int) -> None:
    """Refuse a text shorter than k tokens, and a factorisation above BUDGET, saying what fits."""
    if T < k:
        raise InputError(f"the text has {T} token{'s' if T != 1 else ''} for model {model.id!r}, fewer than k = {k} "
                         f"components: send a longer text" + (f" or use k ≤ {T}" if T else ""))
    N = 2 * model.params.hidden_size
    if nmf.cost(T, N, k) <= BUDGET:
        return
    fitting_k = max((j for j in range(1, k) if nmf.cost(T, N, j) <= BUDGET), default=0)
    fitting_T = max_tokens(N, k)
    options = ([f"k ≤ {fitting_k}"] if fitting_k else []) + ([f"a text of at most {fitting_T} tokens"]
                                                             if fitting_T >= k else [])
    raise InputError(f"k = {k} components of {T} tokens of model {model.id!r} (2·H = {N} columns) may cost "
                     f"{nmf.cost(T, N, k):.2g} multiply-adds, above the budget of {BUDGET:.0e}: use "
                     f"{' or '.join(options) or 'a smaller model'}")


def max_tokens(N: int, k: int) -> int:
    """The most tokens whose k components of N columns fit in BUDGET (0 if none): cost grows with T."""
    low, high = 0, 1
    while nmf.cost(high, N, k) <= BUDGET:
        low, high = high, high * 2
    while high - low > 1:
        mid = (low + high) // 2
        low, high = (mid, high) if nmf.cost(mid, N, k) <= BUDGET else (low, mid)
    return low


def components(models: dict[str, Model], settings: Settings, cache: TraceCache | None,
               req: ComponentsRequest) -> dict:
    """The /api/components response body (NumPy arrays inside; serialise with orjson)."""
    model = get_model(models, req.model)
    quantity = check_request(model, req)
    tokens, _ = tokens_of(model, req.text, settings)  # refused texts (too long, too short, too costly) trace nothing
    check_cost(model, len(tokens), req.k)
    result = run_trace(model, req.text, settings, cache=cache, salt=req.salt)
    A = result.trace.layers[req.layer][quantity]  # (T, H)
    found = nmf.components(A, req.k)
    H = A.shape[1]
    out = []
    for j in range(req.k):
        activation, loadings = found.W[:, j], found.Hc[j]
        component = {
            "activation": activation,
            "top_units": [{"unit": u, "sign": "+" if s > 0 else "-", "loading": v}
                          for u, s, v in nmf.top_units(loadings, TOP_UNITS)],
            "peaks": [{"step": t, "text": result.tokens[t].text, "activation": float(activation[t])}
                      for t in nmf.peaks(activation, PEAKS)],
            "share": float(found.share[j]),
        }
        if req.full:
            component["loadings"] = {"positive": loadings[:H], "negative": loadings[H:]}
        out.append(component)
    return {
        "model": model.id,
        "version": model.version,
        "cell": model.cell,
        "layer": req.layer,
        "quantity": quantity,
        "memory": model.spec.memory,
        "k": req.k,
        "hidden_size": H,
        "tokens": [{"text": t.text, "id": t.id, "start": t.start, "end": t.end} for t in result.tokens],
        "components": out,
        "reconstruction_error": found.error,
        "iterations": found.iterations,
        "method": "hals",
    }
