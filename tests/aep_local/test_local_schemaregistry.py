"""The Schema Registry against the real server: field groups and schemas, Accept rules, titles,
versions, breaking changes, the global container, /stats, and what aepp sends."""

from __future__ import annotations

from urllib.parse import quote_plus

import pytest

from tests.aep_local.local_helpers import (
    COMMERCE,
    EVENT,
    ORDERS_SCHEMA,
    PROFILE,
    XED,
    XED_FULL,
    XED_ID,
    Platform,
    assert_gateway_error,
    assert_service_error,
    field_group_body,
    schema_body,
    unique,
)


def test_stats_names_the_tenant_with_and_without_a_trailing_slash(platform: Platform) -> None:
    for path in ("/stats", "/stats/"):
        stats = platform.created(platform.registry("GET", path), 200)
        assert stats["tenantId"] == "acme"
        assert stats["imsOrg"] == platform.api.headers["x-gw-ims-org-id"]
        assert stats["counts"]["schemas"] >= 2   # the seed's


def test_a_field_group_is_created_whole_with_server_members(platform: Platform) -> None:
    resp = platform.registry("POST", "/tenant/fieldgroups/", headers={"Accept": XED},  # as aepp sends it
                             json=field_group_body(customerId="string", visits="integer"))
    group = platform.created(resp)
    assert group["$id"].startswith("https://ns.adobe.com/acme/mixins/")
    assert group["meta:altId"] == "_acme.mixins." + group["$id"].rsplit("/", 1)[1]
    assert group["meta:resourceType"] == "mixins" and group["version"] == "1.0"
    assert group["meta:intendedToExtend"] == [PROFILE] and group["meta:containerId"] == "tenant"
    assert group["meta:tenantNamespace"] == "_acme"
    meta = group["meta:registryMetadata"]
    assert len(meta["eTag"]) == 64 and meta["repo:createdDate"] == meta["repo:lastModifiedDate"] > 0
    assert meta["xdm:createdClientId"] == platform.api.headers["x-api-key"]


@pytest.mark.parametrize(("change", "code"), [
    ({"definitions": {"c": {"properties": {"loose": {"type": "string"}}}}}, "1020"),
    ({"definitions": {"c": {"properties": {"_acme": {"type": "object", "properties": {"_bad": {"type": "string"}}}}}}},
     "1021"),
    ({"definitions": {"c": {"properties": {"_acme": {"type": "object", "properties": {"x": {"type": "text"}}}}}}},
     "1022"),
    ({"meta:intendedToExtend": []}, "1023"),
])
def test_field_group_rules(platform: Platform, change: dict[str, object], code: str) -> None:
    body = {**field_group_body(), **change}
    assert_service_error(platform.registry("POST", "/tenant/fieldgroups", json=body), "XDM", code, 400)


def test_a_schema_composes_a_class_and_field_groups_and_resolves_them(platform: Platform) -> None:
    group = platform.field_group(extends=EVENT, orderId="string", total={"type": "number"},
                                 day={"type": "string", "format": "date"})
    schema = platform.schema(group["$id"], COMMERCE, class_id=EVENT)
    assert schema["meta:class"] == EVENT and schema["version"] == "1.0"
    assert schema["meta:extends"][0] == EVENT and group["$id"] in schema["meta:extends"]
    assert {p["$ref"] for p in schema["allOf"]} == {EVENT, group["$id"], COMMERCE}
    full = platform.created(platform.get_schema(schema["$id"], XED_FULL), 200)
    assert "allOf" not in full
    assert full["properties"]["_acme"]["properties"]["day"] == {"type": "string", "format": "date"}
    assert full["properties"]["commerce"]["properties"]["order"]["properties"]["priceTotal"]["type"] == "number"
    assert full["properties"]["timestamp"]["format"] == "date-time"
    # by meta:altId, quote_plus-encoded $id, xdm in place of xed, -notext
    raw = platform.created(platform.registry("GET", f"/tenant/schemas/{schema['meta:altId']}", headers={"Accept": XED}),
                           200)
    assert raw["allOf"] == schema["allOf"]
    notext_accept = "application/vnd.adobe.xdm-full-notext+json; version=1"
    notext = platform.created(platform.get_schema(schema["$id"], notext_accept), 200)
    assert "title" not in notext and "title" not in notext["properties"]["_acme"]["properties"]["orderId"]
    aepp = platform.registry("GET", f"/tenant/schemas/{quote_plus(schema['$id'])}/",
                             headers={"Accept": "application/vnd.adobe.xdm-full+json; version=1",
                                      "Accept-Encoding": "identity"})
    assert platform.created(aepp, 200)["title"] == schema["title"]


