"""GET and POST /api/components: kinds of memory, by non-negative matrix factorisation of a layer's memory over a
text (app/serving/components.py)."""

from app.serving.components import ComponentsRequest, ComponentsResponse, components
from app.serving.routes.analysis import analysis_router

router = analysis_router(
    "/api/components", ComponentsRequest, ComponentsResponse, components,
    get_doc="Kinds of memory: a layer's memory (c, or h) over the text, split by sign and factored by non-negative "
            "matrix factorisation into k components, each with its activation over the tokens, its top units and "
            "its peaks.",
    post_doc="The same as GET /api/components, with a JSON body {model, text, layer, quantity, k, full}, for long "
             "texts.")
