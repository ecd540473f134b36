"""Write the bundled `untrained` model: deterministic random weights, the "before training" baseline.

    python tools/make_untrained.py [--out models]

Word-level, vocabulary = the words of the lecture's sentences (lower-cased) + <unk>; E = 16, H = 32,
one layer, PyTorch's default initialisation U(-1/√H, 1/√H) for the LSTM and decoder, N(0, 1) for the
embedding, from numpy's default_rng(2026). NumPy only: tests rebuild it and compare the bytes.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.corpora.lecture import EXAMPLES  # noqa: E402
from app.engine.lstm import LayerWeights, LSTMParams  # noqa: E402
from app.engine.tokenizer import Tokenizer  # noqa: E402
from app.model_store import write_model  # noqa: E402

E, H, SEED = 16, 32, 2026
UNK = "<unk>"


def build() -> tuple[dict, LSTMParams]:
    """The card and the parameters of `untrained`."""
    words = {tok.text.lower() for text in EXAMPLES for tok in Tokenizer("word", (UNK,), UNK).tokenize(text)}
    vocab = (UNK, *sorted(words))
    V = len(vocab)
    rng = np.random.default_rng(SEED)
    bound = 1 / np.sqrt(H)

    def uniform(*shape: int) -> np.ndarray:
        return rng.uniform(-bound, bound, size=shape).astype(np.float32)

    embedding = rng.standard_normal((V, E)).astype(np.float32)
    layer = LayerWeights(uniform(4 * H, E), uniform(4 * H, H), uniform(4 * H), uniform(4 * H))
    params = LSTMParams((layer,), V, embedding, uniform(V, H), uniform(V))
    tokenizer = Tokenizer("word", vocab, UNK, lowercase=True)
    card = {
        "id": "untrained",
        "title": "Untrained (random weights)",
        "description": "The lecture's vocabulary with random weights: what the gates look like before any "
        "training. Compare it with a trained model to see what learning changes.",
        "cell": "lstm",
        "recurrent_activation": "sigmoid",
        "tokenizer": tokenizer.to_card(),
        "sizes": {"vocab_size": V, "embedding_size": E, "hidden_size": H, "num_layers": 1},
        "provenance": {
            "corpus": "none (random initialisation)",
            "licence": "MIT (project code)",
            "command": "python tools/make_untrained.py",
            "init": f"numpy default_rng({SEED}); LSTM and decoder U(-1/sqrt(H), 1/sqrt(H)); embedding N(0, 1)",
            "steps": 0,
        },
        "examples": list(EXAMPLES),
        "notable_units": [],
    }
    return card, params


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "models")
    args = parser.parse_args()
    card, params = build()
    print(write_model(args.out, card, params))


if __name__ == "__main__":
    main()
