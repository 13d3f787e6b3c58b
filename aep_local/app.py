"""HTTP routing: Adobe's paths and headers in front of the model, plus `/__local/` tools.

`App.handle` is transport-free (method, path, headers, body in; a `Response` out) so the
rules are testable without sockets; `Handler` only moves bytes and applies transport faults.
"""

from __future__ import annotations

import json
import re
import socket
import struct
import sys
import time
import traceback
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from . import errors
from .connectivity import Connectivity
from .ims import TokenService
from .instrumentation import FaultConfig, Faults, RequestLog, now_iso
from .model import Caller, FlowModel
from .records import Collection
from .scheduler import Scheduler

FLOW_BASE = "/data/foundation/flowservice"
LOCAL_PREFIX = "/__local/"
DEFAULT_SANDBOX = "prod"
JSON_TYPES = ("application/json", "application/json-patch+json")


@dataclass
class Response:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    # "reset": abort the TCP connection; "drop": close it without answering.
    transport_fault: str | None = None

    def encoded(self) -> bytes:
        if self.body is None:
            return b""
        return json.dumps(self.body).encode("utf-8")


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: Mapping[str, str]
    body: bytes
    request_id: str
    host: str

    def header(self, name: str) -> str | None:
        value = self.headers.get(name)
        return value if value is None else value.strip()


@dataclass
class Settings:
    sandboxes: frozenset[str] = frozenset({DEFAULT_SANDBOX})
    require_sandbox_header: bool = False
    verbose: bool = False
    connectivity: Connectivity = field(default_factory=Connectivity)
    scheduler: Scheduler | None = None


# Collections served with the same verbs: POST and GET on the list, GET, PATCH, DELETE on an item.
COLLECTIONS = ("/connections", "/sourceConnections", "/targetConnections", "/flows")
TEMPLATES = (
    *(t for c in COLLECTIONS for t in (c, f"{c}/{{id}}")),
    "/connections/{id}/test", "/connections/{id}/explore", "/flows/{id}/action",
    "/connectionSpecs", "/connectionSpecs/{id}", "/connectionSpecs/{id}/configs",
    "/flowSpecs", "/flowSpecs/{id}", "/runs", "/runs/{id}",
)


def _pattern(template: str) -> re.Pattern[str]:
    return re.compile(f"^{FLOW_BASE}{template.replace('{id}', '(?P<id>[^/]+)')}/?$")


# (template, regex); the template is what counters and logs report.
ROUTES: list[tuple[str, re.Pattern[str]]] = [
    *((t, _pattern(t)) for t in TEMPLATES),
    ("/ims/token/v3", re.compile(r"^/ims/token/v3/?$")),
]
Action = Callable[["Request", Caller, dict[str, str]], "Response"]


