"""Helpers shared by the emulator's tests (a plain module: conftest is not for importing)."""

from __future__ import annotations

import time
import uuid
from typing import Any
from urllib.parse import quote_plus

import requests

from aep_local.testing import LocalAep
from aep_spec.ingestion import CLOUD_STORAGE_FLOW_SPEC_ID, DATA_LAKE_CONNECTION_SPEC_ID
from aep_spec.s3 import CONNECTION_SPEC_ID as S3_CONNECTION_SPEC_ID

SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
SESSION_TOKEN = "FQoGZXIvYXdzEXAMPLESESSIONTOKEN"
ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE"


def s3_body(name: str | None = None, **params: Any) -> dict[str, Any]:
    auth_params = {"s3AccessKey": ACCESS_KEY, "s3SecretKey": SECRET_KEY, **params}
    return {
        "name": name or f"conn-{uuid.uuid4().hex[:8]}",
        "description": "made by a test",
        "auth": {"specName": "Access Key", "params": auth_params},
        "connectionSpec": {"id": S3_CONNECTION_SPEC_ID, "version": "1.0"},
    }


class Api:
    """Thin wrapper so tests read like the calls they make."""

    def __init__(self, service: LocalAep, headers: dict[str, str],
                 session: requests.Session) -> None:
        self.svc = service
        self.headers = headers
        self.session = session

    def url(self, path: str) -> str:
        return self.svc.flow_url + path

    def call(self, method: str, path: str, *, headers: dict[str, str] | None = None,
             drop: tuple[str, ...] = (), **kwargs: Any) -> requests.Response:
        merged = {**self.headers, **(headers or {})}
        for name in drop:
            merged.pop(name, None)
        return self.session.request(method, self.url(path), headers=merged, timeout=10, **kwargs)

    def create(self, body: dict[str, Any] | None = None, **kwargs: Any) -> dict[str, Any]:
        resp = self.call("POST", "/connections", json=body or s3_body(), **kwargs)
        assert resp.status_code == 201, resp.text
        return resp.json()

    def get(self, conn_id: str, **kwargs: Any) -> dict[str, Any]:
        resp = self.call("GET", f"/connections/{conn_id}", **kwargs)
        assert resp.status_code == 200, resp.text
        items = resp.json()["items"]
        assert len(items) == 1
        return items[0]

    def patch(self, conn_id: str, ops: Any, etag: str | None, **kwargs: Any) -> requests.Response:
        extra = {"If-Match": etag} if etag is not None else {}
        return self.call("PATCH", f"/connections/{conn_id}", json=ops,
                         headers={**extra, **kwargs.pop("headers", {})}, **kwargs)


def assert_flow_error(resp: requests.Response, code: str, status: int) -> dict[str, Any]:
    """The Flow error shape, with the code and status both in `type` and in the status line."""
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert body["type"] == f"https://ns.adobe.com/aep/errors/FLOW-{code}-{status}"
    assert body["status"] == status
    assert body["title"]
    assert body["report"]["detailed-message"]
    assert body["report"]["request-id"] == resp.headers["x-request-id"]
    assert body["errorMessage"]
    assert "errorDetails" in body
    return body


def assert_gateway_error(resp: requests.Response, status: int, code: str) -> None:
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert body["error_code"] == code
    assert body["message"]


# --- the ingestion path: the default seed's ids (aep_local/seed/catalog.json) -----------

ORDERS_SCHEMA = "https://ns.adobe.com/acme/schemas/5b7ff8b4e4a0c7d9b1f8a3c2d6e9f0a1"
CRM_SCHEMA = "https://ns.adobe.com/acme/schemas/7c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f"
ORDERS_DATASET = {"dev": "64d0a1b2c3d4e5f6a7b8c9d0", "stage": "64d0a1b2c3d4e5f6a7b8c9d1",
                  "prod": "64d0a1b2c3d4e5f6a7b8c9d2"}
CRM_DATASET = {"dev": "64d0a1b2c3d4e5f6a7b8c9e0", "stage": "64d0a1b2c3d4e5f6a7b8c9e1",
               "prod": "64d0a1b2c3d4e5f6a7b8c9e2"}
ORDERS_MAPPING = "0f3a5c7e9b1d4f6a8c0e2a4c6e8a0c2e"
XDM_VERSION = "application/vnd.adobe.xed-full+json;version=1"


