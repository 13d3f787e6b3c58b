"""Flow Service as Adobe's own client (aepp) and Adobe's docs use it: list answers with `_links`,
the sort-and-filter guide's filters, the enable action without a body or a Content-Type, the Data
Lake target as Adobe's examples send it, spec names as AEP has them."""

from __future__ import annotations

import pytest

from aep_spec.ingestion import CLOUD_STORAGE_FLOW_SPEC_ID, DATA_LAKE_CONNECTION_SPEC_ID
from tests.aep_local.local_helpers import (
    ORDERS_DATASET,
    ORDERS_SCHEMA,
    Api,
    Ingestion,
    assert_flow_error,
)


def ids(api: Api, path: str, *props: str) -> list[str]:
    resp = api.call("GET", path, params={"property": list(props)})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert "_links" in body
    return [item["id"] for item in body["items"]]


def test_every_list_carries_links(api: Api) -> None:
    for path in ("/connections", "/sourceConnections", "/targetConnections", "/flows", "/runs", "/connectionSpecs",
                 "/flowSpecs"):
        query = {} if path in ("/connectionSpecs", "/flowSpecs") else {"limit": 1}
        body = api.call("GET", path, params=query).json()
        assert isinstance(body["_links"], dict), path


def test_filters_of_the_sort_and_filter_guide(api: Api, ing: Ingestion) -> None:
    base = ing.base()
    sources = [ing.source(base), ing.source(base)]
    other = ing.source()
    flows = [ing.flow(sources[0]), ing.flow(sources[1])]
    # inherited properties
    assert ids(api, "/sourceConnections", f"inheritedAttributes.baseConnection.id=={base}") == sources
    assert ids(api, "/flows", f"inheritedAttributes.sourceConnections.baseConnection.id=={base}") == flows
    # array members, with or without [], several values OR, several params AND
    assert ids(api, "/flows", f"sourceConnectionIds=={sources[0]}") == flows[:1]
    assert ids(api, "/flows", f"sourceConnectionIds[]=={sources[0]},{sources[1]}") == flows
    assert ids(api, "/flows", f"sourceConnectionIds[]=={sources[0]},{sources[1]}", "state==enabled",
               f"id!={flows[0]}") == flows[1:]
    assert ids(api, "/flows", f"transformations[].params.mappingId=={'0f3a5c7e9b1d4f6a8c0e2a4c6e8a0c2e'}",
               f"sourceConnectionIds=={sources[1]}") == flows[1:]
    # != and ~ (contains)
    name = ing.item(f"/sourceConnections/{other}")["name"]
    assert other not in ids(api, "/sourceConnections", f"name!={name}")
    assert ids(api, "/sourceConnections", f"name~{name[4:]}") == [other]
    assert ids(api, "/sourceConnections", "params.path~orders", f"baseConnectionId=={base}") == sources


def test_enable_and_disable_without_a_body_or_content_type(api: Api, ing: Ingestion) -> None:
    flow = ing.flow()
    headers = {k: v for k, v in api.headers.items() if k.lower() != "content-type"}
    for op in ("disable", "enable"):
        resp = api.session.post(api.url(f"/flows/{flow}/action"), params={"op": op}, headers=headers, timeout=10)
        assert resp.status_code == 200, resp.text
        assert resp.json()["id"] == flow
    assert ing.item(f"/flows/{flow}")["state"] == "enabled"
    wrong = api.call("POST", f"/flows/{flow}/action", params={"op": "enable"}, data="x",
                     headers={"Content-Type": "text/plain"})
    assert_flow_error(wrong, "1004", 415)


@pytest.mark.parametrize("version", ["application/vnd.adobe.xed-full+json;version=1",
                                     "application/vnd.adobe.xed-full+json;version=1.0"])
def test_the_data_lake_target_as_adobes_examples_send_it(api: Api, ing: Ingestion, version: str) -> None:
    body = {"name": "dl target", "data": {"schema": {"id": ORDERS_SCHEMA, "version": version}},
            "params": {"dataSetId": ORDERS_DATASET["prod"]},
            "connectionSpec": {"id": DATA_LAKE_CONNECTION_SPEC_ID, "version": "1.0"}}
    created = ing.post("/targetConnections", body)
    assert ing.item(f"/targetConnections/{created['id']}")["data"]["schema"]["id"] == ORDERS_SCHEMA
    aepp = {**body, "data": {**body["data"], "format": "delimited"}}   # aepp adds the format
    assert ing.post("/targetConnections", aepp)["id"]


def test_spec_names_as_aep_has_them(api: Api) -> None:
    flow_spec = api.call("GET", "/flowSpecs", params={"property": 'name=="CloudStorageToAEP"'}).json()["items"]
    assert [s["id"] for s in flow_spec] == [CLOUD_STORAGE_FLOW_SPEC_ID]
    data_lake = api.call("GET", f"/connectionSpecs/{DATA_LAKE_CONNECTION_SPEC_ID}").json()["items"][0]
    assert data_lake["name"] == "Data Lake"
    s3 = api.call("GET", "/connectionSpecs", params={"property": "name==amazon-s3"}).json()["items"]
    assert [s["id"] for s in s3] == ["ecadc60c-7455-4d87-84dc-2a0e293d997b"]
