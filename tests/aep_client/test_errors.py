"""Parsing of Flow Service, gateway and IMS error bodies into typed errors, and redaction."""

from __future__ import annotations

import json
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aep_client.errors import (
    AmbiguousCreateError,
    AuthenticationError,
    BadRequestError,
    Endpoint,
    FlowServiceError,
    ImsAuthenticationError,
    ImsError,
    NotFoundError,
    PermissionDeniedError,
    PreconditionFailedError,
    RateLimitedError,
    ServerError,
    TransportError,
    UnknownPathError,
    UnreachableError,
    error_from_response,
    redact,
)


def flow_body(code: int, status: int, title: str, detail: str, rid: str = "rid-42") -> bytes:
    return json.dumps({
        "type": f"https://ns.adobe.com/aep/errors/FLOW-{code}-{status}", "title": title, "status": status,
        "report": {"detailed-message": detail, "request-id": rid}, "errorMessage": "other text",
    }).encode()


def test_flow_precondition_failed_body() -> None:
    body = flow_body(1404, 412, "Version not matching", "The supplied version 'a' does not match")
    err = error_from_response(412, body, {}, method="PATCH", path="/connections/x", etag_sent='"a"')
    assert isinstance(err, PreconditionFailedError)
    assert (err.status, err.code, err.title, err.request_id) == (412, "1404", "Version not matching", "rid-42")
    assert err.message == "The supplied version 'a' does not match"
    assert err.etag_sent == '"a"'
    assert err.error_type == "https://ns.adobe.com/aep/errors/FLOW-1404-412"
    text = str(err)
    assert "PATCH /connections/x" in text and "code 1404" in text and 'etag sent "a"' in text


@pytest.mark.parametrize(("status", "code", "cls"), [
    (400, 1413, BadRequestError),
    (400, 1403, BadRequestError),
    (401, 2000, AuthenticationError),
    (403, 2118, PermissionDeniedError),
    (404, 1101, NotFoundError),
    (412, 1404, PreconditionFailedError),
    (500, 1102, ServerError),
    (503, 1103, ServerError),
    (504, 1104, ServerError),
])
def test_flow_status_classes(status: int, code: int, cls: type[FlowServiceError]) -> None:
    err = error_from_response(status, flow_body(code, status, "T", "detail"))
    assert type(err) is cls
    assert err.code == str(code)


def test_flow_message_falls_back_to_error_message() -> None:
    body = json.dumps({"type": "https://ns.adobe.com/aep/errors/FLOW-1304-400", "title": "Missing field",
                       "status": 400, "errorMessage": "Field s3AccessKey is mandatory"})
    err = error_from_response(400, body)
    assert err.message == "Field s3AccessKey is mandatory"
    assert err.code == "1304"


@pytest.mark.parametrize(("status", "code"), [(401, "401013"), (403, "403010"), (403, "403003"), (403, "403000")])
def test_gateway_credentials_errors_are_authentication(status: int, code: str) -> None:
    err = error_from_response(status, {"error_code": code, "message": "Oauth token is not valid"},
                              {"x-request-id": "gw-rid"})
    assert isinstance(err, AuthenticationError)
    assert (err.code, err.message, err.request_id) == (code, "Oauth token is not valid", "gw-rid")


def test_gateway_org_header_missing_is_bad_request() -> None:
    err = error_from_response(400, {"error_code": "400003", "message": "Org header missing"})
    assert isinstance(err, BadRequestError) and err.code == "400003"


def test_ims_invalid_client_is_authentication_and_ims() -> None:
    err = error_from_response(400, {"error": "invalid_client", "error_description": "invalid client_id parameter"},
                              ims=True)
    assert isinstance(err, ImsAuthenticationError)
    assert isinstance(err, AuthenticationError) and isinstance(err, ImsError)
    assert err.code == "invalid_client" and err.message == "invalid client_id parameter"


def test_ims_invalid_scope_is_not_authentication() -> None:
    err = error_from_response(400, {"error": "invalid_scope", "error_description": "scope x"}, ims=True)
    assert isinstance(err, ImsError) and not isinstance(err, AuthenticationError)


def test_rate_limited_carries_retry_after() -> None:
    err = error_from_response(429, b"", {"Retry-After": "12"})
    assert isinstance(err, RateLimitedError) and err.retry_after == 12.0
    assert "retry after 12 s" in str(err)


def test_retry_after_as_http_date() -> None:
    from aep_client.retry import parse_retry_after

    assert parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now=1445412480.0) == 30.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412600.0) == 0.0
    assert parse_retry_after("nonsense") is None and parse_retry_after("-3") is None and parse_retry_after(None) is None
    assert parse_retry_after("nan") is None and parse_retry_after("inf") is None


def test_non_json_body_falls_back_to_status() -> None:
    err = error_from_response(502, b"<html><body>Bad gateway</body></html>", {})
    assert isinstance(err, ServerError) and err.status == 502 and err.code is None


def test_unknown_4xx_is_base_error() -> None:
    err = error_from_response(409, {"message": "conflict"})
    assert type(err) is FlowServiceError and err.status == 409


def test_redacts_known_secrets_and_bearer_values() -> None:
    secret = "s3cr3t-VALUE-xyz"
    body = {"errorMessage": f"value {secret} rejected; header was Authorization: Bearer abc.def-ghi"}
    err = error_from_response(400, body, secrets=[secret])
    assert secret not in str(err) and "abc.def-ghi" not in str(err)
    assert "***" in str(err)


