"""Every Flow Service response a test receives, checked against the project's contract.

`ContractChecker.check` is wired into `requests.Session.send` for the emulator's tests (see
conftest), so all responses of every test are validated, not only those of the contract test
module, against `aep_spec/contract.json` (the shapes the client relies on).
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests

from aep_spec import contract

CONTRACT = contract.load()


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
        service = CONTRACT.service(url.path)
        if url.path.startswith(CONTRACT.base_path):
            self._answer(None, method, url.path[len(CONTRACT.base_path):], parse_qs(url.query), resp)
        elif service is not None:
            self._answer(service[0], method, service[1], parse_qs(url.query), resp)
        elif url.path.rstrip("/") == CONTRACT.ims_token_path:
            self._validate(resp, CONTRACT.errors["ims_token" if resp.status_code == 200 else "ims"])

    def _answer(self, service: contract.ServiceContract | None, method: str, path: str,
                query: dict[str, list[str]], resp: requests.Response) -> None:
        """An answer of Flow Service (`service` None) or of a service after it: the gateway's or the
        service's error shape, or the shape its operation answers with."""
        status = resp.status_code
        name = service.name if service else "Flow"
        if status >= 400:
            body = _json(resp)
            gateway = isinstance(body, dict) and "error_code" in body
            error = service.error if service else CONTRACT.errors["flow"]
            self._validate(resp, CONTRACT.errors["gateway"] if gateway else error)
            if not gateway and isinstance(body, dict):
                self._expect(body.get("status") == status and str(body.get("type", "")).endswith(f"-{status}"),
                             resp, f"{name} error status does not match the HTTP status")
            return
        operation = service.operation(method, path, query) if service else CONTRACT.operation(method, path, query)
        if operation is None:
            self._expect(service is None, resp, f"{method} {path} of {name} is not in the contract")
            return
        self._expect(str(status) in operation.responses, resp,
                     f"no {status} in the contract for {name} {operation.method} {operation.path}")
        shape = operation.responses[str(status)]
        if shape is None:
            self._count("(empty)")
            self._expect(resp.content == b"", resp, "the contract says this answer has no body")
        else:  # the messages name the operation and the member
            self._validate(resp, shape, CONTRACT.check(method, path, status, _json(resp), query,
                                                       service.name if service else None))

    def _validate(self, resp: requests.Response, shape: str, problems: list[str] | None = None) -> None:
        self._count(shape)
        self._expect(resp.headers.get("Content-Type", "").startswith("application/json"), resp,
                     "not application/json")
        problems = CONTRACT.problems(shape, _json(resp)) if problems is None else problems
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
