"""IMS token endpoint: grants, client allow-list, scopes, expiry."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import requests

from aep_local.testing import DEFAULT_SCOPES, LocalAep
from tests.aep_local.local_helpers import assert_gateway_error

FORM = {"grant_type": "client_credentials", "client_id": "app-1", "client_secret": "s3cr3t",
        "scope": DEFAULT_SCOPES}


@pytest.fixture(scope="module")
def ims() -> Iterator[LocalAep]:
    with LocalAep(args=["--clients", "app-1:s3cr3t,app-2:other", "--token-lifetime", "2"]) as svc:
        yield svc


def _token(svc: LocalAep, **overrides: str) -> requests.Response:
    form = {**FORM, **overrides}
    return requests.post(svc.ims_url + "/ims/token/v3", data={k: v for k, v in form.items() if v},
                         timeout=10)


def test_token_issued_for_allowed_client(ims: LocalAep) -> None:
    resp = _token(ims)
    assert resp.status_code == 200
    body = resp.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 2
    assert body["access_token"] and isinstance(body["access_token"], str)
    assert _token(ims).json()["access_token"] != body["access_token"]


def test_default_lifetime_is_a_day(service: LocalAep) -> None:
    resp = requests.post(service.ims_url + "/ims/token/v3", data=FORM, timeout=10)
    assert resp.status_code == 200
    assert resp.json()["expires_in"] == 86399


@pytest.mark.parametrize(("overrides", "status", "error"), [
    ({"client_secret": "wrong"}, 401, "invalid_client"),
    ({"client_secret": ""}, 401, "invalid_client"),
    ({"client_id": "unknown"}, 400, "invalid_client"),
    ({"client_id": ""}, 400, "invalid_client"),
    ({"scope": ""}, 400, "invalid_scope"),
    ({"scope": "openid,not_a_scope"}, 400, "invalid_scope"),
    ({"grant_type": "password"}, 400, "unsupported_grant_type"),
    ({"grant_type": ""}, 400, "invalid_request"),
])
def test_token_errors(ims: LocalAep, overrides: dict[str, str], status: int, error: str) -> None:
    resp = _token(ims, **overrides)
    assert resp.status_code == status, resp.text
    assert resp.json()["error"] == error
    assert resp.json()["error_description"]
    assert "s3cr3t" not in resp.text


def test_token_requires_form_encoding(ims: LocalAep) -> None:
    resp = requests.post(ims.ims_url + "/ims/token/v3", json=FORM, timeout=10)
    assert resp.status_code == 400
    assert resp.json()["error"] == "invalid_request"


def test_token_expires(ims: LocalAep) -> None:
    token = _token(ims).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}", "x-api-key": "app-1",
               "x-gw-ims-org-id": "ORG@AdobeOrg"}
    assert requests.get(ims.flow_url + "/connections", headers=headers, timeout=10).status_code == 200
    time.sleep(2.2)
    resp = requests.get(ims.flow_url + "/connections", headers=headers, timeout=10)
    assert_gateway_error(resp, 401, "401013")


def test_token_bound_to_its_client(ims: LocalAep) -> None:
    token = _token(ims, client_id="app-2", client_secret="other").json()["access_token"]
    headers = {"Authorization": f"Bearer {token}", "x-api-key": "app-1",
               "x-gw-ims-org-id": "ORG@AdobeOrg"}
    assert_gateway_error(requests.get(ims.flow_url + "/connections", headers=headers, timeout=10),
                         403, "403003")


def test_secrets_and_tokens_not_logged(ims: LocalAep) -> None:
    token = _token(ims).json()["access_token"]
    requests.get(ims.flow_url + "/connections", timeout=10,
                 headers={"Authorization": f"Bearer {token}", "x-api-key": "app-1",
                          "x-gw-ims-org-id": "ORG@AdobeOrg"})
    requests.post(ims.ims_url + "/ims/token/v3?client_secret=s3cr3t", data=FORM, timeout=10)
    log = str(ims.requests()) + str(ims.counters())
    assert token not in log
    assert "s3cr3t" not in log
