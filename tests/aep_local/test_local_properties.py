"""Property-based tests: list filters and patch rules against small reference models.

The references below are written from Adobe's documented list semantics, not from the emulator's code, so a
disagreement means one of the two misreads the contract.
"""

from __future__ import annotations

import operator
import random
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aep_local.flowservice import listing
from aep_local.testing import LocalAep
from aep_spec.s3 import CONNECTION_SPEC_ID as S3_CONNECTION_SPEC_ID
from tests.aep_local.local_helpers import ACCESS_KEY, SECRET_KEY, Api, s3_body

OPS: dict[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq, ">=": operator.ge, "<=": operator.le, ">": operator.gt, "<": operator.lt}
WORDS = st.text(alphabet="abc", min_size=1, max_size=3)
PROPERTY_SETTINGS = settings(max_examples=60, deadline=None,
                             suppress_health_check=[HealthCheck.too_slow])

# --- reference evaluation of `property=` filters ---------------------------------------------


def ref_value(record: dict[str, Any], field: str) -> Any:
    value: Any = record
    for part in field.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def ref_matches(record: dict[str, Any], field: str, op: str, values: list[str]) -> bool:
    actual = ref_value(record, field)
    if actual is None:
        return False
    if field in ("createdAt", "updatedAt"):
        return any(OPS[op](int(actual), int(v)) for v in values)
    return any(OPS[op](str(actual), v) for v in values)


Filter = tuple[str, str, list[str]]


def filter_strategy(ids: list[str]) -> st.SearchStrategy[Filter]:
    def one(field: str) -> st.SearchStrategy[Filter]:
        values = {"id": st.sampled_from(ids), "connectionSpec.id": st.just(S3_CONNECTION_SPEC_ID),
                  "state": st.sampled_from(["enabled", "disabled"])}.get(field, WORDS)
        eq = st.lists(values, min_size=1, max_size=3).map(lambda vs: (field, "==", vs))
        cmp = st.tuples(st.sampled_from([">=", "<=", ">", "<"]), values).map(lambda t: (field, t[0], [t[1]]))
        return st.one_of(eq, cmp)

    return st.sampled_from(["name", "description", "id", "state", "connectionSpec.id"]).flatmap(one)


def as_property(flt: Filter) -> str:
    field, op, values = flt
    return f"{field}{op}{','.join(values)}"


# --- pure: the listing module against the reference, thousands of cases cheaply -------------

RECORD = st.fixed_dictionaries(
    {"id": st.uuids().map(str), "name": WORDS, "state": st.sampled_from(["enabled", "disabled"]),
     "createdAt": st.integers(0, 20), "updatedAt": st.integers(0, 20),
     "connectionSpec": st.just({"id": S3_CONNECTION_SPEC_ID})},
    optional={"description": WORDS})


@settings(max_examples=300, deadline=None)
@given(st.lists(RECORD, max_size=12, unique_by=lambda r: r["id"]), st.data())
def test_listing_filters_match_reference(records: list[dict[str, Any]], data: st.DataObject) -> None:
    ids = [r["id"] for r in records] or [str(uuid.uuid4())]
    filters = data.draw(st.lists(filter_strategy(ids), max_size=3))
    query = {"property": [as_property(f) for f in filters]}
    expected = {r["id"] for r in records if all(ref_matches(r, *f) for f in filters)}
    got = listing.list_records(records, query, 1000, "/connections", dict)
    assert {r["id"] for r in got["items"]} == expected
    counted = listing.list_records(records, {**query, "count": ["true"]}, 1000, "/connections", dict)
    assert counted == {"count": len(expected)}


# --- over HTTP: a fixed random set of connections, random filters, order and paging ------------

