"""What a converter hands to the writer: weights in the app's layout and where each came from."""

from __future__ import annotations

from dataclasses import dataclass, field

from app.engine.lstm import StackedParams


@dataclass(frozen=True)
class Imported:
    """params: PyTorch-layout weights of any cell, its own StackedParams subclass with its options (LSTMParams,
    GRUParams, RNNParams; vocab_size = the model's V); layout: one line on the source's
    format; sources: the app's tensor name -> the source's name(s); notes: what the person should know."""

    params: StackedParams
    framework: str  # "pytorch" or "keras"
    layout: str
    sources: dict[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    extra: dict = field(default_factory=dict)  # framework facts for the card (prefix, keras_version, ...)
