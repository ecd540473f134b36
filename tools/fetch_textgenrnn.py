"""Fetch textgenrnn's published weights (MIT) for tests/test_import_textgenrnn.py; never committed.

    python tools/fetch_textgenrnn.py

Runs `pip download textgenrnn==2.0.0 --no-deps` into the git-ignored folder fetched/textgenrnn/ and
extracts from its sdist textgenrnn/textgenrnn_weights.hdf5 (Keras 2.1.5, saved from CuDNNLSTM layers:
embedding (465, 100), rnn_1 and rnn_2 of 128 units with 8u = 1,024 biases, then an attention head)
and textgenrnn/textgenrnn_vocab.json (a char→id map from 1; id 0 is padding and unknown).
"""

from __future__ import annotations

import subprocess
import sys
import tarfile
from pathlib import Path

FOLDER = Path(__file__).resolve().parent.parent / "fetched" / "textgenrnn"
VERSION = "2.0.0"
MEMBERS = ("textgenrnn_weights.hdf5", "textgenrnn_vocab.json")


def main() -> int:
    FOLDER.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "pip", "download", f"textgenrnn=={VERSION}", "--no-deps", "--no-binary",
                    ":all:", "-d", str(FOLDER)], check=True)
    sdist = FOLDER / f"textgenrnn-{VERSION}.tar.gz"
    with tarfile.open(sdist) as tar:
        for name in MEMBERS:
            member = tar.getmember(f"textgenrnn-{VERSION}/textgenrnn/{name}")
            source = tar.extractfile(member)
            assert source is not None
            (FOLDER / name).write_bytes(source.read())
            print(f"wrote {FOLDER / name} ({member.size / 1024:.0f} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
