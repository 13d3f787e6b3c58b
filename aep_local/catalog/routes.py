"""Catalog's HTTP surface under `/data/foundation/catalog`: datasets and batches."""

from __future__ import annotations

from aep_spec import catalog as facts

from ..core.gateway import Caller
from ..core.http import Request, Response
from ..core.routing import Route, Service
from . import errors
from .model import Catalog

BASE = "/data/foundation/catalog"


def catalog_service(model: Catalog) -> Service:
    def create(req: Request, caller: Caller, params: dict[str, str]) -> Response:
        dataset_id = model.create(caller, req.body)
        return Response(201, [facts.dataset_ref(dataset_id)],
                        {"Location": f"http://{req.host}{BASE}/dataSets/{dataset_id}"})

    def get(req: Request, caller: Caller, params: dict[str, str]) -> Response:
        body = model.get(caller, params["id"], req.query)
        version = body[params["id"]].get("version")
        return Response(200, body, {"ETag": f'"{version}"'} if version else {})

    def patch(req: Request, caller: Caller, params: dict[str, str]) -> Response:
        content_type = (req.header("content-type") or "").split(";")[0].strip().lower()
        return _written(model.patch(caller, params["id"], req.body, content_type, _if_match(req)))

    def replace(req: Request, caller: Caller, params: dict[str, str]) -> Response:
        return _written(model.replace(caller, params["id"], req.body, _if_match(req)))

    def delete(req: Request, caller: Caller, params: dict[str, str]) -> Response:
        return Response(200, [facts.dataset_ref(params["id"])] if model.delete(caller, params["id"]) else [])

    return Service("catalog", BASE, "/catalog", errors.render, [
        Route("POST", "/dataSets", create),
        Route("GET", "/dataSets", lambda r, c, p: Response(200, model.list_datasets(c, r.query))),
        Route("GET", "/dataSets/{id}", get),
        Route("PATCH", "/dataSets/{id}", patch),
        Route("PUT", "/dataSets/{id}", replace),
        Route("DELETE", "/dataSets/{id}", delete),
        Route("GET", "/batches", lambda r, c, p: Response(200, model.list_batches(c, r.query))),
        Route("GET", "/batches/{id}", lambda r, c, p: Response(200, model.get_batch(c, p["id"]))),
    ])


def _if_match(req: Request) -> str | None:
    """`If-Match` (Adobe's prose spells the answer's header `E-Tag`; both name the version)."""
    return req.header("if-match")


def _written(dataset_id: str) -> Response:
    return Response(200, [facts.dataset_ref(dataset_id)])
