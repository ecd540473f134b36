"""Request and response models: the contract between Python and the browser, documented at /docs.

The request models state every limit the server enforces that does not depend on a setting or a model
(docs/api.md "Limits"): as pydantic constraints where pydantic's own message says what to change, and as
schema keywords only (`checked`) where the handler refuses the value itself with a message that names the
range it needs (a step "out of range: the text has 19 tokens, so use 0 to 18"). Limits that are settings
(max_chars, max_tokens, max_top_k, max_body_bytes) are stated in the descriptions with their defaults, and
limits that depend on the model (its layers, units, its cell's quantities) in the descriptions too: the
schema is the same for every deployment, and a value past such a limit is answered 4xx with a reason.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from app.engine.cells import CELLS

SALT_PATTERN = "^[0-9a-f]{32}$"
MAX_WINDOW = 400  # the largest retention window any model may span (app/serving/retention.py max_window)

# Every quantity name some cell offers; which ones a model takes depends on its cell (422 otherwise).
_NAMES = "|".join(sorted({q for cell in CELLS.values() for q in cell.offered}, key=lambda q: (-len(q), q)))
QUANTITIES_PATTERN = rf"^[\s,]*(?:{_NAMES})(?:\s*,[\s,]*(?:{_NAMES}))*[\s,]*$"


def checked(**keywords):
    """JSON Schema keywords for a limit the handler enforces itself, with its own message (pydantic's would
    not say the range the model or the text allows): put on the field's non-null type in the schema."""

    def extra(schema: dict) -> None:
        target = next((s for s in schema.get("anyOf", ()) if s.get("type") != "null"), schema)
        target.update(keywords)

    return extra


MODEL = "Model id, as listed by GET /api/models; another is answered 404 with the ids there are."
TEXT_LIMITS = ("At most max_chars code points (default 10,000; 413 beyond) and max_tokens tokens of the model "
               "(default 2,000; 413 beyond); valid Unicode (a lone surrogate is refused, 422).")
SALT = ("The asker's salt: 32 random lowercase hex digits (128 bits) made once per browser tab or client and sent "
        "with every request. The server caches the traces a salt's requests compute only under that salt, and a "
        "request finds only its own salt's (a text sent in part, or a text that extends one of them, then "
        "computes only its new steps); without a salt nothing is read from the cache or written to it. "
        "Anyone who knows a salt can probe what its requests traced: keep it secret, pick it at random.")
LAYER = ("Layer k, 0-based: below the model's num_layers (GET /api/models); another is answered 422 with the "
         "range.")


class TraceRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model: str = Field(description=MODEL, examples=["untrained"])
    text: str = Field(description="The text to trace; tokenized by the model's tokenizer. With `offset`, only "
                      "the text from that code point on (the limits count `offset` too). " + TEXT_LIMITS,
                      examples=["Today, I need to take a loan."])
    top_k: int = Field(5, ge=0, description="Next-token predictions per step (0 for none); at most the setting "
                       "max_top_k (default 50; 422 beyond).")
    quantities: str | None = Field(
        None, description="Comma-separated subset of the model's quantities (GET /api/models lists them; default: "
        "what its cell records): an LSTM's i,f,g,o,c,h,kept,forgotten,written (default i,f,g,o,c,h); a GRU's "
        "r,z,n,h,kept,forgotten,written (default r,z,n,h); a vanilla RNN's h,a. At least one name; a name the "
        "model's cell lacks is refused (422, naming the cell that has it).",
        json_schema_extra=checked(pattern=QUANTITIES_PATTERN),
    )
    encoding: Literal["json", "f4", "u1"] = Field(
        "json",
        description="`json`: nested lists of numbers; `f4`: Plotly.js typed-array specs "
        "{dtype: 'f4', bdata: base64 little-endian float32, shape: 'T,H'}; `u1`: range-quantised uint8 specs "
        "{dtype: 'u1', bdata, shape, lo, hi}, value ≈ lo + q·(hi − lo)/255 (error ≤ (hi − lo)/510), for drawing. "
        "With `f4` and `u1` the predictions come as typed arrays too (exact: see the answer's `predictions`).",
    )
    since: int = Field(0, ge=0, description="Steps the asker already holds: with `prefix`, only steps from here "
                       "on are sent (see `start` in the answer).")
    prefix: str | None = Field(None, pattern="^[0-9a-f]{16}$",
                               description="Digest of the model version, the `salt` (none without one) and the "
                               "first `since` token ids (app/serving/digest.py); when it does not match this text, "
                               "everything is sent.")
    salt: str | None = Field(None, pattern=SALT_PATTERN, description=SALT)
    offset: int = Field(0, ge=0, description="With `since`, `prefix` and `salt`: `text` is only the text from this "
                        "code point on, where the last of the `since` held tokens ends (so offset ≥ since; 422 "
                        "otherwise, and when since or prefix is missing); those tokens are taken from the server's "
                        "cache of this salt (a keystroke then sends and costs the same at any length). 409 when this "
                        "server does not hold them under this salt (evicted, another worker's, or no salt): send the "
                        "whole text with offset 0.")
    layer: int | None = Field(None, ge=0, description="Only this layer (the others' entries are empty); below the "
                              "model's num_layers (422 otherwise).")
    unit: int | None = Field(None, ge=0, description="Only this unit: arrays of T rows of one number; below the "
                             "model's hidden_size (422 otherwise).")


class StepRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model: str = Field(description=MODEL, examples=["lesson"])
    text: str = Field(description="The text, as for /api/trace. " + TEXT_LIMITS,
                      examples=["Today, I need to take a loan."])
    step: int = Field(description="Step t, the 0-based token index: below the text's number of tokens (422 "
                      "otherwise, with the range), so below max_tokens (default 2,000).", examples=[3],
                      json_schema_extra=checked(minimum=0))
    layer: int = Field(0, description=LAYER, json_schema_extra=checked(minimum=0))
    salt: str | None = Field(None, pattern=SALT_PATTERN, description="As for /api/trace: the steps up to `step` "
                             "are taken from, and kept in, the cache of this salt.")


class RetentionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model: str = Field(description=MODEL, examples=["lesson"])
    text: str = Field(description="The text, as for /api/trace. " + TEXT_LIMITS,
                      examples=["Today, I need to take a loan."])
    step: int = Field(description="Step s, the 0-based token index whose memory is followed; not the last one "
                      "(below the text's number of tokens less one; 422 otherwise, with the range).", examples=[0],
                      json_schema_extra=checked(minimum=0))
    layer: int = Field(0, description=LAYER, json_schema_extra=checked(minimum=0))
    window: int | None = Field(None, description="Later steps to follow, t = s+1 .. s+window (default: all of "
                               "them up to the model's `max_window`, which a larger window is refused with; at most "
                               f"{MAX_WINDOW} for any model, and at most the later steps the text has).",
                               json_schema_extra=checked(minimum=1, maximum=MAX_WINDOW))
    encoding: Literal["json", "f4"] = Field(
        "json", description="`json`: nested lists of numbers; `f4`: kept and written as Plotly.js typed-array "
        "specs {dtype: 'f4', bdata, shape: 'W,H'}, as /api/trace's.")
    salt: str | None = Field(None, pattern=SALT_PATTERN, description="As for /api/trace: the steps up to s + window "
                             "are taken from, and kept in, the cache of this salt.")


class TokenOut(BaseModel):
    text: str = Field(description="The token as typed (original case).")
    id: int = Field(description="Vocabulary id (the unknown id for text outside the vocabulary).")
    start: int = Field(description="Code-point offset of the first character in the text.")
    end: int = Field(description="Code-point offset just past the last character.")


class Prediction(BaseModel):
    token: str
    prob: float = Field(description="Softmax probability of this next token.")


class TypedArray(BaseModel):
    dtype: Literal["i4", "f8"] = Field(description="`i4`: int32; `f8`: float64.")
    bdata: str = Field(description="Base64 of the values, little-endian, row after row.")
    shape: str = Field(description="'T,k': one row per step, the step's predictions likeliest first.")


class TypedPredictions(BaseModel):
    """The predictions of encodings `f4` and `u1`: the same tokens and probabilities as the per-step lists of
    `json`, as typed arrays (T·k objects cost more to write and parse than the numbers)."""

    k: int = Field(description="Predictions per step: top_k, or the vocabulary's size when that is smaller.")
    tokens: list[str] = Field(description="The distinct tokens predicted anywhere in the answer, by vocabulary id.")
    index: TypedArray = Field(description="`i4`, T × k: indices into `tokens`, each step's likeliest first.")
    prob: TypedArray = Field(description="`f8`, T × k: their softmax probabilities, the float64 numbers the `json` "
                             "encoding writes (bit for bit).")


