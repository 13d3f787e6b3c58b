"""Request log, counters, latency and fault injection under /__local/."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
import requests

from aep_local.testing import LocalAep
from tests.aep_local.local_helpers import Api, s3_body


@pytest.fixture
def fresh() -> Iterator[tuple[LocalAep, Api]]:
    with LocalAep() as svc, requests.Session() as session:
        yield svc, Api(svc, svc.auth_headers(), session)


def test_request_log_and_counters(fresh: tuple[LocalAep, Api]) -> None:
    svc, api = fresh
    svc.reset_requests()
    assert svc.requests() == []
    created = api.create()
    api.patch(created["id"], [{"op": "replace", "path": "/name", "value": "x"}], created["etag"])
    api.call("PATCH", f"/connections/{created['id']}", params={"if-match": '"stale"'},
             json=[{"op": "replace", "path": "/name", "value": "y"}])
    api.call("GET", f"/connections/{created['id']}/", headers={"x-sandbox-name": "prod"})
    log = svc.requests()
    assert [(e["method"], e["template"], e["status"]) for e in log] == [
        ("POST", "/connections", 201),
        ("PATCH", "/connections/{id}", 200),
        ("PATCH", "/connections/{id}", 412),
        ("GET", "/connections/{id}", 200),
    ]
    assert log[1]["if_match"] == created["etag"]
    assert log[2]["if_match"] == '"stale"'
    assert log[2]["query"] == {"if-match": ['"stale"']}
    assert all(e["sandbox"] == "prod" and e["time"] and e["request_id"] for e in log)
    assert log[0]["path"] == "/data/foundation/flowservice/connections"
    counters = svc.counters()
    assert counters["PATCH /connections/{id}"] == 2
    assert counters["POST /connections"] == 1
    assert counters["GET /connections/{id}"] == 1
    svc.token()
    assert svc.counters()["POST /ims/token/v3"] == 1
    svc.reset_requests()
    assert svc.requests() == [] and svc.counters() == {}


def test_health(fresh: tuple[LocalAep, Api]) -> None:
    svc, _ = fresh
    assert svc.health()["status"] == "ok"
    assert svc.health()["in_flight"] == 0


def test_a_request_whose_client_gave_up_is_in_flight_until_it_ends(fresh: tuple[LocalAep, Api]) -> None:
    """As when a provider is killed mid-create: the server still commits and logs the request."""
    svc, api = fresh
    svc.reset_requests()
    svc.set_faults(latency_ms=600)
    with pytest.raises(requests.Timeout):
        api.session.post(api.url("/connections"), json=s3_body("late"), headers=api.headers, timeout=0.1)
    assert svc.health()["in_flight"] == 1 and svc.requests() == []
    svc.wait_idle(timeout=5)
    assert svc.health()["in_flight"] == 0
    assert [(e["method"], e["status"]) for e in svc.requests()] == [("POST", 201)]
    svc.clear_faults()


def test_scripted_faults(fresh: tuple[LocalAep, Api]) -> None:
    svc, api = fresh
    svc.set_faults(script=["429", "503", "500", "ok"], retry_after=7, templates=["/connections"])
    r429 = api.call("GET", "/connections")
    assert r429.status_code == 429 and r429.headers["Retry-After"] == "7"
    r503 = api.call("GET", "/connections")
    assert r503.status_code == 503 and r503.headers["Retry-After"] == "7"
    assert r503.json()["type"].endswith("FLOW-1103-503")
    assert api.call("GET", "/connections").status_code == 500
    assert api.call("GET", "/connections").status_code == 200
    assert api.call("GET", "/connections").status_code == 200  # script exhausted, rate 0
    assert [e["fault"] for e in svc.requests()][-5:] == ["429", "503", "500", None, None]


def test_connection_reset(fresh: tuple[LocalAep, Api]) -> None:
    svc, api = fresh
    svc.set_faults(script=["reset"])
    with pytest.raises(requests.ConnectionError):
        requests.get(api.url("/connections"), headers=api.headers, timeout=5)
    assert api.call("GET", "/connections").status_code == 200


def test_commit_then_drop_the_response(fresh: tuple[LocalAep, Api]) -> None:
    svc, api = fresh
    svc.set_faults(script=["commit-drop"], methods=["POST"], templates=["/connections"])
    with pytest.raises(requests.ConnectionError):
        requests.post(api.url("/connections"), json=s3_body("ghost"), headers=api.headers, timeout=5)
    # the write happened although the client never heard of it
    items = api.call("GET", "/connections", params={"property": "name==ghost"}).json()["items"]
    assert len(items) == 1


def test_rate_faults_are_reproducible_with_a_seed(fresh: tuple[LocalAep, Api]) -> None:
    svc, api = fresh

    def run() -> list[int]:
        svc.set_faults(rate=0.5, kinds=["503", "429"], seed=42, templates=["/connections"])
        return [api.call("GET", "/connections").status_code for _ in range(20)]

    first, second = run(), run()
    assert first == second
    assert {429, 503, 200} <= set(first)
    svc.clear_faults()
    assert all(api.call("GET", "/connections").status_code == 200 for _ in range(5))


def test_latency(fresh: tuple[LocalAep, Api]) -> None:
    svc, api = fresh
    svc.set_faults(latency_ms=150, jitter_ms=50, seed=1)
    start = time.monotonic()
    assert api.call("GET", "/connections").status_code == 200
    assert 0.15 <= time.monotonic() - start < 2.0
    svc.clear_faults()


def test_half_a_request_is_dropped_not_answered(fresh: tuple[LocalAep, Api]) -> None:
    """A client killed between its headers and its body: nothing is created, nothing logged."""
    svc, api = fresh
    svc.reset_requests()
    host, port = urlsplit(svc.url).hostname, urlsplit(svc.url).port
    assert host is not None and port is not None
    head = "".join(f"{k}: {v}\r\n" for k, v in api.headers.items())
    with socket.create_connection((host, port), timeout=5) as sock:
        sock.sendall(f"POST /data/foundation/flowservice/connections HTTP/1.1\r\nHost: {host}\r\n{head}"
                     "Content-Length: 500\r\n\r\n{\"name\": ".encode())
        sock.shutdown(socket.SHUT_WR)
        assert sock.recv(1024) == b""  # closed without an answer
    svc.wait_idle(timeout=5)
    assert svc.requests() == [] and api.call("GET", "/connections").json()["items"] == []


def test_bad_fault_settings(fresh: tuple[LocalAep, Api]) -> None:
    svc, _ = fresh
    for bad in ({"kinds": ["explode"]}, {"rate": 2}, {"nope": 1}):
        assert requests.post(svc.url + "/__local/faults", json=bad, timeout=5).status_code == 400
