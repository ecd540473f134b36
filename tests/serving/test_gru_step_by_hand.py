"""Two GRU steps worked out by hand, read back from /api/step over HTTP: H = 2, one-hot inputs over V = 2, float64
weights, the reset gate after W_hn (PyTorch) and before it (Keras's reset_after=False).

The expected numbers below were computed from the equations with Python's math module as a calculator (σ, tanh),
rounded to 7 decimals, not taken from the engine. /api/step sends float32, hence the tolerance.

Rows of the (3H, ·) matrices in PyTorch's gate order: r0 r1 z0 z1 n0 n1. The text is "?a": token 0 ("?") then
token 1 ("a"), so W_ih·x is W_ih's first column at step 0 and its second at step 1. Step 0 starts from h = 0.

    r_t = σ(W_ir·x + b_ir + W_hr·h_{t−1} + b_hr)      z_t = σ(W_iz·x + b_iz + W_hz·h_{t−1} + b_hz)
    reset after:  n_t = tanh(W_in·x + b_in + r_t ⊙ (W_hn·h_{t−1} + b_hn))
    reset before: n_t = tanh(W_in·x + b_in + W_hn·(r_t ⊙ h_{t−1}) + b_hn)
    h_t = (1 − z_t) ⊙ n_t + z_t ⊙ h_{t−1} = written + kept
"""

from __future__ import annotations

import httpx
import numpy as np
import pytest

from app.engine.cells import CELLS
from app.engine.lstm import LayerWeights
from app.model_store import write_model
from app.serving.app import create_app
from app.serving.config import Settings
from tests.helpers import char_card
from tests.servers import serve

W_ih = np.array([[0.5, -0.5], [0.25, 1.0], [-1.0, 0.5], [0.0, -0.25], [1.0, 0.5], [-0.5, 2.0]])  # (3H, V)
W_hh = np.array([[0.5, 1.0], [-1.0, 0.5], [1.0, 0.0], [0.5, -0.5], [-1.0, 0.5], [0.25, 1.0]])  # (3H, H)
b_ih = np.array([0.1, 0.0, 0.0, 0.2, -0.1, 0.0])
b_hh = np.array([0.0, -0.1, 0.3, 0.0, 0.2, 0.5])
TEXT = "?a"

