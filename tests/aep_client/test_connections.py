"""Connections CRUD: one request each, never-duplicated creates, If-Match updates, paging."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from aep_client.client import ConnectionRef
from aep_client.errors import (
    AmbiguousCreateError,
    FlowServiceError,
    NotFoundError,
    PreconditionFailedError,
    ServerError,
)
from tests.aep_client.scripted import (
    CLIENT_ID,
    CLIENT_SECRET,
    S3_SECRET,
    S3_SESSION,
    S3_SPEC,
    TOKEN_PREFIX,
    Reply,
    connection_item,
    connection_refused,
    flow_error,
    make_harness,
    read_timeout,
    reset_after_send,
    s3_body,
)

CREATED = Reply(201, {"id": "new-id", "etag": '"etag-1"'}, {"Location": "/connections/new-id"})
EMPTY_LIST = Reply(200, {"items": []})


# -- create -----------------------------------------------------------------------------------

def test_create_is_one_post(cache_dir: Path) -> None:
    h = make_harness(cache_dir, CREATED)
    ref = h.client.create_connection(s3_body())
    assert ref == ConnectionRef("new-id", '"etag-1"')
    (post,) = h.flow.sent
    assert post.method == "POST" and post.path.endswith("/connections")
    assert post.json() == s3_body()


def test_create_falls_back_to_location_and_etag_headers(cache_dir: Path) -> None:
    h = make_harness(cache_dir, Reply(201, None, {"Location": "https://x/connections/loc-id", "ETag": '"h"'}))
    assert h.client.create_connection(s3_body()) == ConnectionRef("loc-id", '"h"')


def test_create_without_etag_reads_it(cache_dir: Path) -> None:
    h = make_harness(cache_dir, Reply(201, {"id": "new-id"}), Reply(200, {"items": [connection_item("new-id",
                                                                                                    etag='"g"')]}))
    assert h.client.create_connection(s3_body()).etag == '"g"'
    assert [s.method for s in h.flow.sent] == ["POST", "GET"]


def test_create_retried_when_connection_refused(cache_dir: Path) -> None:
    h = make_harness(cache_dir, connection_refused(), CREATED)
    assert h.client.create_connection(s3_body()).id == "new-id"
    assert [s.method for s in h.flow.sent] == ["POST", "POST"]


def test_lost_create_with_one_candidate_is_adopted(cache_dir: Path) -> None:
    h = make_harness(cache_dir, read_timeout())
    created_ms = h.clock.wall * 1000 + 50
    h.flow.add(Reply(200, {"items": [connection_item("c-1", name="conn", etag='"e-9"', created_at=created_ms,
                                                      description="desc")]}))
    ref = h.client.create_connection(s3_body())
    assert ref == ConnectionRef("c-1", '"e-9"', adopted=True)
    post, listing = h.flow.sent
    assert post.method == "POST" and listing.method == "GET"
    assert ("property", "name==conn") in listing.query
    assert ("property", f"connectionSpec.id=={S3_SPEC}") in listing.query
    assert len(h.flow_sent("POST")) == 1


def test_adopted_candidate_without_etag_is_read(cache_dir: Path) -> None:
    h = make_harness(cache_dir, reset_after_send())
    item = connection_item("c-1", etag=None, created_at=h.clock.wall * 1000)
    h.flow.add(Reply(200, {"items": [item]}), Reply(200, {"items": [connection_item("c-1", etag='"e-3"')]}))
    assert h.client.create_connection(s3_body()) == ConnectionRef("c-1", '"e-3"', adopted=True)
    assert [s.method for s in h.flow.sent] == ["POST", "GET", "GET"]


def test_lost_create_with_no_candidate_is_resent_once(cache_dir: Path) -> None:
    h = make_harness(cache_dir, flow_error(502, 1102, "Bad Gateway", "upstream"), EMPTY_LIST, CREATED)
    assert h.client.create_connection(s3_body()) == ConnectionRef("new-id", '"etag-1"')
    assert [s.method for s in h.flow.sent] == ["POST", "GET", "POST"]


def test_two_lost_creates_and_nothing_visible_is_ambiguous(cache_dir: Path) -> None:
    h = make_harness(cache_dir, read_timeout(), EMPTY_LIST, read_timeout(), EMPTY_LIST)
    with pytest.raises(AmbiguousCreateError) as info:
        h.client.create_connection(s3_body())
    assert info.value.candidate_ids == ()
    assert [s.method for s in h.flow.sent] == ["POST", "GET", "POST", "GET"]


def test_second_attempt_found_after_resend_is_adopted(cache_dir: Path) -> None:
    h = make_harness(cache_dir, read_timeout(), EMPTY_LIST, read_timeout())
    h.flow.add(Reply(200, {"items": [connection_item("c-2", created_at=h.clock.wall * 1000)]}))
    assert h.client.create_connection(s3_body()).id == "c-2"
    assert len(h.flow_sent("POST")) == 2


def test_several_candidates_raise_ambiguous_with_their_ids(cache_dir: Path) -> None:
    h = make_harness(cache_dir, reset_after_send())
    now_ms = h.clock.wall * 1000
    h.flow.add(Reply(200, {"items": [connection_item("c-1", created_at=now_ms),
                                     connection_item("c-2", created_at=now_ms + 10)]}))
    with pytest.raises(AmbiguousCreateError) as info:
        h.client.create_connection(s3_body())
    assert info.value.candidate_ids == ("c-1", "c-2")
    assert "c-1, c-2" in str(info.value)
    assert len(h.flow_sent("POST")) == 1


def test_old_or_different_connections_are_not_candidates(cache_dir: Path) -> None:
    h = make_harness(cache_dir, read_timeout())
    now_ms = h.clock.wall * 1000
    h.flow.add(Reply(200, {"items": [
        connection_item("old", created_at=now_ms - 3_600_000),                 # long before the attempt
        connection_item("other-name", name="different", created_at=now_ms),   # server ignored the filter
        connection_item("other-desc", created_at=now_ms, description="not ours"),
        connection_item("going", created_at=now_ms, state="delete-finalizing"),
    ]}), CREATED)
    assert h.client.create_connection(s3_body()).id == "new-id"
    assert [s.method for s in h.flow.sent] == ["POST", "GET", "POST"]


def test_recent_connection_within_clock_skew_counts(cache_dir: Path) -> None:
    h = make_harness(cache_dir, read_timeout())
    h.flow.add(Reply(200, {"items": [connection_item("skewed", created_at=h.clock.wall * 1000 - 60_000)]}))
    assert h.client.create_connection(s3_body()).adopted


def test_reconciliation_follows_pages(cache_dir: Path) -> None:
    h = make_harness(cache_dir, read_timeout())
    h.flow.add(Reply(200, {"items": [], "_links": {"next": {"href": "/connections?continuationToken=p2"}}}),
               Reply(200, {"items": [connection_item("c-9", created_at=h.clock.wall * 1000)]}))
    assert h.client.create_connection(s3_body()).id == "c-9"


def test_name_with_comma_is_filtered_locally(cache_dir: Path) -> None:
    h = make_harness(cache_dir, read_timeout())
    h.flow.add(Reply(200, {"items": [connection_item("c-1", name="a,b", created_at=h.clock.wall * 1000),
                                     connection_item("c-2", name="a", created_at=h.clock.wall * 1000)]}))
    assert h.client.create_connection(s3_body(name="a,b")).id == "c-1"
    listing = h.flow.sent[1]
    assert [v for k, v in listing.query if k == "property"] == [f"connectionSpec.id=={S3_SPEC}"]


def test_failed_reconciliation_is_ambiguous(cache_dir: Path) -> None:
    h = make_harness(cache_dir, read_timeout(), *[Reply(500)] * 3, max_retries=2)
    with pytest.raises(AmbiguousCreateError, match="listing connections to check failed"):
        h.client.create_connection(s3_body())
    assert len(h.flow_sent("POST")) == 1


def test_create_validation_error_is_not_reconciled(cache_dir: Path) -> None:
    h = make_harness(cache_dir, flow_error(400, 1415, "Bad Request", "The auth spec 'X' could not be found"))
    with pytest.raises(FlowServiceError) as info:
        h.client.create_connection(s3_body())
    assert info.value.code == "1415" and len(h.flow.sent) == 1


def test_client_wraps_a_plain_requests_session(cache_dir: Path) -> None:
    import requests

    from aep_client.client import FlowServiceClient
    from tests.aep_client.scripted import FLOW, IMS, ScriptedAdapter, TokenIssuer, make_config

    http = requests.Session()
    flow = ScriptedAdapter(CREATED)
    http.mount(FLOW, flow)
    http.mount(IMS, ScriptedAdapter(default=TokenIssuer()))
    client = FlowServiceClient(make_config(), http, token_cache_dir=str(cache_dir))
    assert client.create_connection(s3_body()).id == "new-id"
    assert client.session.http is http and len(flow.sent) == 1


# -- read -------------------------------------------------------------------------------------

def test_get_unwraps_items(cache_dir: Path) -> None:
    h = make_harness(cache_dir, Reply(200, {"items": [connection_item("c-1")]}))
    assert h.client.get_connection("c-1")["id"] == "c-1"


def test_get_of_missing_connection(cache_dir: Path) -> None:
    h = make_harness(cache_dir, flow_error(404, 1101, "Not Found", "Resource with id 'x' does not exist"),
                     Reply(200, {"items": []}))
    with pytest.raises(NotFoundError) as info:
        h.client.get_connection("x")
    assert info.value.code == "1101"
    with pytest.raises(NotFoundError):
        h.client.get_connection("x")


def test_ids_are_escaped_into_one_path_segment(cache_dir: Path) -> None:
    h = make_harness(cache_dir, Reply(200, {"items": [connection_item("a/b")]}))
    h.client.get_connection("a/b?c")
    assert h.flow.sent[0].path.endswith("/connections/a%2Fb%3Fc")
    with pytest.raises(ValueError):
        h.client.get_connection("..")


def test_connection_spec_and_test(cache_dir: Path) -> None:
    h = make_harness(cache_dir, Reply(200, {"items": [{"id": S3_SPEC, "name": "amazon-s3"}]}),
                     Reply(200, {"result": True}))
    assert h.client.get_connection_spec(S3_SPEC)["name"] == "amazon-s3"
    assert h.client.test_connection("c-1") is True
    assert h.flow.sent[0].path.endswith(f"/connectionSpecs/{S3_SPEC}")
    assert h.flow.sent[1].path.endswith("/connections/c-1/test")


# -- update -----------------------------------------------------------------------------------

OPS: list[dict[str, Any]] = [{"op": "replace", "path": "/auth/params/s3SessionToken", "value": S3_SESSION}]


def test_update_is_one_patch_with_if_match_as_stored(cache_dir: Path) -> None:
    h = make_harness(cache_dir, Reply(200, {"id": "c-1", "etag": '"etag-2"'}))
    ref = h.client.update_connection("c-1", '"etag-1"', OPS)
    assert ref == ConnectionRef("c-1", '"etag-2"')
    (patch,) = h.flow.sent
    assert patch.method == "PATCH" and patch.headers["If-Match"] == '"etag-1"'
    assert patch.json() == OPS


def test_update_stale_etag(cache_dir: Path) -> None:
    h = make_harness(cache_dir, flow_error(412, 1404, "Precondition Failed", "version does not match"))
    with pytest.raises(PreconditionFailedError) as info:
        h.client.update_connection("c-1", '"etag-1"', OPS)
    err = info.value
    assert err.etag_sent == '"etag-1"' and err.current_etag is None and not err.maybe_applied
    assert len(h.flow.sent) == 1


def test_update_retried_after_lost_response_then_412_reports_current_etag(cache_dir: Path) -> None:
    h = make_harness(cache_dir, read_timeout(), flow_error(412, 1404, "Precondition Failed", "mismatch"),
                     Reply(200, {"items": [connection_item("c-1", etag='"etag-2"')]}))
    with pytest.raises(PreconditionFailedError) as info:
        h.client.update_connection("c-1", '"etag-1"', OPS)
    err = info.value
    assert (err.etag_sent, err.current_etag, err.maybe_applied) == ('"etag-1"', '"etag-2"', True)
    assert [s.method for s in h.flow.sent] == ["PATCH", "PATCH", "GET"]


def test_lost_patch_answer_then_412_is_resolved_when_the_change_is_ours(cache_dir: Path) -> None:
    """The change is checked (writer, time, visible values): our own lost PATCH is not a foreign change."""
    h = make_harness(cache_dir, read_timeout(), flow_error(412, 1404, "Precondition Failed", "mismatch"))
    ours = connection_item("c-1", name="renamed", etag='"etag-2"', updatedClient=CLIENT_ID,
                           updatedAt=int(h.clock.wall * 1000) + 10)
    h.flow.add(Reply(200, {"items": [ours]}))
    ops = [{"op": "replace", "path": "/name", "value": "renamed"},
           {"op": "replace", "path": "/auth/params/s3SessionToken", "value": S3_SESSION}]
    assert h.client.update_connection("c-1", '"etag-1"', ops) == ConnectionRef("c-1", '"etag-2"')
    assert [s.method for s in h.flow.sent] == ["PATCH", "PATCH", "GET"]


@pytest.mark.parametrize("record", [
    {"name": "renamed", "updatedClient": "someone-else"},  # written by another client
    {"name": "other", "updatedClient": CLIENT_ID},  # a visible value differs
    {"name": "renamed", "updatedClient": CLIENT_ID, "updatedAt": 1},  # written long before we started
])
def test_lost_patch_answer_then_412_stays_unknown_otherwise(cache_dir: Path, record: dict) -> None:
    h = make_harness(cache_dir, read_timeout(), flow_error(412, 1404, "Precondition Failed", "mismatch"))
    current = {"updatedAt": int(h.clock.wall * 1000)} | record
    h.flow.add(Reply(200, {"items": [connection_item("c-1", etag='"etag-2"', **current)]}))
    with pytest.raises(PreconditionFailedError) as info:
        h.client.update_connection("c-1", '"etag-1"', [{"op": "replace", "path": "/name", "value": "renamed"}])
    assert info.value.maybe_applied and info.value.current_etag == '"etag-2"'
    assert "may have applied the change" in str(info.value)


def test_unreadable_2xx_create_is_reconciled_not_failed(cache_dir: Path) -> None:
    h = make_harness(cache_dir, Reply(201, b"<html>proxy page</html>"))
    h.flow.add(Reply(200, {"items": [connection_item("c-7", created_at=h.clock.wall * 1000, description="desc")]}))
    assert h.client.create_connection(s3_body()) == ConnectionRef("c-7", '"e-1"', adopted=True)
    assert [s.method for s in h.flow.sent] == ["POST", "GET"]


def test_update_retried_after_500_then_412_may_have_been_applied(cache_dir: Path) -> None:
    h = make_harness(cache_dir, Reply(500), flow_error(412, 1404, "Precondition Failed", "mismatch"),
                     Reply(200, {"items": [connection_item("c-1", etag='"etag-2"')]}))
    with pytest.raises(PreconditionFailedError) as info:
        h.client.update_connection("c-1", '"etag-1"', OPS)
    assert info.value.maybe_applied and info.value.current_etag == '"etag-2"'


def test_update_retried_on_503(cache_dir: Path) -> None:
    h = make_harness(cache_dir, Reply(503), Reply(200, {"id": "c-1", "etag": '"etag-2"'}))
    assert h.client.update_connection("c-1", '"etag-1"', OPS).etag == '"etag-2"'
    assert all(s.headers["If-Match"] == '"etag-1"' for s in h.flow.sent)


def test_update_requires_ops_and_etag(cache_dir: Path) -> None:
    h = make_harness(cache_dir)
    with pytest.raises(ValueError):
        h.client.update_connection("c-1", '"e"', [])
    with pytest.raises(ValueError):
        h.client.update_connection("c-1", "", OPS)
    assert h.flow.sent == []


# -- delete -----------------------------------------------------------------------------------

def test_delete(cache_dir: Path) -> None:
    h = make_harness(cache_dir, Reply(204), flow_error(404, 1101, "Not Found", "gone"))
    assert h.client.delete_connection("c-1") is True
    assert h.client.delete_connection("c-1") is False
    assert [s.method for s in h.flow.sent] == ["DELETE", "DELETE"]
    assert "If-Match" not in h.flow.sent[0].headers


def test_delete_retried_after_lost_response_counts_as_deleted(cache_dir: Path) -> None:
    h = make_harness(cache_dir, reset_after_send(), flow_error(404, 1101, "Not Found", "gone"))
    assert h.client.delete_connection("c-1") is True


def test_delete_in_use(cache_dir: Path) -> None:
    h = make_harness(cache_dir, flow_error(400, 1418, "Bad Request", "connection is used by flows"))
    with pytest.raises(FlowServiceError, match="used by flows"):
        h.client.delete_connection("c-1")


# -- list -------------------------------------------------------------------------------------

def test_list_follows_next_links_and_tokens(cache_dir: Path) -> None:
    h = make_harness(
        cache_dir,
        Reply(200, {"items": [{"id": "1"}], "_links": {"next": {"href": "/connections?continuationToken=t2"}}}),
        Reply(200, {"items": [{"id": "2"}], "_links": {"next": {
            "href": "https://elsewhere.example/data/foundation/flowservice/connections?continuationToken=t3"}}}),
        Reply(200, {"items": [{"id": "3"}], "continuationToken": "t4"}),
        Reply(200, {"items": [{"id": "4"}]}),
    )
    items = list(h.client.list_connections(["state==enabled"], orderby="-name", limit=1))
    assert [i["id"] for i in items] == ["1", "2", "3", "4"]
    assert all(s.url.startswith("https://flow.test/") for s in h.flow.sent)  # never the foreign host
    first, second, third, fourth = (s.query for s in h.flow.sent)
    assert first == [("property", "state==enabled"), ("orderby", "-name"), ("limit", "1")]
    assert ("continuationToken", "t2") in second and ("property", "state==enabled") in second
    assert ("continuationToken", "t3") in third
    assert fourth.count(("continuationToken", "t4")) == 1 and ("continuationToken", "t3") not in fourth


def test_list_stops_on_a_repeating_token(cache_dir: Path) -> None:
    page = Reply(200, {"items": [{"id": "1"}], "_links": {"next": {"href": "/connections?continuationToken=same"}}})
    h = make_harness(cache_dir, page, page, page)
    assert len(list(h.client.list_connections())) == 2
    assert len(h.flow.sent) == 2


def test_list_is_lazy(cache_dir: Path) -> None:
    h = make_harness(cache_dir, Reply(200, {"items": [{"id": "1"}]}))
    iterator = h.client.list_connections()
    assert h.flow.sent == []
    assert next(iterator)["id"] == "1"


def test_count(cache_dir: Path) -> None:
    h = make_harness(cache_dir, Reply(200, {"count": 3}), Reply(200, {"items": [{"count": 4}]}), Reply(200, {}))
    assert h.client.count_connections(["name==x"]) == 3
    assert h.flow.sent[0].query == [("property", "name==x"), ("count", "true")]
    assert h.client.count_connections() == 4
    with pytest.raises(FlowServiceError):
        h.client.count_connections()


# -- secrets never leak --------------------------------------------------------------------------

CANARIES = (CLIENT_SECRET, S3_SECRET, S3_SESSION, TOKEN_PREFIX)


def _assert_clean(texts: list[str]) -> None:
    for text in texts:
        for canary in CANARIES:
            assert canary not in text, (canary, text)


def _exception_texts(err: BaseException) -> list[str]:
    texts = [str(err), repr(err), *map(str, err.args)]
    for value in vars(err).values():
        texts.append(str(value))
        if isinstance(value, BaseException):
            texts.extend(_exception_texts(value))
    return texts


@pytest.mark.parametrize("script", [
    # server errors echoing every secret back
    [Reply(400, {"errorMessage": f"bad {S3_SECRET} / {S3_SESSION} / {CLIENT_SECRET} / Bearer {TOKEN_PREFIX}1",
                 "report": {"detailed-message": f"value {S3_SECRET}", "request-id": "r"}})],
    [Reply(401, {"error_code": "401013", "message": f"token {TOKEN_PREFIX}1 invalid"}),
     Reply(401, {"error_code": "401013", "message": f"token {TOKEN_PREFIX}2 invalid"})],
    [read_timeout(), Reply(500, {"message": f"oops {S3_SECRET}"}), Reply(500), Reply(500)],
    [reset_after_send(), EMPTY_LIST, Reply(503, {"title": f"x {S3_SESSION}"}), EMPTY_LIST],
    [Reply(429, {"message": S3_SECRET}, {"Retry-After": "99999"})],
])
def test_no_secret_in_errors_or_logs(cache_dir: Path, caplog: pytest.LogCaptureFixture, script: list) -> None:
    h = make_harness(cache_dir, *script, max_retries=2)
    with caplog.at_level(logging.DEBUG), pytest.raises(FlowServiceError) as info:
        h.client.create_connection(s3_body())
    _assert_clean(_exception_texts(info.value))
    _assert_clean([r.getMessage() for r in caplog.records] + [str(vars(r)) for r in caplog.records])


def test_no_secret_in_update_errors(cache_dir: Path, caplog: pytest.LogCaptureFixture) -> None:
    h = make_harness(cache_dir, Reply(400, {"errorMessage": f"invalid session token {S3_SESSION}"}))
    with caplog.at_level(logging.DEBUG), pytest.raises(FlowServiceError) as info:
        h.client.update_connection("c-1", '"e"', OPS)
    _assert_clean(_exception_texts(info.value) + [r.getMessage() for r in caplog.records])


def test_no_secret_in_ims_errors(cache_dir: Path, caplog: pytest.LogCaptureFixture) -> None:
    h = make_harness(cache_dir)
    h.ims.add(Reply(400, {"error": "invalid_client", "error_description": f"bad secret {CLIENT_SECRET}"}))
    with caplog.at_level(logging.DEBUG), pytest.raises(FlowServiceError) as info:
        h.client.get_connection("c-1")
    _assert_clean(_exception_texts(info.value) + [r.getMessage() for r in caplog.records])


def test_server_error_after_retries(cache_dir: Path) -> None:
    h = make_harness(cache_dir, *[Reply(500)] * 2, max_retries=1)
    with pytest.raises(ServerError):
        h.client.get_connection("c-1")


def test_errors_name_the_service_that_failed(cache_dir: Path) -> None:
    """An unreachable IMS is not "Connection to Flow Service failed": each error names its service,
    the status and request id when there are any, and what to do."""
    from tests.aep_client.scripted import IMS

    h = make_harness(cache_dir, max_retries=0)
    h.ims.script[:] = [connection_refused(IMS)]
    with pytest.raises(FlowServiceError) as info:
        h.client.get_connection("c-1")
    text = str(info.value)
    assert text.startswith("Adobe IMS POST /ims/token/v3") and "Flow Service" not in text.split(".")[0]
    assert "AEP_IMS_URL=https://ims.test: connection refused" in text and "Check AEP_IMS_URL" in text

    h = make_harness(cache_dir, flow_error(403, 2118, "Forbidden", "write permission missing", "req-42"))
    with pytest.raises(FlowServiceError) as info:
        h.client.create_connection(s3_body())
    text = str(info.value)
    assert text.startswith("Flow Service POST /connections") and "status 403" in text and "request id req-42" in text
    assert "Manage Sources" in text
