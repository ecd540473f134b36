"""Text + model + step s -> /api/retention's answer: what a layer held at s, and how long it lasts.

For every later step t = s+1 .. s+W of one layer (each cell's maths is its own module's, app/engine/*.py,
`jacobian_norms` and `keep`):

    jacobian_norm[n]         ‖∂h_t/∂h_s‖_F                   every cell: how strongly h_t still depends on h_s
    memory_jacobian_norm[n]  ‖∂m_t/∂m_s‖_F, m = `memory`     the same for the memory: c for an LSTM (h_s
                                                             held fixed), h for a GRU or a vanilla RNN
    kept[n]                  the share of m_s carried on directly, per unit (W, H): ∏ f for an LSTM, ∏ z for
                             a GRU; a vanilla RNN has no such gate and no `kept`
    written[n]               what step s wrote, as it survives that way (W, H)

Why both norms: an LSTM's h is a gated read-out of its memory c, so its ‖∂h_t/∂h_s‖ can fade as fast
as an RNN's; the lecture's claim is about the memory, and that is what the page draws first.

The window W. Gate products cost next to nothing; the Jacobians cost per later step about
jacobian_cost·H³ multiply-adds (4 for an LSTM, both norms at once; 1 for a GRU or an RNN). A request may
spend about BUDGET_FLOPS, so the largest window is

    max_window = clamp(floor(BUDGET_FLOPS / cost_per_step), MIN_WINDOW, MAX_WINDOW)

(H = 64 LSTM or GRU, H = 100 RNN: 400; H = 128 LSTM: 119; H ≥ 256 LSTM: 20). Without `window`, W is every
later step up to max_window; a larger `window` is refused with the maximum. Only the steps up to s + W
are traced (the cell is causal: their bits equal a whole trace's).
"""

from __future__ import annotations

import math

import numpy as np

from app.model_store import Model
from app.serving.config import Settings
from app.serving.schemas import MAX_WINDOW, RetentionRequest
from app.serving.service import InputError, encode_array, get_model, run_trace
from app.serving.trace_cache import TraceCache

BUDGET_FLOPS = 1e9  # about a second of one BLAS thread on these machines, at worst
MIN_WINDOW = 20  # and MAX_WINDOW, 400, which the request schema states (app/serving/schemas.py)


def cost_per_step(model: Model) -> int:
    """Multiply-adds of one later step of the Jacobians: the cell's jacobian_cost · H³."""
    return model.spec.jacobian_cost * model.params.hidden_size**3


def max_window(model: Model) -> int:
    """The largest window this model's Jacobian may span (see the module docstring)."""
    return min(max(math.floor(BUDGET_FLOPS / cost_per_step(model)), MIN_WINDOW), MAX_WINDOW)


def check_request(model: Model, req: RetentionRequest) -> int:
    """Refuse what can be refused before tracing (layer, window); the number of steps to trace."""
    L, cap = model.params.num_layers, max_window(model)
    if not 0 <= req.layer < L:
        raise InputError(f"layer {req.layer} is out of range: model {model.id!r} has layers 0 to {L - 1}")
    if req.window is not None and not 1 <= req.window <= cap:
        raise InputError(f"window {req.window} is out of range: for model {model.id!r} (H = "
                         f"{model.params.hidden_size}) the window is 1 to {cap} later steps (max_window = {cap})")
    return max(req.step, 0) + 1 + (req.window or cap)


def check_step(model: Model, T: int, step: int, window: int | None) -> int:
    """Refuse a step without later steps; the window W to use."""
    if T == 0:
        raise InputError(f"step {step} is out of range: the text has no tokens; send a text with some")
    if not 0 <= step < T:
        raise InputError(f"step {step} is out of range: the text has {T} tokens, so use 0 to {T - 1}")
    if step == T - 1:
        raise InputError(f"step {step} is the text's last token: nothing comes after it to remember it; "
                         f"choose a step from 0 to {T - 2}" if T > 1 else
                         "step 0 is the text's only token: nothing comes after it; send a longer text")
    later = T - 1 - step
    if window is not None and window > later:
        raise InputError(f"window {window} is too large: after step {step} the text has {later} later "
                         f"step{'s' if later != 1 else ''}; use a window of 1 to {later} or leave it out")
    return window or min(later, max_window(model))


def retention(models: dict[str, Model], settings: Settings, cache: TraceCache | None,
              req: RetentionRequest) -> dict:
    """The /api/retention response body (NumPy arrays inside; serialise with orjson)."""
    model = get_model(models, req.model)
    steps = check_request(model, req)
    result = run_trace(model, req.text, settings, steps=steps, cache=cache, salt=req.salt)
    s, k = req.step, req.layer
    W = check_step(model, len(result.tokens), s, req.window)
    layer = result.trace.layers[k]
    tok = result.tokens[s]
    out = {
        "model": model.id,
        "version": model.version,
        "cell": model.cell,
        "layer": k,
        "step": s,
        "token": {"text": tok.text, "id": tok.id, "start": tok.start, "end": tok.end},
        "num_steps": len(result.tokens),
        "window": W,
        "max_window": max_window(model),
        "encoding": req.encoding,
        "steps": list(range(s + 1, s + 1 + W)),
    }
    cell = model.spec
    norms, memory_norms = cell.jacobian_norms(model.params, result.trace, k, s, W)
    out.update(cell.options_of(model.params))
    if cell.keep is not None:
        out.update({name: encode_array(a, req.encoding) for name, a in cell.keep(layer, s, W).items()})
    out["memory"] = cell.memory
    out["jacobian_norm"] = finite_list(norms)
    out["memory_jacobian_norm"] = finite_list(memory_norms)
    if None in out["jacobian_norm"] or None in out["memory_jacobian_norm"]:
        out["note"] = "a Jacobian norm passed float64's range: its entries from there on are null"
    return out


def finite_list(norms: np.ndarray) -> list[float | None]:
    """Norms as floats; one past float64's range (a Jacobian that explodes over hundreds of steps) as null,
    which the answer's `note` then says."""
    return [float(x) if np.isfinite(x) else None for x in norms]
