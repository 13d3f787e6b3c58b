"""Flow Service's HTTP surface: Adobe's paths under `/data/foundation/flowservice` in front of
the model. Each action only translates (the request's parts in, the model's answer out, with the
`Location` and `ETag` headers Adobe sends)."""

from __future__ import annotations

from ..core.gateway import Caller
from ..core.http import Request, Response
from ..core.routing import Action, Route, Service
from . import errors
from .connectivity import Connectivity
from .model import FlowModel
from .records import Collection

BASE = "/data/foundation/flowservice"
# Collections served with the same verbs: POST and GET on the list, GET, PATCH, DELETE on an item.
COLLECTIONS = ("/connections", "/sourceConnections", "/targetConnections", "/flows")


def if_match(req: Request) -> str | None:
    """`If-Match` from the header, or (as Adobe's Postman samples send it) the query."""
    return req.header("if-match") or req.param("if-match")


def flow_service(model: FlowModel, connectivity: Connectivity) -> Service:
    routes: list[Route] = []
    for path in COLLECTIONS:
        collection = model.collection(path)
        routes += [Route("POST", path, _creator(collection)), Route("GET", path, _lister(collection)),
                   Route("GET", f"{path}/{{id}}", _getter(collection)),
                   Route("PATCH", f"{path}/{{id}}", _patcher(collection)),
                   Route("DELETE", f"{path}/{{id}}", _deleter(collection))]

    def test(req: Request, caller: Caller, params: dict[str, str]) -> Response:
        # The record is read first (404 for unknown ids), then S3 is called outside any lock.
        record = model.connections.stored(caller, params["id"])
        return Response(200, {"result": connectivity.test(record)})

    def explore(req: Request, caller: Caller, params: dict[str, str]) -> Response:
        record = model.connections.stored(caller, params["id"])
        return Response(200, connectivity.explore(record, req.query))

    def flow_action(req: Request, caller: Caller, params: dict[str, str]) -> Response:
        updated = model.flows.action(caller, params["id"], req.query, if_match(req))
        return Response(200, updated, {"ETag": updated["etag"]})

    def start_run(req: Request, caller: Caller, params: dict[str, str]) -> Response:
        created = model.runs.create(caller, req.body)
        item = created["items"][0]
        location = f"http://{req.host}{BASE}/runs/{item['id']}"
        return Response(201, created, {"Location": location, "ETag": item["etag"]})

    routes += [
        Route("GET", "/connections/{id}/test", test),
        Route("GET", "/connections/{id}/explore", explore),
        Route("POST", "/flows/{id}/action", flow_action),
        Route("GET", "/connectionSpecs", lambda r, c, p: Response(200, model.list_specs(r.query))),
        Route("GET", "/connectionSpecs/{id}", lambda r, c, p: Response(200, model.get_spec(p["id"]))),
        Route("GET", "/connectionSpecs/{id}/configs",
              lambda r, c, p: Response(200, model.spec_configs(p["id"], r.query))),
        Route("GET", "/flowSpecs", lambda r, c, p: Response(200, model.list_flow_specs(r.query))),
        Route("GET", "/flowSpecs/{id}", lambda r, c, p: Response(200, model.get_flow_spec(p["id"]))),
        Route("POST", "/runs", start_run),
        Route("GET", "/runs", _lister(model.runs)),
        Route("GET", "/runs/{id}", _getter(model.runs)),
    ]
    return Service("flowservice", BASE, "", errors.render, routes)


def _creator(collection: Collection) -> Action:
    def create(req: Request, caller: Caller, params: dict[str, str]) -> Response:
        created = collection.create(caller, req.body)
        location = f"http://{req.host}{BASE}{collection.path}/{created['id']}"
        return Response(201, created, {"Location": location, "ETag": created["etag"]})
    return create


def _lister(collection: Collection) -> Action:
    return lambda req, caller, params: Response(200, collection.list_items(caller, req.query))


def _getter(collection: Collection) -> Action:
    def get(req: Request, caller: Caller, params: dict[str, str]) -> Response:
        body = collection.get(caller, params["id"])
        return Response(200, body, {"ETag": body["items"][0]["etag"]})
    return get


def _patcher(collection: Collection) -> Action:
    def patch(req: Request, caller: Caller, params: dict[str, str]) -> Response:
        updated = collection.patch(caller, params["id"], req.body, if_match(req))
        return Response(200, updated, {"ETag": updated["etag"]})
    return patch


def _deleter(collection: Collection) -> Action:
    def delete(req: Request, caller: Caller, params: dict[str, str]) -> Response:
        collection.delete(caller, params["id"])
        return Response(204)
    return delete
