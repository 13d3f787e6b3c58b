"""Catalog against the real server: datasets (keyed answers, versions and If-Match, filters,
offsets, PATCH both ways, PUT, DELETE) and what aepp sends."""

from __future__ import annotations

import pytest

from tests.aep_local.local_helpers import (
    ORDERS_DATASET,
    ORDERS_SCHEMA,
    XED,
    Platform,
    assert_service_error,
    unique,
)


def test_create_answers_a_reference_and_a_location(platform: Platform) -> None:
    schema, _ = platform.pipeline()
    resp = platform.catalog("POST", "/dataSets", params={"requestDataSource": "true"},
                            json={"name": unique("ds"), "schemaRef": {"id": schema, "contentType": XED},
                                  "tags": {"iac/key": ["k"]},
                                  "fileDescription": {"persisted": True, "containerFormat": "parquet",
                                                      "format": "parquet"}})
    refs = platform.created(resp)
    dataset_id = refs[0].rsplit("/", 1)[1]
    assert refs == [f"@/dataSets/{dataset_id}"] and len(dataset_id) == 24
    assert resp.headers["Location"].endswith(f"/data/foundation/catalog/dataSets/{dataset_id}")
    read = platform.catalog("GET", f"/dataSets/{dataset_id}")
    record = platform.created(read, 200)[dataset_id]
    assert record["version"] == "1.0.0" and read.headers["ETag"] == '"1.0.0"'
    assert record["schemaRef"] == {"id": schema, "contentType": XED}
    assert record["created"] == record["updated"] > 0 and record["createdClient"] == platform.api.headers["x-api-key"]
    assert record["files"] == f"@/dataSets/{dataset_id}".replace("@/dataSets/", "@/dataSetFiles?dataSetId=")
    assert record["tags"] == {"iac/key": ["k"]}


@pytest.mark.parametrize(("body", "code"), [
    ({"name": "x", "schemaRef": {"id": "https://ns.adobe.com/acme/schemas/none"}}, "1001"),
    ({"name": "x"}, "1000"),
    ({"schemaRef": {"id": ORDERS_SCHEMA}}, "1000"),
    ({"name": "x", "schemaRef": {"id": ORDERS_SCHEMA}, "tags": {"unifiedProfile": ["enabled:true"]}}, "1002"),
    ({"name": "x", "schemaRef": {"id": ORDERS_SCHEMA}, "tags": {"adobe/pqs/table": ["t"]}}, "1002"),
])
def test_create_refusals(platform: Platform, body: dict[str, object], code: str) -> None:
    assert_service_error(platform.catalog("POST", "/dataSets", json=body), "CAT", code, 400)


def test_a_schema_of_another_sandbox_is_unknown(platform: Platform) -> None:
    schema, _ = platform.pipeline()
    assert_service_error(platform.catalog("POST", "/dataSets", headers={"x-sandbox-name": "dev"},
                                          json={"name": "x", "schemaRef": {"id": schema}}), "CAT", "1001", 400)


def test_patch_both_ways_put_and_if_match(platform: Platform) -> None:
    schema, dataset = platform.pipeline()
    path = f"/dataSets/{dataset}"
    assert platform.created(platform.catalog("PATCH", path, json={"description": "partial"}), 200) == [
        f"@/dataSets/{dataset}"]
    assert platform.get_dataset(dataset)["version"] == "1.0.1"
    platform.created(platform.catalog("PATCH", path, headers={"Content-Type": "application/json-patch+json"},
                                      json=[{"op": "add", "path": "/tags/team", "value": ["data"]}]), 200)
    # aepp's disableDatasetValidationContext: a JSON Patch array sent as plain application/json
    platform.created(platform.catalog("PATCH", path, json=[{"op": "replace", "path": "/name", "value": "renamed"}]),
                     200)
    record = platform.get_dataset(dataset)
    assert (record["version"], record["description"], record["tags"]["team"], record["name"]) == (
        "1.0.3", "partial", ["data"], "renamed")
    stale = platform.catalog("PATCH", path, headers={"If-Match": '"1.0.1"'}, json={"description": "late"})
    assert_service_error(stale, "CAT", "1412", 412)
    fresh = platform.catalog("PATCH", path, headers={"If-Match": "1.0.3"}, json={"description": "on time"})
    assert fresh.status_code == 200
    put = platform.catalog("PUT", path, json={"name": "whole", "schemaRef": {"id": schema}})
    assert platform.created(put, 200) == [f"@/dataSets/{dataset}"]
    record = platform.get_dataset(dataset)
    assert record["version"] == "1.0.5" and record["name"] == "whole" and "description" not in record
    assert_service_error(platform.catalog("PATCH", path, json={"schemaRef": {"id": ORDERS_SCHEMA}}), "CAT", "1003", 400)
    assert_service_error(platform.catalog("PATCH", path, json={"created": 1}), "CAT", "1000", 400)
    assert_service_error(platform.catalog("PATCH", "/dataSets/" + "f" * 24, json={"name": "x"}), "CAT", "1404", 404)


