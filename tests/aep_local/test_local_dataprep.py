"""Data Prep against the real server: mapping sets in both request forms, versions, validation,
lists, delete, the mappings endpoints, validate and preview."""

from __future__ import annotations

import pytest

from tests.aep_local.local_helpers import (
    ORDERS_MAPPING,
    ORDERS_SCHEMA,
    PREP,
    Platform,
    assert_service_error,
    mapping_body,
    unique,
)


def test_create_answers_id_and_version_0_and_reads_both_vocabularies(platform: Platform) -> None:
    schema, _ = platform.pipeline(customerId="string", visits="integer")
    created = platform.mapping_set(schema, ("ATTRIBUTE", "id", "_acme.customerId"),
                                   ("EXPRESSION", "lower(id)", "_acme.customerId"), ("STATIC", "7", "_acme.visits"))
    assert len(created["id"]) == 32 and created["version"] == 0
    assert created["createdDate"] == created["modifiedDate"] and created["createdBy"]
    read = platform.created(platform.prep("GET", f"/mappingSets/{created['id']}"), 200)
    assert read["outputSchema"]["schemaRef"]["id"] == schema and read["xdmSchema"] == schema
    kinds = [m["sourceType"] for m in read["mappings"]]
    assert kinds == ["text/x.schema-path", "text/x.aep-xl", "STATIC"]
    first = read["mappings"][0]
    assert (first["source"], first["destination"], first["sourceAttribute"], first["destinationXdmPath"]) == (
        "id", "_acme.customerId", "id", "_acme.customerId")
    assert len(first["id"]) == 32 and first["version"] == 0


def test_the_legacy_form_of_the_cloud_storage_tutorial(platform: Platform) -> None:
    schema, _ = platform.pipeline(customerId="string")
    body = {"version": 0, "xdmSchema": schema, "xdmVersion": "1.0", "id": None, "mappings": [
        {"destinationXdmPath": "_acme.customerId", "sourceAttribute": "id", "identity": False, "identityGroup": None,
         "namespaceCode": None, "version": 0}]}
    created = platform.created(platform.prep("POST", "/mappingSets", json=body), 200)
    read = platform.created(platform.prep("GET", f"/mappingSets/{created['id']}"), 200)
    assert read["mappings"][0]["sourceType"] == "text/x.schema-path"
    assert read["mappings"][0]["destination"] == "_acme.customerId"


def test_validate_true_refuses_a_destination_the_schema_lacks(platform: Platform) -> None:
    schema, _ = platform.pipeline(customerId="string")
    body = mapping_body(schema, ("ATTRIBUTE", "id", "_acme.customerId"), ("ATTRIBUTE", "x", "_acme.nope"))
    refused = assert_service_error(platform.prep("POST", "/mappingSets", params={"validate": "true"}, json=body),
                                   "MAPPER", "1002", 400)
    assert "mappings[1]" in refused["detail"] and "_acme.nope" in refused["detail"]
    assert platform.prep("POST", "/mappingSets", params={"validate": "false"}, json=body).status_code == 200


@pytest.mark.parametrize(("body", "code"), [
    (mapping_body("https://ns.adobe.com/acme/schemas/none", ("ATTRIBUTE", "a", "_acme.a")), "1001"),
    ({"mappings": []}, "1000"),
    (mapping_body(ORDERS_SCHEMA, ("COLUMN", "a", "_acme.a")), "1003"),
    (mapping_body(ORDERS_SCHEMA, ("ATTRIBUTE", "", "_acme.a")), "1003"),
    (mapping_body(ORDERS_SCHEMA, ("ATTRIBUTE", "a", "not a path")), "1003"),
    (mapping_body(ORDERS_SCHEMA, ("EXPRESSION", "to_date(a)", "_acme.orderedAt")), "1003"),
])
def test_create_refusals(platform: Platform, body: dict[str, object], code: str) -> None:
    assert_service_error(platform.prep("POST", "/mappingSets", json=body), "MAPPER", code, 400)


