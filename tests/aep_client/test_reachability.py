"""A dead endpoint costs one bounded window of retries per process, then every call fails at once;
the IMS failure reaches the processes that waited for the same token."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest
import requests
from urllib3.exceptions import MaxRetryError, NameResolutionError

from aep_client.errors import UnreachableError
from aep_client.reachability import unreachable_reason
from aep_client.retry import RetryPolicy
from tests.aep_client.scripted import (
    IMS,
    FakeClock,
    Reply,
    connect_timeout,
    connection_refused,
    make_harness,
    s3_body,
)

OK = Reply(200, {"items": [{"id": "c1", "etag": '"e"'}]})
BOUND = RetryPolicy().unreachable_after


def refused_forever(request: requests.PreparedRequest) -> requests.exceptions.ConnectionError:
    return connection_refused()


def test_a_refusing_endpoint_is_retried_within_the_bound_then_fails_at_once(cache_dir: Path) -> None:
    h = make_harness(cache_dir, max_retries=50, operation_timeout=300)
    h.flow.default = refused_forever  # type: ignore[assignment]
    started = h.clock.now
    with pytest.raises(UnreachableError) as info:
        h.client.get_connection("c1")
    assert h.clock.now - started < BOUND and len(h.flow.sent) > 2  # retried, but not 50 times
    assert info.value.headline == ("Cannot reach Flow Service: "
                                   "AEP_FLOW_SERVICE_URL=https://flow.test/data/foundation/flowservice")
    tried = len(h.flow.sent)
    for call in (lambda: h.client.get_connection("c2"), lambda: h.client.delete_connection("c3"),
                 lambda: h.client.create_connection(s3_body())):
        with pytest.raises(UnreachableError) as again:
            call()
        assert again.value.cause == info.value.cause
    assert len(h.flow.sent) == tried  # nothing more was sent


def test_silent_connects_share_one_window_whatever_each_attempt_waits(cache_dir: Path) -> None:
    clock = FakeClock()

    def silent(request: requests.PreparedRequest) -> requests.exceptions.ConnectTimeout:
        clock.advance(h.flow.sent[-1].timeout[0])  # the connect waits as long as it was told
        return connect_timeout()

    h = make_harness(cache_dir, clock=clock, max_retries=50, request_timeout=30, operation_timeout=300)
    h.flow.default = silent  # type: ignore[assignment]
    started = clock.now
    with pytest.raises(UnreachableError) as info:
        h.client.get_connection("c1")
    assert clock.now - started <= BOUND + 0.01
    assert all(sent.timeout[0] <= RetryPolicy().connect_timeout for sent in h.flow.sent)
    assert "the connection timed out" in str(info.value)


def test_an_answer_ends_the_window(cache_dir: Path) -> None:
    h = make_harness(cache_dir, connection_refused(), OK, *[connection_refused()] * 3, OK, max_retries=5)
    assert h.client.get_connection("c1")["id"] == "c1"
    h.clock.advance(BOUND * 2)  # a later blip gets a window of its own
    assert h.client.get_connection("c1")["id"] == "c1"


def test_a_create_that_never_left_is_retried_and_never_duplicated(cache_dir: Path) -> None:
    h = make_harness(cache_dir, connection_refused(), connection_refused(),
                     Reply(201, {"id": "new", "etag": '"e"'}))
    assert h.client.create_connection(s3_body()).id == "new"
    assert len(h.flow_sent("POST")) == 3


def test_ims_unreachable_is_said_once_to_the_processes_that_waited_for_it(cache_dir: Path) -> None:
    first = make_harness(cache_dir, max_retries=3)
    first.ims.script[:] = [connection_refused(IMS)] * 4
    with pytest.raises(UnreachableError) as met:
        first.client.get_connection("c1")
    assert met.value.headline == "Cannot reach Adobe IMS: AEP_IMS_URL=https://ims.test"
    with pytest.raises(UnreachableError):  # the same process: at once
        first.client.get_connection("c2")
    assert len(first.ims.sent) == 4

    # A process that was waiting for the token while the first one tried: told, nothing sent.
    waiting = make_harness(cache_dir, clock=FakeClock(start=first.clock.time() - 5))
    with pytest.raises(UnreachableError) as told:
        waiting.client.get_connection("c1")
    assert (told.value.headline, told.value.cause) == (met.value.headline, met.value.cause)
    assert waiting.ims.sent == [] and waiting.flow.sent == []

    # A later command asks IMS again: the failure was not a verdict for ever.
    later = make_harness(cache_dir, OK, clock=FakeClock(start=first.clock.time() + 5))
    assert later.client.get_connection("c1")["id"] == "c1" and len(later.ims.sent) == 1


@pytest.mark.parametrize(("failure", "reason"), [
    (connection_refused(), "connection refused"),
    (connect_timeout(), "the connection timed out"),
    (requests.exceptions.ConnectionError(MaxRetryError(None, "https://x.invalid", NameResolutionError(
        "x.invalid", None, socket.gaierror(-2, "Name or service not known")))), "its host name does not resolve"),
    (requests.exceptions.ConnectionError(OSError(101, "Network is unreachable")), "network is unreachable"),
])
def test_reasons_are_the_same_words_for_every_call(failure: Any, reason: str) -> None:
    assert unreachable_reason(failure) == reason


def test_another_service_on_flow_services_origin_is_one_cause_with_it(cache_dir: Path) -> None:
    """A stack that first calls the Schema Registry (derived beside Flow Service) meets the same
    cause, worded the same, as one that first calls Flow Service: a connection is to an origin."""
    h = make_harness(cache_dir, max_retries=50, operation_timeout=300)
    h.flow.default = refused_forever  # type: ignore[assignment]
    session = h.client.session
    with pytest.raises(UnreachableError) as first:
        session.request("GET", "/tenant/schemas", endpoint=session.config.schema_registry_endpoint)
    assert first.value.headline == ("Cannot reach Flow Service: "
                                    "AEP_FLOW_SERVICE_URL=https://flow.test/data/foundation/flowservice")
    with pytest.raises(UnreachableError) as then:
        h.client.get_connection("c1")
    assert (then.value.headline, then.value.cause) == (first.value.headline, first.value.cause)
