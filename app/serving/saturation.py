"""Text + model -> /api/saturation's answer: how often each unit's gates are shut or wide open over a text.

For each gate g of one layer (the quantities the cell's spec draws on the 0..1 "gate" scale: an LSTM's i, f,
o; a GRU's r, z) and each unit: left[u] = the fraction of the text's steps with g < threshold (closed),
right[u] = the fraction with g > 1 − threshold (open), strictly (app/analysis/saturation.py). A vanilla RNN
has no gate: its answer is 200 with `gates` empty and a `note` saying so (the text is still checked and
tokenized, so `num_steps` is its tokens).

Cost: one trace of the text (bounded by max_chars and max_tokens, as /api/trace), then a comparison per
value; the answer is 2·gates·H numbers whatever the text's length.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from app.analysis.saturation import (
    DEFAULT_THRESHOLD,
    MAX_THRESHOLD,
    MIN_THRESHOLD,
    MOSTLY,
    Tally,
    check_threshold,
    gate_quantities,
    report,
    right_threshold,
)
from app.model_store import Model
from app.serving.config import Settings
from app.serving.schemas import LAYER, MODEL, SALT_PATTERN, TEXT_LIMITS, checked
from app.serving.service import InputError, get_model, run_trace, tokens_of
from app.serving.trace_cache import TraceCache


class SaturationRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model: str = Field(description=MODEL, examples=["lesson"])
    text: str = Field(description="The text, as for /api/trace; at least one token (422 otherwise). " + TEXT_LIMITS,
                      examples=["Today, due to my current job situation and family conditions, I need to take a "
                                "loan."])
    layer: int = Field(0, description=LAYER, json_schema_extra=checked(minimum=0))
    threshold: float = Field(
        DEFAULT_THRESHOLD, description=f"A gate value below `threshold` is left-saturated (closed), above "
        f"1 − threshold right-saturated (open); strictly: exactly 0.1 or 0.9 is neither. {MIN_THRESHOLD} to "
        f"{MAX_THRESHOLD} (422 otherwise).", json_schema_extra=checked(minimum=MIN_THRESHOLD, maximum=MAX_THRESHOLD))
    salt: str | None = Field(None, pattern=SALT_PATTERN, description="As for /api/trace: the text's steps are taken "
                             "from, and kept in, the cache of this salt.")


class Thresholds(BaseModel):
    left: float = Field(description="Left-saturated: a gate value strictly below this (the request's threshold).")
    right: float = Field(description="Right-saturated: strictly above this (1 − threshold).")


class GateSaturation(BaseModel):
    title: str = Field(description="The gate's name on the page (`forget gate`).")
    symbol: str
    left: list[float] = Field(description="Per unit (H): the fraction of the steps with the gate below "
                              "thresholds.left (closed: nothing passes).")
    right: list[float] = Field(description="Per unit (H): the fraction of the steps with the gate above "
                               "thresholds.right (open: everything passes). left + right ≤ 1.")
    mostly_left: int = Field(description="Units left-saturated on more than `mostly` of the steps.")
    mostly_right: int = Field(description="Units right-saturated on more than `mostly` of the steps.")
    neither: int = Field(description="The other units: H − mostly_left − mostly_right.")
    mean_left: float = Field(description="The mean of `left` over the units.")
    mean_right: float = Field(description="The mean of `right` over the units.")
    summary: str = Field(description="The counts in words, e.g. \"forget gate f: 26 of 64 units (41%) mostly open "
                         "(above 0.9 on more than half the steps), 3 (5%) mostly closed (below 0.1), 35 (55%) "
                         "neither\".")


class SaturationResponse(BaseModel):
    model_config = ConfigDict(extra="allow")

    model: str
    version: str
    cell: str = Field(description="The model's cell (`lstm`, `gru`, `rnn`); its card options (recurrent_activation, "
                      "reset_after, nonlinearity) follow as keys.")
    layer: int
    num_steps: int = Field(description="Tokens in the text: the steps every fraction is over.")
    hidden_size: int = Field(description="H: the length of every `left` and `right`.")
    threshold: float = Field(description="The request's threshold.")
    thresholds: Thresholds
    mostly: float = Field(description="A unit is mostly left- (right-) saturated when its fraction is above this.")
    gates: dict[str, GateSaturation] = Field(
        description="Per gate, in the order the cell records them: the quantities its cell spec draws on the 0..1 "
        "gate scale (GET /api/models `cell_spec.panels`, scale `gate`): LSTM i, f, o; GRU r, z. The tanh candidates "
        "(g, n) are not gates. Empty for a cell without gates (a vanilla RNN), with a `note`.")
    note: str | None = Field(None, description="Present when `gates` is empty: why.")


def check_request(model: Model, req: SaturationRequest) -> None:
    """Refuse what can be refused before tracing: the layer and the threshold."""
    L = model.params.num_layers
    if not 0 <= req.layer < L:
        raise InputError(f"layer {req.layer} is out of range: model {model.id!r} has layers 0 to {L - 1}")
    try:
        check_threshold(req.threshold)
    except ValueError as e:
        raise InputError(str(e)) from None


def saturation(models: dict[str, Model], settings: Settings, cache: TraceCache | None,
               req: SaturationRequest) -> dict:
    """The /api/saturation response body (NumPy arrays inside; serialise with orjson)."""
    model = get_model(models, req.model)
    check_request(model, req)
    cell, H = model.spec, model.params.hidden_size
    gates = gate_quantities(cell)
    if gates:
        result = run_trace(model, req.text, settings, cache=cache, salt=req.salt)
        T = len(result.tokens)
    else:  # nothing to count: the text is checked and tokenized, not traced
        T = len(tokens_of(model, req.text, settings)[0])
    if T == 0:
        raise InputError("the text has no tokens: send a text with some (the fractions are of its steps)")
    out = {
        "model": model.id,
        "version": model.version,
        "cell": cell.name,
        **cell.options_of(model.params),
        "layer": req.layer,
        "num_steps": T,
        "hidden_size": H,
        "threshold": req.threshold,
        "thresholds": {"left": req.threshold, "right": right_threshold(req.threshold)},
        "mostly": MOSTLY,
        "gates": {},
    }
    if not gates:
        out["note"] = (f"{model.id!r} is {cell.article}, which has no gates (no quantity on the 0..1 gate scale): "
                       "there is nothing to saturate")
        return out
    counted = Tally(gates, H, req.threshold)
    counted.add(result.trace.layers[req.layer], T)
    titles = {g: cell.panels[g]["title"] for g in gates}
    out["gates"] = {g: {"title": titles[g], "symbol": cell.panels[g].get("symbol", g), **entry}
                    for g, entry in report(counted, titles).items()}
    return out
