"""The one entry point of every request: the `/__local/` tools, or a service's route behind the
gateway, with the latency, faults and request log every service shares.

`App.handle` is transport-free (a `Request` in, a `Response` out) so the rules are testable
without sockets; `core.http` only moves bytes and applies the transport faults.
"""

from __future__ import annotations

import json
import sys
import time
import traceback
from collections.abc import Callable, Mapping, Sequence

from . import errors
from .gateway import DEFAULT_SANDBOX, Caller, Gateway
from .http import Request, Response
from .instrumentation import FaultConfig, Faults, RequestLog, now_iso
from .routing import Route, Service

LOCAL_PREFIX = "/__local/"
# A tool of `/__local/<name>[/…]`: the request and the name below the prefix; None when it has
# nothing at that name and method.
LocalTool = Callable[[Request, str], Response | None]
ANONYMOUS = Caller(client_id="", org_id="", sandbox=DEFAULT_SANDBOX)  # who calls a service without gateway


class App:
    """Every service behind one `handle` call."""

    def __init__(self, services: Sequence[Service], gateway: Gateway, log: RequestLog, faults: Faults,
                 local_tools: Mapping[str, LocalTool] | None = None, verbose: bool = False,
                 about: Mapping[str, object] | None = None) -> None:
        self.services = list(services)
        self.about = dict(about or {})
        self.gateway = gateway
        self.log = log
        self.faults = faults
        self.local_tools = dict(local_tools or {})
        self.verbose = verbose
        self.started = time.time()

    # --- entry point ---------------------------------------------------------------------

    def handle(self, req: Request) -> Response:
        if req.path.startswith(LOCAL_PREFIX):
            return self._local(req)
        started = time.monotonic()
        self.log.begin()
        service, template, route, params = self._route(req)
        fault: str | None = None
        caller_client: str | None = None
        try:
            if template is None:
                raise errors.no_such_path()
            delay, fault = self.faults.decide(req.method, template)
            if delay:
                time.sleep(delay)
            if fault in ("429", "500", "503"):
                raise errors.injected(fault, self.faults.retry_after)
            if fault == "reset":
                response = Response(0, transport_fault="reset")
            else:
                response, caller_client = self._serve(req, service, route, params, template)
            if fault == "commit-drop":
                response.transport_fault = "drop"
        except errors.Refusal as exc:
            response = Response(exc.status, service.render(exc, req.request_id), exc.headers())
        except errors.ServiceError as exc:
            response = Response(exc.status, exc.body(req.request_id), exc.headers())
        except Exception:  # noqa: BLE001 - the emulator must answer, never hang a client
            traceback.print_exc(file=sys.stderr)
            response = Response(500, service.render(errors.internal_error(), req.request_id))
        response.headers.setdefault("x-request-id", req.request_id)
        sandbox = req.header("x-sandbox-name")
        if sandbox is None and service.gateway:
            sandbox = DEFAULT_SANDBOX
        self.log.record({
            "time": now_iso(),
            "method": req.method,
            "path": req.path,
            "template": template or req.path,
            "query": req.query,
            "if_match": req.header("if-match") or req.param("if-match"),
            "status": response.status if response.transport_fault is None else None,
            "sandbox": sandbox,
            "client_id": caller_client,
            "request_id": req.request_id,
            "fault": fault,
            "duration_ms": round((time.monotonic() - started) * 1000, 3),
        })
        return response

    def _route(self, req: Request) -> tuple[Service, str | None, Route | None, dict[str, str]]:
        """The service, the logged template (None: no API here), the route (None: not this method)."""
        for service in self.services:
            found = service.match(req.method, req.path)
            if found is not None:
                template, route, params = found
                return service, service.log_prefix + template, route, params
        # A path that is no API answers as the service under whose base it lies, else as the first
        # service (Flow Service) does.
        owner = next((s for s in self.services if s.base and req.path.startswith(s.base + "/")), self.services[0])
        return owner, None, None, {}

    def _serve(self, req: Request, service: Service, route: Route | None, params: dict[str, str],
               template: str) -> tuple[Response, str | None]:
        """The route's answer and the client id the gateway admitted (None without the gateway)."""
        caller = self.gateway.admit(req) if service.gateway else ANONYMOUS
        if route is None:
            local = template[len(service.log_prefix):]
            raise errors.method_not_allowed(req.method, template, service.methods(local))
        return route.action(req, caller, params), caller.client_id or None

    # --- /__local/ ---------------------------------------------------------------------------

    def _local(self, req: Request) -> Response:
        name = req.path[len(LOCAL_PREFIX):].strip("/")
        try:
            answer = self._core_tool(req, name)
            if answer is None:
                tool = self.local_tools.get(name.split("/", 1)[0])
                answer = tool(req, name) if tool is not None else None
        except (ValueError, TypeError, KeyError) as exc:
            return Response(400, {"error": str(exc)})
        return answer or Response(404, {"error": f"no local tool {req.method} {req.path}"})

    def _core_tool(self, req: Request, name: str) -> Response | None:
        if name == "health" and req.method == "GET":
            return Response(200, {"status": "ok", "uptime_s": round(time.time() - self.started, 3),
                                  "sandboxes": sorted(self.gateway.sandboxes), "in_flight": self.log.in_flight(),
                                  **self.about})
        if name == "requests" and req.method == "GET":
            return Response(200, self.log.entries())
        if name == "requests" and req.method == "DELETE":
            self.log.reset()
            return Response(204)
        if name == "counters" and req.method == "GET":
            return Response(200, self.log.counters())
        if name == "faults":
            if req.method == "GET":
                return Response(200, self.faults.snapshot())
            if req.method == "DELETE":
                self.faults.configure(FaultConfig())
                return Response(200, self.faults.snapshot())
            if req.method in ("POST", "PUT"):
                self.faults.update(local_body(req))
                return Response(200, self.faults.snapshot())
        return None


def local_body(req: Request) -> dict[str, object]:
    """A `/__local/` tool's JSON object body (`{}` when empty); ValueError otherwise."""
    changes = json.loads(req.body or b"{}")
    if not isinstance(changes, dict):
        raise ValueError("expected a JSON object")
    return changes
