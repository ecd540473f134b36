"""A state index: one model's states over a corpus, quantised and memory-mapped (docs/search.md).

A folder per model id and version, DATA_DIR/indexes/MODEL/VERSION/ (DATA_DIR: --data-dir, else $LSTM_VIZ_DATA_DIR,
else $XDG_DATA_HOME/lstm-viz, else ~/.local/share/lstm-viz; never inside the package):

    meta.json      format, model, version, cell, quantity (a state: c or h), layers, hidden_size, corpus, about,
                   tokens N, documents D, runs R, segment_tokens, sources [{name, byte_start, byte_end, chars}],
                   complete (false while it is written)
    progress.json  {"runs_done": r}: runs 0..r-1 are written (a rerun resumes at run r)
    text.utf8      the sources' text, UTF-8, one after another
    ids.npy        int32 (N,)     every token's vocabulary id
    offsets.npy    int64 (N, 4)   byte start and end in text.utf8; code-point start and end in its source
    documents.npy  int64 (D, 3)   token start, token end (exclusive), source: a run of tokens traced from the zero
                                  state (a source longer than segment_tokens is cut into several)
    runs.npy       int64 (R + 1,) the token where each run starts, then N: runs are whole documents, traced and
                                  quantised together
    scales.npy     float32 (L, R, H)  per layer, run and unit: value = q × scale
    states{k}.npy  int8 (H, N)    layer k's quantised state, unit-major: one unit over the corpus is contiguous

int8 with a scale per unit and run: a unit's value is q × scale with scale = (the run's largest |value| of that
unit) / 127, so the error is at most scale / 2 (0.4 % of the unit's range in that run). Per unit, because an
LSTM's c ranges from ±1 in one unit to ±100 in another; per run, because a run's scale is known once it is traced
(no second pass) and a corpus's rare extremes then coarsen only their own run; symmetric, because the sign is
meaning. Unit-major, because a search reads a few units over every token (1 MB per unit per million tokens).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

FORMAT = 1
QMAX = 127


def default_data_dir() -> Path:
    """$LSTM_VIZ_DATA_DIR, else $XDG_DATA_HOME/lstm-viz, else ~/.local/share/lstm-viz."""
    if os.environ.get("LSTM_VIZ_DATA_DIR"):
        return Path(os.environ["LSTM_VIZ_DATA_DIR"])
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "lstm-viz"


def index_folder(data_dir: Path, model_id: str, version: str) -> Path:
    return Path(data_dir) / "indexes" / model_id / version


def build_command(model_id: str) -> str:
    """The command that builds a model's index (what an error tells a person to run)."""
    return f"lstm-viz index {model_id}"


def read_json(path: Path) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def write_json(path: Path, value: dict) -> None:
    """Write atomically: a reader (or a crash) never sees half a file."""
    tmp = Path(path).with_suffix(".tmp")
    tmp.write_text(json.dumps(value, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)


@dataclass(frozen=True)
class StateIndex:
    """An open index: every array memory-mapped read-only (pages are read when touched, not at open)."""

    folder: Path
    meta: dict
    ids: np.ndarray  # int32 (N,)
    offsets: np.ndarray  # int64 (N, 4)
    documents: np.ndarray  # int64 (D, 3)
    runs: np.ndarray  # int64 (R + 1,)
    scales: np.ndarray  # float32 (L, R, H)
    states: tuple[np.ndarray, ...]  # per layer int8 (H, N)
    text: np.ndarray  # uint8: text.utf8

    @property
    def num_tokens(self) -> int:
        return int(self.meta["tokens"])

    @property
    def num_layers(self) -> int:
        return int(self.meta["layers"])

    @property
    def hidden_size(self) -> int:
        return int(self.meta["hidden_size"])

    def run_of(self, positions: np.ndarray) -> np.ndarray:
        """The run (its number) of each token position."""
        return np.searchsorted(self.runs, positions, side="right") - 1

    def document_of(self, positions: np.ndarray) -> np.ndarray:
        return np.searchsorted(self.documents[:, 0], positions, side="right") - 1

    def values(self, layer: int, units: np.ndarray, start: int, end: int) -> np.ndarray:
        """Dequantised values of `units` over tokens [start, end): float32 (len(units), end − start)."""
        units = np.asarray(units, dtype=np.int64)
        q = self.states[layer][units, start:end].astype(np.float32)
        if end <= start:
            return q
        runs = self.run_of(np.arange(start, end))
        return q * self.scales[layer][runs][:, units].T

    def text_of(self, start: int, end: int) -> str:
        """The corpus text from token `start`'s first byte to token `end − 1`'s last (one source)."""
        if end <= start:
            return ""
        return bytes(self.text[self.offsets[start, 0] : self.offsets[end - 1, 1]]).decode("utf-8")

    def token_texts(self, start: int, end: int) -> list[str]:
        offsets = self.offsets[start:end]
        return [bytes(self.text[a:b]).decode("utf-8") for a, b in offsets[:, :2].tolist()]


def open_index(folder: Path) -> StateIndex:
    """Open a complete index read-only, memory-mapped. ValueError if it is not complete or not this format."""
    folder = Path(folder)
    meta = read_json(folder / "meta.json")
    if meta.get("format") != FORMAT:
        raise ValueError(f"{folder}: index format {meta.get('format')!r}, expected {FORMAT}: rebuild it with --force")
    if not meta.get("complete"):
        raise ValueError(f"{folder}: the index is not complete: run `{build_command(meta.get('model', 'MODEL'))}` "
                         "again to finish it")

    def load(name: str) -> np.ndarray:
        return np.load(folder / name, mmap_mode="r")

    text = (np.memmap(folder / "text.utf8", dtype=np.uint8, mode="r") if (folder / "text.utf8").stat().st_size
            else np.zeros(0, np.uint8))
    return StateIndex(folder, meta, load("ids.npy"), load("offsets.npy"), load("documents.npy"), load("runs.npy"),
                      load("scales.npy"), tuple(load(f"states{k}.npy") for k in range(meta["layers"])), text)


def find_index(data_dir: Path, model_id: str, version: str) -> StateIndex | None:
    """The complete index of this model id and version under data_dir, opened; None if there is none."""
    folder = index_folder(data_dir, model_id, version)
    if not (folder / "meta.json").is_file():
        return None
    try:
        return open_index(folder)
    except (ValueError, OSError, KeyError):
        return None
