"""The CLI fails in one line with a non-zero exit, never a traceback: a corpus not fetched yet, a reader that
leaves a pipe early."""

import subprocess
import sys

import pytest

CLI = [sys.executable, "-m", "app.cli"]


@pytest.mark.parametrize("command", [["eval", "python"], ["train", "--corpus", "shakespeare", "--id", "x",
                                                          "--steps", "1", "--out"]])
def test_a_corpus_not_fetched_is_one_line_saying_what_to_run(tmp_path, command):
    argv = command + ([str(tmp_path / "out")] if command[-1] == "--out" else []) + ["--corpora-dir", str(tmp_path)]
    r = subprocess.run(CLI + argv, capture_output=True, text=True, timeout=300)
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "python tools/corpora.py" in lines[0], r.stderr


def test_a_pipe_closed_early_ends_quietly():
    text = "word " * 2000
    cli = subprocess.Popen(CLI + ["trace", "--model", "lesson", "--format", "csv", text], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE)
    cli.stdout.read(10)
    cli.stdout.close()  # the reader leaves, as `| head -c 10` does
    stderr = cli.stderr.read().decode()
    cli.wait(timeout=300)
    assert "Traceback" not in stderr and "BrokenPipe" not in stderr, stderr