class LayerOut(BaseModel):
    """Each quantity is T rows of H numbers (time-major), or a typed-array spec with encoding=f4. The keys are
    the requested quantities of the model's cell: those below for an LSTM, a vanilla RNN (h, a) or a GRU (r, z,
    n, h and the ledger kept = z⊙h_{t-1}, forgotten = (1−z)⊙h_{t-1}, written = (1−z)⊙n)."""

    model_config = ConfigDict(extra="allow")
    i: list[list[float]] | dict | None = Field(None, description="input gate σ(·): how much of g is written")
    f: list[list[float]] | dict | None = Field(None, description="forget gate σ(·): 1 keeps c_{t-1}, 0 erases it")
    g: list[list[float]] | dict | None = Field(None, description="candidate values tanh(·)")
    o: list[list[float]] | dict | None = Field(None, description="output gate σ(·): how much memory is exposed")
    c: list[list[float]] | dict | None = Field(None, description="cell state c_t = f⊙c_{t-1} + i⊙g")
    h: list[list[float]] | dict | None = Field(None, description="hidden state h_t = o⊙tanh(c_t); RNN: tanh(a_t)")
    a: list[list[float]] | dict | None = Field(
        None, description="vanilla RNN only: pre-activation a_t = W_ih·x_t + b_ih + W_hh·h_{t-1} + b_hh"
    )
    kept: list[list[float]] | dict | None = Field(None, description="ledger: f⊙c_{t-1} (only if requested)")
    forgotten: list[list[float]] | dict | None = Field(None, description="ledger: (1−f)⊙c_{t-1} (if requested)")
    written: list[list[float]] | dict | None = Field(None, description="ledger: i⊙g (only if requested)")


class TraceResponse(BaseModel):
    model: str
    version: str = Field(description="Digest of the weights and tokenizer; links carry it.")
    encoding: str
    num_tokens: int = Field(description="Tokens in the whole text.")
    start: int = Field(description="The first step sent: tokens, arrays and predictions begin here (0 unless "
                       "`since` and `prefix` matched).")
    tokens: list[TokenOut]
    layers: list[LayerOut] = Field(description="One entry per layer, bottom first.")
    predictions: list[list[Prediction]] | TypedPredictions | None = Field(
        description="Per step, the top_k likeliest next tokens with their probabilities: with encoding `json` a "
        "list per step of {token, prob}, likeliest first; with `f4` and `u1` the same as typed arrays {k, tokens, "
        "index, prob}: step t's j-th is tokens[index[t][j]] with probability prob[t][j]. Null when the model has no "
        "decoder."
    )


class GateParts(BaseModel):
    input: list[float] = Field(description="W_ih·x_t for this gate's H rows")
    recurrent: list[float] = Field(description="W_hh·h_{t-1}")
    bias: list[float] = Field(description="b_ih + b_hh")
    preactivation: list[float] = Field(description="input + recurrent + bias")
    value: list[float] = Field(description="the gate after its activation, as traced")


class StepResponse(BaseModel):
    model: str
    version: str
    model_config = ConfigDict(extra="allow")

    cell: str = Field(description="The model's cell (`lstm`, `gru`, `rnn`); its card options (recurrent_activation, "
                      "reset_after, nonlinearity) follow as keys.")
    step: int
    layer: int
    num_steps: int = Field(description="Tokens in the text.")
    num_layers: int
    recurrent_activation: str | None = Field(
        None, description="LSTM: σ of the i, f and o gates: `sigmoid`, `hard_sigmoid` (Keras 3) or "
        "`hard_sigmoid_keras2`."
    )
    nonlinearity: str | None = Field(None, description="vanilla RNN: `tanh`, h_t = tanh(a_t).")
    token: TokenOut
    h_prev: list[float]
    c_prev: list[float] | None = Field(None, description="LSTM only: each state s of the cell comes as s_prev and s.")
    gates: dict[str, GateParts] = Field(
        description="The cell's gates: LSTM i, f, g, o; GRU r, z, n (n's recurrent part is r ⊙ W_hn·h_{t-1}, its "
        "bias b_in + r ⊙ b_hn); vanilla RNN the one key h, its pre-activation a split the same way, h_t = tanh(a).")
    activations: dict[str, str] = Field(description="Each gate's activation: a recurrent activation or `tanh`.")
    c: list[float] | None = Field(None, description="LSTM only.")
    h: list[float]
    values: dict[str, list[float]] = Field(
        description="Further numbers the cell's step equations name (GET /api/models `cell_spec.equations`): "
        "the ledger kept, forgotten, written; the LSTM's tanh_c.")


