"""Responses checked one by one against the project's contract (aep_spec/contract.json).

The conftest also checks every response of every emulator test against it; this module pins
the operations down one by one, and proves the contract itself is loaded and strict.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
import requests

from aep_spec import contract
from aep_spec.ingestion import CLOUD_STORAGE_FLOW_SPEC_ID, DATA_LAKE_CONNECTION_SPEC_ID
from aep_spec.s3 import CONNECTION_SPEC_ID as S3_CONNECTION_SPEC_ID
from tests.aep_local.local_contract import ContractChecker, ContractViolation
from tests.aep_local.local_helpers import (
    SESSION_TOKEN,
    Api,
    Ingestion,
    flow_body,
    s3_body,
    source_body,
    target_body,
)

CONTRACT = contract.load()


def conforms(shape: str, body: object) -> None:
    problems = CONTRACT.problems(shape, body)
    assert not problems, problems


def shape_of(method: str, path: str, status: int, query: dict[str, list[str]] | None = None) -> str | None:
    operation = CONTRACT.operation(method, path, query)
    assert operation is not None, f"{method} {path} is not in the contract"
    return operation.responses[str(status)]


def test_create_response(api: Api) -> None:
    resp = api.call("POST", "/connections", json=s3_body())
    assert resp.status_code == 201
    assert shape_of("POST", "/connections", 201) == "Write"
    conforms("Write", resp.json())


def test_read_and_list_responses(api: Api) -> None:
    created = api.create(s3_body(s3SessionToken=SESSION_TOKEN, bucketName="contract-bucket"))
    one = api.call("GET", f"/connections/{created['id']}").json()
    conforms(shape_of("GET", f"/connections/{created['id']}", 200) or "", one)
    listed = api.call("GET", "/connections").json()
    conforms(shape_of("GET", "/connections", 200) or "", listed)
    # every member the contract names is present (description too, as it was given), nothing else
    assert set(one["items"][0]) == set(CONTRACT.definitions["Connection"]["properties"])


def test_count_is_its_own_shape(api: Api) -> None:
    resp = api.call("GET", "/connections", params={"count": "true"})
    assert shape_of("GET", "/connections", 200, {"count": ["true"]}) == "Count"
    conforms("Count", resp.json())


def test_patch_and_delete_responses(api: Api) -> None:
    created = api.create()
    resp = api.patch(created["id"], [{"op": "REPLACE", "path": "/name", "value": "c"}], created["etag"])
    assert resp.status_code == 200
    conforms(shape_of("PATCH", f"/connections/{created['id']}", 200) or "", resp.json())
    deleted = api.call("DELETE", f"/connections/{created['id']}")
    assert deleted.status_code == 204 and deleted.content == b""
    assert shape_of("DELETE", f"/connections/{created['id']}", 204) is None


def test_connection_spec_responses(api: Api) -> None:
    one = api.call("GET", f"/connectionSpecs/{S3_CONNECTION_SPEC_ID}").json()
    conforms(shape_of("GET", f"/connectionSpecs/{S3_CONNECTION_SPEC_ID}", 200) or "", one)
    listed = api.call("GET", "/connectionSpecs").json()
    conforms("ConnectionSpecList", listed)
    configs = api.call("GET", f"/connectionSpecs/{S3_CONNECTION_SPEC_ID}/configs",
                       params={"authType": "IamBasedAuthentication"}).json()
    assert shape_of("GET", f"/connectionSpecs/{S3_CONNECTION_SPEC_ID}/configs", 200) == "Configs"
    conforms("Configs", configs)


def answer(api: Api, method: str, path: str, status: int, shape: str | None, **kwargs: Any) -> Any:
    """Call the emulator: the answer has ``status``, the contract gives ``shape`` for it, and the body fits."""
    resp = api.call(method, path, **kwargs)
    assert resp.status_code == status, resp.text
    query = {name: [str(value)] for name, value in kwargs.get("params", {}).items()}
    assert shape_of(method, path, status, query) == shape
    body = resp.json() if resp.content else None
    assert CONTRACT.check(method, path, status, body, query) == []
    return body


@pytest.mark.parametrize(("collection", "list_shape", "patch_shape"), [
    ("/sourceConnections", "SourceConnectionList", "SourceConnectionPatch"),
    ("/targetConnections", "TargetConnectionList", "TargetConnectionPatch"),
])
def test_source_and_target_connection_responses(api: Api, collection: str, list_shape: str,
                                                 patch_shape: str) -> None:
    body = source_body(Ingestion(api).base()) if collection == "/sourceConnections" else target_body()
    object_id = answer(api, "POST", collection, 201, "Write", json=body)["id"]
    path = f"{collection}/{object_id}"
    record = answer(api, "GET", path, 200, list_shape)["items"][0]
    answer(api, "GET", collection, 200, list_shape, params={"property": f"id=={object_id}"})
    answer(api, "GET", collection, 200, "Count", params={"count": "true"})
    written = answer(api, "PATCH", path, 200, patch_shape, json=[{"op": "replace", "path": "/name", "value": "c"}],
                     headers={"If-Match": record["etag"]})
    assert set(written) == {"id", "etag"} and written["id"] == object_id  # the {id, etag} form of the two
    answer(api, "DELETE", path, 204, None)


def test_flow_responses(api: Api) -> None:
    ing = Ingestion(api)
    body = flow_body(ing.source(), ing.target(), startTime=int(time.time()) + 7 * 86400, frequency="hour",
                     interval=1, backfill=False)
    path = f"/flows/{answer(api, 'POST', '/flows', 201, 'Write', json=body)['id']}"
    flow = answer(api, "GET", path, 200, "FlowList")["items"][0]
    assert {"scheduleParams", "sourceConnectionIds", "targetConnectionIds", "transformations", "state"} <= set(flow)
    answer(api, "GET", "/flows", 200, "FlowList", params={"property": f"id=={flow['id']}"})
    answer(api, "GET", "/flows", 200, "Count", params={"count": "true"})
    written = answer(api, "PATCH", path, 200, "Write", headers={"If-Match": flow["etag"]},
                     json=[{"op": "replace", "path": "/scheduleParams/interval", "value": 2}])
    answer(api, "POST", f"{path}/action", 200, "Write", params={"op": "disable"})
    answer(api, "POST", f"{path}/action", 200, "Write", params={"op": "enable"})
    assert answer(api, "GET", path, 200, "FlowList")["items"][0]["etag"] != written["etag"]
    answer(api, "DELETE", path, 204, None)


def test_flow_spec_and_data_lake_spec_responses(api: Api) -> None:
    answer(api, "GET", "/flowSpecs", 200, "FlowSpecList", params={"property": 'name=="CloudStorageToAEP"'})
    answer(api, "GET", f"/flowSpecs/{CLOUD_STORAGE_FLOW_SPEC_ID}", 200, "FlowSpecList")
    answer(api, "GET", f"/connectionSpecs/{DATA_LAKE_CONNECTION_SPEC_ID}", 200, "ConnectionSpecList")


def test_run_responses(api: Api) -> None:
    """An on-demand run of a `once` flow, waiting for its start time (no S3 is read)."""
    start = int(time.time()) + 7 * 86400
    flow_id = Ingestion(api).flow(startTime=start, frequency="once")
    created = answer(api, "POST", "/runs", 201, "RunCreated", json={
        "flowId": flow_id, "params": {"startTime": start, "windowStartTime": start - 3600, "windowEndTime": start}})
    run_id = created["items"][0]["id"]
    run = answer(api, "GET", f"/runs/{run_id}", 200, "RunList")["items"][0]
    assert run["metrics"]["statusSummary"]["status"] == "inProgress"
    listed = answer(api, "GET", "/runs", 200, "RunList", params={"property": f"flowId=={flow_id}"})
    assert [r["id"] for r in listed["items"]] == [run_id]
    answer(api, "GET", "/runs", 200, "Count", params={"count": "true"})


def test_the_checker_names_the_operation_and_the_member() -> None:
    """What the session hook raises for a body that breaks its shape (a fresh checker: no side effects)."""
    resp = requests.Response()
    resp.status_code = 200
    resp.url = f"http://127.0.0.1:8750{CONTRACT.base_path}/flows/abc"
    resp.headers["Content-Type"] = "application/json"
    resp._content = json.dumps({"items": [{"id": "abc", "scheduleParams": {"startTime": 1, "frequency": "yearly"}}]}
                               ).encode()
    resp.request = requests.Request("GET", resp.url).prepare()
    with pytest.raises(ContractViolation) as raised:
        ContractChecker().check(resp)
    assert "GET /flows/{id} 200 (FlowList) items/0: 'sourceConnectionIds' is a required property" in str(raised.value)
    assert "GET /flows/{id} 200 (FlowList) items/0/scheduleParams/frequency: 'yearly' is not one of" in str(
        raised.value)


def test_error_shapes(api: Api) -> None:
    missing = api.call("GET", "/connections/00000000-0000-0000-0000-000000000000")
    assert missing.status_code == 404
    conforms(CONTRACT.errors["flow"], missing.json())


@pytest.mark.parametrize(("shape", "body"), [
    ("Write", {"id": "x", "etag": "1700d77b-0000-0200-0000-5e3b41a10000"}),  # etag without its quotes
    ("Write", {"id": "x", "etag": '"1700d77b-0000-0200-0000-5e3b41a10000"', "extra": 1}),
    ("ConnectionList", {"items": [{"id": "x"}]}),
    ("TestResult", {"result": "yes"}),
    ("Count", {"count": -1}),
])
def test_the_contract_is_strict(shape: str, body: object) -> None:
    assert CONTRACT.problems(shape, body)


def test_every_named_shape_is_defined() -> None:
    for operation in CONTRACT.operations:
        for name in operation.responses.values():
            assert name is None or name in CONTRACT.definitions
    with pytest.raises(KeyError):
        CONTRACT.schema("NoSuchShape")
