"""The importers' tests: `lstm-viz import pytorch|keras` against each framework's own outputs (fixtures in
tests/fixtures/import/, made by tools/make_import_fixtures.py; helpers in tests/import_helpers.py)."""
