"""One bad file in the models folder is refused by name while the model beside it serves: cards of the wrong
shape, cards nested too deep, folders and pipes where files belong, weights files whose header lies (lengths
past the end, offsets that overlap, dtypes NumPy cannot read, a sparse tensor of gigabytes), weights that
overflow. Through the registry and a real server (the page, /api/models, a trace); a huge file is refused from
its header, without reading it."""

import json
import math
import os
import struct
import subprocess
import sys
from pathlib import Path

import httpx
import numpy as np
import pytest
from safetensors.numpy import load_file, save_file

from app.model_card import MAX_DEPTH
from app.model_store import MAX_CARD_BYTES, MAX_HEADER_BYTES, MAX_WEIGHTS_BYTES, ModelError, load_folder, load_model
from app.serving.app import create_app
from app.serving.config import Settings
from tests.helpers import VOCAB, write_cell_model
from tests.servers import serve

ROOT = Path(__file__).resolve().parents[2]
HUGE = 2**31  # bytes a sparse tensor declares: refused from the header, its data never read
H, V = 8, len(VOCAB)  # the bad model: a GRU of tests.helpers.write_cell_model (E = 6, H = 8, 2 layers)


def edit_card(path, **fields):
    card = json.loads(path.with_suffix(".json").read_text())
    path.with_suffix(".json").write_text(json.dumps({**card, **fields}))


def edit_section(path, key, **fields):
    card = json.loads(path.with_suffix(".json").read_text())
    edit_card(path, **{key: {**card[key], **fields}})


def nested_card(depth):
    def make(path):
        path.with_suffix(".json").write_text('{"id": "bad", "x": ' + "[" * depth + "]" * depth + "}")
    return make


def huge_card(path):
    with open(path.with_suffix(".json"), "ab") as f:  # sparse: the card is never read
        f.truncate(MAX_CARD_BYTES + 1)


def memory_span(path, **tense):
    """A lesson-style evaluation.memory_span with three distances, its tense curve changed by `tense`."""
    curve = {"accuracy": [1.0, 0.5, None], "in_training_range": [True, True, False], "training_range": [0, 80],
             "n": [200, 200, 0], "token_distance": [[2, 5], [4, 7], None], "chance": 0.5}
    edit_card(path, evaluation={"memory_span": {"distances": [0, 10, 100], "tense": {**curve, **tense}}})


def folder_as(suffix):
    def make(path):
        target = path.with_suffix(suffix)
        target.unlink()
        target.mkdir()
    return make


def fifo_as(suffix):
    def make(path):
        target = path.with_suffix(suffix)
        target.unlink()
        os.mkfifo(target)  # nobody writes to it: opening and reading it as a file would wait forever
    return make


def link_as(suffix, target):
    def make(path):
        link = path.with_suffix(suffix)
        link.unlink()
        os.symlink(link if target is None else target, link)  # None: a link to itself
    return make


def overflowing(path):
    tensors = load_file(path)
    tensors = {k: np.where(v >= 0, 3e38, -3e38).astype(np.float32) for k, v in tensors.items()}
    save_file(tensors, path)


def read_raw(path):
    raw = path.read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    return json.loads(raw[8 : 8 + n]), raw[8 + n :]


def write_raw(path, header, data=b"", size=None):
    """A safetensors file from its header (a dict, or raw JSON bytes) and data; `size` extends it sparsely."""
    text = header if isinstance(header, bytes) else json.dumps(header).encode()
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + data)
        if size is not None:
            f.truncate(8 + len(text) + size)


def edit_header(change):
    """Damage bad.safetensors by changing its header (a dict, tensors in file order) with change(header, data)."""
    def make(path):
        header, data = read_raw(path)
        write_raw(path, *change(header, data))
    return make


def shifted(header, data):  # the second tensor starts inside the first
    names = sorted((k for k in header if k != "__metadata__"), key=lambda k: header[k]["data_offsets"])
    begin, end = header[names[1]]["data_offsets"]
    header[names[1]]["data_offsets"] = [begin - 4, end - 4]
    return header, data


