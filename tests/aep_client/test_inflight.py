"""One in-flight bound shared by several processes: real sockets, a real HTTP server, real kills."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from aep_client.errors import TransportError
from aep_client.inflight import SOCKET_ENV, SlotAdapter, SlotServer, SlotUnavailable
from aep_client.session import FlowServiceSession, build_http_session
from tests.aep_client.scripted import make_config, send_json
from tests.aep_client.test_transport_real import StaticTokens

ROOT = Path(__file__).resolve().parents[2]


class CountingServer(ThreadingHTTPServer):
    """Answers every GET after 50 ms and records how many it was serving at once."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.lock = threading.Lock()
        self.current = self.peak = self.served = 0


class Handler(BaseHTTPRequestHandler):
    server: CountingServer

    def do_GET(self) -> None:
        with self.server.lock:
            self.server.current += 1
            self.server.peak = max(self.server.peak, self.server.current)
        time.sleep(0.05)
        with self.server.lock:
            self.server.current -= 1
            self.server.served += 1
        send_json(self, b'{"items": []}')

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def http_server() -> Iterator[CountingServer]:
    server = CountingServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_sessions_of_several_processes_share_one_bound(http_server: CountingServer) -> None:
    url = f"http://127.0.0.1:{http_server.server_address[1]}/x"
    with SlotServer(2) as slots:
        # Three sessions stand for three providers; twelve threads send four requests each.
        sessions = [build_http_session(slots=slots.path) for _ in range(3)]

        def send(index: int) -> None:
            for _ in range(4):
                assert sessions[index % 3].get(url, timeout=10).json() == {"items": []}

        threads = [threading.Thread(target=send, args=(i,)) for i in range(12)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        for session in sessions:
            session.close()
    assert http_server.served == 48
    assert http_server.peak == 2  # never more than the bound, and the bound was used
    assert slots.peak == 2


def test_the_slot_of_a_killed_process_is_free_again(http_server: CountingServer) -> None:
    url = f"http://127.0.0.1:{http_server.server_address[1]}/x"
    holder = ("import sys, time\n"
              "from aep_client.inflight import SlotAdapter\n"
              "with SlotAdapter(sys.argv[1]).slot():\n"
              "    print('held', flush=True)\n"
              "    time.sleep(60)\n")
    with SlotServer(1) as slots:
        process = subprocess.Popen([sys.executable, "-c", holder, slots.path], cwd=ROOT,
                                   stdout=subprocess.PIPE, text=True)
        try:
            assert process.stdout is not None and process.stdout.readline().strip() == "held"
            waiting = threading.Thread(target=lambda: build_http_session(slots=slots.path).get(url, timeout=10))
            waiting.start()
            waiting.join(0.5)
            assert waiting.is_alive() and http_server.served == 0  # the only slot is held
            process.kill()
            waiting.join(10)
            assert not waiting.is_alive() and http_server.served == 1
        finally:
            process.kill()
            process.wait()


def test_a_request_whose_command_ended_is_not_sent_and_says_why(http_server: CountingServer) -> None:
    with SlotServer(1) as slots:
        path = slots.path
    config = make_config(flow_service_url=f"http://127.0.0.1:{http_server.server_address[1]}")
    session = FlowServiceSession(config, build_http_session(slots=path), tokens=StaticTokens())  # type: ignore[arg-type]
    with pytest.raises(TransportError) as caught:
        session.request("GET", "/connections")
    assert SOCKET_ENV in str(caught.value) and "nothing was sent" in str(caught.value)
    assert http_server.served == 0


def test_the_provider_session_takes_its_slots_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    with SlotServer(1) as slots:
        monkeypatch.setenv(SOCKET_ENV, slots.path)
        adapter = build_http_session().get_adapter("http://127.0.0.1/")
        assert isinstance(adapter, SlotAdapter) and adapter.path == slots.path
    monkeypatch.delenv(SOCKET_ENV)
    assert not isinstance(build_http_session().get_adapter("http://127.0.0.1/"), SlotAdapter)
    with pytest.raises(SlotUnavailable), SlotAdapter(slots.path).slot():
        pass


def test_an_interrupt_drops_the_requests_waiting_for_a_slot(http_server: CountingServer) -> None:
    config = make_config(flow_service_url=f"http://127.0.0.1:{http_server.server_address[1]}")
    with SlotServer(1) as slots, SlotAdapter(slots.path).slot():  # the only slot, held elsewhere
        session = FlowServiceSession(config, build_http_session(slots=slots.path), tokens=StaticTokens())  # type: ignore[arg-type]
        errors: list[BaseException] = []

        def waiting() -> None:
            try:
                session.request("GET", "/connections")
            except TransportError as err:
                errors.append(err)

        thread = threading.Thread(target=waiting)
        thread.start()
        thread.join(0.3)
        assert thread.is_alive()
        session.stop()  # what the provider does on Terraform's StopProvider
        thread.join(5)
        assert not thread.is_alive()
    assert len(errors) == 1 and "interrupted" in str(errors[0]) and "not sent" in str(errors[0])
    assert http_server.served == 0
