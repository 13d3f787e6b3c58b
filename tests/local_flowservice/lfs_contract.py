"""Every Flow Service response a test receives, checked against Adobe's contract.

`ContractChecker.check` is wired into `requests.Session.send` for the emulator's tests
(see conftest), so all responses of every test are validated, not only those of the contract
test module. Two sources of truth, counted apart:

* `openapi`: the response schema Adobe's `flow-service.openapi.yaml` gives the operation;
* `docs`: shapes the file leaves out but flowservice-api.md documents (PATCH 200, DELETE 204,
  `count=true`, `configs`, Flow and gateway error bodies, IMS token answers).
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests
import yaml
from jsonschema import Draft7Validator

OPENAPI = Path(os.environ.get("FLOW_SERVICE_OPENAPI", "/work/shared/reference/flow-service.openapi.yaml"))
FLOW_BASE = "/data/foundation/flowservice"
ETAG = r'^"[0-9a-f]{8}-0000-0200-0000-[0-9a-f]{8}0000"$'

# (method, route regex relative to FLOW_BASE, OpenAPI path) for the operations we emulate.
ROUTES: list[tuple[str, re.Pattern[str], str]] = [
    (m, re.compile(rx), p) for m, rx, p in (
        ("GET", r"^/connections/?$", "/connections"),
        ("POST", r"^/connections/?$", "/connections"),
        ("GET", r"^/connections/[^/]+/test/?$", "/connections/{BASE_CONNECTION_ID}/test"),
        ("GET", r"^/connections/[^/]+/explore/?$", "/connections/{BASE_CONNECTION_ID}/explore"),
        ("GET", r"^/connections/[^/]+/?$", "/connections/{BASE_CONNECTION_ID}"),
        ("PATCH", r"^/connections/[^/]+/?$", "/connections/{BASE_CONNECTION_ID}/"),
        ("DELETE", r"^/connections/[^/]+/?$", "/connections/{BASE_CONNECTION_ID}/"),
        ("GET", r"^/connectionSpecs/?$", "/connectionSpecs"),
        ("GET", r"^/connectionSpecs/[^/]+/configs/?$", "/connectionSpecs/{CONNECTION_SPEC_ID}/configs"),
        ("GET", r"^/connectionSpecs/[^/]+/?$", "/connectionSpecs/{CONNECTION_SPEC_ID}"),
    )
]

DOC_SCHEMAS: dict[str, dict[str, Any]] = {
    "write": {"type": "object", "required": ["id", "etag"], "additionalProperties": False,
              "properties": {"id": {"type": "string", "minLength": 1},
                             "etag": {"type": "string", "pattern": ETAG}}},
    "count": {"type": "object", "required": ["count"], "additionalProperties": False,
              "properties": {"count": {"type": "integer", "minimum": 0}}},
    "configs": {"type": "object", "required": ["configParams"],
                "properties": {"configParams": {"type": "object"}}},
    "flow_error": {
        "type": "object", "required": ["type", "title", "status", "report", "errorMessage", "errorDetails"],
        "properties": {
            "type": {"type": "string", "pattern": r"^https://ns\.adobe\.com/aep/errors/FLOW-\d{4}-\d{3}$"},
            "title": {"type": "string", "minLength": 1},
            "status": {"type": "integer"},
            "report": {"type": "object", "required": ["detailed-message", "request-id"]},
            "errorMessage": {"type": "string", "minLength": 1},
        }},
    "gateway_error": {"type": "object", "required": ["error_code", "message"], "additionalProperties": False,
                      "properties": {"error_code": {"type": "string", "pattern": r"^\d{6}$"},
                                     "message": {"type": "string", "minLength": 1}}},
    "ims_token": {"type": "object", "required": ["access_token", "token_type", "expires_in"],
                  "properties": {"access_token": {"type": "string", "minLength": 1},
                                 "token_type": {"const": "bearer"},
                                 "expires_in": {"type": "integer", "minimum": 1}}},
    "ims_error": {"type": "object", "required": ["error", "error_description"],
                  "properties": {"error": {"type": "string"}, "error_description": {"type": "string"}}},
}


@cache
def document() -> dict[str, Any]:
    with OPENAPI.open(encoding="utf-8") as fh:
        return dict(yaml.safe_load(fh))


@cache
def _openapi_validator(path: str, method: str, status: str) -> Draft7Validator | None:
    """The operation's response schema, wrapped so its `#/components/...` refs resolve."""
    if not OPENAPI.exists():
        return None
    op = document()["paths"].get(path, {}).get(method.lower(), {})
    content = op.get("responses", {}).get(status, {}).get("content") or {}
    schema = content.get("application/json", {}).get("schema")
    if schema is None:
        return None
    return Draft7Validator({"components": document()["components"], "allOf": [schema]})