@pytest.fixture(scope="module")
def world() -> Iterator[tuple[LocalAep, Api, list[dict[str, Any]]]]:
    rng = random.Random(7)
    with LocalAep(args=["--sandboxes", "dev"]) as svc, requests.Session() as session:
        api = Api(svc, {**svc.auth_headers(), "x-sandbox-name": "dev"}, session)
        for _ in range(24):
            body = s3_body("".join(rng.choice("abc") for _ in range(rng.randint(1, 3))))
            if rng.random() < 0.3:
                del body["description"]
            else:
                body["description"] = "".join(rng.choice("abc") for _ in range(rng.randint(1, 3)))
            api.create(body)
        records = api.call("GET", "/connections", params={"limit": "1000"}).json()["items"]
        assert len(records) == 24
        yield svc, api, records


@PROPERTY_SETTINGS
@given(data=st.data())
def test_server_filters_order_and_paging(world: tuple[LocalAep, Api, list[dict[str, Any]]],
                                         data: st.DataObject) -> None:
    _, api, records = world
    filters = data.draw(st.lists(filter_strategy([r["id"] for r in records]), max_size=3), label="filters")
    orderby = data.draw(st.sampled_from([None, "name", "+name", "-name"]), label="orderby")
    limit = data.draw(st.one_of(st.none(), st.integers(1, 7)), label="limit")
    params: dict[str, Any] = {"property": [as_property(f) for f in filters]}
    if orderby:
        params["orderby"] = orderby
    if limit:
        params["limit"] = str(limit)
    expected = [r for r in records if all(ref_matches(r, *f) for f in filters)]

    seen: list[dict[str, Any]] = []
    resp = api.call("GET", "/connections", params=params)
    for _ in range(30):
        assert resp.status_code == 200, resp.text
        page = resp.json()["items"]
        assert len(page) <= (limit or 100)
        seen += page
        href = resp.json().get("_links", {}).get("next", {}).get("href")
        if not href:
            break
        assert page, "a next link after an empty page"
        resp = api.session.get(api.svc.flow_url + href, headers=api.headers, timeout=10)
    assert sorted(r["id"] for r in seen) == sorted(r["id"] for r in expected)  # each exactly once
    if orderby:
        names = [r["name"] for r in seen]
        assert names == sorted(names, reverse=orderby.startswith("-"))
    count = api.call("GET", "/connections", params={**{k: v for k, v in params.items() if k != "limit"},
                                                    "count": "true"})
    assert count.json() == {"count": len(expected)}


# --- patch rules: random op spellings, paths and sequences against a reference -----------------

PARAM_PATHS = ["/auth/params/s3SessionToken", "/auth/params/bucketName", "/auth/params/s3SecretKey",
               "/auth/params/s3AccessKey", "/auth/params/folderPath"]
BAD_PATHS = ["/state", "/id", "/auth/specName", "/auth/params/nope", "/etag", "/createdAt"]
SPEC_PATHS = ["/connectionSpec", "/connectionSpec/id", "/connectionSpec/version"]


def random_case(word: str) -> st.SearchStrategy[str]:
    return st.lists(st.booleans(), min_size=len(word), max_size=len(word)).map(
        lambda flags: "".join(c.upper() if up else c for c, up in zip(word, flags, strict=True)))


def value_for(path: str) -> st.SearchStrategy[Any]:
    key = path.rstrip("/").rsplit("/", 1)[-1]
    if key == "bucketName":
        return st.sampled_from(["acme-data", "b0b", "my-bucket-2"])
    if key == "folderPath":
        return st.sampled_from(["in", "in/2024", "/x/y"])
    if key == "connectionSpec":
        return st.just({"id": S3_CONNECTION_SPEC_ID, "version": "1.0"})
    return st.text(alphabet="abcXYZ019-", min_size=1, max_size=8)


OP_NAME = st.one_of(st.sampled_from(["add", "replace", "remove"]).flatmap(random_case),
                    st.sampled_from(["move", "copy", "test", "delete", "Upsert"]))
PATH = st.one_of(st.sampled_from(["/name", "/description", *PARAM_PATHS]),
                 st.sampled_from(BAD_PATHS + SPEC_PATHS)).flatmap(
    lambda p: st.sampled_from([p, p + "/"]))


