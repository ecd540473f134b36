"""tests/js/fixtures/cells.json holds what /api/models says of each registered cell (`cell_spec`, with the
cell's default options): the page's Node tests (tests/js/*.test.mjs) draw cells from it, so it must stay the
server's. Regenerate it with `python -m tests.test_js_cell_fixture`."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

from app.engine.cells import CELLS
from app.serving.service import cell_summary

FIXTURE = Path(__file__).resolve().parent / "js" / "fixtures" / "cells.json"


def cell_specs() -> dict:
    """{cell name: cell_spec} as GET /api/models sends it for a model with the cell's default options."""
    specs = {}
    for name, cell in CELLS.items():
        params = SimpleNamespace(**{key: allowed[0] for key, allowed in cell.options.items()})
        specs[name] = cell_summary(cell, params)
    return specs


def render() -> str:
    return json.dumps(cell_specs(), indent=1, ensure_ascii=False) + "\n"


def test_the_node_tests_cell_specs_are_the_servers():
    assert FIXTURE.read_text(encoding="utf-8") == render(), (
        "tests/js/fixtures/cells.json is out of date: run `python -m tests.test_js_cell_fixture`")


if __name__ == "__main__":
    FIXTURE.write_text(render(), encoding="utf-8")
    print(f"wrote {FIXTURE}")