def source_body(base_id: str, path: str = "/acme-orders-dev/exports/orders", *, data_format: str = "delimited",
                path_type: str = "folder", recursive: Any = True, **properties: Any) -> dict[str, Any]:
    """A source connection as Adobe's cloud storage tutorial sends it."""
    data: dict[str, Any] = {"format": data_format}
    if properties:
        data["properties"] = properties
    return {"name": f"src-{uuid.uuid4().hex[:8]}", "description": "files of a test", "baseConnectionId": base_id,
            "data": data, "params": {"path": path, "type": path_type, "recursive": recursive},
            "connectionSpec": {"id": S3_CONNECTION_SPEC_ID, "version": "1.0"}}


def target_body(dataset: str = ORDERS_DATASET["prod"], schema: str = ORDERS_SCHEMA,
                version: str = XDM_VERSION) -> dict[str, Any]:
    return {"name": f"tgt-{uuid.uuid4().hex[:8]}", "data": {"schema": {"id": schema, "version": version}},
            "params": {"dataSetId": dataset},
            "connectionSpec": {"id": DATA_LAKE_CONNECTION_SPEC_ID, "version": "1.0"}}


def flow_body(source_id: str, target_id: str, *, mapping: str | None = ORDERS_MAPPING, mapping_version: Any = 0,
              **schedule: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": f"flow-{uuid.uuid4().hex[:8]}", "description": "a test's dataflow",
        "flowSpec": {"id": CLOUD_STORAGE_FLOW_SPEC_ID, "version": "1.0"},
        "sourceConnectionIds": [source_id], "targetConnectionIds": [target_id],
        "scheduleParams": schedule or {"startTime": int(time.time()) + 3600, "frequency": "minute", "interval": 15},
    }
    if mapping is not None:
        body["transformations"] = [{"name": "Mapping", "params": {"mappingId": mapping,
                                                                  "mappingVersion": mapping_version}}]
    return body


class Ingestion:
    """Creates a base connection, source, target and flow in one sandbox of a running emulator."""

    def __init__(self, api: Api) -> None:
        self.api = api

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        resp = self.api.call("POST", path, json=body)
        assert resp.status_code == 201, resp.text
        created: dict[str, Any] = resp.json()
        return created

    def item(self, path: str) -> dict[str, Any]:
        resp = self.api.call("GET", path)
        assert resp.status_code == 200, resp.text
        items = resp.json()["items"]
        assert len(items) == 1
        item: dict[str, Any] = items[0]
        return item

    def base(self, **params: Any) -> str:
        return str(self.api.create(s3_body(**params))["id"])

    def source(self, base_id: str | None = None, *args: Any, **kwargs: Any) -> str:
        return str(self.post("/sourceConnections", source_body(base_id or self.base(), *args, **kwargs))["id"])

    def target(self, *args: Any, **kwargs: Any) -> str:
        return str(self.post("/targetConnections", target_body(*args, **kwargs))["id"])

    def flow(self, source_id: str | None = None, target_id: str | None = None, **kwargs: Any) -> str:
        body = flow_body(source_id or self.source(), target_id or self.target(), **kwargs)
        return str(self.post("/flows", body)["id"])


# --- the Schema Registry, Catalog and Data Prep ---------------------------------------------

REGISTRY = "/data/foundation/schemaregistry"
CATALOG = "/data/foundation/catalog"
PREP = "/data/foundation/conversion"
XED_ID = "application/vnd.adobe.xed-id+json"
XED = "application/vnd.adobe.xed+json; version=1"
XED_FULL = "application/vnd.adobe.xed-full+json; version=1"
PROFILE = "https://ns.adobe.com/xdm/context/profile"
EVENT = "https://ns.adobe.com/xdm/context/experienceevent"
COMMERCE = "https://ns.adobe.com/xdm/context/experienceevent-commerce"
TENANT = "acme"


def unique(prefix: str) -> str:
    return f"{prefix} {uuid.uuid4().hex[:10]}"


def field_group_body(title: str | None = None, extends: str = PROFILE, **fields: Any) -> dict[str, Any]:
    """A tenant field group as Adobe's guide sends it; `fields` name -> definition (a type by default)."""
    properties = {name: (d if isinstance(d, dict) else {"title": name, "type": d}) for name, d in
                  (fields or {"customerId": "string"}).items()}
    return {"title": title or unique("fields"), "description": "made by a test", "type": "object",
            "meta:intendedToExtend": [extends],
            "definitions": {"customFields": {"properties": {f"_{TENANT}": {"type": "object",
                                                                             "properties": properties}}}},
            "allOf": [{"$ref": "#/definitions/customFields"}]}


