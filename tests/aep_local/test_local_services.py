"""What every service shares, on the Schema Registry, Catalog and Data Prep: persistence across
kill -9 (and a database from before their table), faults on their route templates (with the
adoption look-ups a client makes after a create whose answer was lost), the request log, and
unknown paths and methods."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote_plus

import requests

from aep_local.core.store import DB_NAME
from aep_local.testing import LocalAep
from tests.aep_local.local_helpers import (
    ORDERS_DATASET,
    XED,
    XED_ID,
    Api,
    Platform,
    assert_gateway_error,
    assert_service_error,
    field_group_body,
    mapping_body,
    schema_body,
    unique,
)


def test_everything_survives_kill_9_and_an_older_database_is_migrated(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with LocalAep(data_dir=data) as svc:   # a database of the layout before the documents table
        svc.auth_headers()
    db = sqlite3.connect(data / DB_NAME)
    with db:
        db.executescript("DROP TABLE documents; PRAGMA user_version = 2;")
    db.close()
    with LocalAep(data_dir=data, args=["--no-scheduler"]) as svc, requests.Session() as session:
        platform = Platform(Api(svc, svc.auth_headers(), session))
        group = platform.field_group(customerId="string")
        schema = platform.schema(group["$id"])
        dataset = platform.dataset(schema["$id"], tags={"k": ["v"]})
        mapping = platform.mapping_set(schema["$id"], ("ATTRIBUTE", "id", "_acme.customerId"))
        platform.prep("PUT", f"/mappingSets/{mapping['id']}", json=mapping_body(
            schema["$id"], ("ATTRIBUTE", "cid", "_acme.customerId")))
        seeded = ORDERS_DATASET["prod"]
        platform.catalog("PATCH", f"/dataSets/{seeded}", json={"description": "kept"})
        platform.catalog("DELETE", f"/dataSets/{ORDERS_DATASET['prod'][:-1]}1")   # no such id: nothing happens
        svc.restart(hard=True)
        platform.api.headers = svc.auth_headers()
        kept = platform.created(platform.get_schema(schema["$id"], XED), 200)
        assert kept["meta:registryMetadata"]["eTag"] == schema["meta:registryMetadata"]["eTag"]
        assert platform.get_dataset(dataset)["tags"] == {"k": ["v"]}
        assert platform.get_dataset(seeded)["description"] == "kept"
        versions = [platform.created(platform.prep("GET", f"/mappingSets/{mapping['id']}", params={"version": v}),
                                     200)["mappings"][0]["source"] for v in ("0", "1")]
        assert versions == ["id", "cid"]
        # a deleted seeded object stays deleted after a restart (its tombstone)
        platform.catalog("DELETE", f"/dataSets/{seeded}")
        svc.restart(hard=True)
        platform.api.headers = svc.auth_headers()
        assert_service_error(platform.catalog("GET", f"/dataSets/{seeded}"), "CAT", "1404", 404)


def lost(service: LocalAep, template: str, send: Callable[[], requests.Response]) -> None:
    """Send a POST whose answer the emulator drops after committing it (as a crash would)."""
    service.set_faults(script=["commit-drop"], methods=["POST"], templates=[template])
    try:
        send()
        raise AssertionError("the answer should have been dropped")
    except requests.ConnectionError:
        pass
    finally:
        service.clear_faults()


def test_faults_apply_to_the_new_routes_and_the_adoption_lookups_find_what_was_made(
        service: LocalAep, platform: Platform) -> None:
    group = platform.field_group()
    body = schema_body(group["$id"])
    lost(service, "/schemaregistry/tenant/schemas", lambda: platform.registry("POST", "/tenant/schemas", json=body))
    # the schema: a retry is refused with the existing $id, found by title too
    retry = assert_service_error(platform.registry("POST", "/tenant/schemas", json=body), "XDM", "1521", 400)
    listed = platform.created(platform.registry("GET", "/tenant/schemas", headers={"Accept": XED_ID},
                                                params={"property": f"title=={body['title']}"}), 200)
    made = listed["results"][0]["$id"]
    assert made in retry["report"]["detailed-message"]
    # the dataset: by its private tag
    token = unique("key").replace(" ", "-")
    lost(service, "/catalog/dataSets", lambda: platform.catalog("POST", "/dataSets", json={
        "name": "lost", "schemaRef": {"id": made}, "tags": {"iac/key": [token]}}))
    assert len(platform.created(platform.catalog("GET", "/dataSets", params={"tags": f"iac/key:{token}"}), 200)) == 1
    # the mapping set: by its name
    name = unique("mapping")
    lost(service, "/conversion/mappingSets", lambda: platform.prep("POST", "/mappingSets", json=mapping_body(
        made, ("ATTRIBUTE", "a", "_acme.customerId"), name=name)))
    found = platform.created(platform.prep("GET", "/mappingSets", params={"name": name, "limit": "10", "start": "0"}),
                             200)
    assert [s["name"] for s in found["data"]] == [name]
    # the other kinds of fault too, on an item template
    service.set_faults(script=["503"], templates=["/catalog/dataSets/{id}"])
    try:
        failed = platform.catalog("GET", f"/dataSets/{ORDERS_DATASET['prod']}")
        assert failed.status_code == 503 and failed.headers["Retry-After"] == "1"
        assert_service_error(failed, "CAT", "1103", 503)
    finally:
        service.clear_faults()


def test_the_request_log_names_each_service_route(service: LocalAep, platform: Platform) -> None:
    before = service.counters()
    platform.registry("GET", "/stats/")
    platform.registry("POST", "/tenant/fieldgroups", json=field_group_body())
    platform.catalog("GET", f"/dataSets/{ORDERS_DATASET['prod']}")
    platform.prep("GET", "/mappingSets", params={"limit": "1"})
    after = service.counters()
    for key in ("GET /schemaregistry/stats", "POST /schemaregistry/tenant/fieldgroups", "GET /catalog/dataSets/{id}",
                "GET /conversion/mappingSets"):
        assert after.get(key, 0) == before.get(key, 0) + 1, key
    entry = next(e for e in reversed(service.requests()) if e["template"] == "/catalog/dataSets/{id}")
    assert entry["status"] == 200 and entry["client_id"] == platform.api.headers["x-api-key"]


def test_unknown_paths_and_methods(platform: Platform, api: Api) -> None:
    # a path that is no API: the gateway's 404, before any service (never a service's "not found")
    for resp in (platform.registry("GET", "/tenant/nothing"), platform.catalog("GET", "/dataSets/a/b"),
                 api.session.get(api.svc.url + "/data/foundation/nothing", headers=api.headers)):
        assert_gateway_error(resp, 404, "404000")
    # a known path with another method: 405 in the service's own shape
    assert_service_error(platform.registry("POST", "/stats", json={}), "XDM", "1000", 405)
    assert_service_error(platform.catalog("PATCH", "/dataSets", json={}), "CAT", "1000", 405)
    assert_service_error(platform.prep("PATCH", f"/mappingSets/{'0' * 32}", json={}), "MAPPER", "1000", 405)
    assert platform.registry("GET", f"/tenant/schemas/{quote_plus('x')}", headers={"Accept": XED}).status_code == 404