def test_redact_ignores_tiny_and_empty_secrets() -> None:
    assert redact("a b c", ["a", "", None]) == "a b c"


def test_long_messages_are_truncated() -> None:
    err = error_from_response(400, {"errorMessage": "x" * 5000})
    assert len(err.message) <= 600


def test_precondition_attributes_set_later_show_in_str() -> None:
    err = PreconditionFailedError(412, "1404", None, "stale", etag_sent='"a"')
    err.current_etag = '"b"'
    err.maybe_applied = True
    assert 'current etag "b"' in str(err) and "may have applied" in str(err)


def test_ambiguous_create_names_candidates() -> None:
    err = AmbiguousCreateError(None, None, None, "two matches", candidate_ids=["id-1", "id-2"])
    assert err.candidate_ids == ("id-1", "id-2")
    assert "id-1, id-2" in str(err)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=20,
)
error_keys = st.sampled_from(["type", "title", "status", "report", "errorMessage", "errorDetails", "error_code",
                              "message", "error", "error_description", "detail", "code"])


@settings(max_examples=200, deadline=None)
@given(status=st.integers(400, 599), doc=st.dictionaries(error_keys, json_values, max_size=8), ims=st.booleans())
def test_any_error_body_gives_a_typed_error(status: int, doc: dict, ims: bool) -> None:
    err = error_from_response(status, json.dumps(doc).encode(), {}, ims=ims)
    assert isinstance(err, FlowServiceError)
    assert err.status == status
    str(err)


secret_text = st.text(alphabet=string.ascii_letters + string.digits + "-_.", min_size=8, max_size=40).map(
    lambda s: "SECRET" + s)


@settings(max_examples=200, deadline=None)
@given(secret=secret_text, where=st.sampled_from(["title", "errorMessage", "message", "error_description",
                                                  "report", "error_code", "type"]),
       prefix=st.text(max_size=20), ims=st.booleans())
def test_a_known_secret_never_appears_in_the_message(secret: str, where: str, prefix: str, ims: bool) -> None:
    value: object = f"{prefix}{secret} trailing"
    if where == "report":
        value = {"detailed-message": value, "request-id": secret}
    err = error_from_response(400, {where: value}, {"x-request-id": secret}, secrets=[secret], ims=ims)
    for text in (str(err), repr(err), *map(str, err.args)):
        assert secret not in text


FLOW = Endpoint("Flow Service", "AEP_FLOW_SERVICE_URL", "http://127.0.0.1:8750/data/foundation/flowservic",
                "https://platform.adobe.io/data/foundation/flowservice")
IMS = Endpoint("Adobe IMS", "AEP_IMS_URL", "http://127.0.0.1:8750/ims", "https://ims-na1.adobelogin.com")


@pytest.mark.parametrize("body", [
    flow_body(1101, 404, "Resource not found", "Resource with id 'x' does not exist."),
    flow_body(1102, 404, "Resource not found", "not found"),
    flow_body(2100, 404, "Sandbox not found", "no sandbox 'prdo'"),
])
def test_only_flow_services_own_not_found_is_a_missing_object(body: bytes) -> None:
    err = error_from_response(404, body, {}, method="GET", path="/connections/x", endpoint=FLOW)
    assert type(err) is NotFoundError


@pytest.mark.parametrize("body", [
    b'{"error_code": "404000", "message": "Not Found"}',  # the gateway: no API at that path
    b"<html><body><h1>404 Not Found</h1></body></html>",
    b"",
    flow_body(1003, 404, "Resource not found", "The requested resource /x is not found."),
])
def test_any_other_404_is_a_wrong_path_naming_the_url_and_its_setting(body: bytes) -> None:
    err = error_from_response(404, body, {}, method="GET", path="/connections/x", endpoint=FLOW)
    assert isinstance(err, UnknownPathError) and not isinstance(err, NotFoundError)
    assert f"GET {FLOW.url}/connections/x" in str(err)
    assert "The path is probably wrong in AEP_FLOW_SERVICE_URL" in str(err)
    assert err.headline == f"No Flow Service API at AEP_FLOW_SERVICE_URL={FLOW.url}"
    assert "/connections/x" not in err.cause  # the same for every object
    unnamed = error_from_response(404, body, {}, method="GET", path="/connections/x")
    assert not isinstance(unnamed, NotFoundError)


def test_a_404_of_the_token_path_is_a_wrong_ims_url() -> None:
    err = error_from_response(404, b"", {}, method="POST", path="/ims/token/v3", ims=True, endpoint=IMS)
    assert isinstance(err, UnknownPathError) and "AEP_IMS_URL" in str(err)
    assert isinstance(error_from_response(404, b"", {}, ims=True), ImsError)


def test_an_unreachable_endpoint_reads_the_same_for_every_call() -> None:
    first = UnreachableError(FLOW, "connection refused", 12, method="GET", path="/connections/a")
    later = first.again("DELETE", "/flows/b")
    assert isinstance(later, TransportError) and (later.headline, later.cause) == (first.headline, first.cause)
    assert first.headline == f"Cannot reach Flow Service: AEP_FLOW_SERVICE_URL={FLOW.url}"
    assert "DELETE /flows/b" in str(later) and "connection refused" in str(later)
