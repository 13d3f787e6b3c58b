"""A scripted transport for requests: queued replies or transport errors, and a record of what was sent."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict
from urllib3.exceptions import (
    ConnectTimeoutError,
    MaxRetryError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
)

from aep_client.client import FlowServiceClient
from aep_client.config import FlowServiceConfig
from aep_client.session import FlowServiceSession

FLOW = "https://flow.test/data/foundation/flowservice"
IMS = "https://ims.test"
CLIENT_ID = "client-id-123"
CLIENT_SECRET = "CANARY-client-secret-9f8e7d"
ORG_ID = "ORG123@AdobeOrg"
S3_SPEC = "ecadc60c-7455-4d87-84dc-2a0e293d997b"
S3_SECRET = "CANARY-s3-secret-key-5a4b3c"
S3_SESSION = "CANARY-s3-session-token-1x2y"
TOKEN_PREFIX = "CANARY-ims-token-"


@dataclass
class Reply:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Sent:
    method: str
    url: str
    headers: dict[str, str]
    body: bytes
    timeout: Any

    @property
    def path(self) -> str:
        return urlsplit(self.url).path

    @property
    def query(self) -> list[tuple[str, str]]:
        return parse_qsl(urlsplit(self.url).query, keep_blank_values=True)

    def json(self) -> Any:
        return json.loads(self.body)

    def form(self) -> dict[str, str]:
        return dict(parse_qsl(self.body.decode()))


Item = Reply | BaseException | Callable[[requests.PreparedRequest], "Reply | BaseException"]


class ScriptedAdapter(BaseAdapter):
    """Answers each request with the next scripted item; ``default`` answers when the script is empty."""

    def __init__(self, *script: Item, default: Callable[[requests.PreparedRequest], Reply] | None = None) -> None:
        super().__init__()
        self.script: list[Item] = list(script)
        self.default = default
        self.sent: list[Sent] = []

    def add(self, *items: Item) -> None:
        self.script.extend(items)

    def send(self, request: requests.PreparedRequest, stream: bool = False, timeout: Any = None,
             verify: Any = True, cert: Any = None, proxies: Any = None) -> requests.Response:
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode()
        self.sent.append(Sent(request.method or "", request.url or "", dict(request.headers), body, timeout))
        if self.script:
            item = self.script.pop(0)
        elif self.default is not None:
            item = self.default
        else:
            raise AssertionError(f"unexpected request {request.method} {request.url}")
        if callable(item) and not isinstance(item, (Reply, BaseException)):
            item = item(request)
        if isinstance(item, BaseException):
            raise item
        resp = requests.Response()
        resp.status_code = item.status
        resp.reason = "scripted"
        resp.url = request.url or ""
        resp.request = request
        headers = CaseInsensitiveDict(item.headers)
        if item.body is None:
            resp._content = b""
        elif isinstance(item.body, bytes):
            resp._content = item.body
        elif isinstance(item.body, str):
            resp._content = item.body.encode()
        else:
            resp._content = json.dumps(item.body).encode()
            headers.setdefault("Content-Type", "application/json")
        resp.headers = headers
        return resp

    def close(self) -> None:
        pass


class TokenIssuer:
    """Default IMS responder: a new canary token per request."""

    def __init__(self, expires_in: float = 86399) -> None:
        self.count = 0
        self.expires_in = expires_in

    def __call__(self, request: requests.PreparedRequest) -> Reply:
        self.count += 1
        return Reply(200, {"access_token": f"{TOKEN_PREFIX}{self.count}", "token_type": "bearer",
                           "expires_in": self.expires_in})


class FakeClock:
    """Monotonic and wall clock that only move when told to (or when someone sleeps)."""

    def __init__(self, start: float = 1_750_000_000.0) -> None:
        self.now = 1000.0
        self.wall = start
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def time(self) -> float:
        return self.wall

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.advance(seconds)

    def advance(self, seconds: float) -> None:
        self.now += seconds
        self.wall += seconds


def make_config(**overrides: Any) -> FlowServiceConfig:
    values: dict[str, Any] = {
        "flow_service_url": FLOW, "ims_url": IMS, "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET, "org_id": ORG_ID, "sandbox_name": "dev1",
    }
    values.update(overrides)
    return FlowServiceConfig(**values)


@dataclass
class Harness:
    """A client wired to scripted Flow and IMS transports, a fake clock and a private token cache."""

    client: FlowServiceClient
    session: FlowServiceSession
    flow: ScriptedAdapter
    ims: ScriptedAdapter
    issuer: TokenIssuer
    clock: FakeClock

    def flow_sent(self, method: str | None = None) -> list[Sent]:
        return [s for s in self.flow.sent if method is None or s.method == method]


def make_harness(cache_dir: Any, *flow_script: Item, use_cache: bool = True, clock: FakeClock | None = None,
                 issuer: TokenIssuer | None = None, **config: Any) -> Harness:
    cfg = make_config(**config)
    clock = clock or FakeClock()
    issuer = issuer or TokenIssuer()
    flow = ScriptedAdapter(*flow_script)
    ims = ScriptedAdapter(default=issuer)
    http = requests.Session()
    http.mount(FLOW, flow)
    http.mount(IMS, ims)
    session = FlowServiceSession(cfg, http, token_cache_dir=str(cache_dir), use_token_cache=use_cache,
                                 sleep=clock.sleep, clock=clock.monotonic, wall_clock=clock.time)
    return Harness(FlowServiceClient(cfg, session), session, flow, ims, issuer, clock)


# -- transport failures shaped exactly as requests/urllib3 raise them --------------------------

def connection_refused(url: str = FLOW) -> requests.exceptions.ConnectionError:
    reason = NewConnectionError(None, "Failed to establish a new connection: [Errno 111] Connection refused")
    return requests.exceptions.ConnectionError(MaxRetryError(None, url, reason))


def connect_timeout(url: str = FLOW) -> requests.exceptions.ConnectTimeout:
    reason = ConnectTimeoutError(None, "Connection to flow.test timed out. (connect timeout=30)")
    return requests.exceptions.ConnectTimeout(MaxRetryError(None, url, reason))


def read_timeout(url: str = FLOW) -> requests.exceptions.ReadTimeout:
    return requests.exceptions.ReadTimeout(ReadTimeoutError(None, url, "Read timed out. (read timeout=30)"))


def reset_after_send() -> requests.exceptions.ConnectionError:
    return requests.exceptions.ConnectionError(
        ProtocolError("Connection aborted.", ConnectionResetError(104, "Connection reset by peer")))


def flow_error(status: int, code: int, title: str, message: str, request_id: str = "req-1") -> Reply:
    return Reply(status, {
        "type": f"https://ns.adobe.com/aep/errors/FLOW-{code}-{status}", "title": title, "status": status,
        "report": {"detailed-message": message, "request-id": request_id}, "errorMessage": message,
    })


def connection_item(conn_id: str, name: str = "conn", etag: str | None = '"e-1"', created_at: float | None = None,
                    **extra: Any) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": conn_id, "name": name, "connectionSpec": {"id": S3_SPEC, "version": "1.0"}, "state": "enabled",
        "auth": {"specName": "Access Key", "params": {"s3AccessKey": "AKIA***", "s3SecretKey": "***"}},
    }
    if etag is not None:
        item["etag"] = etag
        item["version"] = etag
    if created_at is not None:
        item["createdAt"] = int(created_at)
    item.update(extra)
    return item


def s3_body(name: str = "conn", description: str | None = "desc") -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": name,
        "auth": {"specName": "Access Key",
                 "params": {"s3AccessKey": "AKIAEXAMPLE", "s3SecretKey": S3_SECRET, "s3SessionToken": S3_SESSION}},
        "connectionSpec": {"id": S3_SPEC, "version": "1.0"},
    }
    if description is not None:
        body["description"] = description
    return body


def send_json(handler: BaseHTTPRequestHandler, body: bytes, status: int = 200) -> None:
    """A JSON answer from a test's own ``http.server`` handler."""
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)
