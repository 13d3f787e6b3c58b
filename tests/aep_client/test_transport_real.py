"""Transport failures produced by real sockets, as requests/urllib3 really raise them."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from aep_client.errors import OutcomeUnknownError, TransportError
from aep_client.session import FlowServiceSession
from tests.aep_client.scripted import FakeClock, make_config

ROOT = Path(__file__).resolve().parents[2]


class StaticTokens:
    def get_token(self, deadline: float | None = None) -> str:
        return "static-token"

    def invalidate(self, token: str) -> None:
        pass

    def secrets(self) -> list[str]:
        return ["static-token"]


class BadServer:
    """Accepts connections and misbehaves: ``close`` after reading the request, or ``stall``."""

    def __init__(self, behaviour: str) -> None:
        self.behaviour = behaviour
        self.requests = 0
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self._stop = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self._stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                data = b""
                conn.settimeout(2)
                try:
                    while b"\r\n\r\n" not in data:
                        chunk = conn.recv(65536)
                        if not chunk:
                            break
                        data += chunk
                except OSError:
                    continue
                if data:
                    self.requests += 1
                if self.behaviour == "stall":
                    time.sleep(1.0)

    def close(self) -> None:
        self._stop = True
        self.sock.close()


@pytest.fixture
def closing_server() -> Iterator[BadServer]:
    server = BadServer("close")
    yield server
    server.close()


@pytest.fixture
def stalling_server() -> Iterator[BadServer]:
    server = BadServer("stall")
    yield server
    server.close()


def session_for(port: int, **config: object) -> tuple[FlowServiceSession, FakeClock]:
    clock = FakeClock()
    cfg = make_config(flow_service_url=f"http://127.0.0.1:{port}/data/foundation/flowservice", **config)
    return FlowServiceSession(cfg, tokens=StaticTokens(), sleep=clock.sleep, clock=clock.monotonic,  # type: ignore[arg-type]
                              wall_clock=clock.time), clock


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_connection_refused_post_is_retried_then_fails_cleanly() -> None:
    session, clock = session_for(free_port(), max_retries=2)
    with pytest.raises(TransportError) as info:
        session.request("POST", "/connections", json_body={"name": "x"})
    assert not isinstance(info.value, OutcomeUnknownError)
    assert len(clock.sleeps) == 2  # three attempts: it certainly never reached a server
    assert "refused" in str(info.value).lower()
    assert "object at 0x" not in str(info.value)


def test_post_closed_after_sending_is_ambiguous(closing_server: BadServer) -> None:
    session, clock = session_for(closing_server.port, max_retries=3)
    with pytest.raises(OutcomeUnknownError):
        session.request("POST", "/connections", json_body={"name": "x"})
    time.sleep(0.1)
    assert closing_server.requests == 1 and clock.sleeps == []


def test_get_closed_after_sending_is_retried(closing_server: BadServer) -> None:
    session, clock = session_for(closing_server.port, max_retries=2)
    with pytest.raises(TransportError):
        session.request("GET", "/connections/x")
    time.sleep(0.1)
    assert closing_server.requests == 3 and len(clock.sleeps) == 2


def test_post_read_timeout_is_ambiguous(stalling_server: BadServer) -> None:
    session, _ = session_for(stalling_server.port, request_timeout=0.2)
    with pytest.raises(OutcomeUnknownError, match="ReadTimeout"):
        session.request("POST", "/connections", json_body={"name": "x"})
    assert stalling_server.requests == 1


def test_importing_and_configuring_does_not_import_requests() -> None:
    code = (
        "import sys, aep_client as f\n"
        "c = f.FlowServiceClient(f.FlowServiceConfig(client_id='a', client_secret='bbbb', org_id='O1@AdobeOrg'))\n"
        "f.NotFoundError, f.PreconditionFailedError, f.AmbiguousCreateError\n"
        "assert 'requests' not in sys.modules and 'urllib3' not in sys.modules, sorted(sys.modules)\n"
        "c.session\n"
        "assert 'requests' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT, timeout=60)
