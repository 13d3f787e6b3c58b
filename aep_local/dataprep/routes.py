"""Data Prep's HTTP surface under `/data/foundation/conversion`: mapping sets, their mappings,
validation and preview."""

from __future__ import annotations

from ..core.gateway import Caller
from ..core.http import Request, Response
from ..core.routing import Route, Service
from . import errors
from .model import DataPrep

BASE = "/data/foundation/conversion"


def data_prep(model: DataPrep) -> Service:
    def create(req: Request, caller: Caller, params: dict[str, str]) -> Response:
        return Response(200, model.create(caller, req.body, _validate(req)))

    def listing(req: Request, caller: Caller, params: dict[str, str]) -> Response:
        return Response(200, model.list_sets(caller, req.query, "/mappingSets"))

    def get(req: Request, caller: Caller, params: dict[str, str]) -> Response:
        return Response(200, model.get(caller, params["id"], req.param("version")))

    def replace(req: Request, caller: Caller, params: dict[str, str]) -> Response:
        return Response(200, model.replace(caller, params["id"], req.body, _validate(req)))

    def delete(req: Request, caller: Caller, params: dict[str, str]) -> Response:
        model.delete(caller, params["id"])
        return Response(204)

    def mappings(req: Request, caller: Caller, params: dict[str, str]) -> Response:
        return Response(200, model.mappings(caller, params["id"], req.param("version"), params.get("mapping")))

    return Service("dataprep", BASE, "/conversion", errors.render, [
        Route("POST", "/mappingSets/validate", lambda r, c, p: Response(200, model.validate(c, r.body))),
        Route("POST", "/mappingSets/preview", lambda r, c, p: Response(200, model.preview(c, r.body))),
        Route("POST", "/mappingSets", create),
        Route("GET", "/mappingSets", listing),
        Route("GET", "/mappingSets/{id}", get),
        Route("PUT", "/mappingSets/{id}", replace),
        Route("DELETE", "/mappingSets/{id}", delete),
        Route("GET", "/mappingSets/{id}/mappings", mappings),
        Route("GET", "/mappingSets/{id}/mappings/{mapping}", mappings),
    ])


def _validate(req: Request) -> bool:
    """`?validate=true` (aepp and Adobe's 2020 Postman samples send it; false by default)."""
    return (req.param("validate") or "false").lower() == "true"
