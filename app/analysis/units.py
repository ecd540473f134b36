"""Find the units that carry something: correlations of a unit's memory (c; h for a vanilla RNN, whose only
memory it is: the cell's `memory` in app.engine.cells) with a property of the text.

- `correlated_units`: Pearson correlation of each unit's c with a signal over a text (inside a string,
  bracket depth, indentation, position in the line), as in Karpathy, Johnson & Fei-Fei (2015).
- `partial_correlations`: the same after regressing the confounds out of both (a unit that follows the
  position in the line is not a bracket unit because brackets open late in lines); `best_units` names a
  unit for a property only by this figure on text the model never saw, and marks it weak below WEAK.
"""

from __future__ import annotations

import numpy as np

from app.analysis.evaluate import trace_text
from app.model_store import Model


def correlated_units(model: Model, text: str, signal: np.ndarray, layer: int = -1, top: int = 3) -> list[dict]:
    """Units whose c correlates best (by |r|) with signal (T,) over the text's tokens."""
    _, trace = trace_text(model, text)
    c = trace.layers[layer][model.spec.memory]  # (T, H): c for an LSTM, h for a GRU or a vanilla RNN
    r = pearson(c, signal)
    order = np.argsort(-np.abs(r), kind="stable")[:top]
    k = layer % model.params.num_layers
    return [{"layer": int(k), "unit": int(u), "correlation": round(float(r[u]), 4)} for u in order]


WEAK = 0.4  # |partial r| below this: the unit is listed as weak


def partial_correlations(x: np.ndarray, signal: np.ndarray, confounds: np.ndarray) -> np.ndarray:
    """Partial Pearson r of every column of x (N, H) with signal (N,), controlling for confounds (N, K):
    both are replaced by their residuals after a least-squares fit on [1, confounds]. Returns (H,);
    0 where a residual is constant."""
    design = np.column_stack([np.ones(len(signal)), confounds.astype(np.float64)])
    coef_s = np.linalg.lstsq(design, signal.astype(np.float64), rcond=None)[0]
    coef_x = np.linalg.lstsq(design, x.astype(np.float64), rcond=None)[0]
    rs = signal - design @ coef_s
    rx = x - design @ coef_x
    denom = np.sqrt((rx**2).sum(axis=0) * (rs**2).sum())
    return np.divide(rx.T @ rs, denom, out=np.zeros(x.shape[1]), where=denom > 1e-12)


def pearson(x: np.ndarray, signal: np.ndarray) -> np.ndarray:
    """Pearson r of every column of x (N, H) with signal (N,): the partial correlation given nothing."""
    return partial_correlations(x, signal, np.zeros((len(signal), 0)))


def best_units(r: np.ndarray, top: int = 2) -> list[tuple[int, float, bool]]:
    """(unit, partial r, weak) for the `top` units of largest |r|, best first."""
    order = np.argsort(-np.abs(r), kind="stable")[:top]
    return [(int(u), round(float(r[u]), 4), bool(abs(r[u]) < WEAK)) for u in order]


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
