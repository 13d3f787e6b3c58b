"""Source and target connections: create, read, list, patch, delete, and every refusal."""

from __future__ import annotations

from typing import Any

import pytest

from aep_local.testing import LocalAep
from aep_spec.ingestion import DATA_LAKE_CONNECTION_SPEC_ID
from aep_spec.s3 import CONNECTION_SPEC_ID as S3_CONNECTION_SPEC_ID
from tests.aep_local.local_helpers import (
    CRM_DATASET,
    CRM_SCHEMA,
    ORDERS_DATASET,
    ORDERS_SCHEMA,
    Api,
    Ingestion,
    assert_flow_error,
    source_body,
    target_body,
)


@pytest.fixture
def ing(api: Api) -> Ingestion:
    return Ingestion(api)


def test_source_connection_tutorial_body_round_trips(api: Api, ing: Ingestion) -> None:
    base = ing.base()
    body = source_body(base, "/acme-orders/exports/*.csv", columnDelimiter="\t", encoding="UTF-8",
                       compressionType="gzip", recursive="true")
    resp = api.call("POST", "/sourceConnections", json=body)
    assert resp.status_code == 201, resp.text
    created = resp.json()
    assert set(created) == {"id", "etag"}
    assert resp.headers["Location"].endswith(f"/data/foundation/flowservice/sourceConnections/{created['id']}")
    assert resp.headers["ETag"] == created["etag"]
    rec = ing.item(f"/sourceConnections/{created['id']}")
    for key in ("name", "description", "baseConnectionId", "data", "params", "connectionSpec"):
        assert rec[key] == body[key]
    assert rec["etag"] == rec["version"] == created["etag"]
    assert rec["state"] == "enabled"
    assert rec["sandboxName"] == "prod" and rec["imsOrgId"].endswith("@AdobeOrg") and rec["sandboxId"]
    assert rec["createdAt"] == rec["updatedAt"] and rec["createdBy"] == rec["createdClient"]
    assert rec["inheritedAttributes"] == {"baseConnection": {
        "id": base, "connectionSpec": {"id": S3_CONNECTION_SPEC_ID, "version": "1.0"}}}
    assert not any(k.startswith("_") for k in rec)


@pytest.mark.parametrize(("change", "code", "where"), [
    (lambda b: b.pop("name"), "1304", "name"),
    (lambda b: b.pop("baseConnectionId"), "1304", "baseConnectionId"),
    (lambda b: b.pop("data"), "1304", "data"),
    (lambda b: b.pop("params"), "1304", "params"),
    (lambda b: b["params"].pop("path"), "1304", "params.path"),
    (lambda b: b["data"].pop("format"), "1304", "data.format"),
    (lambda b: b.pop("connectionSpec"), "1304", "connectionSpec"),
    (lambda b: b.update(connectionSpec={"id": DATA_LAKE_CONNECTION_SPEC_ID}), "1413", DATA_LAKE_CONNECTION_SPEC_ID),
    (lambda b: b["connectionSpec"].update(version="2.0"), "1413", "2.0"),
    (lambda b: b.update(baseConnectionId="no-such-connection"), "1312", "baseConnectionId"),
    (lambda b: b["params"].update(type="blob"), "1312", "params.type"),
    (lambda b: b["params"].update(recursive="yes"), "1312", "params.recursive"),
    (lambda b: b["params"].update(path="bucket-without-slash/x"), "1312", "params.path"),
    (lambda b: b["params"].update(path="/acme/*/x.csv"), "1312", "params.path"),
    (lambda b: b["params"].update(path="/acme/a.csv", type="file", recursive=True), "1312", "params.recursive"),
    (lambda b: b["data"].update(format="xml"), "1312", "data.format"),
    (lambda b: b["data"].update(format="json", properties={"columnDelimiter": ";"}), "1312", "columnDelimiter"),
    (lambda b: b["data"].update(properties={"columnDelimiter": ";;"}), "1312", "columnDelimiter"),
    (lambda b: b["data"].update(properties={"compressionType": "rar"}), "1312", "compressionType"),
    (lambda b: b["data"].update(format="parquet", properties={"compressionType": "gzip"}), "1312", "compressionType"),
])
def test_source_connection_refusals(api: Api, ing: Ingestion, change: Any, code: str, where: str) -> None:
    body = source_body(ing.base())
    change(body)
    body_resp = assert_flow_error(api.call("POST", "/sourceConnections", json=body), code, 400)
    assert where in body_resp["errorMessage"]


