"""`lstm-viz import pytorch|keras FILE --vocab VOCAB --tokenizer char|word --id NAME`: convert, write, check.

An LSTM, a GRU or (from PyTorch) a vanilla RNN; the cell is found from the file, `--cell` says what it must be."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from app.engine.cells import spec_of_params
from app.engine.lstm import RECURRENT_ACTIVATIONS
from app.importers.errors import ImportRefused


def printable(text: str) -> str:
    """`text` on one line, safe for a terminal: line breaks and other control characters (which a hostile file
    can put in a layer or tensor name) are shown escaped, as repr shows them."""
    return "".join(c if c.isprintable() or c == " " else repr(c)[1:-1] for c in text)


def _out_dir(args: argparse.Namespace) -> Path:
    if args.out is not None:
        return args.out
    return Path(os.environ.get("LSTM_VIZ_MODELS_DIR") or "models")


def _naming(path: Path, convert, *args):
    """convert(*args), whose refusals name a tensor or a layer: prefixed with the file they are in."""
    try:
        return convert(*args)
    except ImportRefused as e:
        if str(e).startswith(str(path)):
            raise
        raise ImportRefused(f"{path}: {e}") from None


def _convert(args: argparse.Namespace):
    if args.framework == "pytorch":
        from app.importers.pytorch import import_state_dict
        from app.importers.tensor_files import read_tensor_file

        return _naming(args.file, import_state_dict, read_tensor_file(args.file), args.prefix, args.embedding,
                       args.decoder, args.cell)
    from app.importers.keras import import_keras
    from app.importers.keras_files import read_keras_file

    layers = [n.strip() for n in args.layers.split(",") if n.strip()] if args.layers else None
    return _naming(args.file, import_keras, read_keras_file(args.file), layers, args.embedding, args.decoder,
                   args.recurrent_activation, args.cell)


def cmd_import(args: argparse.Namespace) -> int:
    from app.importers.vocab import make_tokenizer, read_vocabulary
    from app.importers.write import check_destination, make_card, write_imported

    out = _out_dir(args)
    try:
        check_destination(args.id, out, args.force)
        imported = _convert(args)
        vocab = read_vocabulary(args.vocab)
        tokenizer, notes = make_tokenizer(vocab, imported.params.vocab_size, args.tokenizer, args.unk, args.lowercase)
        card = make_card(imported, tokenizer, args.id, args.file, args.title, args.description, args.example,
                         [f"vocabulary: {args.vocab.name} ({vocab.source})", *notes], args.argv)
        model = write_imported(out, card, imported)
    except (ImportRefused, OSError) as e:
        print(f"error: {printable(str(e))}", file=sys.stderr)
        return 2
    p = model.params
    cell = spec_of_params(p)
    options = "".join(f", {key.replace('_', ' ')} {value}" for key, value in cell.options_of(p).items())
    print(f"wrote {out / (model.id + '.safetensors')} and {model.id}.json: {cell.title}, {p.num_layers} × "
          f"{p.hidden_size} units, V = {p.vocab_size} ({tokenizer.kind}){options}, "
          f"{'a decoder' if p.W_dec is not None else 'no decoder'}")
    for note in card["provenance"]["notes"]:
        print(f"  note: {printable(note)}")
    print(f"look at it: lstm-viz serve --models-dir {out}   (then pick {model.id!r} on the page)")
    return 0


def _common(p: argparse.ArgumentParser, file_help: str) -> None:
    p.add_argument("file", type=Path, metavar="FILE", help=file_help)
    p.add_argument("--vocab", type=Path, required=True, metavar="VOCAB",
                   help="the vocabulary: a JSON list (index = id), a JSON token→id map (Keras word_index: id 0, "
                        "missing there, becomes the unknown token) or a text file with one token per line")
    p.add_argument("--tokenizer", choices=("char", "word"), required=True,
                   help="how the page splits text: one token per character, or words and punctuation")
    p.add_argument("--id", required=True, metavar="NAME", help="model id: the file stem and the page's model name")
    p.add_argument("--title", default=None, help="card title (default: the id)")
    p.add_argument("--description", default=None, help="card description (default: what was imported)")
    p.add_argument("--example", action="append", default=[], metavar="TEXT",
                   help="an example text shown on the page (repeat for more)")
    p.add_argument("--unk", default=None, metavar="TOKEN",
                   help="the unknown token; fills a missing id 0 (default: <unk> for words, U+FFFD for characters)")
    p.add_argument("--lowercase", action="store_true", help="lowercase text before looking tokens up")
    p.add_argument("--embedding", default=None, metavar="NAME",
                   help="the embedding's tensor or layer name, or 'none' for one-hot inputs (default: found)")
    p.add_argument("--decoder", default=None, metavar="NAME",
                   help="the decoder's module or layer name, or 'none' for no predictions (default: found)")
    p.add_argument("--out", "--models-dir", dest="out", type=Path, default=None, metavar="DIR",
                   help="folder to write NAME.safetensors and NAME.json into (default: $LSTM_VIZ_MODELS_DIR, "
                        "else ./models)")
    p.add_argument("--force", action="store_true", help="replace a model with the same id in that folder")


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("import", help="import an LSTM or a GRU from PyTorch or Keras",
                       description="Convert a PyTorch or Keras LSTM or GRU (or a PyTorch vanilla RNN) to "
                                   "NAME.safetensors + NAME.json for the page.")
    frameworks = p.add_subparsers(dest="framework", required=True)
    torch = frameworks.add_parser(
        "pytorch", help="a state_dict saved as .safetensors or .npz",
        description="Import an nn.LSTM, nn.GRU or nn.RNN (+ optional nn.Embedding and nn.Linear decoder) from a "
                    "state_dict saved "
                    'with safetensors: from safetensors.torch import save_file; save_file(model.state_dict(), '
                    '"model.safetensors"). Pickled .pt/.pth files are refused.')
    _common(torch, "the state_dict: .safetensors (float32, float16 or bfloat16) or .npz")
    torch.add_argument("--prefix", default=None,
                       help="the text before weight_ih_l0, e.g. 'encoder.rnn.' (default: found)")
    torch.add_argument("--cell", choices=("lstm", "gru", "rnn"), default=None,
                       help="what the module must be: lstm (nn.LSTM), gru (nn.GRU) or rnn (nn.RNN, tanh; required "
                            "for it, since a state_dict does not say the nonlinearity) (default: found from the "
                            "shapes, 4H, 3H or H rows)")
    torch.set_defaults(func=cmd_import)
    keras = frameworks.add_parser(
        "keras", help="a .keras, .weights.h5 or legacy .h5 file (needs h5py)",
        description="Import the Embedding, the stacked LSTM (or CuDNNLSTM) or GRU (or CuDNNGRU) layers and a "
                    "softmax Dense decoder from a Keras file.")
    _common(keras, "the Keras file: .keras, .weights.h5 or legacy .h5")
    keras.add_argument("--layers", default=None, metavar="NAMES",
                       help="comma-separated LSTM or GRU layer names, bottom first (default: found)")
    keras.add_argument("--cell", choices=("lstm", "gru"), default=None,
                       help="import the file's LSTM or its GRU layers (default: found; needed when it has both)")
    keras.add_argument("--recurrent-activation", choices=RECURRENT_ACTIVATIONS, default=None,
                       help="σ of the gates when the file has no config (.weights.h5): sigmoid (Keras 3's "
                            "default), hard_sigmoid (Keras 3) or hard_sigmoid_keras2 (Keras 2's default)")
    keras.set_defaults(func=cmd_import)
