"""Integration: the client against the real local AEP (HTTP on 127.0.0.1).

Request counts are read on the server side (its request log), so "one request per operation"
is checked where it matters.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from aep_client import (
    AmbiguousCreateError,
    BadRequestError,
    ConnectionRef,
    FlowServiceClient,
    FlowServiceConfig,
    NotFoundError,
    PreconditionFailedError,
    UnknownPathError,
)
from aep_local.testing import DEFAULT_CLIENT_ID, DEFAULT_ORG_ID, LocalAep
from aep_spec.s3 import CONNECTION_SPEC_ID as S3_CONNECTION_SPEC_ID

SECRET_KEY = "CANARY-integration-s3-secret-77"
SESSION_TOKEN = "CANARY-integration-session-88"
CLIENT_SECRET = "CANARY-integration-client-secret-99"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalAep]:
    with LocalAep(data_dir=tmp_path_factory.mktemp("flowsvc")) as svc:
        yield svc


@pytest.fixture
def svc(server: LocalAep) -> LocalAep:
    server.clear_faults()
    server.reset_requests()
    return server


def config_for(svc: LocalAep, **overrides: Any) -> FlowServiceConfig:
    values: dict[str, Any] = {"flow_service_url": svc.flow_url, "ims_url": svc.ims_url,
                              "client_id": DEFAULT_CLIENT_ID, "client_secret": CLIENT_SECRET,
                              "org_id": DEFAULT_ORG_ID, "sandbox_name": "prod", "request_timeout": 5,
                              "operation_timeout": 30}
    values.update(overrides)
    return FlowServiceConfig(**values)


@pytest.fixture
def client(svc: LocalAep, tmp_path: Path) -> Iterator[FlowServiceClient]:
    with FlowServiceClient(config_for(svc), token_cache_dir=str(tmp_path / "tokens")) as c:
        yield c


def body(name: str, **params: str) -> dict[str, Any]:
    return {"name": name, "description": f"{name} description",
            "auth": {"specName": "Access Key",
                     "params": {"s3AccessKey": "AKIAINTEGRATION", "s3SecretKey": SECRET_KEY, **params}},
            "connectionSpec": {"id": S3_CONNECTION_SPEC_ID, "version": "1.0"}}


def flow_requests(svc: LocalAep) -> list[tuple[str, str]]:
    return [(r["method"], r["template"]) for r in svc.requests() if r["template"] != "/ims/token/v3"]


def ims_requests(svc: LocalAep) -> int:
    return sum(1 for r in svc.requests() if r["template"] == "/ims/token/v3")


def by_name(svc: LocalAep, client: FlowServiceClient, name: str) -> list[dict[str, Any]]:
    return list(client.list_connections([f"name=={name}"]))


def test_crud_round_trip_one_request_each(svc: LocalAep, client: FlowServiceClient) -> None:
    ref = client.create_connection(body("crud", s3SessionToken=SESSION_TOKEN))
    assert flow_requests(svc) == [("POST", "/connections")] and ims_requests(svc) == 1
    assert ref.etag.startswith('"') and not ref.adopted

    svc.reset_requests()
    record = client.get_connection(ref.id)
    assert record["id"] == ref.id and record["etag"] == ref.etag and record["name"] == "crud"
    assert SECRET_KEY not in json.dumps(record)

    updated = client.update_connection(ref.id, ref.etag, [
        {"op": "replace", "path": "/auth/params/s3SessionToken", "value": "CANARY-new-session-token"},
        {"op": "replace", "path": "/description", "value": "rotated"},
    ])
    assert updated.id == ref.id and updated.etag != ref.etag
    log = svc.requests()
    assert log[-1]["if_match"] == ref.etag  # sent exactly as stored, quotes included
    assert client.get_connection(ref.id)["description"] == "rotated"

    assert client.delete_connection(ref.id) is True
    assert flow_requests(svc) == [("GET", "/connections/{id}"), ("PATCH", "/connections/{id}"),
                                  ("GET", "/connections/{id}"), ("DELETE", "/connections/{id}")]
    assert ims_requests(svc) == 0
    with pytest.raises(NotFoundError) as info:
        client.get_connection(ref.id)
    assert info.value.code == "1101"
    assert client.delete_connection(ref.id) is False


def test_a_wrong_path_in_the_url_is_no_missing_object(svc: LocalAep, client: FlowServiceClient,
                                                      tmp_path: Path) -> None:
    """The gateway's 404 for a path that is no API names the URL and the setting; only Flow
    Service's own 404 says that an object is gone."""
    ref = client.create_connection(body("still here"))
    with pytest.raises(NotFoundError):
        client.get_connection("no-such-id")
    wrong = config_for(svc, flow_service_url=svc.flow_url[:-1])  # .../flowservic
    with FlowServiceClient(wrong, token_cache_dir=str(tmp_path / "tokens")) as lost:
        for call in (lambda: lost.get_connection(ref.id), lambda: lost.delete_connection(ref.id),
                     lambda: list(lost.list_connections())):
            with pytest.raises(UnknownPathError) as raised:
                call()
            assert not isinstance(raised.value, NotFoundError)
            text = str(raised.value)
            assert f"{svc.flow_url[:-1]}/connections" in text and "AEP_FLOW_SERVICE_URL" in text, text
    assert client.get_connection(ref.id)["name"] == "still here"