@st.composite
def patch_op(draw: st.DrawFn) -> dict[str, Any]:
    name, path = draw(OP_NAME), draw(PATH)
    op: dict[str, Any] = {"op": name, "path": path}
    if name.lower() != "remove":
        op["value"] = draw(value_for(path))
    return op


def reference_patch(doc: dict[str, Any], ops: list[dict[str, Any]]) -> tuple[str, dict[str, Any] | None]:
    """(expected code or "200", resulting editable document)."""
    if any(op["op"].lower() not in ("add", "replace", "remove") for op in ops):
        return "1434", None
    for op in ops:
        path = op["path"].rstrip("/")
        if path == "/connectionSpec" or path.startswith("/connectionSpec/"):
            return "1414", None
        if path not in ("/name", "/description", *PARAM_PATHS):
            return "1455", None
    doc = {"name": doc.get("name"), "description": doc.get("description"),
           "params": dict(doc["params"])}
    for op in ops:
        path = op["path"].rstrip("/")
        target, key = (doc["params"], path.rsplit("/", 1)[1]) if path.startswith("/auth/params/") \
            else (doc, path[1:])
        if op["op"].lower() == "remove":
            if target.get(key) is None:
                return "1455", None
            target[key] = None
        else:
            target[key] = op["value"]
    doc["params"] = {k: v for k, v in doc["params"].items() if v is not None}
    if doc["name"] is None or not {"s3AccessKey", "s3SecretKey"} <= set(doc["params"]):
        return "1304", None
    return "200", doc


def _if_match(draw_style: str, etag: str) -> tuple[dict[str, str], dict[str, str]]:
    value = {"quoted": etag, "bare": etag.strip('"'), "weak": f"W/{etag}"}[draw_style.split("-")[0]]
    return ({}, {"if-match": value}) if draw_style.endswith("query") else ({"If-Match": value}, {})


@PROPERTY_SETTINGS
@given(ops=st.lists(patch_op(), min_size=1, max_size=3),
       with_token=st.booleans(), with_description=st.booleans(),
       style=st.sampled_from(["quoted", "bare", "weak", "quoted-query", "bare-query"]))
def test_patch_rules_match_reference(world: tuple[LocalAep, Api, list[dict[str, Any]]],
                                     ops: list[dict[str, Any]], with_token: bool,
                                     with_description: bool, style: str) -> None:
    svc, _, _ = world
    with requests.Session() as session:
        api = Api(svc, {**world[1].headers, "x-sandbox-name": "prod"}, session)
        body = s3_body("patched", **({"s3SessionToken": "tok-0"} if with_token else {}))
        if not with_description:
            del body["description"]
        created = api.create(body)
        before = {"name": body["name"], "description": body.get("description"),
                  "params": body["auth"]["params"]}
        code, expected = reference_patch(before, ops)
        headers, query = _if_match(style, created["etag"])
        resp = api.call("PATCH", f"/connections/{created['id']}/" if len(ops) == 2 else
                        f"/connections/{created['id']}", json=ops, headers=headers, params=query)
        record = api.get(created["id"])
        if code != "200":
            assert resp.status_code == 400, (ops, resp.text)
            assert resp.json()["type"].endswith(f"FLOW-{code}-400"), (ops, code, resp.text)
            assert record["etag"] == created["etag"]  # a refused patch writes nothing
            return
        assert resp.status_code == 200, (ops, resp.text)
        assert expected is not None
        assert resp.json()["etag"] == record["etag"] != created["etag"]
        assert record["name"] == expected["name"]
        assert record.get("description") == expected["description"]
        shown = record["auth"]["params"]
        assert set(shown) == set(expected["params"])
        for key, value in expected["params"].items():
            if key in ("s3SecretKey", "s3SessionToken"):
                assert shown[key] == "***"
            elif key == "s3AccessKey":
                assert shown[key].endswith("***")
            else:
                assert shown[key] == value
        assert SECRET_KEY not in str(record) and ACCESS_KEY not in str(record)
