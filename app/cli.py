"""`lstm-viz`: serve the app, list models, trace a text from the terminal."""

from __future__ import annotations

import argparse
import csv
import os
import sys
from pathlib import Path

from app.threads import limit_blas_threads


def _settings(args: argparse.Namespace):
    from app.config import Settings

    overrides = {}
    if getattr(args, "models_dir", None) is not None:
        overrides["models_dir"] = args.models_dir
    return Settings(**overrides)


def _registry(args: argparse.Namespace) -> dict:
    from app.service import load_models

    return load_models(_settings(args))


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    if args.models_dir is not None:
        # Workers are separate processes: they read their settings from the environment.
        os.environ["LSTM_VIZ_MODELS_DIR"] = str(args.models_dir.resolve())
    if args.reload and args.workers != 1:
        print("--reload runs one worker: drop --workers or --reload", file=sys.stderr)
        return 2
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        reload=args.reload,
    )
    return 0


def cmd_models(args: argparse.Namespace) -> int:
    from app.service import model_summary

    registry = _registry(args)
    for model in registry.values():
        s = model_summary(model)
        print(f"{s['id']:<16} {s['version']}  {s['tokenizer']:<4} L={s['num_layers']} H={s['hidden_size']} "
              f"V={s['vocab_size']}  {s['title']}")
    return 0 if registry else 1


def cmd_trace(args: argparse.Namespace) -> int:
    import orjson

    from app.service import InputError, get_model, parse_quantities, run_trace, trace_payload

    registry = _registry(args)
    try:
        model = get_model(registry, args.model)
        result = run_trace(model, args.text, _settings(args))
        payload = trace_payload(result, args.top_k, parse_quantities(args.quantities), "json")
    except InputError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    out = sys.stdout
    if args.format == "json":
        out.buffer.write(orjson.dumps(payload, option=orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_APPEND_NEWLINE))
        return 0
    # CSV: one row per (layer, step, unit), one column per quantity.
    names = list(payload["layers"][0]) if payload["layers"] else []
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["layer", "step", "token", "unit", *names])
    for k, layer in enumerate(payload["layers"]):
        for t, tok in enumerate(payload["tokens"]):
            for u in range(model.params.hidden_size):
                writer.writerow([k, t, tok["text"], u, *(str(layer[q][t, u]) for q in names)])
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lstm-viz", description="LSTM Gate Visualizer: every gate at every token.")
    sub = parser.add_subparsers(dest="command", required=True)

    def models_dir_option(p: argparse.ArgumentParser) -> None:
        p.add_argument("--models-dir", type=Path, default=None,
                       help="a folder of extra models (NAME.safetensors + NAME.json), loaded after the bundled ones "
                            "(default: $LSTM_VIZ_MODELS_DIR)")

    serve = sub.add_parser("serve", help="run the web app", description="Run the web app with uvicorn.")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on; 0.0.0.0 for a classroom "
                                                           "(default: %(default)s)")
    serve.add_argument("--port", type=int, default=8000, help="port (default: %(default)s)")
    serve.add_argument("--workers", type=int, default=1, help="worker processes, one BLAS thread each "
                                                              "(default: %(default)s)")
    serve.add_argument("--reload", action="store_true", help="restart on code changes (development; one worker)")
    models_dir_option(serve)
    serve.set_defaults(func=cmd_serve)

    models = sub.add_parser("models", help="list the loaded models", description="List the loaded models.")
    models_dir_option(models)
    models.set_defaults(func=cmd_models)

    trace = sub.add_parser("trace", help="trace a text and print every gate and state",
                           description="Trace TEXT with a model; print i, f, g, o, c, h per layer, step and unit.")
    trace.add_argument("text", metavar="TEXT", help="the text to trace")
    trace.add_argument("--model", required=True, help="model id (see `lstm-viz models`)")
    trace.add_argument("--format", choices=("json", "csv"), default="json",
                       help="json: the API's /api/trace response; csv: one row per layer, step and unit "
                            "(default: %(default)s)")
    trace.add_argument("--top-k", type=int, default=5, help="next-token predictions per step, json only "
                                                            "(default: %(default)s)")
    trace.add_argument("--quantities", default=None,
                       help="comma-separated subset of i,f,g,o,c,h,kept,forgotten,written (default: i,f,g,o,c,h)")
    models_dir_option(trace)
    trace.set_defaults(func=cmd_trace)

    from app.eval_cli import add_parser as add_eval_parser
    from app.train_cli import add_parser as add_train_parser

    add_train_parser(sub)
    add_eval_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    limit_blas_threads()
    raw = sys.argv[1:] if argv is None else argv
    args = build_parser().parse_args(raw)
    args.argv = raw[1:]  # the command's own arguments, recorded in trained models' cards
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