@pytest.mark.parametrize(("accept", "code", "status"), [
    (None, "1006", 400), ("application/json", "1006", 400), ("application/vnd.adobe.xed+json", "1007", 400),
    ("application/vnd.adobe.xed-full+json; version=2", "1008", 406),
])
def test_a_lookup_needs_an_accept_with_version_1(platform: Platform, accept: str | None, code: str,
                                                 status: int) -> None:
    headers = {"Accept": accept} if accept else {}
    drop = () if accept else ("Accept",)
    resp = platform.registry("GET", f"/tenant/schemas/{quote_plus(ORDERS_SCHEMA)}", headers=headers, drop=drop)
    if accept is None:  # requests sends */* by default: still no xed Accept
        resp = platform.registry("GET", f"/tenant/schemas/{quote_plus(ORDERS_SCHEMA)}", headers={"Accept": "*/*"})
    assert_service_error(resp, "XDM", code, status)


def test_unknown_ids_are_404_by_kind(platform: Platform) -> None:
    missing = quote_plus("https://ns.adobe.com/acme/schemas/" + "0" * 48)
    assert_service_error(platform.registry("GET", f"/tenant/schemas/{missing}", headers={"Accept": XED}), "XDM", "1012",
                         404)
    assert_service_error(platform.registry("GET", f"/tenant/fieldgroups/{missing}", headers={"Accept": XED}), "XDM",
                         "1013", 404)
    assert_service_error(platform.registry("DELETE", f"/tenant/schemas/{missing}"), "XDM", "1012", 404)


def test_titles_are_unique_across_kinds_and_the_refusal_names_the_existing_id(platform: Platform) -> None:
    group = platform.field_group()
    for path, body in (("/tenant/schemas", schema_body(title=group["title"])),
                       ("/tenant/fieldgroups", field_group_body(title=group["title"]))):
        refused = assert_service_error(platform.registry("POST", path, json=body), "XDM", "1521", 400)
        assert group["$id"] in refused["report"]["detailed-message"]
        assert refused["title"] == "Title not unique"
    # the adoption look-up: by title, summary Accept
    listed = platform.created(platform.registry("GET", "/tenant/fieldgroups", headers={"Accept": XED_ID},
                                                params={"property": f"title=={group['title']}"}), 200)
    assert listed["results"] == [{"$id": group["$id"], "meta:altId": group["meta:altId"], "version": "1.0",
                                  "title": group["title"]}]


def test_patch_and_put_bump_the_minor_version(platform: Platform) -> None:
    group = platform.field_group()
    schema = platform.schema(group["$id"])
    path = f"/tenant/schemas/{quote_plus(schema['$id'])}"
    patched = platform.created(platform.registry("PATCH", path, json=[
        {"op": "replace", "path": "/description", "value": "changed"}]), 200)
    assert patched["version"] == "1.1" and patched["description"] == "changed"
    other = platform.field_group()
    added = platform.created(platform.registry("PATCH", path + "/", json=[
        {"op": "add", "path": "/allOf/-", "value": {"$ref": other["$id"]}}]), 200)
    assert added["version"] == "1.2" and other["$id"] in added["meta:extends"]
    put = platform.created(platform.registry("PUT", path, json=schema_body(group["$id"], title=schema["title"])), 200)
    assert put["version"] == "1.3" and other["$id"] not in put["meta:extends"]
    assert put["meta:registryMetadata"]["repo:createdDate"] == schema["meta:registryMetadata"]["repo:createdDate"]
    assert_service_error(platform.registry("PATCH", path, json=[{"op": "replace", "path": "/$id", "value": "x"}]),
                         "XDM", "1000", 400)
    assert_service_error(platform.registry("PATCH", path, json=[{"op": "remove", "path": "/nope"}]), "XDM", "1000",
                         400)


def test_schema_composition_rules(platform: Platform) -> None:
    group = platform.field_group(extends=EVENT)
    assert_service_error(platform.registry("POST", "/tenant/schemas", json=schema_body(group["$id"])), "XDM", "1024",
                         400)   # a profile schema with an event field group
    assert_service_error(platform.registry("POST", "/tenant/schemas", json=schema_body(class_id=EVENT) | {
        "allOf": [{"$ref": EVENT}, {"$ref": PROFILE}]}), "XDM", "1000", 400)
    assert_service_error(platform.registry("POST", "/tenant/schemas", json={"title": unique("t"), "allOf": []}),
                         "XDM", "1000", 400)


def test_breaking_changes_are_refused_once_a_dataset_uses_the_schema(platform: Platform) -> None:
    group = platform.field_group(customerId="string", visits="integer")
    schema = platform.schema(group["$id"])
    schema_path = f"/tenant/schemas/{quote_plus(schema['$id'])}"
    group_path = f"/tenant/fieldgroups/{quote_plus(group['$id'])}"
    # before any dataset, anything goes
    assert platform.registry("PATCH", schema_path, json=[{"op": "replace", "path": "/title",
                                                          "value": unique("renamed")}]).status_code == 200
    platform.dataset(schema["$id"])
    refused = [
        platform.registry("PATCH", schema_path, json=[{"op": "remove", "path": "/allOf/1"}]),
        platform.registry("PUT", group_path, json=field_group_body(title=group["title"], customerId="string")),
        platform.registry("PUT", group_path, json=field_group_body(title=group["title"], customerId="string",
                                                                   visits="number")),
        platform.registry("DELETE", schema_path),
    ]
    for resp in refused:
        body = assert_service_error(resp, "XDM", "1529", 400)
        assert schema["$id"] in body["report"]["detailed-message"]
    # additive changes stay allowed
    grown = platform.created(platform.registry("PUT", group_path, json=field_group_body(
        title=group["title"], customerId="string", visits="integer", tier="string")), 200)
    assert grown["version"] == "1.1"
    full = platform.created(platform.get_schema(schema["$id"]), 200)
    assert set(full["properties"]["_acme"]["properties"]) == {"customerId", "visits", "tier"}
    # a field group a schema uses cannot be deleted
    assert_service_error(platform.registry("DELETE", group_path), "XDM", "1530", 400)


