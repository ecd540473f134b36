"""`lstm-viz import` on malformed and hostile files: a corpus built here, in tmp_path — truncated and lying
safetensors, zip bombs (.keras, .npz), corrupt config.json, HDF5 files of the wrong structure, links out of
the file. Each is refused with exit status 2 and one line on stderr that names the file, never a traceback;
the huge ones are refused before they are read, which the child process's peak memory shows."""

import json
import struct
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pytest

from app.cli import main
from app.importers import limits
from app.importers.errors import ImportRefused
from app.importers.keras import import_keras
from app.importers.limits import READ_CHUNK, Budget, MemberReader
from tests.import_helpers import FIXTURES

GiB, MiB = 1 << 30, 1 << 20
REPO = Path(__file__).resolve().parents[2]
VOCAB = {"pytorch": FIXTURES / "chars.json", "keras": FIXTURES / "keras_chars.json"}
# The CLI in a child process that reports its own peak resident memory (KiB on Linux) on stdout.
MEASURED_CLI = ("import resource, sys\nfrom app.cli import main\ncode = main(sys.argv[1:])\n"
                "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\nsys.exit(code)")


# --- the CLI's contract -------------------------------------------------------------------------------------

def import_args(framework: str, path: Path, out: Path) -> list[str]:
    return ["import", framework, str(path), "--vocab", str(VOCAB[framework]), "--tokenizer", "char", "--id", "x",
            "--out", str(out)]


def assert_one_line_refusal(code: int, err: str, path: Path, phrases: tuple[str, ...]) -> str:
    """Status 2, one line on stderr starting with `error:`, naming the file and saying each phrase."""
    assert code == 2, err
    assert "Traceback" not in err, err
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert path.name in lines[0], err
    for phrase in phrases:
        assert phrase in lines[0], err
    return lines[0]


def refused(capsys, framework: str, path: Path, *phrases: str) -> str:
    """Run `lstm-viz import` in this process; it must refuse `path` in one line; nothing is written."""
    out = path.parent / "out"
    code = main(import_args(framework, path, out))
    line = assert_one_line_refusal(code, capsys.readouterr().err, path, phrases)
    assert not out.exists() or not any(out.iterdir())
    return line


def refused_in_a_child(framework: str, path: Path, *phrases: str) -> int:
    """Run the CLI in its own process; it must refuse `path` in one line. Returns its peak memory in bytes."""
    argv = import_args(framework, path, path.parent / "out")
    r = subprocess.run([sys.executable, "-c", MEASURED_CLI, *argv], capture_output=True, text=True, cwd=REPO,
                       timeout=300, check=False)
    assert_one_line_refusal(r.returncode, r.stderr, path, phrases)
    return int(r.stdout.split()[-1]) * (1 if sys.platform == "darwin" else 1024)  # macOS counts bytes, Linux KiB


# --- file builders ------------------------------------------------------------------------------------------

def safetensors_file(path: Path, header, data: bytes = b"", length: int | None = None) -> Path:
    """8 bytes of header length (`length`, else the header's own), the header (JSON of a dict, or raw bytes),
    then `data`."""
    raw = header if isinstance(header, bytes) else json.dumps(header).encode()
    path.write_bytes((len(raw) if length is None else length).to_bytes(8, "little") + raw + data)
    return path


def sparse_safetensors(path: Path, header: dict, data_size: int) -> Path:
    """A safetensors header followed by `data_size` bytes of a hole: gigabytes that cost no disk and no time."""
    safetensors_file(path, header)
    with path.open("r+b") as f:
        f.truncate(path.stat().st_size + data_size)
    return path


def f32(shape: list[int], start: int) -> dict:
    return {"dtype": "F32", "shape": shape, "data_offsets": [start, start + 4 * int(np.prod(shape))]}