def schema_body(*refs: str, title: str | None = None, class_id: str = PROFILE) -> dict[str, Any]:
    return {"type": "object", "title": title or unique("schema"), "description": "made by a test",
            "allOf": [{"$ref": class_id, "type": "object", "meta:xdmType": "object"},
                      *({"$ref": r, "type": "object", "meta:xdmType": "object"} for r in refs)]}


def mapping_body(schema_id: str, *mappings: tuple[str, str, str], name: str | None = None) -> dict[str, Any]:
    """`mappings`: (sourceType, source, destination)."""
    body: dict[str, Any] = {"outputSchema": {"schemaRef": {"id": schema_id, "contentType": XDM_VERSION}},
                            "mappings": [{"sourceType": t, "source": s, "destination": d} for t, s, d in mappings]}
    if name is not None:
        body["name"] = name
    return body


def assert_service_error(resp: requests.Response, kind: str, code: str, status: int) -> dict[str, Any]:
    """A Schema Registry (`XDM`), Catalog (`CAT`) or Data Prep (`MAPPER`) problem document."""
    assert resp.status_code == status, resp.text
    body = resp.json()
    scheme = "http" if kind == "XDM" else "https"
    assert body["type"] == f"{scheme}://ns.adobe.com/aep/errors/{kind}-{code}-{status}", body
    assert body["status"] == status and body["title"]
    assert body["report"]["detailed-message"]
    return body


class Platform:
    """A test's calls to the services beside Flow Service, with the same headers and session."""

    def __init__(self, api: Api) -> None:
        self.api = api

    def call(self, method: str, base: str, path: str, *, headers: dict[str, str] | None = None,
             drop: tuple[str, ...] = (), **kwargs: Any) -> requests.Response:
        merged = {**self.api.headers, **(headers or {})}
        for name in drop:
            merged.pop(name, None)
        return self.api.session.request(method, self.api.svc.url + base + path, headers=merged, timeout=10, **kwargs)

    def registry(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return self.call(method, REGISTRY, path, **kwargs)

    def catalog(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return self.call(method, CATALOG, path, **kwargs)

    def prep(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return self.call(method, PREP, path, **kwargs)

    def created(self, resp: requests.Response, status: int = 201) -> Any:
        assert resp.status_code == status, resp.text
        return resp.json()

    def field_group(self, **kwargs: Any) -> dict[str, Any]:
        created: dict[str, Any] = self.created(self.registry("POST", "/tenant/fieldgroups",
                                                            json=field_group_body(**kwargs)))
        return created

    def schema(self, *refs: str, **kwargs: Any) -> dict[str, Any]:
        resp = self.registry("POST", "/tenant/schemas", json=schema_body(*refs, **kwargs))
        created: dict[str, Any] = self.created(resp)
        return created

    def get_schema(self, schema_id: str, accept: str = XED_FULL) -> requests.Response:
        return self.registry("GET", f"/tenant/schemas/{quote_plus(schema_id)}", headers={"Accept": accept})

    def dataset(self, schema_id: str, **extra: Any) -> str:
        body = {"name": unique("dataset"), "schemaRef": {"id": schema_id, "contentType": XED}, **extra}
        refs = self.created(self.catalog("POST", "/dataSets", json=body))
        return str(refs[0]).rsplit("/", 1)[1]

    def get_dataset(self, dataset_id: str) -> dict[str, Any]:
        record: dict[str, Any] = self.created(self.catalog("GET", f"/dataSets/{dataset_id}"), 200)[dataset_id]
        return record

    def mapping_set(self, schema_id: str, *mappings: tuple[str, str, str], **kwargs: Any) -> dict[str, Any]:
        created: dict[str, Any] = self.created(self.prep("POST", "/mappingSets",
                                                         json=mapping_body(schema_id, *mappings, **kwargs)), 200)
        return created

    def pipeline(self, **fields: Any) -> tuple[str, str]:
        """A field group of `fields`, a profile schema with it and a dataset of that schema: (schema, dataset)."""
        group = self.field_group(**fields)
        schema = self.schema(group["$id"])
        return schema["$id"], self.dataset(schema["$id"])