def past_the_end(header, data):  # the last tensor's data ends after the file
    last = max((k for k in header if k != "__metadata__"), key=lambda k: header[k]["data_offsets"])
    header[last]["data_offsets"][1] += 4
    header[last]["shape"] = [header[last]["shape"][0] + 1]  # a bias: the shape agrees with the offsets
    return header, data


def relabelled(dtype):
    def change(header, data):  # the decoder bias, (V,) float32, read as (2V,) of a 16-bit dtype
        header["decoder.bias"] = {**header["decoder.bias"], "dtype": dtype,
                                  "shape": [2 * header["decoder.bias"]["shape"][0]]}
        return header, data
    return change


def repeated_name(path):
    header, data = read_raw(path)
    text = json.dumps(header).encode()
    entry = json.dumps(header["decoder.bias"]).encode()
    write_raw(path, text[:-1] + b', "decoder.bias": ' + entry + b"}", data)


def sparse_file(shapes):
    """bad.safetensors as float32 tensors of these shapes, all zeros: a hole in the file, however large."""
    def make(path):
        entries, at = {}, 0
        for name, shape in shapes.items():
            size = 4 * math.prod(shape)
            entries[name] = {"dtype": "F32", "shape": list(shape), "data_offsets": [at, at + size]}
            at += size
        write_raw(path, entries, size=at)
    return make


def gru_shapes(E):
    """The tensors of the bad model's GRU (2 layers of H units over V tokens), its embedding E wide."""
    layer = lambda k, In: {f"gru.weight_ih_l{k}": (3 * H, In), f"gru.weight_hh_l{k}": (3 * H, H),  # noqa: E731
                           f"gru.bias_ih_l{k}": (3 * H,), f"gru.bias_hh_l{k}": (3 * H,)}
    return {"embedding.weight": (V, E), **layer(0, E), **layer(1, H), "decoder.weight": (V, H), "decoder.bias": (V,)}


