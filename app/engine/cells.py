"""The recurrent cells a model can be, by the name its card gives (`cell`): `lstm` (app.engine.lstm) and `rnn`
(app.engine.rnn). Both engines share one interface, so callers run either through `forward` here."""

from __future__ import annotations

import numpy as np

from app.engine import lstm, rnn

CELLS = ("lstm", "rnn", "gru")
MEMORY = {"lstm": "c", "rnn": "h"}  # the quantity that carries what a cell remembers


def forward(
    compiled: lstm.Compiled | rnn.Compiled, ids: np.ndarray, initial: lstm.State | rnn.State | None = None
) -> lstm.Trace:
    """Run the engine the compiled tables belong to; see app.engine.lstm.forward and app.engine.rnn.forward."""
    if isinstance(compiled, rnn.Compiled):
        return rnn.forward(compiled, ids, initial)
    return lstm.forward(compiled, ids, initial)