class RetentionResponse(BaseModel):
    model: str
    version: str
    model_config = ConfigDict(extra="allow")

    cell: str = Field(description="The model's cell (`lstm`, `gru`, `rnn`); its card options follow as keys.")
    layer: int
    step: int = Field(description="Step s.")
    token: TokenOut = Field(description="The token at step s.")
    num_steps: int = Field(description="Tokens in the text.")
    window: int = Field(description="W: how many later steps are answered.")
    max_window: int = Field(description="The largest window for this model: clamp(floor(1e9 / cost), 20, 400) "
                            "with cost = 4·H³ (LSTM) or H³ (GRU, RNN) multiply-adds per later step.")
    encoding: str
    steps: list[int] = Field(description="t = s+1 .. s+W.")
    jacobian_norm: list[float | None] = Field(
        description="‖∂h_t/∂h_s‖_F per later step t: how strongly h_t still depends on h_s (null only past "
        "float64's range, with a `note`).")
    memory: str = Field(description="The cell's memory m: `c` for an LSTM, `h` for a GRU or a vanilla RNN.")
    memory_jacobian_norm: list[float | None] = Field(
        description="‖∂m_t/∂m_s‖_F per later step t: how strongly the memory at t still depends on the memory at "
        "s. LSTM: ‖∂c_t/∂c_s‖ with h_s held fixed (its direct path is diag(∏f)); GRU, RNN: equal to jacobian_norm.")
    kept: list[list[float]] | dict | None = Field(
        None, description="Cells with a keep gate, W rows of H: the share of m_s carried on directly to m_t, "
        "∏_{k=s+1..t} f_k (LSTM) or ∏ z_k (GRU). Absent for a vanilla RNN.")
    written: list[list[float]] | dict | None = Field(
        None, description="With kept: what step s wrote ((i_s ⊙ g_s) for an LSTM, (1 − z_s) ⊙ n_s for a GRU) times "
        "kept, as it survives in m_t.")
    note: str | None = None


class NotableUnit(BaseModel):
    layer: int
    unit: int
    carries: str = Field(description="What the unit's memory tracks, as the card's key (`tense`, `bracket_depth`).")
    weak: bool = Field(False, description="The card marks the unit weak: its partial correlation on text the "
                                          "model never saw is below 0.4.")


class ModelSummary(BaseModel):
    id: str
    title: str
    description: str
    cell: str = Field(description="The recurrent cell: `lstm`, `gru`, or `rnn` for a vanilla tanh RNN.")
    quantities: list[str] = Field(description="What /api/trace can return for this model (its `quantities`).")
    memory: str = Field(description="The quantity that carries what the cell remembers: `c` (LSTM) or `h`.")
    cell_spec: dict = Field(description="What the page needs to draw the cell without knowing its name: title, "
                            "article, description, quantities, memory, states, gates, activations, panels "
                            "({quantity: title, symbol, plain, scale}), views ([{id, label, panels}], default "
                            "first), equations and ledger (rows of segments: text, or {ref: a number's name in "
                            "/api/step's answer}), diagram.")
    tokenizer: str = Field(description="`char` or `word`.")
    num_layers: int
    hidden_size: int
    vocab_size: int
    unk_id: int | None = Field(description="Id of the unknown token (tokens outside the vocabulary), if any.")
    unk: str | None = Field(description="The unknown token's text, if any.")
    lowercase: bool = Field(description="Whether the tokenizer lower-cases text before looking tokens up.")
    has_decoder: bool
    version: str
    examples: list[str]
    notable_units: list[NotableUnit] = Field(
        default_factory=list, description="The units the model card names (what their memory carries), "
        "valid ones only, in the card's order: the page labels their heatmap rows and shows them first.")
    index: dict | None = Field(None, description="The model's state index for /api/search (`lstm-viz index MODEL`): "
                               "{tokens, documents, corpus, about, quantity, layers}; null when it has none.")