BAD = {  # case -> (how to spoil bad.safetensors / bad.json, words the refusal must say)
    "provenance-a-list": (lambda p: edit_card(p, provenance=["a"]), "'provenance' must be an object"),
    "snapshot-steps-a-string": (lambda p: edit_card(p, snapshot_of="run", provenance={"steps": "100"}),
                                "'provenance.steps' must be a whole number in a training snapshot's card"),
    "sizes-a-list": (lambda p: edit_card(p, sizes=[1]), "'sizes' must be an object"),
    "sizes-not-numbers": (lambda p: edit_card(p, sizes={"hidden_size": "8"}),
                          "'sizes.hidden_size' must be a whole number"),
    "examples-a-number": (lambda p: edit_card(p, examples=5), "'examples' must be a list"),
    "examples-not-strings": (lambda p: edit_card(p, examples=["ok", 2]), "'examples[1]' must be a string"),
    "title-a-number": (lambda p: edit_card(p, title=3), "'title' must be a string"),
    "title-null": (lambda p: edit_card(p, title=None), "'title' must be a string, got null"),
    "snapshot-of-a-number": (lambda p: edit_card(p, snapshot_of=1), "'snapshot_of' must be a string"),
    "notable-units-an-object": (lambda p: edit_card(p, notable_units={"unit": 1}), "'notable_units' must be a list"),
    "evaluation-a-list": (lambda p: edit_card(p, evaluation=[]), "'evaluation' must be an object"),
    "span-range-a-number": (lambda p: memory_span(p, training_range=80),
                            "'evaluation.memory_span.tense.training_range' must be a list, got the number 80"),
    "span-range-of-three": (lambda p: memory_span(p, training_range=[0, 40, 80]),
                            "'evaluation.memory_span.tense.training_range' must hold at most 2 items"),
    "span-accuracy-strings": (lambda p: memory_span(p, accuracy=["1", 0.5, None]),
                              "'evaluation.memory_span.tense.accuracy[0]' must be a number"),
    "span-curve-too-short": (lambda p: memory_span(p, in_training_range=[True]),
                             "'evaluation.memory_span.tense.in_training_range' must have one entry per distance"),
    "span-curve-without-accuracy": (lambda p: memory_span(p, accuracy=None),
                                    "'evaluation.memory_span.tense.accuracy' must be a list, got null"),
    "tokenizer-kind-a-number": (lambda p: edit_section(p, "tokenizer", kind=5), "'tokenizer.kind' must be a string"),
    "tokenizer-kind-unknown": (lambda p: edit_section(p, "tokenizer", kind="bpe"), "'tokenizer.kind' must be 'char'"),
    "tokenizer-vocab-numbers": (lambda p: edit_section(p, "tokenizer", vocab=list(range(V))),
                                "'tokenizer.vocab[0]' must be a string"),
    "tokenizer-vocab-empty": (lambda p: edit_section(p, "tokenizer", vocab=[], unk=None),
                              "'tokenizer.vocab' must hold at least 1 item, has 0"),
    "tokenizer-lowercase-a-string": (lambda p: edit_section(p, "tokenizer", lowercase="yes"),
                                     "'tokenizer.lowercase' must be true or false"),
    "tokenizer-a-string": (lambda p: edit_card(p, tokenizer="char"), "'tokenizer' must be an object"),
    "option-a-string": (lambda p: edit_card(p, reset_after="true"), "reset_after must be one of (True, False)"),
    "card-nested-too-deep": (nested_card(200_000), "nested too deeply"),
    "card-nested-past-the-limit": (nested_card(MAX_DEPTH + 5), "nested too deeply"),
    "card-a-list": (lambda p: p.with_suffix(".json").write_text("[]"), "must be a JSON object"),
    "card-too-big": (huge_card, f"it is {MAX_CARD_BYTES + 1:,} bytes; at most {MAX_CARD_BYTES:,}"),
    "card-a-folder": (folder_as(".json"), "is a folder"),
    "card-a-fifo": (fifo_as(".json"), "not a regular file"),
    "weights-a-folder": (folder_as(".safetensors"), "is a folder"),
    "weights-a-fifo": (fifo_as(".safetensors"), "not a regular file"),
    "weights-a-device": (link_as(".safetensors", "/dev/zero"), "not a regular file"),  # endless if read
    "weights-a-link-loop": (link_as(".safetensors", None), "Too many levels of symbolic links"),
    "weights-overflow": (overflowing, "NaN or infinite"),
    "weights-empty": (lambda p: p.write_bytes(b""), "fewer than the 8"),
    "header-past-the-end": (lambda p: p.write_bytes(struct.pack("<Q", 1000) + b"{}"), "past the end of the file"),
    "header-too-long": (lambda p: p.write_bytes(struct.pack("<Q", MAX_HEADER_BYTES + 1) + b"{}"),
                        f"a header may have at most {MAX_HEADER_BYTES:,}"),
    "header-not-an-object": (lambda p: write_raw(p, b"[1, 2]"), "its header must be a JSON object, got a list"),
    "header-not-json": (lambda p: write_raw(p, b"{nope"), "its header is not UTF-8 JSON"),
    "header-entry-not-an-object": (lambda p: write_raw(p, {"decoder.bias": 5}), "needs a dtype, a shape"),
    "header-shape-a-string": (edit_header(lambda h, d: ({**h, "decoder.bias": {**h["decoder.bias"], "shape": "9"}},
                                                        d)), "needs a dtype, a shape"),
    "header-repeats-a-name": (repeated_name, "names a tensor twice"),
    "offsets-overlap": (edit_header(shifted), "no gap and no overlap"),
    "offsets-past-the-end": (edit_header(past_the_end), "not inside the file's"),
    "offsets-disagree-with-shape": (edit_header(lambda h, d: ({**h, "decoder.bias": {**h["decoder.bias"],
                                                                                    "shape": [V + 1]}}, d)),
                                    "its data_offsets"),
    "bytes-after-the-data": (lambda p: p.write_bytes(p.read_bytes() + b"\0" * 16), "16 bytes follow"),
    "dtype-bf16": (edit_header(relabelled("BF16")), "is BF16, which NumPy cannot read"),
    "dtype-f16": (edit_header(relabelled("F16")), "tensors must all be float32 (or all float64)"),
    "sparse-huge-tensor": (sparse_file({**gru_shapes(6), "embedding.weight": (V, HUGE // 4 // V)}),
                           f"gru.weight_ih_l0 is ({3 * H}, 6), expected ({3 * H}, {HUGE // 4 // V})"),
    "sparse-huge-decoder": (sparse_file({**gru_shapes(6), "decoder.weight": (HUGE // 4 // H, H)}),
                            f"decoder.weight is ({HUGE // 4 // H}, {H}), expected ({V}, {H})"),
    # Names and shapes that agree, over MAX_WEIGHTS_BYTES of data: refused before any of it is read.
    "sparse-too-big": (sparse_file(gru_shapes(MAX_WEIGHTS_BYTES // 4 // V + 1)), "MAX_WEIGHTS_BYTES"),
}
SPARSE = ["sparse-huge-tensor", "sparse-huge-decoder", "sparse-too-big"]


@pytest.fixture(params=sorted(BAD))
def folder(request, tmp_path):
    write_cell_model(tmp_path, "good", "lstm")
    spoil, words = BAD[request.param]
    spoil(write_cell_model(tmp_path, "bad", "gru", seed=1))
    return tmp_path, words


def test_the_bad_file_is_refused_by_name_and_the_good_one_loads(folder):
    path, words = folder
    models, errors = load_folder(path)
    assert list(models) == ["good"]
    assert len(errors) == 1 and "bad." in errors[0] and words in errors[0], errors
    assert "\n" not in errors[0] and len(errors[0]) < 1000
    with pytest.raises(ModelError, match="bad"):
        load_model(path / "bad.safetensors")


def test_the_server_serves_the_good_model_beside_it(folder):
    path, words = folder
    with serve(create_app(Settings(models_dir=path, bundled_models=False))) as base, \
            httpx.Client(base_url=base, timeout=30) as client:
        health = client.get("/healthz")
        assert health.status_code == 200 and health.json()["models"] == 1
        (refused,) = health.json()["refused"]  # named by its file, not by its path on the server
        assert refused.startswith("bad.") and words in refused and str(path) not in refused
        assert [m["id"] for m in client.get("/api/models").json()["models"]] == ["good"]
        assert client.get("/").status_code == 200
        r = client.get("/api/trace", params={"model": "good", "text": "abc"})
        assert r.status_code == 200 and len(r.json()["tokens"]) == 3


# The loading process's own peak: VmHWM belongs to its memory map, made at exec. (ru_maxrss would not do: Linux
# carries the parent's peak across fork and exec, and pytest's own was ~480 MB late in a full run.)
LOAD_AND_MEASURE = """
import json, re, sys
from app.model_store import load_folder
models, errors = load_folder(sys.argv[1])
print(json.dumps({"models": list(models), "errors": errors,
                  "peak_kib": int(re.search(r"VmHWM:\\s+(\\d+) kB", open("/proc/self/status").read())[1])}))
"""


@pytest.mark.parametrize("case", SPARSE)
def test_a_sparse_huge_file_is_refused_without_reading_it(tmp_path, case):
    write_cell_model(tmp_path, "good", "lstm")
    spoil, words = BAD[case]
    spoil(write_cell_model(tmp_path, "bad", "gru", seed=1))
    declared = (tmp_path / "bad.safetensors").stat().st_size
    assert declared > 2**30
    done = subprocess.run([sys.executable, "-c", LOAD_AND_MEASURE, str(tmp_path)], capture_output=True, text=True,
                          timeout=120, check=True, cwd=ROOT)
    result = json.loads(done.stdout)
    assert result["models"] == ["good"] and words in result["errors"][0]
    # The whole process (Python, NumPy, pydantic, two small models: ~60 MiB) stays far below what the file declares.
    assert result["peak_kib"] * 1024 < min(declared // 4, 256 << 20), (result["peak_kib"], declared)
