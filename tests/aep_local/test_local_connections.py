"""Create, read, update, delete of base connections, and the tutorial's requests verbatim."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

import pytest

from aep_spec.s3 import CONNECTION_SPEC_ID as S3_CONNECTION_SPEC_ID
from tests.aep_local.local_helpers import (
    ACCESS_KEY,
    SECRET_KEY,
    SESSION_TOKEN,
    Api,
    assert_flow_error,
    s3_body,
)

ETAG_RE = re.compile(r'^"[0-9a-f]{8}-0000-0200-0000-([0-9a-f]{8})0000"$')

# The create body exactly as printed in Adobe's S3 tutorial: the session token's closing
# quote is missing, so this is not JSON.
TUTORIAL_CREATE_BODY = """{
        "name": "Amazon S3 base connection",
        "description": "Amazon S3 base connection with temporary session token",
        "auth": {
            "specName": "Access Key",
            "params": {
                "s3AccessKey": "{S3_ACCESS_KEY}",
                "s3SecretKey": "{S3_SECRET_KEY}",
                "s3SessionToken": "{S3_SESSION_TOKEN}
            }
        },
        "connectionSpec": {
            "id": "ecadc60c-7455-4d87-84dc-2a0e293d997b",
            "version": "1.0"
        }
    }"""
TUTORIAL_CREATE_BODY_FIXED = TUTORIAL_CREATE_BODY.replace('{S3_SESSION_TOKEN}\n', '{S3_SESSION_TOKEN}"\n')
TUTORIAL_PATCH_BODY = """[
        {
            "op": "replace",
            "path": "/auth/params/s3SessionToken",
            "value": "{SESSION_TOKEN}"
        }
    ]"""
TUTORIAL_ETAG = '"1700d77b-0000-0200-0000-5e3b41a10000"'


def test_create_returns_201_location_and_adobe_shaped_etag(api: Api) -> None:
    before = int(time.time())
    resp = api.call("POST", "/connections", json=s3_body())
    assert resp.status_code == 201
    body = resp.json()
    assert set(body) == {"id", "etag"}
    assert resp.headers["Location"].endswith(f"/data/foundation/flowservice/connections/{body['id']}")
    match = ETAG_RE.match(body["etag"])
    assert match, body["etag"]
    assert before - 1 <= int(match.group(1), 16) <= int(time.time()) + 1
    assert resp.headers["x-request-id"]


def test_read_returns_full_record_in_items(api: Api, headers: dict[str, str]) -> None:
    body = s3_body("read me", s3SessionToken=SESSION_TOKEN, bucketName="my-bucket",
                   folderPath="in/data", serviceUrl="https://s3.eu-west-1.amazonaws.com")
    created = api.create(body)
    resp = api.call("GET", f"/connections/{created['id']}")
    assert resp.status_code == 200
    items = resp.json()["items"]
    assert len(items) == 1
    rec = items[0]
    assert rec["id"] == created["id"]
    assert rec["etag"] == rec["version"] == created["etag"]
    assert rec["name"] == "read me"
    assert rec["description"] == "made by a test"
    assert rec["state"] == "enabled"
    assert rec["connectionSpec"] == {"id": S3_CONNECTION_SPEC_ID, "version": "1.0"}
    assert rec["sandboxName"] == "prod"
    assert re.fullmatch(r"[0-9a-f-]{36}", rec["sandboxId"])
    assert rec["imsOrgId"] == headers["x-gw-ims-org-id"]
    assert rec["createdBy"] == rec["createdClient"] == f"{headers['x-api-key']}@AdobeID"
    assert rec["updatedBy"] == rec["updatedClient"] == rec["createdBy"]
    now_ms = time.time() * 1000
    assert abs(rec["createdAt"] - now_ms) < 60_000
    assert rec["updatedAt"] == rec["createdAt"]
    assert rec["auth"]["specName"] == "Access Key"
    params = rec["auth"]["params"]
    assert params["bucketName"] == "my-bucket"
    assert params["folderPath"] == "in/data"
    assert params["serviceUrl"] == "https://s3.eu-west-1.amazonaws.com"


def test_secrets_never_come_back_in_clear(api: Api) -> None:
    created = api.create(s3_body(s3SessionToken=SESSION_TOKEN))
    for path in (f"/connections/{created['id']}", "/connections"):
        text = api.call("GET", path).text
        assert SECRET_KEY not in text
        assert SESSION_TOKEN not in text
        assert ACCESS_KEY not in text
    params = api.get(created["id"])["auth"]["params"]
    assert params["s3SecretKey"] == "***"
    assert params["s3SessionToken"] == "***"
    assert params["s3AccessKey"].startswith(ACCESS_KEY[:4])
    assert params["s3AccessKey"] != ACCESS_KEY


def test_iam_role_connection(api: Api) -> None:
    body = s3_body()
    body["auth"] = {"specName": "IAMRole Based", "params": {"bucketName": "acme-data"}}
    created = api.create(body)
    assert api.get(created["id"])["auth"] == {"specName": "IAMRole Based",
                                              "params": {"bucketName": "acme-data"}}
    body["auth"]["params"] = {}
    assert_flow_error(api.call("POST", "/connections", json=body), "1304", 400)


def test_version_omitted_means_latest(api: Api) -> None:
    body = s3_body()
    del body["connectionSpec"]["version"]
    created = api.create(body)
    assert api.get(created["id"])["connectionSpec"]["version"] == "1.0"


def test_tutorial_create_body_verbatim_is_a_clear_400(api: Api) -> None:
    resp = api.call("POST", "/connections", data=TUTORIAL_CREATE_BODY.encode())
    body = assert_flow_error(resp, "1000", 400)
    message = body["report"]["detailed-message"]
    assert "JSON" in message
    assert "line 9" in message  # where the unterminated string starts
    assert "not closed" in message


def test_tutorial_create_body_with_the_quote_fixed(api: Api) -> None:
    resp = api.call("POST", "/connections", data=TUTORIAL_CREATE_BODY_FIXED.encode())
    assert resp.status_code == 201, resp.text
    rec = api.get(resp.json()["id"])
    assert rec["name"] == "Amazon S3 base connection"
    assert rec["description"] == "Amazon S3 base connection with temporary session token"


def test_tutorial_patch_verbatim(api: Api) -> None:
    created = api.create(s3_body(s3SessionToken=SESSION_TOKEN))
    # The tutorial's literal etag belongs to another connection: stale.
    stale = api.call("PATCH", f"/connections/{created['id']}", data=TUTORIAL_PATCH_BODY.encode(),
                     headers={"If-Match": TUTORIAL_ETAG})
    assert_flow_error(stale, "1404", 412)
    resp = api.call("PATCH", f"/connections/{created['id']}", data=TUTORIAL_PATCH_BODY.encode(),
                    headers={"If-Match": created["etag"]})
    assert resp.status_code == 200, resp.text
    assert set(resp.json()) == {"id", "etag"}
    assert resp.json()["id"] == created["id"]
    assert ETAG_RE.match(resp.json()["etag"])
    assert resp.json()["etag"] != created["etag"]
    rec = api.get(created["id"])
    assert rec["etag"] == rec["version"] == resp.json()["etag"]
    assert rec["updatedAt"] >= rec["createdAt"]


@pytest.mark.parametrize(("mutate", "code"), [
    (lambda b: b["connectionSpec"].update(id="00000000-0000-0000-0000-000000000000"), "1413"),
    (lambda b: b["connectionSpec"].update(version="9.9"), "1413"),
    (lambda b: b["auth"].update(specName="Basic Authentication"), "1415"),
    (lambda b: b["auth"]["params"].pop("s3SecretKey"), "1304"),
    (lambda b: b["auth"]["params"].pop("s3AccessKey"), "1304"),
    (lambda b: b.pop("name"), "1304"),
    (lambda b: b.pop("auth"), "1304"),
    (lambda b: b["auth"].pop("params"), "1304"),
    (lambda b: b.pop("connectionSpec"), "1304"),
    (lambda b: b["auth"]["params"].update(bucketName="Bad_Bucket"), "1312"),
    (lambda b: b["auth"]["params"].update(bucketName="192.168.1.1"), "1312"),
    (lambda b: b["auth"]["params"].update(folderPath="data/"), "1312"),
    (lambda b: b["auth"]["params"].update(folderPath="a/CON/b"), "1312"),
    (lambda b: b["auth"]["params"].update(folderPath="a/b:c"), "1312"),
    (lambda b: b["auth"]["params"].update(serviceUrl="http://example.com"), "1312"),
    (lambda b: b["auth"]["params"].update(unknownParam="x"), "1312"),
])
def test_create_validation_errors(api: Api, mutate: Callable[[dict[str, Any]], object], code: str) -> None:
    body = s3_body()
    mutate(body)
    body_resp = assert_flow_error(api.call("POST", "/connections", json=body), code, 400)
    assert SECRET_KEY not in str(body_resp)


def test_unknown_auth_spec_message(api: Api) -> None:
    body = s3_body()
    body["auth"]["specName"] = "OAuth"
    err = assert_flow_error(api.call("POST", "/connections", json=body), "1415", 400)
    assert "'OAuth'" in err["errorMessage"]
    assert S3_CONNECTION_SPEC_ID in err["errorMessage"]


def test_missing_param_names_the_field(api: Api) -> None:
    body = s3_body()
    del body["auth"]["params"]["s3SecretKey"]
    err = assert_flow_error(api.call("POST", "/connections", json=body), "1304", 400)
    assert "s3SecretKey" in err["errorMessage"]


@pytest.mark.parametrize("payload", [b"", b"   ", b"[]", b"\xff\xfe", b"null", b"{"])
def test_create_odd_bodies_are_400(api: Api, payload: bytes) -> None:
    resp = api.call("POST", "/connections", data=payload)
    assert resp.status_code == 400
    assert resp.json()["status"] == 400


def test_create_requires_json_content_type(api: Api) -> None:
    resp = api.call("POST", "/connections", data=b"{}", headers={"Content-Type": "text/plain"})
    assert_flow_error(resp, "1004", 415)


def test_unknown_and_deleted_ids_are_404(api: Api) -> None:
    assert_flow_error(api.call("GET", "/connections/does-not-exist"), "1101", 404)
    created = api.create()
    resp = api.call("DELETE", f"/connections/{created['id']}")
    assert resp.status_code == 204
    assert resp.content == b""
    assert_flow_error(api.call("GET", f"/connections/{created['id']}"), "1101", 404)
    assert_flow_error(api.call("DELETE", f"/connections/{created['id']}"), "1101", 404)
    assert_flow_error(api.patch(created["id"], [{"op": "replace", "path": "/name", "value": "x"}],
                                created["etag"]), "1101", 404)


def test_trailing_slash_paths(api: Api) -> None:
    created = api.create()
    assert api.call("GET", f"/connections/{created['id']}/").status_code == 200
    resp = api.call("PATCH", f"/connections/{created['id']}/",
                    json=[{"op": "replace", "path": "/name", "value": "slash"}],
                    headers={"If-Match": created["etag"]})
    assert resp.status_code == 200, resp.text
    assert api.call("DELETE", f"/connections/{created['id']}/").status_code == 204


def test_delete_takes_no_if_match(api: Api) -> None:
    created = api.create()
    resp = api.call("DELETE", f"/connections/{created['id']}", headers={"If-Match": '"stale"'})
    assert resp.status_code == 204


def test_method_not_allowed_and_unknown_path(api: Api) -> None:
    assert api.call("PUT", "/connections/abc", json={}).status_code == 405
    assert api.call("GET", "/nothing-here").status_code == 404