class App:
    """The whole service behind one `handle` call."""

    def __init__(self, model: FlowModel, tokens: TokenService, log: RequestLog, faults: Faults,
                 settings: Settings) -> None:
        self.model = model
        self.tokens = tokens
        self.log = log
        self.faults = faults
        self.settings = settings
        self.started = time.time()
        self._methods: dict[tuple[str, str], Action] = {
            ("GET", "/connections/{id}/test"): self._test,
            ("GET", "/connections/{id}/explore"): self._explore,
            ("POST", "/flows/{id}/action"): self._flow_action,
            ("GET", "/connectionSpecs"): lambda r, c, p: Response(200, model.list_specs(r.query)),
            ("GET", "/connectionSpecs/{id}"): lambda r, c, p: Response(200, model.get_spec(p["id"])),
            ("GET", "/connectionSpecs/{id}/configs"):
                lambda r, c, p: Response(200, model.spec_configs(p["id"], r.query)),
            ("GET", "/flowSpecs"): lambda r, c, p: Response(200, model.list_flow_specs(r.query)),
            ("GET", "/flowSpecs/{id}"): lambda r, c, p: Response(200, model.get_flow_spec(p["id"])),
            ("POST", "/runs"): self._start_run,
            ("GET", "/runs"): self._lister(model.runs),
            ("GET", "/runs/{id}"): self._getter(model.runs),
        }
        for route in COLLECTIONS:
            collection = model.collection(route)
            self._methods |= {
                ("POST", route): self._creator(collection),
                ("GET", route): self._lister(collection),
                ("GET", f"{route}/{{id}}"): self._getter(collection),
                ("PATCH", f"{route}/{{id}}"): self._patcher(collection),
                ("DELETE", f"{route}/{{id}}"): self._deleter(collection),
            }

    # --- entry point ---------------------------------------------------------------------

    def handle(self, req: Request) -> Response:
        if req.path.startswith(LOCAL_PREFIX):
            return self._local(req)
        started = time.monotonic()
        self.log.begin()
        template, params = _route(req.path)
        fault: str | None = None
        caller_client: str | None = None
        try:
            if template is None:
                raise errors.no_such_path()
            delay, fault = self.faults.decide(req.method, template)
            if delay:
                time.sleep(delay)
            if fault in ("429", "500", "503"):
                raise _injected(fault, self.faults.retry_after)
            if fault == "reset":
                response = Response(0, transport_fault="reset")
            elif template == "/ims/token/v3":
                response = self._token(req)
            else:
                caller = self._gateway(req)
                caller_client = caller.client_id
                action = self._methods.get((req.method, template))
                if action is None:
                    allowed = sorted(m for (m, t) in self._methods if t == template)
                    raise errors.FlowError("1000", 405, f"Method {req.method} is not allowed on "
                                           f"{template}; use {', '.join(allowed)}.",
                                           title="Method Not Allowed")
                response = action(req, caller, params)
            if fault == "commit-drop":
                response.transport_fault = "drop"
        except errors.ServiceError as exc:
            response = Response(exc.status, exc.body(req.request_id), exc.headers())
        except Exception:  # noqa: BLE001 - the emulator must answer, never hang a client
            traceback.print_exc(file=sys.stderr)
            exc500 = errors.internal_error()
            response = Response(500, exc500.body(req.request_id))
        response.headers.setdefault("x-request-id", req.request_id)
        sandbox = req.header("x-sandbox-name")
        if sandbox is None and template != "/ims/token/v3":
            sandbox = DEFAULT_SANDBOX
        self.log.record({
            "time": now_iso(),
            "method": req.method,
            "path": req.path,
            "template": template or req.path,
            "query": req.query,
            "if_match": req.header("if-match") or _query_if_match(req.query),
            "status": response.status if response.transport_fault is None else None,
            "sandbox": sandbox,
            "client_id": caller_client,
            "request_id": req.request_id,
            "fault": fault,
            "duration_ms": round((time.monotonic() - started) * 1000, 3),
        })
        return response

    # --- gateway and sandbox checks --------------------------------------------------------

    def _gateway(self, req: Request) -> Caller:
        authorization = req.header("authorization") or ""
        scheme, _, token = authorization.partition(" ")
        if not authorization or scheme.lower() != "bearer" or not token.strip():
            raise errors.token_missing()
        api_key = req.header("x-api-key")
        if not api_key:
            raise errors.api_key_missing()
        client_id = self.tokens.client_for(token.strip())
        if client_id is None:
            raise errors.token_invalid()
        if api_key != client_id:
            raise errors.api_key_invalid()
        org = req.header("x-gw-ims-org-id")
        if not org:
            raise errors.org_missing()
        sandbox = req.header("x-sandbox-name")
        if sandbox is None or sandbox == "":
            if self.settings.require_sandbox_header:
                raise errors.sandbox_header_missing()
            sandbox = DEFAULT_SANDBOX
        if sandbox not in self.settings.sandboxes:
            raise errors.sandbox_not_found(sandbox)
        if req.method in ("POST", "PATCH", "PUT"):
            content_type = (req.header("content-type") or "").split(";")[0].strip().lower()
            if content_type not in JSON_TYPES:
                raise errors.unsupported_media_type(content_type or "(none)")
        return Caller(client_id=client_id, org_id=org, sandbox=sandbox)

    # --- Flow actions ----------------------------------------------------------------------

    def _creator(self, collection: Collection) -> Action:
        def create(req: Request, caller: Caller, params: dict[str, str]) -> Response:
            created = collection.create(caller, req.body)
            location = f"http://{req.host}{FLOW_BASE}{collection.path}/{created['id']}"
            return Response(201, created, {"Location": location, "ETag": created["etag"]})
        return create

    @staticmethod
    def _lister(collection: Collection) -> Action:
        return lambda req, caller, params: Response(200, collection.list_items(caller, req.query))

    @staticmethod
    def _getter(collection: Collection) -> Action:
        def get(req: Request, caller: Caller, params: dict[str, str]) -> Response:
            body = collection.get(caller, params["id"])
            return Response(200, body, {"ETag": body["items"][0]["etag"]})
        return get

    @staticmethod
    def _patcher(collection: Collection) -> Action:
        def patch(req: Request, caller: Caller, params: dict[str, str]) -> Response:
            updated = collection.patch(caller, params["id"], req.body, _if_match(req))
            return Response(200, updated, {"ETag": updated["etag"]})
        return patch

    @staticmethod
    def _deleter(collection: Collection) -> Action:
        def delete(req: Request, caller: Caller, params: dict[str, str]) -> Response:
            collection.delete(caller, params["id"])
            return Response(204)
        return delete

    def _flow_action(self, req: Request, caller: Caller, params: dict[str, str]) -> Response:
        updated = self.model.flows.action(caller, params["id"], req.query, _if_match(req))
        return Response(200, updated, {"ETag": updated["etag"]})

    def _start_run(self, req: Request, caller: Caller, params: dict[str, str]) -> Response:
        created = self.model.runs.create(caller, req.body)
        item = created["items"][0]
        location = f"http://{req.host}{FLOW_BASE}/runs/{item['id']}"
        return Response(201, created, {"Location": location, "ETag": item["etag"]})

    def _test(self, req: Request, caller: Caller, params: dict[str, str]) -> Response:
        # The record is read first (404 for unknown ids), then S3 is called outside any lock.
        record = self.model.connections.stored(caller, params["id"])
        return Response(200, {"result": self.settings.connectivity.test(record)})

    def _explore(self, req: Request, caller: Caller, params: dict[str, str]) -> Response:
        record = self.model.connections.stored(caller, params["id"])
        return Response(200, self.settings.connectivity.explore(record, req.query))

    def _token(self, req: Request) -> Response:
        if req.method != "POST":
            raise errors.ImsError(405, "invalid_request", "use POST")
        issued = self.tokens.issue(req.header("content-type") or "", req.body,
                                   req.header("authorization"))
        return Response(200, issued, {"Cache-Control": "no-store"})

    # --- /__local/ ---------------------------------------------------------------------------

    def _local(self, req: Request) -> Response:
        name = req.path[len(LOCAL_PREFIX):].strip("/")
        if name == "health" and req.method == "GET":
            return Response(200, {"status": "ok", "uptime_s": round(time.time() - self.started, 3),
                                  "sandboxes": sorted(self.settings.sandboxes), "in_flight": self.log.in_flight()})
        if name == "requests" and req.method == "GET":
            return Response(200, self.log.entries())
        if name == "requests" and req.method == "DELETE":
            self.log.reset()
            return Response(204)
        if name == "counters" and req.method == "GET":
            return Response(200, self.log.counters())
        if name.startswith("scheduler") or name == "catalog":
            return self._local_ingestion(req, name)
        if name == "faults":
            try:
                if req.method == "GET":
                    return Response(200, self.faults.snapshot())
                if req.method == "DELETE":
                    self.faults.configure(FaultConfig())
                    return Response(200, self.faults.snapshot())
                if req.method in ("POST", "PUT"):
                    changes = json.loads(req.body or b"{}")
                    if not isinstance(changes, dict):
                        raise ValueError("expected a JSON object")
                    self.faults.update(changes)
                    return Response(200, self.faults.snapshot())
            except (ValueError, TypeError) as exc:
                return Response(400, {"error": str(exc)})
        return Response(404, {"error": f"no local tool {req.method} {req.path}"})


    def _local_ingestion(self, req: Request, name: str) -> Response:
        """`/__local/scheduler`, `/__local/scheduler/tick|advance` and `/__local/catalog`."""
        scheduler = self.settings.scheduler
        try:
            changes = json.loads(req.body or b"{}") if req.method == "POST" else {}
            if not isinstance(changes, dict):
                raise ValueError("expected a JSON object")
            if name == "catalog" and req.method == "GET":
                return Response(200, self.model.catalog.snapshot())
            if name == "catalog" and req.method == "POST":
                self.model.catalog.add(changes)
                return Response(200, self.model.catalog.snapshot())
            if scheduler is None:
                return Response(404, {"error": "this server has no scheduler"})
            if name == "scheduler" and req.method == "GET":
                return Response(200, scheduler.status())
            if name == "scheduler/tick" and req.method == "POST":
                return Response(200, scheduler.tick())
            if name == "scheduler/advance" and req.method == "POST":
                seconds = changes.get("seconds")
                if isinstance(seconds, bool) or not isinstance(seconds, int | float):
                    raise ValueError('expected {"seconds": N}')
                return Response(200, scheduler.advance(float(seconds)))
        except (ValueError, TypeError) as exc:
            return Response(400, {"error": str(exc)})
        return Response(404, {"error": f"no local tool {req.method} {req.path}"})


