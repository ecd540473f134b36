"""`lstm-viz index MODEL [--corpus NAME | FILE…]`: trace a corpus and write the model's state index (docs/search.md),
which `lstm-viz serve` opens for /api/search."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from app.analysis.held_out import CORPORA, corpus_of, held_out_documents
from app.analysis.indexing import RUN_TOKENS, SEGMENT_TOKENS, build_index
from app.analysis.state_index import default_data_dir
from app.model_store import ModelError, load_model
from app.resources import resource_dir


def sources_of(args: argparse.Namespace, corpus: str) -> tuple[list[tuple[str, str]], str, str]:
    """(name, text) pairs, the corpus's name and what it is: the FILEs, else the corpus's held-out text."""
    if args.files:
        sources = [(Path(f).name, Path(f).read_text(encoding="utf-8")) for f in args.files]
        return sources, "files", f"{len(sources)} file(s): {', '.join(name for name, _ in sources)}"
    sources, about = held_out_documents(corpus, args.corpora_dir, args.seed)
    return sources, corpus, about


def cmd_index(args: argparse.Namespace) -> int:
    folder = args.models_dir or resource_dir("models")
    try:
        model = load_model(folder / f"{args.model}.safetensors")
    except (ModelError, FileNotFoundError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if args.files and args.corpus:
        print("error: give --corpus or FILEs, not both", file=sys.stderr)
        return 2
    corpus = args.corpus or corpus_of(model)
    try:
        sources, corpus, about = sources_of(args, corpus)
    except (FileNotFoundError, UnicodeDecodeError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    data_dir = args.data_dir or default_data_dir()
    print(f"indexing {model.id} ({model.version}) over {about} into {data_dir}", file=sys.stderr)
    try:
        build_index(model, sources, data_dir, corpus, about, quantity=args.quantity, force=args.force,
                    segment_tokens=args.segment_tokens, max_tokens=args.max_tokens)
    except ValueError as e:
        print(f"\nerror: {e}", file=sys.stderr)
        return 2
    return 0


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError(f"{number} is below the minimum, 1")
    return number


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("index", help="trace a corpus and write the model's state index for /api/search",
                       description="Trace a corpus with the batched engine (every document from the zero state) and "
                                   "write the model's state (c or h, int8 per unit and run of documents) per layer, "
                                   "the token ids, offsets and text into DATA_DIR/indexes/MODEL/VERSION, "
                                   "memory-mapped by `lstm-viz serve` for /api/search. Resumable: run it again after "
                                   "an interruption. Default corpus: the model's own held-out text (lesson: the test "
                                   "split; shakespeare: its held-out plays; python: the tail of the stdlib text).")
    p.add_argument("model", metavar="MODEL", help="model id")
    p.add_argument("files", metavar="FILE", nargs="*", help="UTF-8 text files to index instead of a corpus")
    p.add_argument("--corpus", choices=CORPORA, default=None, help="the corpus whose held-out text to index "
                                                                   "(default: the one the model was trained on)")
    p.add_argument("--corpora-dir", type=Path, default=Path("corpora"), help="fetched corpora (default: %(default)s)")
    p.add_argument("--data-dir", type=Path, default=None,
                   help="where indexes live (default: $LSTM_VIZ_DATA_DIR, else ~/.local/share/lstm-viz)")
    p.add_argument("--models-dir", type=Path, default=None, help="folder of the model (default: the bundled models)")
    p.add_argument("--quantity", default=None, help="the state to index: c or h (default: the cell's memory)")
    p.add_argument("--force", action="store_true", help="rebuild a complete index")
    p.add_argument("--max-tokens", type=_positive, default=None, help="index only the corpus's first N tokens")
    p.add_argument("--segment-tokens", type=_positive, default=SEGMENT_TOKENS,
                   help="longest piece traced from the zero state; longer texts are cut at a line break "
                        "(default: %(default)s, the page's max_tokens)")
    p.add_argument("--seed", type=int, default=0, help="seed of the lesson split (default: %(default)s)")
    p.set_defaults(func=cmd_index, run_tokens=RUN_TOKENS)
