"""The HTTP transport: one thread per connection, bytes in, a `Response` out, and the transport
faults (a reset, a dropped answer) the fault injection asks for. What a request means is the
`App`'s business; this module knows nothing of AEP.
"""

from __future__ import annotations

import json
import socket
import struct
import sys
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol
from urllib.parse import parse_qs, urlsplit


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

    def param(self, name: str) -> str | None:
        """The first value of a query parameter, its name in any letter case."""
        for key, values in self.query.items():
            if key.lower() == name.lower() and values:
                return values[0]
        return None


class Handles(Protocol):
    verbose: bool

    def handle(self, req: Request) -> Response: ...


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, address: tuple[str, int], app: Handles) -> None:
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
        if self.server.app.verbose:
            sys.stderr.write(f"{self.address_string()} {format % args}\n")


def server_address(address: tuple[str | bytes | bytearray, int] | Any) -> str:
    """``host:port`` of a bound TCP server address."""
    host, port = address[0], address[1]
    return f"{host.decode() if isinstance(host, bytes | bytearray) else host}:{port}"