class ModelList(BaseModel):
    models: list[ModelSummary]


class ErrorOut(BaseModel):
    detail: str = Field(description="What went wrong and what to change.")


# ---- Live training jobs (POST /api/jobs; app/serving/jobs.py, docs/training_live.md) ----

def _bound(key: str) -> dict:
    from app.training.live import BOUNDS

    low, high = BOUNDS[key]
    return {"ge": low, "le": high}


class JobRequest(BaseModel):
    """A live training job. Every value is bounded (app/training/live.py BOUNDS); a value out of bounds is answered
    422 saying what to change."""

    model_config = ConfigDict(extra="forbid")

    task: Literal["tense", "brackets", "lesson"] = Field(
        "tense", description="`tense`: a time cue, filler words, then need/had after \"I\"; `brackets`: count 1-4 "
        "brackets across filler letters; `lesson`: a slice of the lesson corpus (tense and cuisine).")
    cell: Literal[tuple(CELLS)] = Field("lstm", description="The recurrent cell: " + ", ".join(CELLS) + ".")
    hidden_size: int = Field(16, **_bound("hidden_size"), description="H, units of the one layer (2-64).")
    embedding_size: int = Field(16, **_bound("embedding_size"), description="E, the word embedding's size (2-64).")
    distance_min: int | None = Field(None, **_bound("distance_min"), description="Fewest filler words between cue "
                                     "and prediction (0-60; default: the task's, tense 0, brackets 10, lesson 0).")
    distance_max: int | None = Field(None, **_bound("distance_max"), description="Most filler words between cue and "
                                     "prediction (0-60, at least distance_min; default: the task's, tense 30, "
                                     "brackets 10, lesson 20). The probe sentence has this many.")
    learning_rate: float = Field(0.01, **_bound("learning_rate"), description="Adam's learning rate (0.00001-0.1).")
    steps: int = Field(2000, **_bound("steps"), description="Optimiser steps (1-20,000).")
    batch_size: int = Field(32, **_bound("batch_size"), description="Documents per step (1-128).")
    seed: int = Field(0, **_bound("seed"), description="Seed of the initial weights and the batches: the same "
                      "request gives the same weights on one machine.")
    progress_every: int = Field(100, **_bound("progress_every"), description="Steps between progress events; at "
                                "most 200 per job (so at least steps / 200).")
    snapshot_every: int = Field(500, **_bound("snapshot_every"), description="Steps between snapshots of the probe's "
                                "gates; at most 20 per job (so at least steps / 20).")

    @model_validator(mode="after")
    def _bounds(self) -> JobRequest:
        from app.training.live import LiveConfig, problems
        from app.training.tasks import TASKS

        low, high = TASKS[self.task].default_distance
        if self.distance_min is None:
            self.distance_min = min(low, self.distance_max if self.distance_max is not None else low)
        if self.distance_max is None:
            self.distance_max = max(high, self.distance_min)
        found = problems(LiveConfig(**self.model_dump()))
        if found:
            raise ValueError("; ".join(found))
        return self


class JobStatus(BaseModel):
    id: str = Field(description="The job's id: 12 hex digits. Whoever knows it may watch, stop, resume or delete it.")
    status: Literal["queued", "running", "stopped", "finished", "cancelled", "failed"]
    position: int = Field(description="Place in the queue, 1 next; 0 when not queued.")
    step: int = Field(description="The last step reported.")
    steps: int
    model: str | None = Field(description="A finished job's model id (`job-` and 12 hex digits, not the job's id), "
                              "traced like any other until it expires.")
    expires_in_s: float | None = Field(description="Seconds until the job (and its model) are forgotten; null while "
                                       "it is queued or running.")
    last_event_id: int = Field(description="The id of its last event (GET /api/jobs/{id}/events).")
    detail: str = Field(description="Why it was cancelled or failed; empty otherwise.")
    config: dict = Field(description="The request, defaults filled in.")


class JobsSummary(BaseModel):
    slots: int = Field(description="Jobs that run at once per worker (setting job_slots).")
    running: int
    waiting: int
    queue_limit: int = Field(description="Jobs that may wait (setting job_queue); more are answered 503.")
    kept: int
    kept_limit: int = Field(description="Jobs kept per worker (setting job_max).")