def test_put_writes_the_next_version_and_old_ones_stay_readable(platform: Platform) -> None:
    schema, _ = platform.pipeline(customerId="string", tier="string")
    created = platform.mapping_set(schema, ("ATTRIBUTE", "id", "_acme.customerId"))
    path = f"/mappingSets/{created['id']}"
    v0 = platform.created(platform.prep("GET", path), 200)
    v1 = platform.created(platform.prep("PUT", path, json=mapping_body(
        schema, ("ATTRIBUTE", "id", "_acme.customerId"), ("ATTRIBUTE", "tier", "_acme.tier"))), 200)
    assert v1["version"] == 1 and len(v1["mappings"]) == 2
    assert v1["mappings"][0]["id"] != v0["mappings"][0]["id"] and v1["createdDate"] == v0["createdDate"]
    assert platform.created(platform.prep("GET", path, params={"version": "0"}), 200)["mappings"] == v0["mappings"]
    assert platform.created(platform.prep("GET", path), 200)["version"] == 1
    assert_service_error(platform.prep("GET", path, params={"version": "5"}), "MAPPER", "1404", 404)
    mappings = platform.created(platform.prep("GET", f"{path}/mappings"), 200)
    assert [m["destination"] for m in mappings] == ["_acme.customerId", "_acme.tier"]
    one = platform.created(platform.prep("GET", f"{path}/mappings/{mappings[1]['id']}"), 200)
    assert one == mappings[1]
    assert_service_error(platform.prep("PUT", "/mappingSets/" + "0" * 32, json=mapping_body(schema)), "MAPPER",
                         "1404", 404)


def test_delete_then_404(platform: Platform) -> None:
    schema, _ = platform.pipeline()
    created = platform.mapping_set(schema, ("ATTRIBUTE", "id", "_acme.customerId"))
    assert platform.prep("DELETE", f"/mappingSets/{created['id']}").status_code == 204
    assert_service_error(platform.prep("GET", f"/mappingSets/{created['id']}"), "MAPPER", "1404", 404)
    assert_service_error(platform.prep("DELETE", f"/mappingSets/{created['id']}"), "MAPPER", "1404", 404)


def test_list_by_name_as_aepp_sends_it(platform: Platform) -> None:
    schema, _ = platform.pipeline()
    name = unique("set")
    ids = [platform.mapping_set(schema, ("ATTRIBUTE", "id", "_acme.customerId"), name=name)["id"] for _ in range(2)]
    listed = platform.created(platform.prep("GET", "/mappingSets", params={"name": name, "limit": "100"}), 200)
    assert [s["id"] for s in listed["data"]] == ids and listed["_page"]["count"] == 2
    page = platform.created(platform.prep("GET", "/mappingSets", params={"name": name, "limit": "1", "start": "0"}),
                            200)
    assert [s["id"] for s in page["data"]] == ids[:1]
    rest = platform.api.session.get(platform.api.svc.url + PREP + page["_links"]["next"]["href"],
                                    headers=platform.api.headers, timeout=10)
    assert [s["id"] for s in platform.created(rest, 200)["data"]] == ids[1:]
    by_schema = platform.created(platform.prep("GET", "/mappingSets", params={"property": f"xdmSchema=={schema}"}),
                                 200)
    assert [s["id"] for s in by_schema["data"]] == ids
    assert_service_error(platform.prep("GET", "/mappingSets", params={"limit": "x"}), "MAPPER", "1000", 400)


def test_validate_and_preview(platform: Platform) -> None:
    schema, _ = platform.pipeline(customerId="string", visits="integer")
    body = mapping_body(schema, ("ATTRIBUTE", "id", "_acme.customerId"), ("ATTRIBUTE", "n", "_acme.visits"),
                        ("ATTRIBUTE", "x", "_acme.nope"))
    verdicts = platform.created(platform.prep("POST", "/mappingSets/validate", json=body), 200)["validationResponse"]
    assert [v["status"] for v in verdicts] == ["SUCCESS", "SUCCESS", "FAILED"]
    assert verdicts[0]["errors"] is None and "_acme.nope" in verdicts[2]["errors"][0]["exception"]
    rows = [{"id": "c1", "n": "3"}, {"id": "c2", "n": "three"}]
    preview = platform.created(platform.prep("POST", "/mappingSets/preview", json={
        "data": rows, "mappingSet": mapping_body(schema, ("ATTRIBUTE", "id", "_acme.customerId"),
                                                  ("ATTRIBUTE", "n", "_acme.visits"))}), 200)
    assert preview[0] == {"data": {"_acme": {"customerId": "c1", "visits": 3}}, "errors": None}
    assert preview[1]["data"] is None and preview[1]["errors"][0]["column"] == "n"


def test_the_seeded_mapping_set_has_both_versions(platform: Platform) -> None:
    for version in ("0", "1"):
        read = platform.created(platform.prep("GET", f"/mappingSets/{ORDERS_MAPPING}", params={"version": version}),
                                200)
        assert read["version"] == int(version) and read["outputSchema"]["schemaRef"]["id"] == ORDERS_SCHEMA
