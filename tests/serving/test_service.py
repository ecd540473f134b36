"""Service pieces that the API tests cannot reach: encodings and refusals of impossible numbers."""

import base64

import numpy as np
import pytest

from app.engine.cells import CELLS
from app.model_store import load_model
from app.serving.config import Settings
from app.serving.service import InputError, encode_array, parse_quantities, run_trace, trace_payload


def test_a_nan_is_an_error_not_a_silent_null():
    with pytest.raises(ValueError, match="NaN or infinite"):
        encode_array(np.array([[0.5, np.nan]], np.float32), "json")
    with pytest.raises(ValueError, match="NaN or infinite"):
        encode_array(np.array([[np.inf]], np.float32), "f4")


def test_f4_spec_is_plotlys_typed_array_with_a_string_shape():
    a = np.arange(6, dtype=np.float32).reshape(2, 3) / 7
    spec = encode_array(a[:, ::-1], "f4")  # a non-contiguous view is copied, not refused
    assert spec["dtype"] == "f4" and spec["shape"] == "2,3"
    assert np.array_equal(np.frombuffer(base64.b64decode(spec["bdata"]), "<f4").reshape(2, 3), a[:, ::-1])


def test_json_encoding_returns_a_contiguous_float32_array():
    out = encode_array(np.ones((3, 2), np.float64)[:, ::-1], "json")
    assert out.dtype == np.float32 and out.flags.c_contiguous


def test_quantities_come_back_in_canonical_order():
    assert parse_quantities("written,c,f") == ("f", "c", "written")
    assert parse_quantities(None) == ("i", "f", "g", "o", "c", "h")
    with pytest.raises(InputError, match="choose from"):
        parse_quantities(" , ")


@pytest.mark.parametrize("cell", list(CELLS))
def test_each_models_quantities_come_in_its_cells_order(cell_models, cell):
    model = load_model(cell_models / f"{cell}.safetensors")
    spec = model.spec
    assert parse_quantities(None, model) == spec.quantities
    assert parse_quantities(",".join(reversed(spec.offered)), model) == spec.offered
    result = run_trace(model, "ab", Settings())
    foreign = tuple(q for c in CELLS.values() for q in c.offered if q not in spec.offered)[:1]
    if foreign:  # what another cell records is refused with the message that says what to change
        with pytest.raises(InputError, match=f"model '{cell}' is {spec.article}: choose from"):
            trace_payload(result, 0, foreign, "json")
