"""GET and POST /api/attribution: why the model predicted a token (app/serving/attribution.py)."""

from app.serving.attribution import AttributionRequest, AttributionResponse, attribution
from app.serving.routes.analysis import analysis_router

router = analysis_router(
    "/api/attribution", AttributionRequest, AttributionResponse, attribution,
    get_doc="Why this prediction: one score per token 0…step for how much it pushed the prediction after `step` "
            "toward `target`, by gradient × input, integrated gradients, occlusion or connectivity.",
    post_doc="The same as GET /api/attribution, with a JSON body {model, text, step, target, method, m}.")
