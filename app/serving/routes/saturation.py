"""GET and POST /api/saturation: per gate and unit, how often the gate is shut or wide open over a text
(app/serving/saturation.py)."""

from app.serving.routes.analysis import analysis_router
from app.serving.saturation import SaturationRequest, SaturationResponse, saturation

router = analysis_router(
    "/api/saturation", SaturationRequest, SaturationResponse, saturation,
    get_doc="Gate saturation (Karpathy et al. 2015, fig. 3): per gate of one layer (LSTM i, f, o; GRU r, z) and per "
            "unit, the fraction of the text's steps the gate is below `threshold` (closed) and above 1 − threshold "
            "(open), with how many units are mostly one or the other. A vanilla RNN has no gates: `gates` is empty, "
            "with a note.",
    post_doc="The same as GET /api/saturation, with a JSON body {model, text, layer, threshold, salt}, for long "
             "texts.")
