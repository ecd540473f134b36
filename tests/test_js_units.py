"""The page's Node tests pass: its pure modules (static/js/core/) and the rules its source keeps."""

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NODE = shutil.which("node")


@pytest.mark.skipif(NODE is None, reason="the JavaScript unit tests need Node.js (`node` is not on PATH)")
def test_js_unit_tests_pass_under_node():
    result = subprocess.run(
        [NODE, "--test", "tests/js/"], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, f"node --test tests/js/ failed:\n{result.stdout}\n{result.stderr}"
