"""The visualizer's numbers in a notebook: load a model, trace a text, draw or save what the page shows.

    from app.notebook import load_model

    model = load_model("lesson")                  # a bundled id, an id in $LSTM_VIZ_MODELS_DIR,
                                                  # or a path to NAME.safetensors (beside NAME.json)
    trace = model.trace("Last year, I had to take a loan.")
    trace.tokens[0]                                # {"text": "Last", "id": ..., "start": 0, "end": 4}
    trace.layers[0]["f"]                           # (T, H) NumPy array: the forget gate at every token
    trace.predictions[-1]                          # [{"token": ..., "prob": ...}, ...] after the last token
    trace.figure("c", layer=0)                     # a Plotly heatmap: tokens across, units down
    trace.to_json(), trace.to_csv()                # as GET /api/trace and `lstm-viz trace --format csv`

The record is the API's, built by app/serving/service.py's own functions, with every quantity of the notation
(i, f, g, o, c, h and the memory ledger kept, forgotten, written) unless `quantities` says fewer.
Gates are drawn on a 0..1 scale; signed quantities (g, c, h and the ledger) on a diverging scale
centred on 0. Plotly is imported only when a figure is asked for.
"""

from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from app.engine.cells import CellSpec
from app.model_store import Model, ModelError
from app.model_store import load_model as _load_model_file
from app.resources import resource_dir
from app.serving.config import Settings
from app.serving.service import parse_quantities, run_trace, trace_payload

# A notebook has no request to protect: texts as long as a book are fine.
NOTEBOOK_SETTINGS = Settings(max_chars=10_000_000, max_tokens=10_000_000, models_dir=None)


@dataclass(frozen=True)
class NotebookTrace:
    """One traced text: `record` is the API's response body (arrays as (T, H) NumPy arrays)."""

    record: dict
    hidden_size: int = field(repr=False)
    cell: CellSpec = field(repr=False)  # whose panels name and scale each quantity

    @property
    def tokens(self) -> list[dict]:
        return self.record["tokens"]

    @property
    def layers(self) -> list[dict[str, np.ndarray]]:
        return self.record["layers"]

    @property
    def predictions(self) -> list[list[dict]] | None:
        """Per step, the likeliest next tokens; None when the model has no decoder."""
        return self.record["predictions"]

    def __repr__(self) -> str:
        quantities = ", ".join(self.layers[0]) if self.layers else ""
        return (f"<NotebookTrace of {self.record['model']}: {len(self.tokens)} tokens, {len(self.layers)} layer(s) of "
                f"{self.hidden_size} units; {quantities}>")

    def figure(self, quantity: str, layer: int = 0):
        """A plotly.graph_objects.Figure heatmap of one quantity of one layer: tokens on x, units on y."""
        import plotly.graph_objects as go

        if not 0 <= layer < len(self.layers):
            raise ValueError(f"layer {layer} is out of range: this model has layers 0 to {len(self.layers) - 1}")
        if quantity not in self.layers[layer]:
            raise ValueError(f"{quantity!r} is not in this trace; it holds {', '.join(self.layers[layer])}")
        z = self.layers[layer][quantity].T  # (H, T): units down, tokens across
        T, H = z.shape[1], z.shape[0]
        panel = self.cell.panels[quantity]
        if panel["scale"] == "gate":
            scale = {"colorscale": "Viridis", "zmin": 0.0, "zmax": 1.0}
        else:  # tanh's on −1..1; signed quantities (c, the ledger) on their own largest magnitude
            limit = 1.0 if panel["scale"] == "tanh" else float(np.abs(z).max(initial=0.0)) or 1.0
            scale = {"colorscale": "RdBu", "reversescale": True, "zmin": -limit, "zmax": limit, "zmid": 0.0}
        # Tokens repeat ("the" twice), so the x axis is the step number, labelled with the token.
        labels = [tok["text"].replace("\n", "↵") or "∅" for tok in self.tokens]
        fig = go.Figure(go.Heatmap(
            z=z, x=list(range(T)), y=list(range(H)), customdata=np.array([labels] * H, dtype=object),
            hovertemplate="token %{x} “%{customdata}”<br>unit %{y}<br>%{z:.4f}<extra></extra>",
            colorbar={"title": {"text": quantity}}, **scale,
        ))
        fig.update_layout(
            title=f"{self.record['model']} · layer {layer} · {panel['title']} {panel['symbol']} — {panel['plain']}",
            xaxis={"title": "token", "tickmode": "array", "tickvals": list(range(T)), "ticktext": labels},
            yaxis={"title": "unit", "autorange": "reversed"},
        )
        return fig

    def to_json(self) -> str:
        """The record as JSON text, numbers at full float32 precision (as GET /api/trace sends them)."""
        import orjson

        return orjson.dumps(self.record, option=orjson.OPT_SERIALIZE_NUMPY).decode("utf-8")

    def to_csv(self) -> str:
        """One row per (layer, step, unit), one column per quantity (as `lstm-viz trace --format csv`)."""
        out = io.StringIO()
        names = list(self.layers[0]) if self.layers else []
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["layer", "step", "token", "unit", *names])
        for k, arrays in enumerate(self.layers):
            for t, tok in enumerate(self.tokens):
                for u in range(self.hidden_size):
                    writer.writerow([k, t, tok["text"], u, *(str(arrays[q][t, u]) for q in names)])
        return out.getvalue()


