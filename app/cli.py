"""`lstm-viz`: serve the app, list models, trace a text from the terminal, import a model, index a corpus."""

from __future__ import annotations

import argparse
import csv
import os
import sys
from pathlib import Path

from app.serving.threads import limit_blas_threads

# Settings a command line may set, over the LSTM_VIZ_* environment. `serve` hands them to its workers
# through that environment: with --workers N (or --reload) each worker is a separate process that builds
# its own Settings, so the environment is the one channel every worker reads.
SERVE_SETTINGS = ("max_chars", "max_tokens", "max_top_k", "max_body_bytes", "default_model", "trace_cache_mb",
                  "head_timeout", "body_timeout", "write_timeout", "max_connections", "large_answer_mb", "large_queue")
TRACE_SETTINGS = ("max_chars", "max_tokens")


def _env_name(field: str) -> str:
    return "LSTM_VIZ_" + field.upper()


def _at_least(minimum: int):
    """An argparse type: a whole number no smaller than `minimum` (the Settings field's own bound)."""

    def parse(value: str) -> int:
        try:
            number = int(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
        if number < minimum:
            raise argparse.ArgumentTypeError(f"{number} is below the minimum, {minimum}")
        return number

    return parse


def settings_options(parser: argparse.ArgumentParser, fields: tuple[str, ...]) -> None:
    """One option per Settings field (--max-tokens for max_tokens), with the field's bound and description."""
    from app.serving.config import Settings

    for name in fields:
        field = Settings.model_fields[name]
        bounds = [m.ge for m in field.metadata if hasattr(m, "ge")]
        kind = _at_least(bounds[0]) if field.annotation is int and bounds else field.annotation
        about = field.description.rstrip(".")
        parser.add_argument("--" + name.replace("_", "-"), type=kind, default=None, metavar=name.upper(),
                            help=f"{about[0].lower()}{about[1:]} (default: ${_env_name(name)}, else {field.default})")


def _overrides(args: argparse.Namespace) -> dict:
    """The Settings fields given on the command line (options left out are None and leave the environment)."""
    from app.serving.config import Settings

    return {name: value for name in Settings.model_fields if (value := getattr(args, name, None)) is not None}


def _settings(args: argparse.Namespace):
    from app.serving.config import Settings

    return Settings(**_overrides(args))


def _registry(args: argparse.Namespace) -> dict:
    from app.serving.service import load_models

    return load_models(_settings(args))


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn
    from pydantic import ValidationError

    from app.serving.config import Settings
    from app.serving.connections import BACKLOG
    from app.serving.connections import IMPORT_PATH as GUARDED_HTTP
    from app.serving.log_limit import LOG_CONFIG

    for name, value in _overrides(args).items():
        os.environ[_env_name(name)] = str(value.resolve() if isinstance(value, Path) else value)
    os.environ.setdefault(_env_name("lane_at_start"), "true")  # each worker's large lane ready before the class
    if args.reload and args.workers != 1:
        print("--reload runs one worker: drop --workers or --reload", file=sys.stderr)
        return 2
    try:
        Settings()  # a bad LSTM_VIZ_* value stops here with one message, not once per worker
    except ValidationError as e:
        for err in e.errors():
            name = _env_name(str(err["loc"][0])) if err["loc"] else "LSTM_VIZ_*"
            print(f"error: {name} = {err.get('input')!r}: {err['msg']}", file=sys.stderr)
        return 2
    uvicorn.run(
        "app.serving.app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        reload=args.reload,
        http=GUARDED_HTTP,  # head and write timeouts, a connection cap (app/serving/connections.py)
        backlog=BACKLOG,  # the listen queue the cap leaves room for
        log_config=LOG_CONFIG,  # uvicorn's, with the access log's query strings (people's texts) left out
    )
    return 0


def cmd_models(args: argparse.Namespace) -> int:
    from app.serving.service import model_summary

    registry = _registry(args)
    for model in registry.values():
        s = model_summary(model)
        print(f"{s['id']:<16} {s['version']}  {s['tokenizer']:<4} L={s['num_layers']} H={s['hidden_size']} "
              f"V={s['vocab_size']}  {s['title']}")
    return 0 if registry else 1


def cmd_trace(args: argparse.Namespace) -> int:
    import orjson

    from app.serving.service import InputError, get_model, parse_quantities, run_trace, trace_payload

    registry = _registry(args)
    try:
        model = get_model(registry, args.model)
        result = run_trace(model, args.text, _settings(args))
        payload = trace_payload(result, args.top_k, parse_quantities(args.quantities, model), "json")
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
    serve.add_argument("--data-dir", type=Path, default=None,
                       help="where `lstm-viz index` wrote the state indexes that /api/search reads (default: "
                            "$LSTM_VIZ_DATA_DIR, else $XDG_DATA_HOME/lstm-viz or ~/.local/share/lstm-viz)")
    settings_options(serve, SERVE_SETTINGS)
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
                       help="comma-separated subset of i,f,g,o,c,h,kept,forgotten,written (default: i,f,g,o,c,h); "
                            "for a vanilla RNN model, of h,a (default: both)")
    models_dir_option(trace)
    settings_options(trace, TRACE_SETTINGS)
    trace.set_defaults(func=cmd_trace)

    from app.analysis.cli import add_parser as add_eval_parser
    from app.analysis.index_cli import add_parser as add_index_parser
    from app.importers.cli import add_parser as add_import_parser
    from app.training.cli import add_parser as add_train_parser

    add_train_parser(sub)
    add_eval_parser(sub)
    add_index_parser(sub)
    add_import_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    limit_blas_threads()
    raw = sys.argv[1:] if argv is None else argv
    args = build_parser().parse_args(raw)
    args.argv = raw[1:]  # the command's own arguments, recorded in trained models' cards
    try:
        return args.func(args)
    except FileNotFoundError as e:  # a corpus not fetched yet, a file not there: one line, no traceback
        print(f"error: {e.strerror or e}" + (f": {e.filename}" if e.filename else ""), file=sys.stderr)
        return 2
    except BrokenPipeError:  # `lstm-viz trace … | head`: the reader left; say nothing more
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


if __name__ == "__main__":
    sys.exit(main())