def test_source_path_must_lie_within_the_base_connections_bucket_and_folder(api: Api, ing: Ingestion) -> None:
    scoped = ing.base(bucketName="acme-orders", folderPath="exports")
    assert api.call("POST", "/sourceConnections",
                    json=source_body(scoped, "/acme-orders/exports/orders")).status_code == 201
    for path in ("/other-bucket/exports/orders", "/acme-orders/imports", "/acme-orders/exportsx"):
        body = assert_flow_error(api.call("POST", "/sourceConnections", json=source_body(scoped, path)), "1312", 400)
        assert "outside the base connection's scope /acme-orders/exports/" in body["errorMessage"]


def test_base_connection_of_another_sandbox_or_org_is_not_found(api: Api, ing: Ingestion,
                                                                 service: LocalAep) -> None:
    base = ing.base()
    for headers in (service.auth_headers(sandbox="dev"),
                    service.auth_headers(org_id="FEDCBA9876543210FEDCBA98@AdobeOrg")):
        resp = api.session.post(api.url("/sourceConnections"), json=source_body(base), headers=headers, timeout=10)
        assert_flow_error(resp, "1312", 400)


def test_source_patch_paths_if_match_and_revalidation(api: Api, ing: Ingestion) -> None:
    src = ing.post("/sourceConnections", source_body(ing.base()))
    path = f"/sourceConnections/{src['id']}"
    ok = [{"op": "replace", "path": "/name", "value": "renamed"},
          {"op": "Add", "path": "/params/recursive", "value": False},
          {"op": "add", "path": "/data/properties", "value": {"columnDelimiter": ";"}}]
    assert_flow_error(api.call("PATCH", path, json=ok), "1403", 400)
    assert_flow_error(api.call("PATCH", path, json=ok, headers={"If-Match": '"stale-etag"'}), "1404", 412)
    resp = api.call("PATCH", path, json=ok, headers={"If-Match": src["etag"].strip('"')})
    assert resp.status_code == 200, resp.text
    etag = resp.json()["etag"]
    assert set(resp.json()) == {"id", "etag"} and etag != src["etag"] and resp.headers["ETag"] == etag
    rec = ing.item(path)
    assert rec["name"] == "renamed" and rec["params"]["recursive"] is False
    assert rec["data"]["properties"] == {"columnDelimiter": ";"}
    assert rec["etag"] == etag and rec["updatedAt"] >= rec["createdAt"]
    refused = {"/baseConnectionId": "1455", "/connectionSpec/id": "1414", "/state": "1455", "/id": "1455"}
    for where, code in refused.items():
        assert_flow_error(api.call("PATCH", path, json=[{"op": "replace", "path": where, "value": "x"}],
                                   headers={"If-Match": f'W/{etag}'}), code, 400)
    # Re-validated after patching: an invalid result writes nothing.
    for bad in ([{"op": "replace", "path": "/params/type", "value": "blob"}],
                [{"op": "remove", "path": "/params/path"}],
                [{"op": "remove", "path": "/params"}],
                [{"op": "replace", "path": "/data/format", "value": "json"}]):
        assert api.call("PATCH", path, json=bad, params={"if-match": etag}).status_code == 400
    assert ing.item(path)["etag"] == etag
    assert api.call("PATCH", path, json=[{"op": "replace", "path": "/description", "value": "via query"}],
                    params={"if-match": etag}).status_code == 200


def test_source_delete_and_scoping(api: Api, ing: Ingestion, service: LocalAep) -> None:
    src = ing.source()
    other = service.auth_headers(sandbox="dev")
    resp = api.session.get(api.url(f"/sourceConnections/{src}"), headers=other, timeout=10)
    assert_flow_error(resp, "1101", 404)
    resp = api.session.delete(api.url(f"/sourceConnections/{src}"), headers=other, timeout=10)
    assert_flow_error(resp, "1101", 404)
    resp = api.call("DELETE", f"/sourceConnections/{src}")
    assert resp.status_code == 204 and resp.content == b""
    assert_flow_error(api.call("GET", f"/sourceConnections/{src}"), "1101", 404)
    assert_flow_error(api.call("DELETE", f"/sourceConnections/{src}"), "1101", 404)


def test_source_list_filters_by_base_connection(api: Api, ing: Ingestion) -> None:
    base = ing.base()
    ids = {ing.source(base), ing.source(base)}
    ing.source()
    listed = api.call("GET", "/sourceConnections", params={"property": f"baseConnectionId=={base}"}).json()
    assert {i["id"] for i in listed["items"]} == ids
    counted = api.call("GET", "/sourceConnections",
                       params={"property": f"baseConnectionId=={base}", "count": "true"}).json()
    assert counted == {"count": 2}
    page = api.call("GET", "/sourceConnections", params={"property": f"baseConnectionId=={base}", "limit": 1,
                                                         "orderby": "-createdAt"}).json()
    assert len(page["items"]) == 1 and "continuationToken" in page["_links"]["next"]["href"]
    assert api.call("GET", "/sourceConnections", params={"property": "params.path==x"}).json()["items"] == []