@cache
def _doc_validator(name: str) -> Draft7Validator:
    return Draft7Validator(DOC_SCHEMAS[name])


class ContractViolation(AssertionError):
    pass


class ContractChecker:
    """Thread-safe: the tests' worker threads send requests too."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.violations: list[str] = []
        self._lock = threading.Lock()

    def check(self, resp: requests.Response) -> None:
        url = urlsplit(resp.url)
        method = (resp.request.method or "GET").upper()
        if url.path.startswith(FLOW_BASE):
            self._flow(method, url.path[len(FLOW_BASE):], parse_qs(url.query), resp)
        elif url.path.rstrip("/") == "/ims/token/v3":
            self._validate(resp, "docs", _doc_validator("ims_token" if resp.status_code == 200 else "ims_error"))

    def _flow(self, method: str, path: str, query: dict[str, list[str]], resp: requests.Response) -> None:
        status = resp.status_code
        if status >= 400:
            body = _json(resp)
            kind = "gateway_error" if isinstance(body, dict) and "error_code" in body else "flow_error"
            self._validate(resp, "docs", _doc_validator(kind))
            if kind == "flow_error" and isinstance(body, dict):
                self._expect(body.get("status") == status and str(body.get("type", "")).endswith(f"-{status}"),
                             resp, "Flow error status does not match the HTTP status")
            return
        route = next(((m, p) for m, rx, p in ROUTES if m == method and rx.match(path)), None)
        if route is None:
            return
        api_path = route[1]
        if method == "DELETE":
            self._count("docs")
            self._expect(status == 204 and resp.content == b"", resp, "DELETE must answer 204, empty")
        elif method == "PATCH":
            self._validate(resp, "docs", _doc_validator("write"))
        elif api_path.endswith("/configs"):
            # The file gives this operation the explore array; Adobe's docs show configParams.
            self._validate(resp, "docs", _doc_validator("configs"))
        elif method == "GET" and api_path == "/connections" and query.get("count") == ["true"]:
            self._validate(resp, "docs", _doc_validator("count"))
        else:
            validator = _openapi_validator(api_path, method, str(status))
            self._expect(validator is not None or not OPENAPI.exists(), resp,
                         f"no documented {status} for {method} {api_path}")
            if validator is not None:
                self._validate(resp, "openapi", validator)
            if method == "POST":
                self._validate(resp, "docs", _doc_validator("write"))

    def _validate(self, resp: requests.Response, source: str, validator: Draft7Validator) -> None:
        self._count(source)
        self._expect(resp.headers.get("Content-Type", "").startswith("application/json"), resp,
                     "not application/json")
        problems = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(_json(resp))]
        self._expect(not problems, resp, "; ".join(problems))

    def _count(self, source: str) -> None:
        with self._lock:
            self.counts[source] += 1

    def _expect(self, ok: bool, resp: requests.Response, what: str) -> None:
        if ok:
            return
        message = f"{resp.request.method} {resp.url} -> {resp.status_code}: {what}"
        with self._lock:
            self.violations.append(message)
        raise ContractViolation(message)


def _json(resp: requests.Response) -> Any:
    try:
        return resp.json()
    except (ValueError, json.JSONDecodeError):
        return None


CHECKER = ContractChecker()