def test_delete_is_idempotent(platform: Platform) -> None:
    _, dataset = platform.pipeline()
    assert platform.created(platform.catalog("DELETE", f"/dataSets/{dataset}"), 200) == [f"@/dataSets/{dataset}"]
    assert_service_error(platform.catalog("GET", f"/dataSets/{dataset}"), "CAT", "1404", 404)
    assert platform.created(platform.catalog("DELETE", f"/dataSets/{dataset}"), 200) == []


def test_lists_filter_by_tags_names_properties_and_page(platform: Platform) -> None:
    schema, _ = platform.pipeline()
    token = unique("token").replace(" ", "-")
    ids = [platform.dataset(schema, name=f"{token} {n}", tags={"iac/key": [token], "n": [str(n)]}) for n in range(3)]
    listed = platform.created(platform.catalog("GET", "/dataSets", params={"tags": f"iac/key:{token}"}), 200)
    assert list(listed) == ids
    both = platform.created(platform.catalog("GET", "/dataSets", params={"tags": f"iac/key:{token},n:1"}), 200)
    assert list(both) == [ids[1]]
    wildcard = platform.created(platform.catalog("GET", "/dataSets", params={"tags": "n:*", "name": f"{token}*"}), 200)
    assert list(wildcard) == ids
    assert list(platform.created(platform.catalog("GET", "/dataSets", params={"name": f"{token} 2"}), 200)) == [ids[2]]
    assert list(platform.created(platform.catalog("GET", "/dataSets", params={
        "property": f"name=={token} 0"}), 200)) == [ids[0]]
    not_one = platform.created(platform.catalog("GET", "/dataSets", params={"name": f"!{token} 0",
                                                                             "tags": f"iac/key:{token}"}), 200)
    assert list(not_one) == ids[1:]
    projected = platform.created(platform.catalog("GET", "/dataSets", params={"tags": f"iac/key:{token}",
                                                                               "properties": "name,tags"}), 200)
    assert set(projected[ids[0]]) == {"name", "tags"}
    newest = platform.created(platform.catalog("GET", "/dataSets", params={
        "tags": f"iac/key:{token}", "orderBy": "desc:created", "limit": "1"}), 200)
    assert list(newest) == [ids[2]]
    # aepp pages with start = 1 + k * limit: any offset is served
    page = platform.created(platform.catalog("GET", "/dataSets", params={"tags": f"iac/key:{token}", "limit": "2",
                                                                          "start": "1"}), 200)
    assert list(page) == ids[1:]
    for bad in ({"limit": "0"}, {"limit": "101"}, {"start": "x"}, {"orderBy": "sideways:name"}):
        assert_service_error(platform.catalog("GET", "/dataSets", params=bad), "CAT", "1000", 400)


def test_the_default_page_is_20(platform: Platform) -> None:
    schema, _ = platform.pipeline()
    for _ in range(21):
        platform.dataset(schema)
    assert len(platform.created(platform.catalog("GET", "/dataSets"), 200)) == 20
    assert len(platform.created(platform.catalog("GET", "/dataSets", params={"limit": "100"}), 200)) > 20


def test_seeded_datasets_are_there_and_a_change_stays_in_its_org(platform: Platform) -> None:
    seeded = ORDERS_DATASET["prod"]
    record = platform.get_dataset(seeded)
    assert record["schemaRef"]["id"] == ORDERS_SCHEMA
    other_org = {"x-gw-ims-org-id": "FEDCBA9876543210FEDCBA98@AdobeOrg"}
    platform.created(platform.catalog("PATCH", f"/dataSets/{seeded}", headers=other_org,
                                      json={"description": "only here"}), 200)
    theirs = platform.created(platform.catalog("GET", f"/dataSets/{seeded}", headers=other_org), 200)[seeded]
    assert theirs["description"] == "only here" and "description" not in platform.get_dataset(seeded)


def test_batches_of_an_unknown_id_and_of_a_dataset_without_runs(platform: Platform) -> None:
    _, dataset = platform.pipeline()
    assert platform.created(platform.catalog("GET", "/batches", params={"dataSet": dataset}), 200) == {}
    assert_service_error(platform.catalog("GET", "/batches/01ABCDEFGHJKMNPQRSTVWXYZ00"), "CAT", "1404", 404)