def deflated_zeros(mib: int) -> bytes:
    """A raw deflate stream of `mib` MiB of zeros, made from one compressed MiB repeated (a full flush makes each
    block stand alone): 3 GiB of zeros in 3 MB, in milliseconds."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = c.compress(bytes(MiB)) + c.flush(zlib.Z_FULL_FLUSH)
    return block * mib + c.flush()


def zip_file(path: Path, members: list[tuple]) -> Path:
    """A zip written byte by byte, so it can say what it likes: each member (name, data[, method, declared size,
    flags]). The CRC is the data's for stored members and 0 for deflated ones: those are bombs and damaged
    streams, refused before their end, where zipfile would check it, or by that check."""
    local, central = bytearray(), bytearray()
    for name, data, method, size, flags in [(*m, 0, None, 0)[:5] if len(m) == 2 else m for m in members]:
        size = len(data) if size is None else size
        crc = zlib.crc32(data) if method == 0 else 0
        n = name.encode()
        offset = len(local)
        local += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, flags, method, 0, 0x21, crc, len(data), size, len(n),
                             0) + n + data
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, flags, method, 0, 0x21, crc, len(data),
                               size, len(n), 0, 0, 0, 0, 0, offset) + n
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(central), len(local), 0)
    path.write_bytes(bytes(local + central + end))
    return path


def fixture_members(name: str) -> dict[str, bytes]:
    with zipfile.ZipFile(FIXTURES / name) as z:
        return {n: z.read(n) for n in z.namelist()}


def keras_archive(path: Path, **replace) -> Path:
    """keras_seq.keras with members replaced: config=…, metadata=… (JSON values, or bytes as they are), or
    weights=bytes; a member given as None is left out."""
    members = fixture_members("keras_seq.keras")
    names = {"config": "config.json", "metadata": "metadata.json", "weights": "model.weights.h5"}
    for key, value in replace.items():
        if value is None:
            members.pop(names[key])
        else:
            members[names[key]] = value if isinstance(value, bytes) else json.dumps(value).encode()
    with zipfile.ZipFile(path, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    return path


def seq_config() -> dict:
    return json.loads(fixture_members("keras_seq.keras")["config.json"])


def edited(config: dict, edit) -> dict:
    edit(config)
    return config


def deep_json(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


# --- safetensors ----------------------------------------------------------------------------------------------

GRU = (FIXTURES / "torch_gru.safetensors").read_bytes()
GRU_DATA = 8 + int.from_bytes(GRU[:8], "little")  # where torch_gru.safetensors' tensor data starts


def cut(at: int):
    return lambda p: (p.write_bytes(GRU[:at]), p)[1]


SAFETENSORS_CASES = [
    ("empty", cut(0), "fewer than the 8"),
    ("five-bytes", cut(5), "fewer than the 8"),
    ("cut-in-the-header", cut(GRU_DATA // 2), "its header should be"),
    ("cut-in-the-data", cut(GRU_DATA + (len(GRU) - GRU_DATA) // 2), "truncated"),
    ("header-longer-than-the-file", lambda p: safetensors_file(p, {}, length=10_000), "its header should be 10000"),
    ("header-past-safetensors-limit", lambda p: safetensors_file(p, {}, length=1 << 60), "past safetensors' limit"),
    ("header-not-json", lambda p: safetensors_file(p, b"{not json"), "its header is not JSON"),
    ("header-not-utf8", lambda p: safetensors_file(p, b'{"\xff\xfe": 1}'), "its header is not JSON"),
    ("header-a-list", lambda p: safetensors_file(p, []), "not a JSON object"),
    ("header-nested-deeply", lambda p: safetensors_file(p, b'{"a": ' + deep_json(100_000) + b"}"), "too deeply"),
    ("entry-a-number", lambda p: safetensors_file(p, {"w": 5}), "not described by dtype, shape and data_offsets"),
    ("entry-without-offsets", lambda p: safetensors_file(p, {"w": {"dtype": "F32", "shape": [1]}}),
     "not described by"),
    ("dtype-unknown", lambda p: safetensors_file(p, {"w": {**f32([1], 0), "dtype": "F8_E4M3"}}, bytes(4)),
     "dtype F8_E4M3, which this importer cannot read"),
    ("dtype-a-list", lambda p: safetensors_file(p, {"w": {**f32([1], 0), "dtype": ["F32"]}}, bytes(4)),
     "cannot read"),
    ("shape-negative", lambda p: safetensors_file(p, {"w": {**f32([1], 0), "shape": [-1]}}, bytes(4)),
     "not a list of sizes"),
    ("shape-a-string", lambda p: safetensors_file(p, {"w": {**f32([1], 0), "shape": "2x2"}}, bytes(4)),
     "not a list of sizes"),
    ("offsets-reversed", lambda p: safetensors_file(p, {"w": {**f32([1], 0), "data_offsets": [4, 0]}}, bytes(4)),
     "not [start, end]"),
    ("offsets-strings", lambda p: safetensors_file(p, {"w": {**f32([1], 0), "data_offsets": ["0", "4"]}},
                                                   bytes(4)), "not [start, end]"),
    ("offsets-past-the-end", lambda p: safetensors_file(p, {"w": f32([4], 0)}, bytes(8)),
     "ends at byte 16 of the data, which has 8"),
    ("size-not-the-shapes", lambda p: safetensors_file(p, {"w": {**f32([4], 0), "shape": [3]}}, bytes(16)),
     "16 bytes for shape [3] of F32"),
    ("huge-shape-tiny-offsets", lambda p: safetensors_file(p, {"w": {**f32([1], 0), "shape": [1 << 40, 1 << 40]}},
                                                           bytes(4)), "bytes for shape"),
    ("metadata-a-list", lambda p: safetensors_file(p, {"__metadata__": ["x"], "w": f32([1], 0)}, bytes(4)),
     "__metadata__ is not a map of names to strings"),
    ("metadata-numbers", lambda p: safetensors_file(p, {"__metadata__": {"a": 1}, "w": f32([1], 0)}, bytes(4)),
     "__metadata__"),
    ("weight-ih-a-vector", lambda p: safetensors_file(p, {"lstm.weight_ih_l0": f32([8], 0),
                                                          "lstm.weight_hh_l0": f32([8, 2], 32)}, bytes(96)),
     "not a matrix"),
]


@pytest.mark.parametrize(("build", "phrase"), [case[1:] for case in SAFETENSORS_CASES],
                         ids=[case[0] for case in SAFETENSORS_CASES])
def test_a_malformed_safetensors_file_is_refused_in_one_line(tmp_path, capsys, build, phrase):
    refused(capsys, "pytorch", build(tmp_path / "model.safetensors"), phrase)


def test_a_name_with_line_breaks_and_escapes_stays_on_one_line(tmp_path, capsys):
    """A hostile file's names and values reach the message; line breaks and terminal escapes in them are shown
    escaped, so the refusal stays one line and cannot write over the terminal."""
    header = {"evil\nname": {**f32([1], 0), "dtype": "F\n32\x1b[2J"}}
    line = refused(capsys, "pytorch", safetensors_file(tmp_path / "model.safetensors", header, bytes(4)),
                   "cannot read")
    assert "\x1b" not in line and r"'evil\nname' has dtype F\n32\x1b[2J," in line


def test_a_sparse_file_past_the_cap_is_refused_without_being_read(tmp_path):
    path = sparse_safetensors(tmp_path / "huge.safetensors", {"w": f32([3 * GiB // 4], 0)}, 3 * GiB)
    peak = refused_in_a_child("pytorch", path, "3 GiB, past the importer's cap of 2 GiB")
    assert peak < GiB // 2, f"peak memory {peak >> 20} MiB for a refused 3 GiB file"


def test_the_whole_header_is_checked_before_any_tensor_is_read(tmp_path):
    """A 1 GiB tensor the file holds, then one that ends past the file's end: refused before the first is read."""
    header = {"big": f32([GiB // 4], 0), "bad": f32([4], GiB)}
    path = sparse_safetensors(tmp_path / "model.safetensors", header, GiB)
    peak = refused_in_a_child("pytorch", path, "'bad' ends at byte", "truncated")
    assert peak < GiB // 2, f"peak memory {peak >> 20} MiB: the 1 GiB tensor was read"


def test_tensors_that_share_their_bytes_still_count_each_time_against_the_cap(tmp_path):
    """Three tensors over the same 1 GiB of a 1 GiB file: 3 GiB to read, refused by the sum, nothing read."""
    header = {name: f32([GiB // 4], 0) for name in ("a", "b", "c")}
    path = sparse_safetensors(tmp_path / "model.safetensors", header, GiB)
    peak = refused_in_a_child("pytorch", path, "brings its tensors to 3 GiB, past the importer's cap of 2 GiB")
    assert peak < GiB // 2, f"peak memory {peak >> 20} MiB"


# --- .npz -------------------------------------------------------------------------------------------------------

def npy(array: np.ndarray) -> bytes:
    from io import BytesIO

    buffer = BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def npy_lying_shape(shape: tuple[int, ...]) -> bytes:
    """An .npy whose header declares `shape` of float32 but holds 16 bytes."""
    from io import BytesIO

    buffer = BytesIO()
    np.lib.format.write_array_header_1_0(buffer, {"descr": "<f4", "fortran_order": False, "shape": shape})
    return buffer.getvalue() + bytes(16)


NPZ_CASES = [
    ("truncated", lambda p: (p.write_bytes((FIXTURES / "torch_tied.npz").read_bytes()[:300]), p)[1],
     "not a readable .npz file"),
    ("not-a-zip", lambda p: (p.write_bytes(b"hello, not a zip"), p)[1], "not a readable .npz file"),
    ("member-not-npy", lambda p: zip_file(p, [("w.npy", b"random bytes, not an array")]), "not an .npy array"),
    ("member-truncated", lambda p: zip_file(p, [("w.npy", npy(np.zeros((4, 4), np.float32))[:-8])]),
     "ends after"),
    ("shape-past-the-data", lambda p: zip_file(p, [("w.npy", npy_lying_shape((10**6, 10**6)))]),
     "declares a float32 array of shape (1000000, 1000000)"),
    ("strings", lambda p: zip_file(p, [("w.npy", npy(np.array(["a", "b"])))]), "not numbers"),
    ("encrypted-member", lambda p: zip_file(p, [("w.npy", npy(np.zeros(2, np.float32)), 0, None, 1)]),
     "member w.npy is encrypted"),
    ("damaged-deflate", lambda p: zip_file(p, [("w.npy", b"\xff" * 64, 8, 128, 0)]), "cannot be unzipped"),
]


@pytest.mark.parametrize(("build", "phrase"), [case[1:] for case in NPZ_CASES], ids=[case[0] for case in NPZ_CASES])
def test_a_malformed_npz_is_refused_in_one_line(tmp_path, capsys, build, phrase):
    refused(capsys, "pytorch", build(tmp_path / "model.npz"), phrase)


def test_an_npz_bomb_is_refused_by_its_declared_size_without_unzipping(tmp_path):
    path = zip_file(tmp_path / "bomb.npz", [("lstm.weight_ih_l0.npy", deflated_zeros(3 * 1024), 8, 3 * GiB, 0)])
    assert path.stat().st_size < 4 * MiB
    peak = refused_in_a_child("pytorch", path, "member lstm.weight_ih_l0.npy declares 3 GiB unzipped",
                              "cap of 2 GiB")
    assert peak < GiB // 2, f"peak memory {peak >> 20} MiB"


def test_an_npz_whose_members_add_up_past_the_cap_is_refused(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(limits, "MAX_READ_BYTES", 6 * MiB)
    members = [(f"w{n}.npy", npy(np.zeros(MiB // 4 * 2, np.float32))) for n in range(4)]  # 2 MiB each
    refused(capsys, "pytorch", zip_file(tmp_path / "model.npz", members), "brings its unzipped arrays to",
            "past the importer's cap of 6 MiB")


# --- .keras archives -------------------------------------------------------------------------------------------

def _drop_layer_names(config):
    for spec in config["config"]["layers"]:
        spec["config"].pop("name")


def _loop_after_the_last_lstm(config):
    """Two dropouts feeding each other after the last LSTM (a decoder search that followed them never ended)."""
    layers = config["config"]["layers"]
    last = [s for s in layers if s["class_name"] == "LSTM"][-1]["config"]["name"]
    config["class_name"] = "Functional"
    for spec in layers:
        spec["inbound_nodes"] = []
    layers += [{"class_name": "Dropout", "config": {"name": "d1"},
                "inbound_nodes": [[[last, 0, 0, {}], ["d2", 0, 0, {}]]]},
               {"class_name": "Dropout", "config": {"name": "d2"}, "inbound_nodes": [[["d1", 0, 0, {}]]]}]


KERAS_CASES = [
    ("config-not-json", dict(config=b"{not json"), "config.json is not valid UTF-8 JSON"),
    ("config-not-utf8", dict(config=b'{"a": "\xff"}'), "config.json is not valid UTF-8 JSON"),
    ("config-nested-deeply", dict(config=b'{"config": ' + deep_json(100_000) + b"}"), "nested too deeply"),
    ("config-a-list", dict(config=[1, 2]), "the model config is a list"),
    ("config-config-a-list-of-nothing", dict(config={"class_name": "Sequential", "config": []}), "lists no layers"),
    ("layers-a-number", dict(config=edited(seq_config(), lambda c: c["config"].update(layers=5))),
     "lists no layers"),
    ("layer-a-number", dict(config=edited(seq_config(), lambda c: c["config"]["layers"].append(5))),
     "is a number, not a layer's object"),
    ("layer-config-a-list", dict(config=edited(seq_config(), lambda c: c["config"]["layers"][2].update(config=[]))),
     "has a config that is a list"),
    ("class-name-missing", dict(config=edited(seq_config(), lambda c: c["config"]["layers"][1].pop("class_name"))),
     "class_name null"),
    ("names-missing", dict(config=edited(seq_config(), _drop_layer_names)), "has name null"),
    ("two-layers-one-name",
     dict(config=edited(seq_config(), lambda c: c["config"]["layers"][3]["config"].update(name="lstm"))),
     "two layers are named 'lstm'"),
    ("metadata-a-list", dict(metadata=[]), "metadata.json is a list"),
    ("keras-version-a-number", dict(metadata={"keras_version": 3}), "keras_version is int, not a string"),
    ("no-weights", dict(weights=None), "a .keras archive holds config.json and model.weights.h5"),
    ("weights-not-hdf5", dict(weights=b"not an hdf5 file" * 64), "not an HDF5 file"),
    ("weights-truncated", dict(weights=fixture_members("keras_seq.keras")["model.weights.h5"][:5000]),
     "model.weights.h5"),
]


@pytest.mark.parametrize(("replace", "phrase"), [case[1:] for case in KERAS_CASES],
                         ids=[case[0] for case in KERAS_CASES])
def test_a_malformed_keras_archive_is_refused_in_one_line(tmp_path, capsys, replace, phrase):
    pytest.importorskip("h5py")
    refused(capsys, "keras", keras_archive(tmp_path / "model.keras", **replace), phrase)


def test_a_keras_zip_bomb_is_refused_by_its_declared_size_without_unzipping(tmp_path):
    pytest.importorskip("h5py")
    members = fixture_members("keras_seq.keras")
    path = zip_file(tmp_path / "bomb.keras", [("config.json", members["config.json"]),
                                              ("model.weights.h5", deflated_zeros(3 * 1024), 8, 3 * GiB, 0)])
    assert path.stat().st_size < 4 * MiB
    peak = refused_in_a_child("keras", path, "member model.weights.h5 declares 3 GiB unzipped", "cap of 2 GiB")
    assert peak < GiB // 2, f"peak memory {peak >> 20} MiB"


@pytest.mark.parametrize(("member", "declared", "phrase"), [
    ("config.json", 200 * MiB, "member config.json declares 200 MiB unzipped, past the importer's cap of 95.4 MiB"),
    ("model.weights.h5", 64 * MiB, "member model.weights.h5 declares 64 MiB unzipped, past the importer's cap of "
                                   "16 MiB"),
])
def test_each_keras_member_is_held_to_its_cap(tmp_path, capsys, monkeypatch, member, declared, phrase):
    pytest.importorskip("h5py")
    monkeypatch.setattr(limits, "MAX_READ_BYTES", 16 * MiB)
    members = fixture_members("keras_seq.keras")
    members[member] = deflated_zeros(declared // MiB)
    path = zip_file(tmp_path / "bomb.keras", [(name, data, 8, declared, 0) if name == member else (name, data)
                                              for name, data in members.items()])
    refused(capsys, "keras", path, phrase)


def test_a_zip_that_hides_a_bomb_behind_a_small_declared_size_costs_only_that(tmp_path, capsys):
    """zipfile stops at the declared size; the bytes past it never come out, and the checksum then fails."""
    pytest.importorskip("h5py")
    members = fixture_members("keras_seq.keras")
    path = zip_file(tmp_path / "liar.keras", [("config.json", members["config.json"]),
                                              ("model.weights.h5", deflated_zeros(256), 8, MiB, 0)])
    refused(capsys, "keras", path, "member model.weights.h5 cannot be unzipped")


def test_a_member_that_unzips_past_what_it_declares_is_stopped_at_the_cap(tmp_path):
    """Whatever a zip declares, the bytes read are counted a chunk at a time (a reader that yields more than the
    member declares, as zipfile never does, stands in for a lying archive)."""
    from io import BytesIO

    class LyingZip:
        def getinfo(self, name):
            info = zipfile.ZipInfo(name)
            info.file_size = 10
            return info

        def open(self, info):
            return BytesIO(bytes(5 * READ_CHUNK))

    with MemberReader(LyingZip(), "config.json", tmp_path / "x.keras", Budget(tmp_path, "x"),
                      cap=2 * READ_CHUNK) as member, pytest.raises(ImportRefused, match="unzips to more than 2 MiB"):
        member.read()


def test_an_encrypted_keras_member_is_refused(tmp_path, capsys):
    pytest.importorskip("h5py")
    members = fixture_members("keras_seq.keras")
    path = zip_file(tmp_path / "locked.keras", [("config.json", members["config.json"], 0, None, 1),
                                                ("model.weights.h5", members["model.weights.h5"])])
    refused(capsys, "keras", path, "member config.json is encrypted")


def test_layers_that_feed_each_other_in_a_loop_end_the_search_for_a_decoder(tmp_path):
    pytest.importorskip("h5py")
    from app.importers.keras_files import read_keras_file

    path = keras_archive(tmp_path / "loop.keras", config=edited(seq_config(), _loop_after_the_last_lstm))
    result = import_keras(read_keras_file(path))
    assert result.params.W_dec is None and any("no decoder" in note for note in result.notes)


# --- HDF5 (.h5, .weights.h5) -----------------------------------------------------------------------------------

def legacy_h5(path: Path, build) -> Path:
    """keras_hard.h5 (a legacy HDF5 model) copied to `path`, then changed by build(file)."""
    h5py = pytest.importorskip("h5py")
    path.write_bytes((FIXTURES / "keras_hard.h5").read_bytes())
    with h5py.File(path, "r+") as f:
        build(f)
    return path


KERNEL = "model_weights/lstm_2/sequential_1/lstm_2/lstm_cell/kernel"


def _replace(f, name, make):
    del f[name]
    make(f, name)


def _config(f, edit):
    config = json.loads(f.attrs["model_config"])
    edit(config)
    f.attrs["model_config"] = json.dumps(config)


H5_CASES = [
    ("kernel-a-group", lambda f: _replace(f, KERNEL, lambda f, n: f.create_group(n)),
     "is a group where Keras writes a weight"),
    ("layer-group-a-dataset", lambda f: _replace(f, "model_weights/lstm_2", lambda f, n: f.create_dataset(n, data=[1])),
     "/model_weights/lstm_2 is a dataset where Keras writes a group"),
    ("kernel-missing", lambda f: f.__delitem__(KERNEL), "has no 'kernel'"),
    ("kernel-of-strings", lambda f: _replace(f, KERNEL, lambda f, n: f.create_dataset(n, data=[b"a", b"b"])),
     "not a weight's numbers"),
    ("kernel-a-soft-link", lambda f: _replace(f, KERNEL, lambda f, n: f.__setitem__(
        n, __import__("h5py").SoftLink("/model_weights/dense_1/sequential_1/dense_1/kernel"))),
     "is a soft link; the importer reads what the file itself holds and follows no links"),
    ("kernel-an-external-link", lambda f: _replace(f, KERNEL, lambda f, n: f.__setitem__(
        n, __import__("h5py").ExternalLink("/etc/passwd.h5", "/secret"))), "is an external link"),
    ("kernel-stored-in-another-file", lambda f: _replace(f, KERNEL, lambda f, n: f.create_dataset(
        n, shape=(4,), dtype="f4", external=[("/etc/hostname", 0, 16)])), "keeps its data in other files"),
    ("layer-names-a-number", lambda f: f["model_weights"].attrs.__setitem__("layer_names", 5),
     "the layer_names attribute is not a list of names"),
    ("layer-names-not-utf8", lambda f: f["model_weights"].attrs.__setitem__("layer_names", np.array([b"\xff\xfe"])),
     "not UTF-8"),
    ("layer-names-two-alike", lambda f: f["model_weights"].attrs.__setitem__(
        "layer_names", np.array([b"lstm_2", b"lstm_2"])), "two layers are named 'lstm_2'"),
    ("model-config-not-json", lambda f: f.attrs.__setitem__("model_config", "{oops"),
     "model_config is not valid UTF-8 JSON"),
    ("model-config-a-number", lambda f: f.attrs.__setitem__("model_config", 5),
     "the model_config attribute is int64, not a string"),
    ("model-config-nested-deeply", lambda f: f.attrs.__setitem__("model_config", deep_json(20_000).decode()),
     "nested too deeply"),
    ("model-config-layers-5", lambda f: _config(f, lambda c: c["config"].update(layers=5)), "lists no layers"),
    ("model-config-layer-config-a-list", lambda f: _config(f, lambda c: c["config"]["layers"][1].update(config=[])),
     "has a config that is a list"),
    ("keras-version-an-array", lambda f: f.attrs.__setitem__("keras_version", np.zeros(3)), "keras_version"),
]


@pytest.mark.parametrize(("build", "phrase"), [case[1:] for case in H5_CASES], ids=[case[0] for case in H5_CASES])
def test_an_h5_file_of_the_wrong_structure_is_refused_in_one_line(tmp_path, capsys, build, phrase):
    refused(capsys, "keras", legacy_h5(tmp_path / "model.h5", build), phrase)


def test_a_weights_h5_whose_layer_is_a_dataset_is_refused(tmp_path, capsys):
    h5py = pytest.importorskip("h5py")
    path = tmp_path / "model.weights.h5"
    with h5py.File(path, "w") as f:
        f.create_group("layers")
        f["layers/lstm"] = np.zeros(3, np.float32)
    refused(capsys, "keras", path, "/layers/lstm is a dataset where Keras writes a group")


@pytest.mark.parametrize(("keep", "phrase"), [(0.5, "model.h5"), (0.9, "model.h5"), (0.0, "not an HDF5 file")])
def test_a_truncated_h5_file_is_refused_in_one_line(tmp_path, capsys, keep, phrase):
    pytest.importorskip("h5py")
    raw = (FIXTURES / "keras_hard.h5").read_bytes()
    path = tmp_path / "model.h5"
    path.write_bytes(raw[: int(len(raw) * keep)] or b"plain text, not HDF5")
    refused(capsys, "keras", path, phrase)


def test_an_unwritten_huge_dataset_is_refused_by_its_shape_without_being_read(tmp_path):
    """An HDF5 dataset reads as its fill value where nothing was written: 3 GiB declared in a few KB."""
    h5py = pytest.importorskip("h5py")
    path = tmp_path / "model.h5"
    with h5py.File(path, "w") as f:
        f.attrs["layer_names"] = np.array([b"lstm"])
        f.create_group("lstm").attrs["weight_names"] = np.array([b"kernel"])
        f["lstm"].create_dataset("kernel", shape=(3 * GiB // 4,), dtype="f4")
    assert path.stat().st_size < MiB
    peak = refused_in_a_child("keras", path, "dataset /lstm/kernel (3 GiB) brings its weights to 3 GiB",
                              "cap of 2 GiB")
    assert peak < GiB // 2, f"peak memory {peak >> 20} MiB"


# --- in a process of its own: nothing else reaches stderr ---------------------------------------------------------

def npz_beyond_float32(path: Path) -> Path:
    return zip_file(path, [("lstm.weight_ih_l0.npy", npy(np.full((4, 2), 1e300)))])


def h5_cut_in_half(path: Path) -> Path:
    raw = (FIXTURES / "keras_hard.h5").read_bytes()
    path.write_bytes(raw[: len(raw) // 2])
    return path


@pytest.mark.parametrize(("framework", "name", "build", "phrase"), [
    ("pytorch", "model.npz", npz_beyond_float32, "holds float64 values past float32's range"),
    ("pytorch", "model.safetensors", cut(GRU_DATA // 2), "its header should be"),
    ("keras", "model.h5", h5_cut_in_half, "model.h5"),
    ("keras", "model.keras", lambda p: keras_archive(p, config=b'{"config": ' + deep_json(100_000) + b"}"),
     "nested too deeply"),
], ids=["float64-overflow", "safetensors-cut", "h5-cut", "config-deep"])
def test_no_warning_or_library_message_joins_the_one_line(tmp_path, framework, name, build, phrase):
    """Warnings (NumPy's overflow), HDF5's own diagnostics: only a process of its own shows all of its stderr."""
    if framework == "keras":
        pytest.importorskip("h5py")
    refused_in_a_child(framework, build(tmp_path / name), phrase)


# --- vocabularies -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "phrase"), [
    (deep_json(100_000).decode(), "nested too deeply"),
    ('{"a": 1, "b": 1000000000000}', "ids [2, 3, 4, 5, 6] have no token"),
])
def test_a_hostile_vocabulary_is_refused_in_one_line(tmp_path, capsys, text, phrase):
    vocab = tmp_path / "vocab.json"
    vocab.write_text(text, encoding="utf-8")
    code = main(["import", "pytorch", str(FIXTURES / "torch_gru.safetensors"), "--vocab", str(vocab), "--tokenizer",
                 "word", "--id", "x", "--out", str(tmp_path / "out")])
    assert_one_line_refusal(code, capsys.readouterr().err, vocab, (phrase,))


# --- what the caps admit ------------------------------------------------------------------------------------------

def test_the_caps_admit_every_committed_fixture_with_room_to_spare():
    biggest = max(p.stat().st_size for p in FIXTURES.iterdir())
    assert biggest * 1000 < limits.MAX_READ_BYTES <= limits.MAX_FILE_BYTES
    assert 1_800_000 * 1000 < limits.MAX_READ_BYTES  # textgenrnn's 1.8 MB weights, a thousand times over

