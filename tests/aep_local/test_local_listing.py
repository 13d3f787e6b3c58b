"""GET /connections: filters, order, count, paging; connection specs and their configs."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from aep_local.testing import LocalAep
from aep_spec.s3 import CONNECTION_SPEC_ID as S3_CONNECTION_SPEC_ID
from tests.aep_local.local_helpers import Api, assert_flow_error, s3_body

NAMES = ["delta", "alpha", "echo", "charlie", "bravo"]


@pytest.fixture(scope="module")
def listing() -> Iterator[tuple[Api, list[dict[str, Any]]]]:
    """A server of its own, so the set of connections is exactly ours."""
    with LocalAep() as svc, requests.Session() as session:
        api = Api(svc, svc.auth_headers(), session)
        created = []
        for name in NAMES:
            body = s3_body(name)
            body["description"] = f"about {name}"
            created.append({"name": name, **api.create(body)})
        yield api, created


def _list(api: Api, **params: Any) -> requests.Response:
    return api.call("GET", "/connections", params=params)


def names(resp: requests.Response) -> list[str]:
    assert resp.status_code == 200, resp.text
    return [item["name"] for item in resp.json()["items"]]


def test_default_order_is_creation(listing: tuple[Api, list[dict[str, Any]]]) -> None:
    api, _ = listing
    assert names(_list(api)) == NAMES


def test_orderby(listing: tuple[Api, list[dict[str, Any]]]) -> None:
    api, _ = listing
    assert names(_list(api, orderby="name")) == sorted(NAMES)
    assert names(_list(api, orderby="+name")) == sorted(NAMES)
    assert names(_list(api, orderby="-name")) == sorted(NAMES, reverse=True)
    assert_flow_error(_list(api, orderby="-auth"), "1433", 400)


def test_filters(listing: tuple[Api, list[dict[str, Any]]]) -> None:
    api, created = listing
    assert names(_list(api, property="name==alpha")) == ["alpha"]
    assert names(_list(api, property="name==alpha,echo")) == ["alpha", "echo"]  # comma = OR
    assert names(_list(api, property=["name>=c", "name<e"], orderby="name")) == ["charlie", "delta"]
    assert names(_list(api, property="name>delta", orderby="name")) == ["echo"]
    assert names(_list(api, property="description==about bravo")) == ["bravo"]
    assert names(_list(api, property=f"id=={created[0]['id']}")) == ["delta"]
    assert names(_list(api, property=f"connectionSpec.id=={S3_CONNECTION_SPEC_ID}")) == NAMES
    assert names(_list(api, property="state==disabled")) == []
    first_ms = api.get(created[2]["id"])["createdAt"]
    assert set(names(_list(api, property=f"createdAt>={first_ms}"))) >= {"echo", "charlie", "bravo"}


@pytest.mark.parametrize(("prop", "code"), [
    ("name<>alpha", "1440"),
    ("auth.params.s3SecretKey==x", "1449"),
    ("name>=a,b", "1443"),
    ("createdAt>=yesterday", "1452"),
    ("name==", "1453"),
    ("name", "1453"),
])
def test_filter_errors(listing: tuple[Api, list[dict[str, Any]]], prop: str, code: str) -> None:
    api, _ = listing
    assert_flow_error(_list(api, property=prop), code, 400)


def test_count(listing: tuple[Api, list[dict[str, Any]]]) -> None:
    api, _ = listing
    assert _list(api, count="true").json() == {"count": 5}
    assert _list(api, count="true", property="name<c").json() == {"count": 2}
    assert_flow_error(_list(api, count="true", limit="2"), "1401", 400)


def test_unknown_query_param(listing: tuple[Api, list[dict[str, Any]]]) -> None:
    api, _ = listing
    assert_flow_error(_list(api, testParam="1"), "1451", 400)


def test_paging_follows_next_href(listing: tuple[Api, list[dict[str, Any]]]) -> None:
    api, _ = listing
    seen: list[str] = []
    resp = _list(api, limit="2", orderby="-name")
    pages = 0
    while True:
        pages += 1
        seen += names(resp)
        link = resp.json().get("_links", {}).get("next", {}).get("href")
        if not link:
            break
        assert link.startswith("/connections?")
        assert "continuationToken=" in link
        resp = api.session.get(api.svc.flow_url + link, headers=api.headers, timeout=10)
    assert seen == sorted(NAMES, reverse=True)
    assert pages == 3


def test_continuation_token_alone_keeps_the_query(listing: tuple[Api, list[dict[str, Any]]]) -> None:
    api, _ = listing
    first = _list(api, limit="1", property="name>=c", orderby="name").json()
    token = first["_links"]["next"]["href"].split("continuationToken=")[1]
    second = _list(api, continuationToken=requests.utils.unquote(token))
    assert names(second) == ["delta"]
    assert_flow_error(_list(api, continuationToken="garbage!"), "1453", 400)
    # the href's own parameters may be repeated beside the token, but not changed
    same = _list(api, continuationToken=requests.utils.unquote(token), property="name>=c", orderby="name",
                 limit="1")
    assert names(same) == ["delta"]
    for changed in ({"property": "name>=a"}, {"orderby": "-name"}, {"limit": "3"}):
        resp = _list(api, continuationToken=requests.utils.unquote(token), **changed)
        assert "continuationToken" in assert_flow_error(resp, "1453", 400)["errorMessage"]
    assert_flow_error(_list(api, continuationToken=requests.utils.unquote(token), count="true"), "1401", 400)


def test_bad_limit(listing: tuple[Api, list[dict[str, Any]]]) -> None:
    api, _ = listing
    for value in ("0", "-1", "ten"):
        assert_flow_error(_list(api, limit=value), "1453", 400)


def test_connection_specs(api: Api) -> None:
    spec = api.call("GET", f"/connectionSpecs/{S3_CONNECTION_SPEC_ID}").json()["items"][0]
    auth = {a["name"]: a for a in spec["authSpec"]}
    assert set(auth) == {"Access Key", "IAMRole Based"}
    access = auth["Access Key"]["spec"]
    assert access["$schema"] == "http://json-schema.org/draft-07/schema#"
    assert set(access["required"]) == {"s3AccessKey", "s3SecretKey"}
    assert auth["IAMRole Based"]["spec"]["required"] == ["bucketName"]
    listed = api.call("GET", "/connectionSpecs", params={"property": "name==amazon-s3"}).json()
    assert [s["id"] for s in listed["items"]] == [S3_CONNECTION_SPEC_ID]
    assert api.call("GET", "/connectionSpecs", params={"property": "name==nope"}).json() == {"items": [], "_links": {}}
    assert_flow_error(api.call("GET", "/connectionSpecs/unknown"), "1101", 404)


def test_connection_spec_configs(api: Api) -> None:
    resp = api.call("GET", f"/connectionSpecs/{S3_CONNECTION_SPEC_ID}/configs",
                    params={"authType": "IamBasedAuthentication"})
    assert resp.status_code == 200
    assert resp.json()["configParams"]["IAMRole"].startswith("arn:aws:iam::")
    assert_flow_error(api.call("GET", f"/connectionSpecs/{S3_CONNECTION_SPEC_ID}/configs"), "1359", 400)
    assert_flow_error(api.call("GET", f"/connectionSpecs/{S3_CONNECTION_SPEC_ID}/configs",
                               params={"authType": "Basic"}), "1301", 400)