# Step 0, from h_{−1} = 0 (both variants alike but for n's bias: r ⊙ b_hn after, b_hn before):
#   r = σ([0.5 + 0.1, 0.25 − 0.1])            = σ([0.6, 0.15])  = [0.6456563, 0.5374298]
#   z = σ([−1.0 + 0.3, 0.0 + 0.2])            = σ([−0.7, 0.2])  = [0.3318122, 0.5498340]
#   after:  n = tanh([1.0 − 0.1 + 0.6456563·0.2, −0.5 + 0.5374298·0.5]) = tanh([1.0291313, −0.2312851])
#             = [0.7735597, −0.2272474];   h_0 = (1 − z) ⊙ n = [0.5168831, −0.1022991]
#   before: n = tanh([1.0 − 0.1 + 0.2, −0.5 + 0.5]) = tanh([1.1, 0.0]) = [0.8004990, 0.0]
#             h_0 = (1 − z) ⊙ n = [0.5348837, 0.0]
# Step 1, reset after, h_0 = [0.5168831, −0.1022991], x = column 1 = [−0.5, 1.0 | 0.5, −0.25 | 0.5, 2.0]:
#   W_hr·h_0 = [0.5·0.5168831 + 1.0·−0.1022991, −1.0·0.5168831 + 0.5·−0.1022991] = [0.1561425, −0.5680327]
#   r = σ([−0.5 + 0.1561425 + 0.1, 1.0 − 0.5680327 − 0.1]) = σ([−0.2438575, 0.3319673]) = [0.4393359, 0.5822380]
#   W_hz·h_0 = [0.5168831, 0.5·0.5168831 − 0.5·−0.1022991] = [0.5168831, 0.3095911]
#   z = σ([0.5 + 0.5168831 + 0.3, −0.25 + 0.3095911 + 0.2]) = σ([1.3168831, 0.2595911]) = [0.7886627, 0.5645358]
#   W_hn·h_0 = [−1.0·0.5168831 + 0.5·−0.1022991, 0.25·0.5168831 + 1.0·−0.1022991] = [−0.5680327, 0.0269217]
#   n's recurrent part r ⊙ W_hn·h_0 = [−0.2495572, 0.0156748]; its bias b_in + r ⊙ b_hn = [−0.0121328, 0.2911190]
#   n = tanh([0.5 − 0.2495572 − 0.0121328, 2.0 + 0.0156748 + 0.2911190]) = tanh([0.2383100, 2.3067938])
#     = [0.2338989, 0.9803624]
#   kept = z ⊙ h_0 = [0.4076464, −0.0577515]; forgotten = (1 − z) ⊙ h_0 = [0.1092367, −0.0445476]
#   written = (1 − z) ⊙ n = [0.0494316, 0.4269127];   h_1 = kept + written = [0.4570780, 0.3691613]
# Step 1, reset before, h_0 = [0.5348837, 0.0]:
#   W_hr·h_0 = [0.2674418, −0.5348837];  r = σ([−0.1325582, 0.3651163]) = [0.4669089, 0.5902784]
#   W_hz·h_0 = [0.5348837, 0.2674418];   z = σ([1.3348837, 0.2174418]) = [0.7916473, 0.5541473]
#   n's recurrent part W_hn·(r ⊙ h_0) = W_hn·[0.2497419, 0.0] = [−0.2497419, 0.0624355]
#   n's bias b_in + b_hn = [0.1, 0.5]
#   n = tanh([0.5 − 0.2497419 + 0.1, 2.0 + 0.0624355 + 0.5]) = tanh([0.3502581, 2.5624355]) = [0.3366044, 0.9881763]
#   kept = [0.4234392, 0.0]; forgotten = [0.1114445, 0.0]; written = [0.0701324, 0.4405811]
#   h_1 = kept + written = [0.4935716, 0.4405811]
EXPECTED = {
    "after": [
        {"h_prev": [0.0, 0.0],
         "r": {"input": [0.5, 0.25], "recurrent": [0.0, 0.0], "bias": [0.1, -0.1], "value": [0.6456563, 0.5374298]},
         "z": {"input": [-1.0, 0.0], "recurrent": [0.0, 0.0], "bias": [0.3, 0.2], "value": [0.3318122, 0.5498340]},
         "n": {"input": [1.0, -0.5], "recurrent": [0.0, 0.0], "bias": [0.0291313, 0.2687149],
               "value": [0.7735597, -0.2272474]},
         "kept": [0.0, 0.0], "forgotten": [0.0, 0.0], "written": [0.5168831, -0.1022991], "h": [0.5168831, -0.1022991]},
        {"h_prev": [0.5168831, -0.1022991],
         "r": {"input": [-0.5, 1.0], "recurrent": [0.1561425, -0.5680327], "bias": [0.1, -0.1],
               "value": [0.4393359, 0.5822380]},
         "z": {"input": [0.5, -0.25], "recurrent": [0.5168831, 0.3095911], "bias": [0.3, 0.2],
               "value": [0.7886627, 0.5645358]},
         "n": {"input": [0.5, 2.0], "recurrent": [-0.2495572, 0.0156748], "bias": [-0.0121328, 0.2911190],
               "value": [0.2338989, 0.9803624]},
         "kept": [0.4076464, -0.0577515], "forgotten": [0.1092367, -0.0445476], "written": [0.0494316, 0.4269127],
         "h": [0.4570780, 0.3691613]},
    ],
    "before": [
        {"h_prev": [0.0, 0.0],
         "r": {"input": [0.5, 0.25], "recurrent": [0.0, 0.0], "bias": [0.1, -0.1], "value": [0.6456563, 0.5374298]},
         "z": {"input": [-1.0, 0.0], "recurrent": [0.0, 0.0], "bias": [0.3, 0.2], "value": [0.3318122, 0.5498340]},
         "n": {"input": [1.0, -0.5], "recurrent": [0.0, 0.0], "bias": [0.1, 0.5], "value": [0.8004990, 0.0]},
         "kept": [0.0, 0.0], "forgotten": [0.0, 0.0], "written": [0.5348837, 0.0], "h": [0.5348837, 0.0]},
        {"h_prev": [0.5348837, 0.0],
         "r": {"input": [-0.5, 1.0], "recurrent": [0.2674418, -0.5348837], "bias": [0.1, -0.1],
               "value": [0.4669089, 0.5902784]},
         "z": {"input": [0.5, -0.25], "recurrent": [0.5348837, 0.2674418], "bias": [0.3, 0.2],
               "value": [0.7916473, 0.5541473]},
         "n": {"input": [0.5, 2.0], "recurrent": [-0.2497419, 0.0624355], "bias": [0.1, 0.5],
               "value": [0.3366044, 0.9881763]},
         "kept": [0.4234392, 0.0], "forgotten": [0.1114445, 0.0], "written": [0.0701324, 0.4405811],
         "h": [0.4935716, 0.4405811]},
    ],
}
TOLERANCE = 1e-6  # the literals are rounded to 7 decimals; /api/step sends float32


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """gru-after and gru-before: the same weights, the reset gate after or before W_hn."""
    folder = tmp_path_factory.mktemp("gru_by_hand")
    for variant, reset_after in (("after", True), ("before", False)):
        params = CELLS["gru"].params_type((LayerWeights(W_ih, W_hh, b_ih, b_hh),), 2, reset_after=reset_after)
        write_model(folder, char_card(f"gru-{variant}", "gru", ("?", "a"), reset_after=reset_after), params)
    return folder


