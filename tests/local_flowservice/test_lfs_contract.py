"""Responses validated against the response schemas of Adobe's Flow Service OpenAPI file."""

from __future__ import annotations

from typing import Any

import pytest
from jsonschema import Draft7Validator
from lfs_contract import OPENAPI
from lfs_contract import document as _document
from lfs_helpers import SESSION_TOKEN, Api, s3_body

from local_flowservice import S3_CONNECTION_SPEC_ID

pytestmark = pytest.mark.skipif(not OPENAPI.exists(), reason=f"{OPENAPI} not available")


def response_schema(path: str, method: str, status: str) -> dict[str, Any]:
    """The operation's response schema, wrapped so its `#/components/...` refs resolve."""
    doc = _document()
    content = doc["paths"][path][method]["responses"][status]["content"]
    schema = content["application/json"]["schema"]
    return {"components": doc["components"], "allOf": [schema]}


def component(name: str) -> dict[str, Any]:
    return _document()["components"]["schemas"][name]


def validate(instance: Any, schema: dict[str, Any]) -> None:
    validator = Draft7Validator(schema)
    problems = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(instance)]
    assert not problems, problems


def test_create_response(api: Api) -> None:
    resp = api.call("POST", "/connections", json=s3_body())
    validate(resp.json(), response_schema("/connections", "post", "201"))


def test_read_and_list_responses(api: Api) -> None:
    created = api.create(s3_body(s3SessionToken=SESSION_TOKEN, bucketName="contract-bucket"))
    one = api.call("GET", f"/connections/{created['id']}").json()
    validate(one, response_schema("/connections/{BASE_CONNECTION_ID}", "get", "200"))
    listed = api.call("GET", "/connections").json()
    validate(listed, response_schema("/connections", "get", "200"))
    # no field outside the documented ones
    documented = set(component("ConnectionItemDTO")["properties"])
    assert set(one["items"][0]) <= documented
    assert set(one["items"][0]) == documented  # and every documented field present
    assert set(one["items"][0]["connectionSpec"]) == set(component("SpecInfoDTO")["required"])


def test_patch_response_matches_create_shape(api: Api) -> None:
    created = api.create()
    resp = api.patch(created["id"], [{"op": "REPLACE", "path": "/name", "value": "c"}], created["etag"])
    assert resp.status_code == 200
    # the OpenAPI file gives PATCH no schema; Adobe's docs show the create response shape
    validate(resp.json(), response_schema("/connections", "post", "201"))


def test_connection_spec_responses(api: Api) -> None:
    one = api.call("GET", f"/connectionSpecs/{S3_CONNECTION_SPEC_ID}").json()
    validate(one, response_schema("/connectionSpecs/{CONNECTION_SPEC_ID}", "get", "200"))
    listed = api.call("GET", "/connectionSpecs").json()
    validate(listed, response_schema("/connectionSpecs", "get", "200"))
    spec = one["items"][0]
    assert set(spec) <= set(component("ConnectionSpecItemDTO")["properties"])


def test_requests_we_accept_match_documented_request_schemas(api: Api) -> None:
    body = s3_body()
    validate(body, {"components": _document()["components"],
                    "allOf": [{"$ref": "#/components/schemas/CreateConnectionRequest"}]})
    # the file types `value` as an object, so use the whole-params replacement
    op = {"op": "REPLACE", "path": "/auth/params",
          "value": {"s3AccessKey": "AKIAZZZZZZZZZZZZ", "s3SecretKey": "new-secret"}}
    validate(op, {"components": _document()["components"],
                  "allOf": [{"$ref": "#/components/schemas/PatchInstruction"}]})
    created = api.create(body)
    assert api.patch(created["id"], [op], created["etag"]).status_code == 200
