"""Find the units that carry something: minimal pairs for the lesson model, correlations for char models.

- `minimal_pair_units`: texts a and b differ only in a cue near the start and share their ending; over
  the shared ending, Δc = c(a) − c(b) per unit. A unit that carries the cue has a large mean Δc of the same
  sign at nearly every position of every pair ("stable across the clause"). A vanilla RNN has no c: its
  memory is h, so Δh is measured instead (`app.cells.MEMORY`).
- `correlated_units`: Pearson correlation of each unit's c with a signal over a text (inside a string,
  bracket depth, indentation, position in the line), as in Karpathy, Johnson & Fei-Fei (2015).
"""

from __future__ import annotations

import numpy as np

from app.cells import MEMORY
from app.evaluate import trace_text
from app.model_store import Model


def minimal_pair_units(model: Model, pairs: list[tuple[str, str, int]], layer: int = -1, top: int = 3) -> list[dict]:
    """pairs: (text_a, text_b, n) where the last n tokens of both are the shared stretch to compare.
    Returns the top units by |mean Δc| with the sign consistency of Δc over all pairs and positions
    (Δh and `mean_delta_h` for a vanilla RNN)."""
    q = MEMORY[model.cell]
    deltas = []
    for text_a, text_b, n in pairs:
        _, ta = trace_text(model, text_a)
        _, tb = trace_text(model, text_b)
        if n == 0:
            continue
        deltas.append(ta.layers[layer][q][-n:] - tb.layers[layer][q][-n:])  # (n, H)
    stacked = np.concatenate(deltas)  # (positions over all pairs, H)
    mean = stacked.mean(axis=0)
    consistency = (np.sign(stacked) == np.sign(mean)).mean(axis=0)
    order = np.argsort(-np.abs(mean) * consistency, kind="stable")[:top]
    k = layer % model.params.num_layers
    return [{"layer": int(k), "unit": int(u), f"mean_delta_{q}": round(float(mean[u]), 4),
             "sign_consistency": round(float(consistency[u]), 4), "positions": int(len(stacked))} for u in order]


def correlated_units(model: Model, text: str, signal: np.ndarray, layer: int = -1, top: int = 3) -> list[dict]:
    """Units whose c correlates best (by |r|) with signal (T,) over the text's tokens."""
    _, trace = trace_text(model, text)
    c = trace.layers[layer][MEMORY[model.cell]].astype(np.float64)  # (T, H): c, or h for a vanilla RNN
    s = signal.astype(np.float64) - signal.mean()
    c = c - c.mean(axis=0)
    denom = np.sqrt((c**2).sum(axis=0) * (s**2).sum())
    r = np.divide(c.T @ s, denom, out=np.zeros(c.shape[1]), where=denom > 0)
    order = np.argsort(-np.abs(r), kind="stable")[:top]
    k = layer % model.params.num_layers
    return [{"layer": int(k), "unit": int(u), "correlation": round(float(r[u]), 4)} for u in order]


def code_signals(text: str) -> dict[str, np.ndarray]:
    """Per character of Python source: inside a string literal (quotes included), bracket depth, the
    line's indentation, and position in the line. A small scanner: ' " \'\'\' \"\"\"  and escapes; # comments."""
    n = len(text)
    in_string, depth = np.zeros(n), np.zeros(n)
    indent, column = np.zeros(n), np.zeros(n)
    at = 0
    for line in text.splitlines(keepends=True):
        indent[at : at + len(line)] = len(line) - len(line.lstrip(" "))
        column[at : at + len(line)] = np.arange(len(line))
        at += len(line)
    quote: str | None = None
    comment = False
    level = 0
    i = 0
    while i < n:
        ch = text[i]
        width = 1
        if quote is not None:
            if ch == "\\":
                width = 2
            elif text.startswith(quote, i):
                width, quote = len(quote), None
            in_string[i : i + width] = 1
        elif comment:
            comment = ch != "\n"
        elif ch == "#":
            comment = True
        elif ch in "'\"":
            quote = ch * 3 if text.startswith(ch * 3, i) else ch
            width = len(quote)
            in_string[i : i + width] = 1
        elif ch in "([{":
            level += 1
        elif ch in ")]}":
            level = max(level - 1, 0)
        depth[i : i + width] = level
        i += width
    return {"inside_string": in_string, "bracket_depth": depth, "indentation": indent, "line_position": column}


def line_position(text: str) -> np.ndarray:
    """Characters since the last newline, per character."""
    out = np.zeros(len(text))
    col = 0
    for i, ch in enumerate(text):
        out[i] = col
        col = 0 if ch == "\n" else col + 1
    return out