def test_delete_then_404_and_unused_field_groups_go(platform: Platform) -> None:
    group = platform.field_group()
    schema = platform.schema(group["$id"])
    schema_path = f"/tenant/schemas/{quote_plus(schema['$id'])}"
    assert platform.registry("DELETE", schema_path).status_code == 204
    assert_service_error(platform.registry("GET", schema_path, headers={"Accept": XED}), "XDM", "1012", 404)
    assert platform.registry("DELETE", f"/tenant/mixins/{quote_plus(group['$id'])}/").status_code == 204


def test_lists_filter_order_and_page(platform: Platform) -> None:
    marker = unique("paged")
    ids = [platform.field_group(title=f"{marker} {n}")["$id"] for n in range(3)]
    query = {"property": f"title~{marker}", "orderby": "-title", "limit": "2"}
    first = platform.created(platform.registry("GET", "/tenant/fieldgroups/", headers={"Accept": XED_ID},
                                               params=query), 200)
    assert [r["$id"] for r in first["results"]] == ids[::-1][:2]
    assert first["_page"] == {"orderby": "-title", "next": "2", "count": 2}
    following = platform.api.session.get(platform.api.svc.url + "/data/foundation/schemaregistry"
                                         + first["_links"]["next"]["href"], headers={**platform.api.headers,
                                                                                       "Accept": XED_ID}, timeout=10)
    assert [r["$id"] for r in platform.created(following, 200)["results"]] == [ids[0]]
    rest = platform.created(platform.registry("GET", "/tenant/fieldgroups", headers={"Accept": XED},
                                              params={**query, "start": first["_page"]["next"]}), 200)
    assert [r["$id"] for r in rest["results"]] == [ids[0]] and rest["_page"]["next"] is None
    assert rest["results"][0]["meta:intendedToExtend"] == [PROFILE]       # the full form
    aepp = platform.created(platform.registry("GET", "/tenant/schemas/", headers={"Accept": XED_ID}, params={
        "property": "meta:extends!=https://ns.adobe.com/xdm/data/adhoc"}), 200)
    assert ORDERS_SCHEMA in {r["$id"] for r in aepp["results"]}
    assert_service_error(platform.registry("GET", "/tenant/schemas", headers={"Accept": "text/html"}), "XDM",
                         "1006", 400)


def test_the_global_container(platform: Platform) -> None:
    classes = platform.created(platform.registry("GET", "/global/classes", headers={"Accept": XED_ID}), 200)
    assert {PROFILE, EVENT, "https://ns.adobe.com/xdm/classes/local-record"} <= {c["$id"] for c in classes["results"]}
    profile = platform.created(platform.registry("GET", f"/global/classes/{quote_plus(PROFILE)}",
                                                 headers={"Accept": XED}), 200)
    assert profile["meta:containerId"] == "global" and profile["meta:extends"][0].endswith("/data/record")
    commerce = platform.created(platform.registry("GET", f"/global/fieldgroups/{quote_plus(COMMERCE)}",
                                                  headers={"Accept": XED_FULL}), 200)
    assert "commerce" in commerce["properties"]
    assert platform.registry("POST", "/global/classes", json={}).status_code == 405


def test_the_seeded_schemas_are_there_resolved(platform: Platform) -> None:
    full = platform.created(platform.get_schema(ORDERS_SCHEMA), 200)
    assert full["title"] == "Acme Orders" and full["meta:class"] == EVENT
    assert full["properties"]["_acme"]["properties"]["orderedAt"]["format"] == "date-time"


def test_the_gateway_guards_the_registry(platform: Platform) -> None:
    assert_gateway_error(platform.registry("GET", "/stats", drop=("Authorization",)), 401, "403010")
    assert_gateway_error(platform.registry("GET", "/stats", drop=("x-api-key",)), 403, "403000")
    assert_gateway_error(platform.registry("GET", "/stats", drop=("x-gw-ims-org-id",)), 400, "400003")
    assert_service_error(platform.registry("GET", "/stats", headers={"x-sandbox-name": "nope"}), "XDM", "2100", 404)
    assert_service_error(platform.registry("POST", "/tenant/schemas", data="x", headers={"Content-Type": "text/plain"}),
                         "XDM", "1004", 415)
    assert_service_error(platform.registry("POST", "/tenant/schemas", data="{", headers={}), "XDM", "1000", 400)
