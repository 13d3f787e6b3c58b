"""/test and /explore against a real S3 API (moto in server mode, IAM checks on)."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
import requests

from aep_local.testing import LocalAep
from tests.aep_local.local_helpers import Api, assert_flow_error, s3_body
from tests.moto_server import MotoServer

READ_POLICY = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Resource": "*",
    "Action": ["s3:ListAllMyBuckets", "s3:ListBucket", "s3:GetBucketLocation", "s3:GetObject"]}]}
OBJECTS = {
    "in/2024/orders.csv": b"id,customer,total\n1,acme,9.5\n",
    "in/2024/profiles.json": b'{"id": 1, "email": "a@example.com", "vip": true, "score": 1.5}\n',
    "in/readme.bin": b"\x00\x01",
    "other/x.csv": b"a\n",
}


@dataclass
class S3World:
    url: str
    good: tuple[str, str]
    powerless: tuple[str, str]


@pytest.fixture(scope="module")
def s3() -> Iterator[S3World]:
    with MotoServer() as moto:
        kw: dict[str, Any] = {"endpoint_url": moto.url, "region_name": "us-east-1",
                              "aws_access_key_id": "setup", "aws_secret_access_key": "setup"}
        iam, client = boto3.client("iam", **kw), boto3.client("s3", **kw)
        keys = {}
        for user, policy in (("reader", READ_POLICY), ("powerless", None)):
            iam.create_user(UserName=user)
            if policy:
                iam.put_user_policy(UserName=user, PolicyName="read", PolicyDocument=json.dumps(policy))
            key = iam.create_access_key(UserName=user)["AccessKey"]
            keys[user] = (key["AccessKeyId"], key["SecretAccessKey"])
        for bucket in ("acme-data", "second-bucket"):
            client.create_bucket(Bucket=bucket)
        for key, body in OBJECTS.items():
            client.put_object(Bucket="acme-data", Key=key, Body=body)
        moto.enforce_auth()
        yield S3World(moto.url, keys["reader"], keys["powerless"])


@pytest.fixture(scope="module")
def local() -> Iterator[Api]:
    with LocalAep(args=["--allow-local-service-url", "--s3-timeout", "2"]) as svc, \
            requests.Session() as session:
        yield Api(svc, svc.auth_headers(), session)


def _conn(api: Api, url: str | None, key: tuple[str, str], **params: Any) -> str:
    extra = {"serviceUrl": url} if url else {}
    body = s3_body(**extra, **params)
    body["auth"]["params"].update(s3AccessKey=key[0], s3SecretKey=key[1])
    return str(api.create(body)["id"])


def _test(api: Api, conn_id: str) -> Any:
    resp = api.call("GET", f"/connections/{conn_id}/test")
    assert resp.status_code == 200, resp.text
    return resp.json()


def _explore(api: Api, conn_id: str, **query: str) -> requests.Response:
    return api.call("GET", f"/connections/{conn_id}/explore", params=query)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_good_credentials_pass(local: Api, s3: S3World) -> None:
    assert _test(local, _conn(local, s3.url, s3.good)) == {"result": True}
    scoped = _conn(local, s3.url, s3.good, bucketName="acme-data", folderPath="in")
    assert _test(local, scoped) == {"result": True}
    assert local.call("GET", f"/connections/{scoped}/test/").json() == {"result": True}


@pytest.mark.parametrize("which", ["wrong-secret", "unknown-key", "no-permission"])
def test_bad_credentials_fail(local: Api, s3: S3World, which: str) -> None:
    key = {"wrong-secret": (s3.good[0], "not-the-secret"),
           "unknown-key": ("AKIAUNKNOWNKEY000000", "whatever"),
           "no-permission": s3.powerless}[which]
    conn_id = _conn(local, s3.url, key)
    assert _test(local, conn_id) == {"result": False}
    err = assert_flow_error(_explore(local, conn_id, objectType="root"), "1100", 400)
    expected = {"wrong-secret": "SignatureDoesNotMatch", "unknown-key": "InvalidAccessKeyId",
                "no-permission": "AccessDenied"}[which]
    assert expected in err["errorMessage"]
    assert key[1] not in json.dumps(err)


def test_missing_bucket_fails(local: Api, s3: S3World) -> None:
    conn_id = _conn(local, s3.url, s3.good, bucketName="no-such-bucket")
    assert _test(local, conn_id) == {"result": False}


def test_unreachable_endpoint(local: Api) -> None:
    conn_id = _conn(local, f"http://127.0.0.1:{_closed_port()}", ("AKIAXXXXXXXXXXXXXXXX", "secret"))
    assert _test(local, conn_id) == {"result": False}
    err = assert_flow_error(_explore(local, conn_id, objectType="root"), "1100", 400)
    assert "could not be reached" in err["errorMessage"]


def test_remote_endpoints_are_not_contacted_by_default(local: Api) -> None:
    # AWS-shaped serviceUrl (or none): the emulator refuses to send credentials off the host.
    for url in ("https://s3.eu-west-1.amazonaws.com", None):
        conn_id = _conn(local, url, ("AKIAXXXXXXXXXXXXXXXX", "secret"))
        assert _test(local, conn_id) == {"result": False}
        err = assert_flow_error(_explore(local, conn_id, objectType="root"), "1100", 400)
        assert "--allow-remote-s3" in err["errorMessage"]


def test_explore_root_lists_buckets(local: Api, s3: S3World) -> None:
    resp = _explore(local, _conn(local, s3.url, s3.good), objectType="root")
    assert resp.status_code == 200, resp.text
    assert resp.json() == [
        {"type": "folder", "name": "acme-data", "path": "/acme-data/", "canPreview": False,
         "canFetchSchema": False},
        {"type": "folder", "name": "second-bucket", "path": "/second-bucket/", "canPreview": False,
         "canFetchSchema": False},
    ]


def test_explore_root_is_scoped(local: Api, s3: S3World) -> None:
    conn_id = _conn(local, s3.url, s3.good, bucketName="acme-data", folderPath="in")
    resp = _explore(local, conn_id, objectType="ROOT")  # the OpenAPI file spells the enum upper case
    assert [(e["type"], e["path"]) for e in resp.json()] == [("folder", "/acme-data/in/")]


def test_explore_folder(local: Api, s3: S3World) -> None:
    conn_id = _conn(local, s3.url, s3.good, bucketName="acme-data")
    top = _explore(local, conn_id, objectType="folder", object="/acme-data/").json()
    assert [(e["type"], e["path"]) for e in top] == [("folder", "/acme-data/in/"),
                                                      ("folder", "/acme-data/other/")]
    listed = _explore(local, conn_id, objectType="folder", object="acme-data/in").json()
    assert [(e["type"], e["name"], e["canPreview"]) for e in listed] == [
        ("folder", "2024", False), ("file", "readme.bin", False)]
    files = _explore(local, conn_id, objectType="folder", object="/acme-data/in/2024/").json()
    assert files == [
        {"type": "file", "name": "orders.csv", "path": "/acme-data/in/2024/orders.csv",
         "canPreview": True, "canFetchSchema": True},
        {"type": "file", "name": "profiles.json", "path": "/acme-data/in/2024/profiles.json",
         "canPreview": True, "canFetchSchema": True},
    ]
    assert _explore(local, conn_id, objectType="folder", object="/acme-data/nothing").json() == []


def test_explore_outside_scope_is_refused(local: Api, s3: S3World) -> None:
    conn_id = _conn(local, s3.url, s3.good, bucketName="acme-data", folderPath="in")
    for obj in ("/second-bucket/", "/acme-data/other/", "/acme-data/", "/acme-data/inbox"):
        err = assert_flow_error(_explore(local, conn_id, objectType="folder", object=obj), "1100", 400)
        assert "outside" in err["errorMessage"]
    ok = _explore(local, conn_id, objectType="folder", object="/acme-data/in/2024")
    assert ok.status_code == 200


def test_explore_file_structure(local: Api, s3: S3World) -> None:
    conn_id = _conn(local, s3.url, s3.good)
    csv = _explore(local, conn_id, objectType="file", object="/acme-data/in/2024/orders.csv",
                   fileType="delimited", preview="true")
    assert csv.json() == [{"name": n, "type": "String"} for n in ("id", "customer", "total")]
    js = _explore(local, conn_id, objectType="file", object="/acme-data/in/2024/profiles.json",
                  FileType="JSON")
    assert js.json() == [{"name": "id", "type": "Integer"}, {"name": "email", "type": "String"},
                         {"name": "vip", "type": "Boolean"}, {"name": "score", "type": "Double"}]
    missing = _explore(local, conn_id, objectType="file", object="/acme-data/nope.csv")
    assert "NoSuchKey" in assert_flow_error(missing, "1100", 400)["errorMessage"]


def test_explore_parameter_errors(local: Api, s3: S3World) -> None:
    conn_id = _conn(local, s3.url, s3.good)
    assert_flow_error(_explore(local, conn_id), "1359", 400)
    assert_flow_error(_explore(local, conn_id, objectType="table"), "1358", 400)
    assert_flow_error(_explore(local, conn_id, objectType="folder"), "1337", 400)
    assert_flow_error(_explore(local, "no-such-id", objectType="root"), "1101", 404)
    assert_flow_error(local.call("GET", "/connections/no-such-id/test"), "1101", 404)


def test_other_sandbox_cannot_test(local: Api, s3: S3World) -> None:
    conn_id = _conn(local, s3.url, s3.good)
    other = local.call("GET", f"/connections/{conn_id}/test",
                     headers={"x-gw-ims-org-id": "OTHER000000000000000000@AdobeOrg"})
    assert_flow_error(other, "1101", 404)


def test_local_service_url_needs_the_flag(api: Api, s3: S3World) -> None:
    body = s3_body(serviceUrl=s3.url)
    assert_flow_error(api.call("POST", "/connections", json=body), "1312", 400)


def test_s3_endpoint_override_and_iam_role(s3: S3World) -> None:
    """`--s3-endpoint` keeps AWS-shaped serviceUrls valid while checks go to the local server."""
    args = ["--s3-endpoint", s3.url, "--iam-role-credentials", f"{s3.good[0]}:{s3.good[1]}"]
    with LocalAep(args=args) as svc, requests.Session() as session:
        api = Api(svc, svc.auth_headers(), session)
        good = _conn(api, "https://s3.us-east-1.amazonaws.com", s3.good, bucketName="acme-data")
        assert _test(api, good) == {"result": True}
        bad = _conn(api, "https://s3.us-east-1.amazonaws.com", (s3.good[0], "wrong"))
        assert _test(api, bad) == {"result": False}
        role = s3_body()
        role["auth"] = {"specName": "IAMRole Based", "params": {"bucketName": "acme-data"}}
        role_id = api.create(role)["id"]
        assert _test(api, role_id) == {"result": True}
        listed = _explore(api, role_id, objectType="folder", object="/acme-data/other")
        assert [e["name"] for e in listed.json()] == ["x.csv"]