def _route(path: str) -> tuple[str | None, dict[str, str]]:
    for template, pattern in ROUTES:
        match = pattern.match(path)
        if match:
            return template, match.groupdict()
    return None, {}


def _if_match(req: Request) -> str | None:
    """`If-Match` from the header, or (as Adobe's Postman samples send it) the query."""
    return req.header("if-match") or _query_if_match(req.query)


def _query_if_match(query: Mapping[str, list[str]]) -> str | None:
    for key, values in query.items():
        if key.lower() == "if-match" and values:
            return values[0]
    return None


def _injected(kind: str, retry_after: int) -> errors.InjectedFault:
    if kind == "429":
        return errors.InjectedFault(429, "1429", "Too many requests (injected).", retry_after)
    if kind == "503":
        return errors.InjectedFault(503, "1103", "The service is temporarily unavailable "
                                    "(injected). Please try again.", retry_after)
    return errors.InjectedFault(500, "1102", "An internal error has occurred (injected). "
                                "Please try again.")


# --- transport -----------------------------------------------------------------------------

class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, address: tuple[str, int], app: App) -> None:
        self.app = app
        super().__init__(address, Handler)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; with Nagle on, delayed ACKs add ~40 ms per call.
    disable_nagle_algorithm = True
    server: Server

    def version_string(self) -> str:
        return "local-aep"

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_PATCH(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline().strip():
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        if len(body) < length:
            raise ConnectionAbortedError(f"the client left after {len(body)} of {length} body bytes")
        return body

    def _serve(self) -> None:
        split = urlsplit(self.path)
        request_id = self.headers.get("x-request-id") or str(uuid.uuid4())
        try:
            body = self._read_body()
        except ValueError:
            self.send_error(400, "bad body framing")
            return
        except ConnectionAbortedError:
            # A client killed while sending: no gateway forwards half a request to the API.
            self.close_connection = True
            return
        req = Request(
            method=self.command,
            path=split.path,
            query=parse_qs(split.query, keep_blank_values=True),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
            request_id=request_id,
            host=self.headers.get("Host") or server_address(self.server.server_address),
        )
        response = self.server.app.handle(req)
        if response.transport_fault == "reset":
            self._abort(rst=True)
            return
        if response.transport_fault == "drop":
            self._abort(rst=False)
            return
        try:
            self._answer(response)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client is gone (killed mid-request): nothing to tell it

    def _answer(self, response: Response) -> None:
        payload = response.encoded()
        self.send_response(response.status)
        for key, value in response.headers.items():
            self.send_header(key, value)
        if response.status != 204:
            if response.body is not None:
                self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if payload and response.status != 204:
            self.wfile.write(payload)

    def _abort(self, rst: bool) -> None:
        """Leave the client without an answer, as a crashed proxy or a lost packet would."""
        self.close_connection = True
        try:
            if rst:
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                           struct.pack("ii", 1, 0))
            else:
                self.connection.shutdown(socket.SHUT_RDWR)
            self.connection.close()
        except OSError:
            pass

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.app.settings.verbose:
            sys.stderr.write(f"{self.address_string()} {format % args}\n")


def server_address(address: tuple[str | bytes | bytearray, int] | Any) -> str:
    """``host:port`` of a bound TCP server address."""
    host, port = address[0], address[1]
    return f"{host.decode() if isinstance(host, bytes | bytearray) else host}:{port}"
