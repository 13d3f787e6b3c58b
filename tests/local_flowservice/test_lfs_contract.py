"""Responses checked one by one against the project's contract (flowservice_spec/contract.json).

The conftest also checks every response of every emulator test against it; this module pins
the operations down one by one, and proves the contract itself is loaded and strict.
"""

from __future__ import annotations

import pytest

from flowservice_spec import contract
from flowservice_spec.s3 import CONNECTION_SPEC_ID as S3_CONNECTION_SPEC_ID
from tests.local_flowservice.lfs_helpers import SESSION_TOKEN, Api, s3_body

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