@pytest.fixture(scope="module")
def http(folder):
    """The two models share their weights file and differ in reset_after only: their versions differ, so the trace
    cache keeps them apart (test_models_that_differ_only_in_an_option_do_not_share_cached_traces)."""
    with serve(create_app(Settings(models_dir=folder, bundled_models=False))) as base, \
            httpx.Client(base_url=base, timeout=30) as client:
        yield client


@pytest.mark.parametrize("step", [0, 1])
@pytest.mark.parametrize("variant", ["after", "before"])
def test_api_step_gives_the_hand_computed_numbers(http, variant, step):
    body = http.get("/api/step", params={"model": f"gru-{variant}", "text": TEXT, "step": step}).json()
    want = EXPECTED[variant][step]
    assert body["cell"] == "gru" and body["reset_after"] is (variant == "after")
    assert body["token"]["text"] == TEXT[step] and body["token"]["id"] == step
    assert body["activations"] == {"r": "sigmoid", "z": "sigmoid", "n": "tanh"}
    np.testing.assert_allclose(body["h_prev"], want["h_prev"], rtol=0, atol=TOLERANCE)
    np.testing.assert_allclose(body["h"], want["h"], rtol=0, atol=TOLERANCE)
    for gate in ("r", "z", "n"):
        parts = body["gates"][gate]
        for part in ("input", "recurrent", "bias", "value"):
            np.testing.assert_allclose(parts[part], want[gate][part], rtol=0, atol=TOLERANCE, err_msg=f"{gate}.{part}")
        np.testing.assert_allclose(parts["preactivation"], np.sum([want[gate][p] for p in ("input", "recurrent",
                                                                                            "bias")], axis=0),
                                   rtol=0, atol=TOLERANCE, err_msg=gate)
    for name in ("kept", "forgotten", "written"):
        np.testing.assert_allclose(body["values"][name], want[name], rtol=0, atol=TOLERANCE, err_msg=name)
    # The ledger: what is kept plus what is written is the new h; kept plus forgotten is the old one.
    np.testing.assert_allclose(np.add(body["values"]["kept"], body["values"]["written"]), body["h"], atol=1e-7)
    np.testing.assert_allclose(np.add(body["values"]["kept"], body["values"]["forgotten"]), body["h_prev"], atol=1e-7)


@pytest.mark.parametrize("variant", ["after", "before"])
def test_the_trace_and_its_ledger_hold_the_same_numbers(http, variant):
    body = http.get("/api/trace", params={"model": f"gru-{variant}", "text": TEXT,
                                          "quantities": "r,z,n,h,kept,forgotten,written"}).json()
    layer = body["layers"][0]
    for t, want in enumerate(EXPECTED[variant]):
        for q in ("r", "z", "n"):
            np.testing.assert_allclose(layer[q][t], want[q]["value"], rtol=0, atol=TOLERANCE, err_msg=f"{q} t={t}")
        for q in ("h", "kept", "forgotten", "written"):
            np.testing.assert_allclose(layer[q][t], want[q], rtol=0, atol=TOLERANCE, err_msg=f"{q} t={t}")


def test_models_that_differ_only_in_an_option_do_not_share_cached_traces(folder):
    with serve(create_app(Settings(models_dir=folder, bundled_models=False))) as base, \
            httpx.Client(base_url=base, timeout=30) as client:
        for variant in ("after", "before"):
            body = client.get("/api/step", params={"model": f"gru-{variant}", "text": TEXT, "step": 1}).json()
            np.testing.assert_allclose(body["h"], EXPECTED[variant][1]["h"], rtol=0, atol=TOLERANCE, err_msg=variant)