def test_target_connection_round_trip_and_catalog_checks(api: Api, ing: Ingestion) -> None:
    created = ing.post("/targetConnections", target_body())
    rec = ing.item(f"/targetConnections/{created['id']}")
    assert rec["params"] == {"dataSetId": ORDERS_DATASET["prod"]}
    assert rec["data"]["schema"]["id"] == ORDERS_SCHEMA
    assert rec["connectionSpec"] == {"id": DATA_LAKE_CONNECTION_SPEC_ID, "version": "1.0"}
    assert rec["state"] == "enabled" and rec["etag"] == rec["version"] == created["etag"]
    # ;version=1.0 (the OpenAPI file's spelling) is accepted too; the name is optional.
    body = target_body(CRM_DATASET["prod"], CRM_SCHEMA, "application/vnd.adobe.xed-full+json;version=1.0")
    del body["name"]
    assert api.call("POST", "/targetConnections", json=body).status_code == 201
    refusals = [
        (target_body(dataset="aaaaaaaaaaaaaaaaaaaaaaaa"), "params.dataSetId"),     # not in the catalog
        (target_body(dataset=ORDERS_DATASET["dev"]), "params.dataSetId"),           # another sandbox's
        (target_body(dataset="not-hex"), "params.dataSetId"),
        (target_body(schema=CRM_SCHEMA), "data.schema.id"),                         # not the dataset's schema
        (target_body(schema="orders"), "data.schema.id"),
        (target_body(version="application/json"), "data.schema.version"),
        (target_body(version="application/vnd.adobe.xed-full+json;version=2"), "data.schema.version"),
    ]
    for bad, where in refusals:
        assert where in assert_flow_error(api.call("POST", "/targetConnections", json=bad), "1312", 400)["errorMessage"]
    no_schema = target_body()
    del no_schema["data"]["schema"]
    assert_flow_error(api.call("POST", "/targetConnections", json=no_schema), "1304", 400)
    wrong_spec = target_body()
    wrong_spec["connectionSpec"]["id"] = S3_CONNECTION_SPEC_ID
    assert_flow_error(api.call("POST", "/targetConnections", json=wrong_spec), "1413", 400)


def test_target_patch_rechecks_the_catalog(api: Api, ing: Ingestion) -> None:
    created = ing.post("/targetConnections", target_body())
    path, etag = f"/targetConnections/{created['id']}", created["etag"]
    mismatch = [{"op": "replace", "path": "/params/dataSetId", "value": CRM_DATASET["prod"]}]
    assert_flow_error(api.call("PATCH", path, json=mismatch, headers={"If-Match": etag}), "1312", 400)
    both = [*mismatch, {"op": "replace", "path": "/data/schema/id", "value": CRM_SCHEMA}]
    resp = api.call("PATCH", path, json=both, headers={"If-Match": etag})
    assert resp.status_code == 200, resp.text
    assert ing.item(path)["params"]["dataSetId"] == CRM_DATASET["prod"]
    assert_flow_error(api.call("PATCH", path, json=[{"op": "replace", "path": "/connectionSpec/id", "value": "x"}],
                               headers={"If-Match": resp.json()["etag"]}), "1414", 400)
    assert api.call("DELETE", path).status_code == 204


def test_target_list_filters_by_dataset(api: Api, ing: Ingestion) -> None:
    created = ing.target(CRM_DATASET["prod"], CRM_SCHEMA)
    listed = api.call("GET", "/targetConnections",
                      params={"property": [f"params.dataSetId=={CRM_DATASET['prod']}", f"id=={created}"]}).json()
    assert [i["id"] for i in listed["items"]] == [created]


def test_connection_specs_serve_the_data_lake_spec_beside_s3(api: Api) -> None:
    listed = api.call("GET", "/connectionSpecs").json()["items"]
    assert {s["id"] for s in listed} == {S3_CONNECTION_SPEC_ID, DATA_LAKE_CONNECTION_SPEC_ID}
    lake = api.call("GET", f"/connectionSpecs/{DATA_LAKE_CONNECTION_SPEC_ID}").json()["items"][0]
    assert lake["name"] == "Data Lake" and lake["version"] == "1.0" and lake["authSpec"] == []
    s3 = api.call("GET", f"/connectionSpecs/{S3_CONNECTION_SPEC_ID}").json()["items"][0]
    assert s3["sourceSpec"]["spec"]["required"] == ["path"]
    assert set(s3["sourceSpec"]["spec"]["properties"]) == {"path", "type", "recursive"}
    # a base connection may not name the Data Lake spec
    body = {"name": "x", "auth": {"specName": "Access Key", "params": {}},
            "connectionSpec": {"id": DATA_LAKE_CONNECTION_SPEC_ID}}
    assert_flow_error(api.call("POST", "/connections", json=body), "1413", 400)
