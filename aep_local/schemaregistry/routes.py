"""The Schema Registry's HTTP surface under `/data/foundation/schemaregistry`: `/stats`, the
global container (read only) and the tenant's field groups (`/tenant/fieldgroups`, and the
deprecated alias `/tenant/mixins`) and schemas. Ids in paths are URL-encoded `$id`s or
`meta:altId`s; every path also takes a trailing slash (aepp sends one)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..core.gateway import Caller
from ..core.http import Request, Response
from ..core.routing import Action, Route, Service
from . import errors
from .model import MIXINS, SCHEMAS, SchemaRegistry

BASE = "/data/foundation/schemaregistry"
# URL word -> the registry's kind (`meta:resourceType`).
TENANT = {"fieldgroups": MIXINS, "mixins": MIXINS, "schemas": SCHEMAS}
GLOBAL = {"classes": "classes", "fieldgroups": MIXINS, "mixins": MIXINS}


def schema_registry(registry: SchemaRegistry) -> Service:
    def stats(req: Request, caller: Caller, params: dict[str, str]) -> Response:
        return Response(200, registry.stats(caller))

    routes = [Route("GET", "/stats", stats)]
    for word, kind in GLOBAL.items():
        routes += [Route("GET", f"/global/{word}", _lister(registry, "global", kind)),
                   Route("GET", f"/global/{word}/{{id}}", _getter(registry, "global", kind))]
    for word, kind in TENANT.items():
        routes += [Route("POST", f"/tenant/{word}", _creator(registry, kind)),
                   Route("GET", f"/tenant/{word}", _lister(registry, "tenant", kind)),
                   Route("GET", f"/tenant/{word}/{{id}}", _getter(registry, "tenant", kind)),
                   Route("PATCH", f"/tenant/{word}/{{id}}", _writer(registry.patch, kind)),
                   Route("PUT", f"/tenant/{word}/{{id}}", _writer(registry.replace, kind)),
                   Route("DELETE", f"/tenant/{word}/{{id}}", _deleter(registry, kind))]
    return Service("schemaregistry", BASE, "/schemaregistry", errors.render, routes)


def _creator(registry: SchemaRegistry, kind: str) -> Action:
    def create(req: Request, caller: Caller, params: dict[str, str]) -> Response:
        return Response(201, registry.create(caller, kind, req.body))
    return create


def _lister(registry: SchemaRegistry, container: str, kind: str) -> Action:
    def list_them(req: Request, caller: Caller, params: dict[str, str]) -> Response:
        path = req.path.removeprefix(BASE).rstrip("/")
        return Response(200, registry.list_resources(caller, container, kind, req.query, req.header("accept"), path))
    return list_them


def _getter(registry: SchemaRegistry, container: str, kind: str) -> Action:
    def get(req: Request, caller: Caller, params: dict[str, str]) -> Response:
        return Response(200, registry.get(caller, container, kind, params["id"], req.header("accept")))
    return get


def _writer(write: Callable[[Caller, str, str, bytes], dict[str, Any]], kind: str) -> Action:
    def change(req: Request, caller: Caller, params: dict[str, str]) -> Response:
        return Response(200, write(caller, kind, params["id"], req.body))
    return change


def _deleter(registry: SchemaRegistry, kind: str) -> Action:
    def delete(req: Request, caller: Caller, params: dict[str, str]) -> Response:
        registry.delete(caller, kind, params["id"])
        return Response(204)
    return delete
