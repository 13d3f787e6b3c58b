"""Gateway header checks and sandbox isolation."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from aep_local.testing import LocalAep
from tests.aep_local.local_helpers import Api, assert_flow_error, assert_gateway_error, s3_body


def test_missing_token(api: Api) -> None:
    assert_gateway_error(api.call("GET", "/connections", drop=("Authorization",)), 401, "403010")
    resp = api.call("GET", "/connections", headers={"Authorization": "Basic abc"})
    assert_gateway_error(resp, 401, "403010")


def test_unknown_token(api: Api) -> None:
    resp = api.call("GET", "/connections", headers={"Authorization": "Bearer not-a-token"})
    assert_gateway_error(resp, 401, "401013")


def test_api_key_missing_and_wrong(api: Api, service: LocalAep) -> None:
    assert_gateway_error(api.call("GET", "/connections", drop=("x-api-key",)), 403, "403000")
    assert_gateway_error(api.call("GET", "/connections", headers={"x-api-key": "someone-else"}),
                         403, "403003")
    # a token issued to another client, presented with our api key
    other = service.token("other-client", "other-secret")
    resp = api.call("GET", "/connections", headers={"Authorization": f"Bearer {other}"})
    assert_gateway_error(resp, 403, "403003")


def test_org_header_missing(api: Api) -> None:
    assert_gateway_error(api.call("GET", "/connections", drop=("x-gw-ims-org-id",)), 400, "400003")


@pytest.mark.parametrize("path", ["/data/foundation/flowservic/connections", "/data/foundation/flowservice/nope",
                                  "/connections/x"])
def test_a_path_that_is_no_api_is_the_gateways_404_not_a_missing_object(api: Api, service: LocalAep,
                                                                        path: str) -> None:
    """Even without credentials: the gateway answers before any check, and never as Flow Service's
    1101, which a client reads as "the object was deleted"."""
    url = f"http://127.0.0.1:{service.port}{path}"
    for headers in (api.headers, {}):
        resp = api.session.get(url, headers=headers, timeout=10)
        assert_gateway_error(resp, 404, "404000")
        assert "type" not in resp.json()


def test_errors_carry_request_id(api: Api) -> None:
    resp = api.call("GET", "/connections", drop=("Authorization",))
    assert resp.headers["x-request-id"]
    mine = api.call("GET", "/connections/nope", headers={"x-request-id": "trace-123"})
    assert mine.headers["x-request-id"] == "trace-123"
    assert mine.json()["report"]["request-id"] == "trace-123"


def test_missing_sandbox_defaults_to_prod(api: Api) -> None:
    created = api.create(headers={"x-sandbox-name": "prod"})
    rec = api.call("GET", f"/connections/{created['id']}", drop=("x-sandbox-name",))
    assert rec.status_code == 200
    assert rec.json()["items"][0]["sandboxName"] == "prod"


def test_unknown_sandbox_is_404_2100(api: Api) -> None:
    resp = api.call("GET", "/connections", headers={"x-sandbox-name": "nosuch"})
    assert "nosuch" in assert_flow_error(resp, "2100", 404)["errorMessage"]


def test_sandbox_isolation(api: Api) -> None:
    dev = api.create(s3_body("in dev"), headers={"x-sandbox-name": "dev"})
    rec = api.get(dev["id"], headers={"x-sandbox-name": "dev"})
    assert rec["sandboxName"] == "dev"
    prod_sandbox_id = api.get(api.create()["id"])["sandboxId"]
    assert rec["sandboxId"] != prod_sandbox_id
    for sandbox in ("prod", "stage"):
        hdr = {"x-sandbox-name": sandbox}
        assert_flow_error(api.call("GET", f"/connections/{dev['id']}", headers=hdr), "1101", 404)
        assert_flow_error(api.call("DELETE", f"/connections/{dev['id']}", headers=hdr), "1101", 404)
        patch = api.patch(dev["id"], [{"op": "replace", "path": "/name", "value": "x"}], dev["etag"],
                          headers=hdr)
        assert_flow_error(patch, "1101", 404)
        listed = api.call("GET", "/connections", headers=hdr).json()["items"]
        assert dev["id"] not in {item["id"] for item in listed}
    listed = api.call("GET", "/connections", headers={"x-sandbox-name": "dev"}).json()["items"]
    assert dev["id"] in {item["id"] for item in listed}


def test_org_isolation(api: Api) -> None:
    created = api.create()
    other_org = {"x-gw-ims-org-id": "FFFFFFFFFFFFFFFFFFFFFFFF@AdobeOrg"}
    assert_flow_error(api.call("GET", f"/connections/{created['id']}", headers=other_org), "1101", 404)


@pytest.fixture(scope="module")
def strict_service() -> Iterator[LocalAep]:
    with LocalAep(args=["--require-sandbox-header"]) as svc:
        yield svc


def test_sandbox_header_can_be_required(strict_service: LocalAep) -> None:
    import requests

    headers = strict_service.auth_headers(sandbox=None)
    resp = requests.get(strict_service.flow_url + "/connections", headers=headers, timeout=10)
    assert resp.status_code == 400
    assert resp.json()["type"].endswith("FLOW-2105-400")
    ok = requests.get(strict_service.flow_url + "/connections",
                      headers={**headers, "x-sandbox-name": "prod"}, timeout=10)
    assert ok.status_code == 200
