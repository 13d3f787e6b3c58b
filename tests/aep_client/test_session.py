"""Session: headers of every call, retry policy, backoff bounds, Retry-After, deadline, 401 refresh."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from aep_client.errors import (
    AuthenticationError,
    ImsAuthenticationError,
    ImsError,
    OperationTimeoutError,
    OutcomeUnknownError,
    RateLimitedError,
    ServerError,
    TransportError,
    UnreachableError,
)
from aep_client.retry import RetryPolicy
from aep_client.session import CallStats, classify_transport_error
from tests.aep_client.scripted import (
    CLIENT_ID,
    CLIENT_SECRET,
    ORG_ID,
    TOKEN_PREFIX,
    FakeClock,
    Reply,
    TokenIssuer,
    connect_timeout,
    connection_refused,
    flow_error,
    make_harness,
    read_timeout,
    reset_after_send,
)

OK = Reply(200, {"items": [{"id": "c1", "etag": '"e"'}]})


def test_headers_of_a_read(cache_dir: Path) -> None:
    h = make_harness(cache_dir, OK)
    h.client.get_connection("c1")
    (sent,) = h.flow.sent
    assert sent.method == "GET"
    assert sent.url == "https://flow.test/data/foundation/flowservice/connections/c1"
    assert sent.headers["Authorization"] == f"Bearer {TOKEN_PREFIX}1"
    assert sent.headers["x-api-key"] == CLIENT_ID
    assert sent.headers["x-gw-ims-org-id"] == ORG_ID
    assert sent.headers["x-sandbox-name"] == "dev1"
    assert sent.headers["Accept"] == "application/json"
    assert "terraform-provider-aep/" in sent.headers["User-Agent"]
    assert "Content-Type" not in sent.headers


def test_writes_send_json_content_type(cache_dir: Path) -> None:
    h = make_harness(cache_dir, Reply(200, {"id": "c1", "etag": '"e2"'}))
    h.client.update_connection("c1", '"e1"', [{"op": "replace", "path": "/name", "value": "n"}])
    (sent,) = h.flow.sent
    assert sent.headers["Content-Type"] == "application/json"
    assert sent.json() == [{"op": "replace", "path": "/name", "value": "n"}]


def test_ims_request_is_form_encoded_client_credentials(cache_dir: Path) -> None:
    h = make_harness(cache_dir, OK, scopes=["openid", "AdobeID"])
    h.client.get_connection("c1")
    (token_req,) = h.ims.sent
    assert token_req.method == "POST" and token_req.url == "https://ims.test/ims/token/v3"
    assert token_req.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert token_req.form() == {"grant_type": "client_credentials", "client_id": CLIENT_ID,
                                "client_secret": CLIENT_SECRET, "scope": "openid,AdobeID"}
    assert "Authorization" not in token_req.headers


def test_one_token_request_per_process(cache_dir: Path) -> None:
    h = make_harness(cache_dir, OK, OK, OK, use_cache=False)
    for _ in range(3):
        h.client.get_connection("c1")
    assert h.issuer.count == 1 and len(h.flow.sent) == 3


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_get_is_retried_on_retryable_status(cache_dir: Path, status: int) -> None:
    h = make_harness(cache_dir, flow_error(status, 1103, "Unavailable", "x"), OK)
    assert h.client.get_connection("c1")["id"] == "c1"
    assert len(h.flow.sent) == 2 and len(h.clock.sleeps) == 1


@pytest.mark.parametrize("failure", [connection_refused, connect_timeout, read_timeout, reset_after_send])
def test_get_is_retried_on_transport_errors(cache_dir: Path, failure) -> None:  # type: ignore[no-untyped-def]
    h = make_harness(cache_dir, failure(), OK)
    assert h.client.get_connection("c1")["id"] == "c1"
    assert len(h.flow.sent) == 2


def test_backoff_is_exponential_with_bounded_jitter(cache_dir: Path) -> None:
    h = make_harness(cache_dir, *[Reply(503)] * 5, OK, max_retries=5)
    h.client.get_connection("c1")
    assert len(h.clock.sleeps) == 5
    for n, slept in enumerate(h.clock.sleeps, start=1):
        base = 0.5 * 2 ** (n - 1)
        assert base <= slept <= base + 0.5, (n, slept)


def test_unsafe_requests_are_retried_only_on_429() -> None:
    policy = RetryPolicy(max_retries=5)
    assert policy.retries_status(429, safe=False) and not policy.retries_status(503, safe=False)
    assert policy.retries_status(503, safe=True) and not policy.retries_status(400, safe=True)
    assert policy.allows(4) and not policy.allows(5)


def test_backoff_is_capped_and_jittered_within_bounds() -> None:
    policy = RetryPolicy(max_retries=20, backoff_factor=0.5, backoff_jitter=0.5, backoff_max=30, jitter=lambda: 1.0)
    assert policy.backoff(0) == 0.0
    assert policy.backoff(1) == 1.0 and policy.backoff(3) == 2.5
    assert policy.backoff(12) == 30


def test_retry_after_wins_over_backoff_when_it_parses() -> None:
    policy = RetryPolicy(jitter=lambda: 0.0)
    assert policy.delay(1, "7") == 7.0
    assert policy.delay(1, "Wed, 21 Oct 2015 07:28:30 GMT", now=1445412480.0) == 30.0
    assert policy.delay(2, "soon") == 1.0  # unparseable: the backoff


def test_retries_stop_at_max_retries(cache_dir: Path) -> None:
    h = make_harness(cache_dir, *[flow_error(503, 1103, "Service Unavailable", "down")] * 4, max_retries=3)
    with pytest.raises(ServerError) as info:
        h.client.get_connection("c1")
    assert info.value.status == 503 and info.value.code == "1103"
    assert len(h.flow.sent) == 4 and len(h.clock.sleeps) == 3


def test_max_retries_zero_means_one_attempt(cache_dir: Path) -> None:
    h = make_harness(cache_dir, Reply(500), max_retries=0)
    with pytest.raises(ServerError):
        h.client.get_connection("c1")
    assert len(h.flow.sent) == 1 and h.clock.sleeps == []


def test_transport_errors_exhaust_into_transport_error(cache_dir: Path) -> None:
    h = make_harness(cache_dir, *[connection_refused()] * 3, max_retries=2)
    with pytest.raises(TransportError) as info:
        h.client.get_connection("c1")
    assert isinstance(info.value, UnreachableError) and "connection refused" in str(info.value)
    assert len(h.flow.sent) == 3


def test_retry_after_is_honoured(cache_dir: Path) -> None:
    h = make_harness(cache_dir, Reply(429, {"error_code": "429050", "message": "Too many requests"},
                                      {"Retry-After": "7"}), OK)
    h.client.get_connection("c1")
    assert h.clock.sleeps == [7.0]


def test_retry_after_on_503_is_honoured(cache_dir: Path) -> None:
    h = make_harness(cache_dir, Reply(503, None, {"Retry-After": "3"}), OK)
    h.client.get_connection("c1")
    assert h.clock.sleeps == [3.0]


def test_unparseable_retry_after_falls_back_to_backoff(cache_dir: Path) -> None:
    h = make_harness(cache_dir, Reply(429, None, {"Retry-After": "soon"}), OK)
    h.client.get_connection("c1")
    assert 0.5 <= h.clock.sleeps[0] <= 1.0


def test_retry_after_beyond_deadline_fails_fast(cache_dir: Path) -> None:
    h = make_harness(cache_dir, Reply(429, {"error_code": "429050", "message": "slow down"}, {"Retry-After": "600"}),
                     operation_timeout=60)
    with pytest.raises(RateLimitedError) as info:
        h.client.get_connection("c1")
    assert info.value.retry_after == 600
    assert h.clock.sleeps == [] and len(h.flow.sent) == 1


def test_deadline_bounds_retries_before_max_retries(cache_dir: Path) -> None:
    h = make_harness(cache_dir, *[Reply(503)] * 20, max_retries=20, operation_timeout=5)
    with pytest.raises(ServerError):
        h.client.get_connection("c1")
    assert sum(h.clock.sleeps) < 5
    assert len(h.flow.sent) < 21


def test_attempt_timeout_never_exceeds_remaining_time(cache_dir: Path) -> None:
    clock = FakeClock()

    def slow(request):  # type: ignore[no-untyped-def]
        clock.advance(8)
        return read_timeout()

    h = make_harness(cache_dir, slow, OK, clock=clock, request_timeout=30, operation_timeout=10)
    h.client.get_connection("c1")
    first, second = h.flow.sent
    assert first.timeout == (RetryPolicy().connect_timeout, 10)  # a connect is quick or not coming
    assert second.timeout[0] <= 2 and second.timeout[1] <= 2


def test_operation_timeout_when_no_time_is_left(cache_dir: Path) -> None:
    clock = FakeClock()

    def stall(request):  # type: ignore[no-untyped-def]
        clock.advance(100)
        return read_timeout()

    h = make_harness(cache_dir, stall, clock=clock, operation_timeout=50)
    with pytest.raises(TransportError):
        h.client.get_connection("c1")
    assert len(h.flow.sent) == 1
    h2 = make_harness(cache_dir, clock=clock, operation_timeout=50)
    with pytest.raises(OperationTimeoutError):
        h2.session.request("GET", "/connections", deadline=clock.now - 1)


@pytest.mark.parametrize("failure", [connection_refused, connect_timeout])
def test_post_is_retried_when_it_certainly_never_left(cache_dir: Path, failure) -> None:  # type: ignore[no-untyped-def]
    h = make_harness(cache_dir, failure(), failure(), Reply(201, {"id": "new", "etag": '"e"'}))
    resp = h.session.request("POST", "/connections", json_body={"name": "x"})
    assert resp.status_code == 201 and len(h.flow.sent) == 3


def test_post_is_retried_on_429(cache_dir: Path) -> None:
    h = make_harness(cache_dir, Reply(429, None, {"Retry-After": "1"}), Reply(201, {"id": "new", "etag": '"e"'}))
    assert h.session.request("POST", "/connections", json_body={}).status_code == 201
    assert len(h.flow.sent) == 2 and h.clock.sleeps == [1.0]


@pytest.mark.parametrize("outcome", [read_timeout, reset_after_send, lambda: Reply(500), lambda: Reply(502),
                                     lambda: flow_error(503, 1103, "Unavailable", "down"), lambda: Reply(504)])
def test_post_is_never_resent_when_it_may_have_been_processed(cache_dir: Path, outcome) -> None:  # type: ignore[no-untyped-def]
    h = make_harness(cache_dir, outcome())
    with pytest.raises(OutcomeUnknownError):
        h.session.request("POST", "/connections", json_body={"name": "x"})
    assert len(h.flow.sent) == 1


def test_patch_without_if_match_is_not_retried_blindly(cache_dir: Path) -> None:
    h = make_harness(cache_dir, read_timeout())
    with pytest.raises(OutcomeUnknownError):
        h.session.request("PATCH", "/connections/c1", json_body=[])
    assert len(h.flow.sent) == 1


def test_patch_with_if_match_is_retried_and_flagged_ambiguous(cache_dir: Path) -> None:
    h = make_harness(cache_dir, reset_after_send(), Reply(200, {"id": "c1", "etag": '"e2"'}))
    stats = CallStats()
    h.session.request("PATCH", "/connections/c1", json_body=[], headers={"If-Match": '"e1"'}, stats=stats)
    assert stats.attempts == 2 and stats.ambiguous


def test_401_refreshes_the_token_once(cache_dir: Path) -> None:
    h = make_harness(cache_dir, Reply(401, {"error_code": "401013", "message": "Oauth token is not valid"}), OK)
    h.client.get_connection("c1")
    assert h.issuer.count == 2
    assert [s.headers["Authorization"] for s in h.flow.sent] == [f"Bearer {TOKEN_PREFIX}1", f"Bearer {TOKEN_PREFIX}2"]


def test_second_401_fails_without_a_third_token(cache_dir: Path) -> None:
    denied = Reply(401, {"error_code": "401013", "message": "Oauth token is not valid"})
    h = make_harness(cache_dir, denied, denied)
    with pytest.raises(AuthenticationError) as info:
        h.client.get_connection("c1")
    assert info.value.code == "401013"
    assert h.issuer.count == 2 and len(h.flow.sent) == 2


def test_401_on_post_is_resent_with_a_new_token(cache_dir: Path) -> None:
    h = make_harness(cache_dir, Reply(401, {"error_code": "401013", "message": "expired"}),
                     Reply(201, {"id": "new", "etag": '"e"'}))
    assert h.session.request("POST", "/connections", json_body={}).status_code == 201
    assert h.issuer.count == 2


def test_ims_errors_are_typed_and_retried_on_5xx(cache_dir: Path) -> None:
    issuer = TokenIssuer()
    h = make_harness(cache_dir, OK, issuer=issuer)
    h.ims.add(Reply(503), Reply(401, {"error": "invalid_client", "error_description": "invalid client_secret"}))
    with pytest.raises(ImsAuthenticationError) as info:
        h.client.get_connection("c1")
    assert info.value.code == "invalid_client" and info.value.path == "/ims/token/v3"
    assert len(h.ims.sent) == 2 and h.flow.sent == []


def test_ims_response_without_token_is_an_ims_error(cache_dir: Path) -> None:
    h = make_harness(cache_dir)
    h.ims.add(Reply(200, {"token_type": "bearer"}))
    with pytest.raises(ImsError):
        h.client.get_connection("c1")


def test_tls_errors_are_not_retried(cache_dir: Path) -> None:
    import requests

    h = make_harness(cache_dir, requests.exceptions.SSLError("certificate verify failed"))
    with pytest.raises(TransportError, match="certificate verify failed"):
        h.client.get_connection("c1")
    assert len(h.flow.sent) == 1


def test_classification_of_transport_errors() -> None:
    assert classify_transport_error(connection_refused()) == "not-sent"
    assert classify_transport_error(connect_timeout()) == "not-sent"
    assert classify_transport_error(read_timeout()) == "ambiguous"
    assert classify_transport_error(reset_after_send()) == "ambiguous"


def test_logs_method_path_status_duration_and_request_id(cache_dir: Path, caplog: pytest.LogCaptureFixture) -> None:
    h = make_harness(cache_dir, Reply(503), Reply(200, {"items": [{"id": "c1"}]}, {"x-request-id": "rid-77"}))
    with caplog.at_level(logging.DEBUG, logger="aep_client"):
        h.client.get_connection("c1")
    lines = [r.getMessage() for r in caplog.records if r.name == "aep_client"]
    assert any("GET /connections/c1 -> 200" in line and "rid-77" in line and " ms" in line for line in lines)
    assert any("retrying GET /connections/c1 after 503" in line for line in lines)
    record = next(r for r in caplog.records if getattr(r, "aep_path", None) == "/connections/c1"
                  and getattr(r, "aep_status", None) == 200)
    assert record.aep_method == "GET" and record.aep_request_id == "rid-77"  # type: ignore[attr-defined]


def test_stop_ends_retry_waits_at_once(cache_dir: Path) -> None:
    """StopProvider: a call waiting to retry gives up instead of sleeping out its backoff."""
    import threading
    import time

    import requests

    from aep_client.session import FlowServiceSession
    from tests.aep_client.scripted import FLOW, IMS, ScriptedAdapter, make_config

    http = requests.Session()
    http.mount(FLOW, ScriptedAdapter(default=lambda request: Reply(503)))
    http.mount(IMS, ScriptedAdapter(default=TokenIssuer()))
    session = FlowServiceSession(make_config(max_retries=50), http, token_cache_dir=str(cache_dir))
    threading.Timer(0.3, session.stop).start()
    started = time.monotonic()
    with pytest.raises(OperationTimeoutError, match="interrupted"):
        session.request("GET", "/connections/c1")
    assert time.monotonic() - started < 5  # 50 retries with backoff would take minutes