@dataclass(frozen=True)
class NotebookModel:
    """A loaded model: `card` is its model card, `params` its weights; trace() runs it over a text."""

    model: Model

    @property
    def id(self) -> str:
        return self.model.id

    @property
    def card(self) -> dict:
        return self.model.card

    @property
    def params(self):
        return self.model.params

    @property
    def version(self) -> str:
        return self.model.version

    def __repr__(self) -> str:
        p = self.model.params
        return (f"<NotebookModel {self.id} ({self.model.tokenizer.kind}): {p.num_layers} layer(s) of {p.hidden_size} "
                f"units, V = {p.vocab_size}, {'decoder' if p.W_dec is not None else 'no decoder'}>")

    def trace(self, text: str, top_k: int = 5, quantities: str | tuple[str, ...] | None = None) -> NotebookTrace:
        """Run the model over `text` from the zero state. quantities: names (or "c,h") of the model's cell,
        by default all it offers (an LSTM's nine: i, f, g, o, c, h and the ledger kept, forgotten, written)."""
        cell = self.model.spec
        if quantities is None:
            quantities = cell.offered
        elif isinstance(quantities, str):
            quantities = parse_quantities(quantities, self.model)
        result = run_trace(self.model, text, NOTEBOOK_SETTINGS)
        return NotebookTrace(trace_payload(result, top_k, tuple(quantities), "json"), self.model.params.hidden_size,
                             cell)


def _candidates(name: str, models_dir: Path | None) -> list[Path]:
    folders = [resource_dir("models")]
    for folder in (models_dir, os.environ.get("LSTM_VIZ_MODELS_DIR")):
        if folder:
            folders.append(Path(folder))
    return [folder / f"{name}.safetensors" for folder in folders]


def load_model(name_or_path: str | Path, models_dir: str | Path | None = None) -> NotebookModel:
    """A bundled model's id, an id in `models_dir` (or $LSTM_VIZ_MODELS_DIR), or a path to NAME.safetensors."""
    path = Path(name_or_path)
    if path.suffix == ".safetensors" or path.is_file():
        return NotebookModel(_load_model_file(path))
    candidates = _candidates(str(name_or_path), Path(models_dir) if models_dir else None)
    for candidate in candidates:
        if candidate.is_file():
            return NotebookModel(_load_model_file(candidate))
    known = sorted({p.stem for c in candidates if c.parent.is_dir() for p in c.parent.glob("*.safetensors")})
    raise ModelError(f"no model {str(name_or_path)!r}: give a path to NAME.safetensors or one of {', '.join(known)}")
