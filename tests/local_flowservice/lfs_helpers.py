"""Helpers shared by the emulator's tests (a plain module: conftest is not for importing)."""

from __future__ import annotations

import uuid
from typing import Any

import requests

from flowservice_spec.s3 import CONNECTION_SPEC_ID as S3_CONNECTION_SPEC_ID
from local_flowservice.testing import LocalFlowService

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

    def __init__(self, service: LocalFlowService, headers: dict[str, str],
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