def test_stale_etag_is_precondition_failed(svc: LocalAep, client: FlowServiceClient) -> None:
    ref = client.create_connection(body("stale"))
    client.update_connection(ref.id, ref.etag, [{"op": "replace", "path": "/description", "value": "v2"}])
    svc.reset_requests()
    with pytest.raises(PreconditionFailedError) as info:
        client.update_connection(ref.id, ref.etag, [{"op": "replace", "path": "/description", "value": "v3"}])
    assert info.value.status == 412 and info.value.code == "1404" and info.value.etag_sent == ref.etag
    assert flow_requests(svc) == [("PATCH", "/connections/{id}")]


def test_validation_error_is_typed_and_redacted(svc: LocalAep, client: FlowServiceClient) -> None:
    bad = body("bad")
    bad["auth"]["specName"] = "No Such Spec"
    with pytest.raises(BadRequestError) as info:
        client.create_connection(bad)
    assert info.value.code == "1415"
    assert SECRET_KEY not in str(info.value) and CLIENT_SECRET not in str(info.value)
    assert flow_requests(svc) == [("POST", "/connections")]


def test_token_is_shared_through_the_cache(svc: LocalAep, tmp_path: Path) -> None:
    cache = str(tmp_path / "shared")
    with FlowServiceClient(config_for(svc), token_cache_dir=cache) as first:
        first.count_connections()
    with FlowServiceClient(config_for(svc), token_cache_dir=cache) as second:
        second.count_connections()
    assert ims_requests(svc) == 1


def test_rejected_cached_token_is_refreshed_once(svc: LocalAep, tmp_path: Path) -> None:
    cache = tmp_path / "tokens"
    with FlowServiceClient(config_for(svc), token_cache_dir=str(cache)) as first:
        first.count_connections()
    (entry,) = cache.glob("*.json")
    doc = json.loads(entry.read_text())
    doc["access_token"] = "forged-or-revoked-token"
    entry.write_text(json.dumps(doc))
    svc.reset_requests()
    with FlowServiceClient(config_for(svc), token_cache_dir=str(cache)) as second:
        second.count_connections()
    statuses = [(r["template"], r["status"]) for r in svc.requests()]
    assert statuses == [("/connections", 401), ("/ims/token/v3", 200), ("/connections", 200)]


def test_list_pages_filters_and_count(svc: LocalAep, client: FlowServiceClient) -> None:
    names = [f"page-{i}" for i in range(5)]
    for name in names:
        client.create_connection(body(name))
    svc.reset_requests()
    found = [c["name"] for c in client.list_connections([f"connectionSpec.id=={S3_CONNECTION_SPEC_ID}"],
                                                          orderby="name", limit=2)]
    assert [n for n in found if n.startswith("page-")] == names
    assert len(flow_requests(svc)) >= 3  # pages of two
    assert client.count_connections(["name==page-3"]) == 1
    assert [c["name"] for c in by_name(svc, client, "page-4")] == ["page-4"]


