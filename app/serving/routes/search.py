"""GET and POST /api/search: find more like this over a model's state index (app/serving/search.py)."""

from typing import Annotated

from fastapi import Depends, Query, Request, Response

from app.serving.routes.analysis import analysis_router
from app.serving.routes.api import ERRORS, Models, json_response, strict_query
from app.serving.schemas import ErrorOut
from app.serving.search import (
    DocumentsRequest,
    DocumentsResponse,
    SearchContext,
    SearchRequest,
    SearchResponse,
    documents,
    search,
)


def search_context(request: Request) -> SearchContext:
    return SearchContext(request.app.state.trace_cache, request.app.state.indexes)


router = analysis_router(
    "/api/search", SearchRequest, SearchResponse, search, context=search_context,
    get_doc="Find more like this over the model's state index (built by `lstm-viz index MODEL`; GET /api/models "
            "says which models have one): mode `match` finds spans where `units` are on (≥ threshold) inside and off "
            "around, ranked by overlap then length (LSTMVis's match), with the units taken from a span "
            "`start`..`end` of `text` when none are given; mode `top` finds where one `unit` is highest. At most "
            "`limit` results, each with its document, offsets, text and the units' values over a window of context. "
            "404 when the model has no index.",
    post_doc="The same as GET /api/search, with a JSON body {model, mode, units, threshold, text, start, end, ...}, "
             "for long texts.")


@router.get("/api/search/documents", responses={200: {"model": DocumentsResponse}, 400: {"model": ErrorOut}, **ERRORS},
            dependencies=[Depends(strict_query)])
def search_documents(request: Request, req: Annotated[DocumentsRequest, Query()], models: Models) -> Response:
    """The whole text of the documents search results are in (`document`, comma-separated, at most 50): the page
    opens a result by tracing its document's text, where the result is at tokens start − document start onwards.
    404 when the model has no index."""
    return json_response(documents(models, request.app.state.indexes, req))
