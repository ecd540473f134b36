"""Text + model + step + target -> /api/attribution's answer: how much each token 0…s pushed the prediction after
step s toward `target` (app/analysis/attribution.py has the maths and the methods).

Cost. A method's cost is about `attribution.cost` multiply-adds (forward and backward passes over its batch:
integrated gradients m + 1 texts, occlusion s + 2); a request may spend BUDGET_FLOPS, and one over it is refused
with the largest step that fits, so no request runs for more than about a second or two.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from app.analysis import attribution as attr
from app.model_store import Model
from app.serving.config import Settings
from app.serving.schemas import MODEL, SALT_PATTERN, TEXT_LIMITS, checked
from app.serving.service import InputError, get_model, run_trace, top_k_arrays
from app.serving.trace_cache import TraceCache

BUDGET_FLOPS = 1e9  # as /api/retention: about a second of one BLAS thread at worst
MAX_M = 64  # integrated gradients' most steps
EXPLAINS = {
    "grad_input": "gradient × input: how much log p(target) would change if the word's input were scaled "
                  "(positive: the word pushed toward the target)",
    "integrated_gradients": "integrated gradients: gradient × input averaged from an empty input to the word's; "
                            "the scores add up to log p(target) minus its value with no input at all",
    "occlusion": "occlusion: how much log p(target) drops when the word is replaced by the unknown word",
    "connectivity": "connectivity: how strongly the target's score depends on the word's input (squared "
                    "gradient, never negative)",
}


class AttributionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model: str = Field(description=MODEL, examples=["lesson"])
    text: str = Field(description="The text, as for /api/trace. " + TEXT_LIMITS,
                      examples=["Last year, due to my current job situation and family conditions, I had"])
    step: int | None = Field(None, description="Step s, 0-based as in /api/trace: the prediction made after token "
                             "s is explained (default: the text's last token; 422 beyond it, with the range).",
                             json_schema_extra=checked(minimum=0))
    target: str | None = Field(None, description="The predicted token to explain, a token of the model's "
                               "vocabulary (default: the likeliest prediction after step s; 422 for a token the "
                               "vocabulary lacks).", examples=["had"])
    method: Literal[("auto", *attr.METHODS)] = Field(
        "grad_input", description="grad_input, integrated_gradients, occlusion or connectivity (docs/api.md); or "
        "auto: occlusion when the model has an unknown token and the step fits its budget, else integrated "
        "gradients when that fits, else grad_input (the answer's `method` says which, `auto` why).")
    m: int = Field(32, description=f"Integrated gradients' steps from the zero input, 1 to {MAX_M}.",
                   ge=1, le=MAX_M)
    salt: str | None = Field(None, pattern=SALT_PATTERN, description="As for /api/trace: the trace up to step s is "
                             "taken from, and kept in, the cache of this salt.")


class AttributionResponse(BaseModel):
    model: str
    version: str
    model_config = ConfigDict(extra="allow")


_networks: dict[tuple[str, str], attr.Network] = {}


def network_of(model: Model) -> attr.Network:
    """The model's float64 Network, made once per model version."""
    key = (model.id, model.version)
    if key not in _networks:
        _networks[key] = attr.network(model.spec, model.params)
    return _networks[key]


def largest_step(net: attr.Network, method: str, m: int) -> int:
    """The largest 0-based step whose attribution fits BUDGET_FLOPS (-1: none does)."""
    lo, hi = 0, 1
    while attr.cost(net, hi, method, m) <= BUDGET_FLOPS and hi < 1 << 20:
        hi *= 2
    while lo < hi:  # the largest T with cost ≤ budget
        mid = (lo + hi + 1) // 2
        lo, hi = (mid, hi) if attr.cost(net, mid, method, m) <= BUDGET_FLOPS else (lo, mid - 1)
    return lo - 1


def auto_method(model: Model, net: attr.Network, s: int, m: int) -> tuple[str, str]:
    """Method "auto" at step s: the most telling method whose cost fits — occlusion (exact: what the word's absence
    changes), then integrated gradients (complete: the scores add up), then gradient × input — and why, in words."""
    if model.tokenizer.unk_id is not None and s <= largest_step(net, "occlusion", m):
        return "occlusion", "occlusion: the exact effect of each word, within the budget at this step"
    lacks = ("the model has no unknown token for occlusion" if model.tokenizer.unk_id is None
             else f"occlusion of {s + 1} tokens is over the budget")
    if s <= largest_step(net, "integrated_gradients", m):
        return "integrated_gradients", f"integrated gradients: {lacks}"
    return "grad_input", f"gradient × input: {lacks}, and so is integrated gradients"


def attribution(models: dict[str, Model], settings: Settings, cache: TraceCache | None,
                req: AttributionRequest) -> dict:
    """The /api/attribution response body (NumPy arrays inside; serialise with orjson)."""
    model = get_model(models, req.model)
    why_not = attr.supported(model.spec, model.params)
    if why_not:
        raise InputError(f"model {model.id!r} cannot explain its predictions: {why_not}")
    if req.method == "occlusion" and model.tokenizer.unk_id is None:
        raise InputError(f"model {model.id!r} has no unknown token to replace words with: occlusion needs one; "
                         "use method grad_input, integrated_gradients or connectivity")
    net = network_of(model)
    result = run_trace(model, req.text, settings, steps=None if req.step is None else req.step + 1, cache=cache,
                       salt=req.salt)
    T = len(result.tokens)
    if T == 0:
        raise InputError("the text has no tokens: send a text with some")
    s = T - 1 if req.step is None else req.step
    if not 0 <= s < T:
        raise InputError(f"step {s} is out of range: the text has {T} tokens, so use 0 to {T - 1}")
    method, why_method = (req.method, None) if req.method != "auto" else auto_method(model, net, s, req.m)
    most = largest_step(net, method, req.m)
    if s > most:
        fewer = " (or fewer steps m)" if method == "integrated_gradients" else ""
        raise InputError(f"step {s} is too far into the text for {method} on model {model.id!r}: its cost "
                         f"grows with the step; choose a step from 0 to {most}{fewer}, or method grad_input")
    if req.target is None:
        target = int(top_k_arrays(model, result.trace, 1, start=s)[0][0, 0])
    elif (key := req.target.lower() if model.tokenizer.lowercase else req.target) in model.tokenizer.index:
        target = model.tokenizer.index[key]
    else:
        raise InputError(f"target {req.target!r} is not in the vocabulary of model {model.id!r}: choose one of its "
                         "tokens, e.g. a word from the predictions /api/trace lists")
    ids = result.ids[: s + 1]
    if method == "grad_input":
        out = attr.grad_input(net, ids, target)
    elif method == "connectivity":
        out = attr.connectivity(net, ids, target)
    elif method == "integrated_gradients":
        out = attr.integrated_gradients(net, ids, target, req.m)
    else:
        out = attr.occlusion(net, ids, target, model.tokenizer.unk_id)
    answer = {
        "model": model.id, "version": model.version, "cell": model.cell, "step": s, "num_steps": T,
        "method": method, "explains": EXPLAINS[method].replace("word", "character" if model.tokenizer.kind == "char"
                                                               else "word"),
        "target": {"token": model.tokenizer.vocab[target], "id": target}, "prob": out.prob,
        "value": out.value,
        "tokens": [{"text": t.text, "id": t.id, "start": t.start, "end": t.end} for t in result.tokens[: s + 1]],
        "scores": out.scores,
        "max_step": most,
    }
    if why_method:
        answer["auto"] = why_method
    if method == "integrated_gradients":
        answer.update(m=req.m, baseline=out.baseline, completeness_error=out.completeness_error)
    return answer
