"""Flow Service checks its references against the objects made in the other services: a target's
dataset (Catalog, that sandbox) and schema (the registry, the dataset's own), a flow's mapping set
and version (Data Prep) and its output schema (the target's)."""

from __future__ import annotations

from tests.aep_local.local_helpers import (
    ORDERS_SCHEMA,
    Api,
    Ingestion,
    Platform,
    assert_flow_error,
    flow_body,
    target_body,
)


def test_a_target_on_a_made_dataset_and_schema(platform: Platform, ing: Ingestion) -> None:
    schema, dataset = platform.pipeline()
    target = ing.item(f"/targetConnections/{ing.target(dataset, schema)}")
    assert target["params"]["dataSetId"] == dataset and target["data"]["schema"]["id"] == schema


def test_target_refusals(platform: Platform, api: Api) -> None:
    schema, dataset = platform.pipeline()
    other_schema, _ = platform.pipeline()
    cases = [
        (target_body(dataset, ORDERS_SCHEMA), "data.schema.id"),              # not the dataset's schema
        (target_body(dataset, other_schema), "data.schema.id"),
        (target_body("0" * 24, schema), "params.dataSetId"),                   # no such dataset
    ]
    for body, member in cases:
        refused = assert_flow_error(api.call("POST", "/targetConnections", json=body), "1312", 400)
        assert member in refused["errorMessage"]
    other_sandbox = api.call("POST", "/targetConnections", json=target_body(dataset, schema),
                             headers={"x-sandbox-name": "dev"})
    assert_flow_error(other_sandbox, "1312", 400)
    platform.catalog("DELETE", f"/dataSets/{dataset}")
    assert_flow_error(api.call("POST", "/targetConnections", json=target_body(dataset, schema)), "1312", 400)


def test_a_flow_with_a_made_mapping_set_and_its_refusals(platform: Platform, ing: Ingestion, api: Api) -> None:
    schema, dataset = platform.pipeline(customerId="string")
    mapping = platform.mapping_set(schema, ("ATTRIBUTE", "id", "_acme.customerId"))
    source, target = ing.source(), ing.target(dataset, schema)
    assert ing.flow(source, target, mapping=mapping["id"], mapping_version=0)
    # version 1 exists once a PUT wrote it
    assert_flow_error(api.call("POST", "/flows", json=flow_body(source, target, mapping=mapping["id"],
                                                                mapping_version=1)), "1412", 400)
    platform.prep("PUT", f"/mappingSets/{mapping['id']}", json={
        "outputSchema": {"schemaRef": {"id": schema}},
        "mappings": [{"sourceType": "ATTRIBUTE", "source": "cid", "destination": "_acme.customerId"}]})
    assert ing.flow(source, target, mapping=mapping["id"], mapping_version="1")
    assert_flow_error(api.call("POST", "/flows", json=flow_body(source, target, mapping="f" * 32)), "1419", 400)
    other_schema, _ = platform.pipeline(customerId="string")
    elsewhere = platform.mapping_set(other_schema, ("ATTRIBUTE", "id", "_acme.customerId"))
    refused = assert_flow_error(api.call("POST", "/flows", json=flow_body(source, target, mapping=elsewhere["id"])),
                                "1425", 400)
    assert other_schema in refused["errorMessage"] and schema in refused["errorMessage"]


def test_a_patched_mapping_is_checked_against_data_prep(platform: Platform, ing: Ingestion, api: Api) -> None:
    schema, dataset = platform.pipeline(customerId="string")
    mapping = platform.mapping_set(schema, ("ATTRIBUTE", "id", "_acme.customerId"))
    flow_id = ing.flow(ing.source(), ing.target(dataset, schema), mapping=mapping["id"])
    etag = ing.item(f"/flows/{flow_id}")["etag"]
    patch = [{"op": "replace", "path": "/transformations/0",
              "value": {"name": "Mapping", "params": {"mappingId": mapping["id"], "mappingVersion": 3}}}]
    assert_flow_error(api.call("PATCH", f"/flows/{flow_id}", json=patch, headers={"If-Match": etag}), "1412", 400)
