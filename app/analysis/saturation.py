"""Gate saturation (Karpathy, Johnson & Fei-Fei 2015, "Visualizing and Understanding Recurrent Networks", fig. 3).

For each gate of a cell and each unit: the fraction of steps the gate is left-saturated (closed, value below
`threshold`, 0.1 by default) and the fraction it is right-saturated (open, above 1 − threshold, 0.9). A unit
whose forget gate is right-saturated on most steps keeps its memory almost whole, step after step (a long-term
unit); one left-saturated on most steps erases it at every step; a gate that is neither decides per token.

Which quantities are gates is the cell's own word (app/engine/cells.py): those whose panel has scale "gate",
the 0..1 recurrent activation (σ, or a hard σ that reaches 0 and 1 exactly): an LSTM's i, f, o, a GRU's r, z,
in the order the cell records them. The tanh candidates (an LSTM's g, a GRU's n) are not gates: they say what
could be written, not how much passes, and a vanilla RNN (no gate at all) has none to count.

Strict comparisons: a value v is left-saturated when v < threshold and right-saturated when v > 1 − threshold,
the stored float32 value compared, as float64, with the float64 thresholds (1 − threshold rounded to 12
decimals, so 0.59 and not 0.5900000000000001). A value of exactly 0.1 or 0.9 (as float32: 0.1000000015 and
0.8999999762) is neither. As threshold < 0.5, no value is both, so left + right ≤ 1 for every unit.

Shapes: T steps, H units. Pure functions over arrays; the callers trace (app/serving/saturation.py, and
`lstm-viz eval --saturation` in app/analysis/cli.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np

DEFAULT_THRESHOLD = 0.1
MIN_THRESHOLD, MAX_THRESHOLD = 0.01, 0.49
MOSTLY = 0.5  # a unit is "mostly" left- (right-) saturated when it is on more than this share of the steps


def gate_quantities(cell) -> tuple[str, ...]:
    """The quantities of `cell` (a CellSpec) that are 0..1 gates (panel scale "gate"), in recorded order."""
    return tuple(q for q in cell.quantities if cell.panels.get(q, {}).get("scale") == "gate")


def check_threshold(threshold: float) -> None:
    """ValueError, saying the range, unless MIN_THRESHOLD ≤ threshold ≤ MAX_THRESHOLD (NaN is refused too)."""
    if not MIN_THRESHOLD <= threshold <= MAX_THRESHOLD:
        raise ValueError(f"threshold {threshold} is out of range: use {MIN_THRESHOLD} to {MAX_THRESHOLD} (a gate "
                         f"is left-saturated below threshold and right-saturated above 1 − threshold)")


def right_threshold(threshold: float) -> float:
    """1 − threshold, rounded to 12 decimals (the number a reader means by it)."""
    return round(1.0 - threshold, 12)


def saturated(values: np.ndarray, threshold: float = DEFAULT_THRESHOLD) -> tuple[np.ndarray, np.ndarray]:
    """values (T, H) -> (left, right), bool (T, H) each: v < threshold, v > 1 − threshold (strict, in float64)."""
    check_threshold(threshold)
    v = np.asarray(values, dtype=np.float64)
    return v < threshold, v > right_threshold(threshold)


def counts(values: np.ndarray, threshold: float = DEFAULT_THRESHOLD) -> tuple[np.ndarray, np.ndarray]:
    """values (T, H) -> (left, right), int64 (H,) each: per unit, the steps left- and right-saturated."""
    left, right = saturated(values, threshold)
    return left.sum(axis=0, dtype=np.int64), right.sum(axis=0, dtype=np.int64)


@dataclass
class Tally:
    """Saturation counts of some gates summed over any number of traced texts (each from its own start).

    left[g], right[g]: int64 (H,) counts; steps: the steps counted (the same for every gate)."""

    gates: tuple[str, ...]
    hidden_size: int
    threshold: float = DEFAULT_THRESHOLD
    steps: int = 0
    texts: int = 0
    left: dict[str, np.ndarray] = field(default_factory=dict)
    right: dict[str, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        check_threshold(self.threshold)
        for g in self.gates:
            self.left.setdefault(g, np.zeros(self.hidden_size, np.int64))
            self.right.setdefault(g, np.zeros(self.hidden_size, np.int64))

    def add(self, layer, steps: int) -> None:
        """Count one text's layer trace of `steps` steps: layer[g] (steps, H) for every gate g (steps may be 0;
        a cell without gates counts only its steps)."""
        for g in self.gates:
            values = np.asarray(layer[g])
            if values.shape != (steps, self.hidden_size):
                raise ValueError(f"gate {g}: expected shape ({steps}, {self.hidden_size}), got {values.shape}")
            left, right = counts(values, self.threshold)
            self.left[g] += left
            self.right[g] += right
        self.steps += steps
        self.texts += 1

    def fractions(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """gate -> (left, right) float64 (H,): counts / steps. ValueError when no step was counted."""
        if self.steps == 0:
            raise ValueError("no steps were counted: the fractions of zero steps are undefined")
        return {g: (self.left[g] / self.steps, self.right[g] / self.steps) for g in self.gates}


def tally(layers: Iterable[tuple[object, int]], gates: tuple[str, ...], hidden_size: int,
          threshold: float = DEFAULT_THRESHOLD) -> Tally:
    """Counts over several texts: (layer, steps) pairs, each layer[g] (steps, H)."""
    out = Tally(gates, hidden_size, threshold)
    for layer, steps in layers:
        out.add(layer, steps)
    return out


def gate_summary(left: np.ndarray, right: np.ndarray, mostly: float = MOSTLY) -> dict:
    """left, right (H,) fractions -> {mostly_left, mostly_right, neither: unit counts (fraction > mostly; as
    left + right ≤ 1 and mostly ≥ 0.5, no unit is both), mean_left, mean_right: means over the units}."""
    left, right = np.asarray(left, np.float64), np.asarray(right, np.float64)
    n_left, n_right = int(np.sum(left > mostly)), int(np.sum(right > mostly))
    return {"mostly_left": n_left, "mostly_right": n_right, "neither": int(left.size - n_left - n_right),
            "mean_left": float(left.mean()) if left.size else 0.0,
            "mean_right": float(right.mean()) if right.size else 0.0}


def percent(n: int, of: int) -> str:
    return f"{round(100 * n / of)}%" if of else "0%"


def describe(gate: str, title: str, summary: dict, threshold: float = DEFAULT_THRESHOLD) -> str:
    """One sentence a page can show: "forget gate f: 26 of 64 units (41%) mostly open (above 0.9 on more than
    half the steps), 3 (5%) mostly closed (below 0.1), 35 (55%) neither"."""
    H = summary["mostly_left"] + summary["mostly_right"] + summary["neither"]
    return (f"{title} {gate}: {summary['mostly_right']} of {H} units ({percent(summary['mostly_right'], H)}) mostly "
            f"open (above {right_threshold(threshold):g} on more than half the steps), {summary['mostly_left']} "
            f"({percent(summary['mostly_left'], H)}) mostly closed (below {threshold:g}), {summary['neither']} "
            f"({percent(summary['neither'], H)}) neither")


def report(counted: Tally, titles: Mapping[str, str] | None = None, mostly: float = MOSTLY) -> dict:
    """gate -> {left, right: (H,) fractions, mostly_left, mostly_right, neither, mean_left, mean_right,
    summary: describe()'s sentence}, in the tally's gate order. ValueError when no step was counted."""
    titles = titles or {}
    out = {}
    for g, (left, right) in counted.fractions().items():
        summary = gate_summary(left, right, mostly)
        out[g] = {"left": left, "right": right, **summary,
                  "summary": describe(g, titles.get(g, "gate"), summary, counted.threshold)}
    return out