def test_lost_create_response_is_adopted_not_duplicated(svc: LocalAep, client: FlowServiceClient) -> None:
    svc.set_faults(methods=["POST"], templates=["/connections"], script=["commit-drop"])
    ref = client.create_connection(body("dropped-response"))
    assert ref.adopted
    assert [c["id"] for c in by_name(svc, client, "dropped-response")] == [ref.id]
    assert flow_requests(svc).count(("POST", "/connections")) == 1
    assert client.get_connection(ref.id)["etag"] == ref.etag


def test_reset_before_processing_is_resent_once(svc: LocalAep, client: FlowServiceClient) -> None:
    svc.set_faults(methods=["POST"], templates=["/connections"], script=["reset"])
    ref = client.create_connection(body("reset-create"))
    assert not ref.adopted
    assert [c["id"] for c in by_name(svc, client, "reset-create")] == [ref.id]
    assert flow_requests(svc)[:3] == [("POST", "/connections"), ("GET", "/connections"), ("POST", "/connections")]


def test_two_existing_matches_are_ambiguous(svc: LocalAep, client: FlowServiceClient) -> None:
    first = client.create_connection(body("twin"))
    second = client.create_connection(body("twin"))
    svc.set_faults(methods=["POST"], templates=["/connections"], script=["reset"])
    with pytest.raises(AmbiguousCreateError) as info:
        client.create_connection(body("twin"))
    assert set(info.value.candidate_ids) == {first.id, second.id}


def test_throttling_and_outages_are_retried(svc: LocalAep, client: FlowServiceClient) -> None:
    client.count_connections()  # token first, so the faults hit Flow Service calls
    svc.reset_requests()
    svc.set_faults(retry_after=0, methods=["POST"], templates=["/connections"], script=["429"])
    ref = client.create_connection(body("throttled"))  # a 429 was never processed: safe to resend
    svc.set_faults(retry_after=0, methods=["GET"], templates=["/connections"], script=["503", "500"])
    assert [c["id"] for c in by_name(svc, client, "throttled")] == [ref.id]
    statuses = [(r["method"], r["status"]) for r in svc.requests() if r["template"] == "/connections"]
    assert statuses == [("POST", 429), ("POST", 201), ("GET", 503), ("GET", 500), ("GET", 200)]


def test_lost_patch_response_then_412_is_resolved_as_ours(svc: LocalAep, client: FlowServiceClient) -> None:
    """The PATCH is applied, its answer lost, the retry refused (412): one GET shows our change, by us,
    just now, so the update succeeds with the new etag instead of blaming someone else."""
    ref = client.create_connection(body("patch-drop"))
    svc.set_faults(methods=["PATCH"], script=["commit-drop"])
    svc.reset_requests()
    done = client.update_connection(ref.id, ref.etag, [{"op": "replace", "path": "/description", "value": "new"}])
    current = client.get_connection(ref.id)
    assert done.id == ref.id and done.etag == current["etag"] != ref.etag
    assert current["description"] == "new"
    patches = [r["status"] for r in svc.requests() if r["method"] == "PATCH"]
    assert patches == [None, 412]  # the dropped answer, then the refused retry


def test_lost_delete_response_still_reports_deleted(svc: LocalAep, client: FlowServiceClient) -> None:
    ref = client.create_connection(body("delete-drop"))
    svc.set_faults(methods=["DELETE"], script=["commit-drop"])
    assert client.delete_connection(ref.id) is True
    with pytest.raises(NotFoundError):
        client.get_connection(ref.id)


def test_connection_spec(svc: LocalAep, client: FlowServiceClient) -> None:
    spec = client.get_connection_spec(S3_CONNECTION_SPEC_ID)
    assert spec["id"] == S3_CONNECTION_SPEC_ID
    assert any(a.get("name") == "Access Key" for a in spec.get("authSpec", []))


def test_nothing_secret_is_logged(svc: LocalAep, client: FlowServiceClient,
                                  caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        ref = client.create_connection(body("logged", s3SessionToken=SESSION_TOKEN))
        client.update_connection(ref.id, ref.etag, [
            {"op": "replace", "path": "/auth/params/s3SessionToken", "value": SESSION_TOKEN + "-2"}])
        client.delete_connection(ref.id)
    text = "\n".join(r.getMessage() for r in caplog.records)
    token = client.session.tokens.get_token()
    for canary in (SECRET_KEY, SESSION_TOKEN, CLIENT_SECRET, token):
        assert canary not in text
    assert isinstance(ref, ConnectionRef)
