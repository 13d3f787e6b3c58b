"""PATCH: If-Match handling, JSON Patch operations and paths, etags that never repeat."""

from __future__ import annotations

import pytest

from tests.aep_local.local_helpers import SESSION_TOKEN, Api, assert_flow_error, s3_body


def _name_op(value: str, op: str = "replace") -> list[dict[str, str]]:
    return [{"op": op, "path": "/name", "value": value}]


def test_if_match_missing_is_1403(api: Api) -> None:
    created = api.create()
    err = assert_flow_error(api.patch(created["id"], _name_op("x"), None), "1403", 400)
    assert "If-Match" in err["errorMessage"]


def test_if_match_stale_is_1404(api: Api) -> None:
    created = api.create()
    first = api.patch(created["id"], _name_op("one"), created["etag"])
    assert first.status_code == 200
    err = assert_flow_error(api.patch(created["id"], _name_op("two"), created["etag"]), "1404", 412)
    assert created["etag"].strip('"') in err["errorMessage"]
    assert "does not match the current version" in err["errorMessage"]
    assert api.get(created["id"])["name"] == "one"


@pytest.mark.parametrize("form", ["quoted", "unquoted", "weak"])
def test_if_match_header_quoted_or_not(api: Api, form: str) -> None:
    created = api.create()
    etag = created["etag"]
    value = {"quoted": etag, "unquoted": etag.strip('"'), "weak": f"W/{etag}"}[form]
    resp = api.patch(created["id"], _name_op(form), value)
    assert resp.status_code == 200, resp.text


@pytest.mark.parametrize("quoted", [True, False])
def test_if_match_query_parameter(api: Api, quoted: bool) -> None:
    created = api.create()
    etag = created["etag"] if quoted else created["etag"].strip('"')
    resp = api.call("PATCH", f"/connections/{created['id']}", json=_name_op("q"),
                    params={"if-match": etag})
    assert resp.status_code == 200, resp.text
    stale = api.call("PATCH", f"/connections/{created['id']}", json=_name_op("q2"),
                     params={"if-match": etag})
    assert_flow_error(stale, "1404", 412)


@pytest.mark.parametrize("op", ["replace", "REPLACE", "Replace", "add", "ADD", "Add"])
def test_ops_in_any_letter_case(api: Api, op: str) -> None:
    created = api.create()
    resp = api.patch(created["id"], _name_op(f"renamed-{op}", op), created["etag"])
    assert resp.status_code == 200, resp.text
    assert api.get(created["id"])["name"] == f"renamed-{op}"


@pytest.mark.parametrize("op", ["remove", "REMOVE", "Remove"])
def test_remove_in_any_case(api: Api, op: str) -> None:
    created = api.create(s3_body(s3SessionToken=SESSION_TOKEN))
    resp = api.patch(created["id"], [{"op": op, "path": "/auth/params/s3SessionToken"},
                                     {"op": op, "path": "/description"}], created["etag"])
    assert resp.status_code == 200, resp.text
    rec = api.get(created["id"])
    assert "s3SessionToken" not in rec["auth"]["params"]
    assert "description" not in rec


def test_session_token_rotation_and_description(api: Api) -> None:
    created = api.create(s3_body())  # no session token yet: replace acts as add
    resp = api.patch(created["id"], [
        {"op": "replace", "path": "/auth/params/s3SessionToken", "value": "new-token"},
        {"op": "replace", "path": "/description", "value": "new description"},
    ], created["etag"])
    assert resp.status_code == 200, resp.text
    rec = api.get(created["id"])
    assert rec["auth"]["params"]["s3SessionToken"] == "***"
    assert rec["description"] == "new description"
    assert "new-token" not in api.call("GET", f"/connections/{created['id']}").text


def test_replace_whole_params_is_revalidated(api: Api) -> None:
    created = api.create()
    bad = api.patch(created["id"], [{"op": "replace", "path": "/auth/params",
                                     "value": {"s3AccessKey": "AKIAXXXXXXXXXXXX"}}], created["etag"])
    assert_flow_error(bad, "1304", 400)
    good = api.patch(created["id"], [{"op": "replace", "path": "/auth/params",
                                      "value": {"s3AccessKey": "AKIAYYYYYYYYYYYY", "s3SecretKey": "s",
                                                "bucketName": "new-bucket"}}], created["etag"])
    assert good.status_code == 200, good.text
    assert api.get(created["id"])["auth"]["params"]["bucketName"] == "new-bucket"


def test_patch_result_validated_against_auth_spec(api: Api) -> None:
    created = api.create()
    for ops, code in [
        ([{"op": "remove", "path": "/auth/params/s3SecretKey"}], "1304"),
        ([{"op": "add", "path": "/auth/params/bucketName", "value": "NO"}], "1312"),
        ([{"op": "remove", "path": "/name"}], "1304"),
    ]:
        assert_flow_error(api.patch(created["id"], ops, created["etag"]), code, 400)
    # nothing was written by the failed attempts
    assert api.get(created["id"])["etag"] == created["etag"]


@pytest.mark.parametrize(("ops", "code"), [
    ([{"op": "move", "from": "/name", "path": "/description"}], "1434"),
    ([{"op": "copy", "from": "/name", "path": "/description"}], "1434"),
    ([{"op": "test", "path": "/name", "value": "x"}], "1434"),
    ([{"op": "replace", "path": "/connectionSpec/id", "value": "x"}], "1414"),
    ([{"op": "replace", "path": "/connectionSpec", "value": {"id": "x"}}], "1414"),
    ([{"op": "replace", "path": "/state", "value": "disabled"}], "1455"),
    ([{"op": "replace", "path": "/auth/specName", "value": "IAMRole Based"}], "1455"),
    ([{"op": "add", "path": "/auth/params/notAParam", "value": "x"}], "1455"),
    ([{"op": "replace", "path": "/id", "value": "x"}], "1455"),
    ([{"op": "replace", "path": "/name"}], "1455"),
    ([{"path": "/name", "value": "x"}], "1455"),
    ({"op": "replace", "path": "/name", "value": "x"}, "1455"),
    ([], "1405"),
])
def test_patch_rule_errors(api: Api, ops: object, code: str) -> None:
    created = api.create()
    assert_flow_error(api.patch(created["id"], ops, created["etag"]), code, 400)


@pytest.mark.parametrize("payload", [b"", b"  ", b"null"])
def test_empty_patch_body_is_1405(api: Api, payload: bytes) -> None:
    created = api.create()
    resp = api.call("PATCH", f"/connections/{created['id']}", data=payload,
                    headers={"If-Match": created["etag"]})
    assert_flow_error(resp, "1405", 400)


def test_malformed_patch_body_is_400(api: Api) -> None:
    created = api.create()
    resp = api.call("PATCH", f"/connections/{created['id']}", data=b'[{"op": "replace",',
                    headers={"If-Match": created["etag"]})
    assert "JSON" in assert_flow_error(resp, "1000", 400)["errorMessage"]


def test_etags_change_on_every_write_and_never_repeat(api: Api) -> None:
    created = api.create()
    seen = {created["etag"]}
    etag = created["etag"]
    for i in range(25):  # many writes inside the same second
        resp = api.patch(created["id"], _name_op(f"n{i}"), etag)
        assert resp.status_code == 200
        etag = resp.json()["etag"]
        assert etag not in seen
        seen.add(etag)
    others = {api.create()["etag"] for _ in range(10)}
    assert not others & seen
    assert len(others) == 10
