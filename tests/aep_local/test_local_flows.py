"""Dataflows: create and read (Adobe's shapes), schedule and mapping rules, patch, actions, the
deletion rules of the connections a flow uses, lists, and the flow spec."""

from __future__ import annotations

import time
from typing import Any

import pytest

from aep_spec.ingestion import (
    CLOUD_STORAGE_FLOW_SPEC_ID,
    DATA_LAKE_CONNECTION_SPEC_ID,
    SCHEDULE_SCHEMA,
)
from aep_spec.s3 import CONNECTION_SPEC_ID as S3_CONNECTION_SPEC_ID
from tests.aep_local.local_helpers import (
    CRM_DATASET,
    CRM_SCHEMA,
    ORDERS_MAPPING,
    Api,
    Ingestion,
    assert_flow_error,
    flow_body,
)

FUTURE = int(time.time()) + 7 * 86400


@pytest.fixture
def ing(api: Api) -> Ingestion:
    return Ingestion(api)


def test_flow_reads_back_as_adobe_returns_it(api: Api, ing: Ingestion) -> None:
    base = ing.base()
    source, target = ing.source(base), ing.target()
    body = flow_body(source, target, startTime=FUTURE, frequency="minute", interval=15, backfill=True)
    resp = api.call("POST", "/flows", json=body)
    assert resp.status_code == 201, resp.text
    created = resp.json()
    assert resp.headers["Location"].endswith(f"/flows/{created['id']}")
    flow = ing.item(f"/flows/{created['id']}")
    assert flow["scheduleParams"] == {"startTime": str(FUTURE), "frequency": "minute", "interval": "15",
                                      "backfill": "true"}
    assert flow["state"] == "enabled" and flow["etag"] == flow["version"] == created["etag"]
    assert flow["flowSpec"] == {"id": CLOUD_STORAGE_FLOW_SPEC_ID, "version": "1.0"}
    assert flow["sourceConnectionIds"] == [source] and flow["targetConnectionIds"] == [target]
    assert flow["transformations"] == body["transformations"]
    assert flow["inheritedAttributes"] == {
        "sourceConnections": [{"id": source, "connectionSpec": {"id": S3_CONNECTION_SPEC_ID, "version": "1.0"},
                               "baseConnection": {"id": base, "connectionSpec": {"id": S3_CONNECTION_SPEC_ID,
                                                                                 "version": "1.0"}}}],
        "targetConnections": [{"id": target, "connectionSpec": {"id": DATA_LAKE_CONNECTION_SPEC_ID,
                                                                "version": "1.0"}}]}
    assert flow["runs"] == f"/runs?property=flowId=={created['id']}"
    assert flow["lastOperation"]["operation"] == "create"
    assert "lastRunDetails" not in flow  # no run yet
    assert not any(k.startswith("_") for k in flow)


def test_string_schedule_values_are_accepted(api: Api, ing: Ingestion) -> None:
    body = flow_body(ing.source(), ing.target(), startTime=str(FUTURE), frequency="hour", interval="1",
                     backfill="false")
    assert api.call("POST", "/flows", json=body).status_code == 201


@pytest.mark.parametrize(("schedule", "code", "where"), [
    ({"frequency": "minute", "interval": 15}, "1304", "scheduleParams.startTime"),
    ({"startTime": FUTURE, "interval": 15}, "1304", "scheduleParams.frequency"),
    ({"startTime": FUTURE, "frequency": "minute"}, "1312", "scheduleParams.interval"),
    ({"startTime": FUTURE, "frequency": "minute", "interval": 5}, "1312", "scheduleParams.interval"),
    ({"startTime": FUTURE, "frequency": "hour", "interval": 0}, "1312", "scheduleParams.interval"),
    ({"startTime": FUTURE, "frequency": "yearly", "interval": 1}, "1312", "scheduleParams.frequency"),
    ({"startTime": FUTURE, "frequency": "once", "interval": 1}, "1312", "scheduleParams.interval"),
    ({"startTime": FUTURE, "frequency": "once", "backfill": True}, "1312", "scheduleParams.backfill"),
    ({"startTime": FUTURE * 1000, "frequency": "day", "interval": 1}, "1312", "scheduleParams.startTime"),
    ({"startTime": "soon", "frequency": "day", "interval": 1}, "1312", "scheduleParams.startTime"),
    ({"startTime": FUTURE, "frequency": "day", "interval": 1, "backfill": "yes"}, "1312", "scheduleParams.backfill"),
])
def test_schedule_rules(api: Api, ing: Ingestion, schedule: dict[str, Any], code: str, where: str) -> None:
    body = flow_body(ing.source(), ing.target(), **schedule)
    assert where in assert_flow_error(api.call("POST", "/flows", json=body), code, 400)["errorMessage"]


def test_flow_references_and_mapping_rules(api: Api, ing: Ingestion, service: Any) -> None:
    source, target = ing.source(), ing.target()
    crm_target = ing.target(CRM_DATASET["prod"], CRM_SCHEMA)
    json_source = ing.source(None, "/acme-crm-snapshots/profiles", data_format="json")
    cases: list[tuple[dict[str, Any], str, str]] = [
        ({**flow_body(source, target), "flowSpec": {"id": "nope"}}, "1413", "nope"),
        ({**flow_body(source, target), "sourceConnectionIds": []}, "1312", "sourceConnectionIds"),
        ({**flow_body(source, target), "sourceConnectionIds": [source, source]}, "1312", "sourceConnectionIds"),
        ({**flow_body(source, target), "sourceConnectionIds": ["missing"]}, "1312", "sourceConnectionIds"),
        ({**flow_body(source, target), "targetConnectionIds": [source]}, "1312", "targetConnectionIds"),
        ({**flow_body(source, target), "scheduleParams": None}, "1304", "scheduleParams"),
        (flow_body(source, target, mapping=None), "1419", "delimited"),
        (flow_body(source, target, mapping="ffffffffffffffffffffffffffffffff"), "1419", "no mapping set"),
        (flow_body(source, target, mapping="not-a-mapping"), "1419", "mappingId"),
        (flow_body(source, target, mapping_version=7), "1412", "7"),
        (flow_body(source, target, mapping_version="x"), "1419", "mappingVersion"),
        (flow_body(source, crm_target), "1425", CRM_SCHEMA),
        ({**flow_body(source, target), "transformations": [{"name": "Encrypt", "params": {}}]}, "1312", "Mapping"),
    ]
    for body, code, where in cases:
        assert where in assert_flow_error(api.call("POST", "/flows", json=body), code, 400)["errorMessage"], body
    # A JSON source may go without a mapping; mapping version 1 exists too (a string is fine).
    assert api.call("POST", "/flows", json=flow_body(json_source, crm_target, mapping=None)).status_code == 201
    assert api.call("POST", "/flows", json=flow_body(source, target, mapping_version="1")).status_code == 201
    # Connections of another sandbox do not exist for this caller.
    dev = service.auth_headers(sandbox="dev")
    resp = api.session.post(api.url("/flows"), json=flow_body(source, target), headers=dev, timeout=10)
    assert_flow_error(resp, "1312", 400)


def test_flow_patch(api: Api, ing: Ingestion) -> None:
    created = ing.post("/flows", flow_body(ing.source(), ing.target(), startTime=FUTURE, frequency="minute",
                                            interval=15))
    path, etag = f"/flows/{created['id']}", created["etag"]

    def patch(ops: list[dict[str, Any]], **kw: Any) -> Any:
        return api.call("PATCH", path, json=ops, headers={"If-Match": etag}, **kw)

    resp = patch([{"op": "replace", "path": "/name", "value": "renamed"},
                  {"op": "replace", "path": "/scheduleParams/frequency", "value": "hour"},
                  {"op": "replace", "path": "/scheduleParams/interval", "value": 2},
                  {"op": "add", "path": "/scheduleParams/backfill", "value": False},
                  {"op": "replace", "path": "/scheduleParams/startTime", "value": FUTURE + 60},
                  {"op": "replace", "path": "/transformations/0/params/mappingVersion", "value": 1},
                  {"op": "add", "path": "/labels", "value": ["C1"]}])
    assert resp.status_code == 200, resp.text
    etag = resp.json()["etag"]
    flow = ing.item(path)
    assert flow["name"] == "renamed" and flow["labels"] == ["C1"]
    assert flow["scheduleParams"] == {"startTime": str(FUTURE + 60), "frequency": "hour", "interval": "2",
                                      "backfill": "false"}
    assert flow["transformations"][0]["params"]["mappingVersion"] == 1
    assert flow["lastOperation"]["operation"] == "update"
    refused = [("/sourceConnectionIds/0", "1455"), ("/targetConnectionIds", "1455"), ("/flowSpec/id", "1455"),
               ("/state", "1455"), ("/inheritedAttributes", "1455")]
    for where, code in refused:
        assert_flow_error(patch([{"op": "replace", "path": where, "value": "x"}]), code, 400)
    invalid: list[list[dict[str, Any]]] = [[{"op": "replace", "path": "/scheduleParams/interval", "value": 0}],
               [{"op": "replace", "path": "/scheduleParams/frequency", "value": "once"}],   # interval stays
               [{"op": "remove", "path": "/scheduleParams/frequency"}],
               [{"op": "replace", "path": "/transformations/0/params/mappingVersion", "value": 9}],
               [{"op": "remove", "path": "/transformations"}],                                # delimited needs one
               [{"op": "replace", "path": "/labels", "value": "C1"}]]
    for ops in invalid:
        assert patch(ops).status_code == 400, ops
    assert ing.item(path)["etag"] == etag
    assert_flow_error(api.call("PATCH", path, json=[{"op": "replace", "path": "/name", "value": "x"}]), "1403", 400)
    resp = patch([{"op": "remove", "path": "/scheduleParams/interval"},
                  {"op": "remove", "path": "/scheduleParams/backfill"},
                  {"op": "replace", "path": "/scheduleParams/frequency", "value": "once"}])
    assert resp.status_code == 200, resp.text
    assert ing.item(path)["scheduleParams"] == {"startTime": str(FUTURE + 60), "frequency": "once"}


def test_start_time_cannot_change_once_passed(api: Api, ing: Ingestion) -> None:
    started = ing.post("/flows", flow_body(ing.source(), ing.target(), startTime=int(time.time()) - 60,
                                            frequency="day", interval=1))
    resp = api.call("PATCH", f"/flows/{started['id']}", headers={"If-Match": started["etag"]},
                    json=[{"op": "replace", "path": "/scheduleParams/startTime", "value": FUTURE}])
    assert "start time" in assert_flow_error(resp, "1455", 400)["errorMessage"]


def test_enable_and_disable(api: Api, ing: Ingestion) -> None:
    created = ing.post("/flows", flow_body(ing.source(), ing.target()))
    path = f"/flows/{created['id']}"
    resp = api.call("POST", f"{path}/action", params={"op": "DISABLE"})
    assert resp.status_code == 200, resp.text
    disabled = resp.json()
    assert set(disabled) == {"id", "etag"} and disabled["etag"] != created["etag"]
    flow = ing.item(path)
    assert flow["state"] == "disabled" and flow["lastOperation"]["operation"] == "disable"
    assert_flow_error(api.call("POST", f"{path}/action", params={"op": "enable"},
                               headers={"If-Match": created["etag"]}), "1404", 412)
    resp = api.call("POST", f"{path}/action", params={"op": "enable", "subOp": "APPLY"},
                    headers={"If-Match": disabled["etag"]})
    assert resp.status_code == 200, resp.text
    assert ing.item(path)["state"] == "enabled"
    assert_flow_error(api.call("POST", f"{path}/action"), "1359", 400)
    assert_flow_error(api.call("POST", f"{path}/action", params={"op": "publish"}), "1453", 400)
    assert_flow_error(api.call("POST", f"{path}/action", params={"op": "enable", "subOp": "x"}), "1453", 400)
    assert_flow_error(api.call("POST", "/flows/unknown/action", params={"op": "enable"}), "1101", 404)
    listed = api.call("GET", "/flows", params={"property": [f"id=={created['id']}", "state==enabled"]}).json()
    assert [f["id"] for f in listed["items"]] == [created["id"]]


def test_connections_used_by_a_flow_cannot_be_deleted(api: Api, ing: Ingestion) -> None:
    base = ing.base()
    source, target = ing.source(base), ing.target()
    unused_source = ing.source(base)
    flow = ing.flow(source, target)
    body = assert_flow_error(api.call("DELETE", f"/connections/{base}"), "1418", 400)
    assert flow in body["errorMessage"]
    body = assert_flow_error(api.call("DELETE", f"/sourceConnections/{source}"), "1447", 400)
    assert body["errorMessage"].startswith(f"Found active flows containing id {source}")
    assert_flow_error(api.call("DELETE", f"/targetConnections/{target}"), "1447", 400)
    assert api.call("DELETE", f"/sourceConnections/{unused_source}").status_code == 204
    # Deleting the flow does not cascade, and frees the connections.
    assert api.call("DELETE", f"/flows/{flow}").status_code == 204
    assert_flow_error(api.call("GET", f"/flows/{flow}"), "1101", 404)
    for path in (f"/sourceConnections/{source}", f"/targetConnections/{target}", f"/connections/{base}"):
        assert api.call("GET", path).status_code == 200
    for path in (f"/sourceConnections/{source}", f"/targetConnections/{target}", f"/connections/{base}"):
        assert api.call("DELETE", path).status_code == 204, path


def test_flow_lists_filter_on_connections_and_page(api: Api, ing: Ingestion) -> None:
    source = ing.source()
    ids = [ing.flow(source, ing.target()) for _ in range(3)]
    query = {"property": f"sourceConnectionIds=={source}"}
    listed = api.call("GET", "/flows", params={**query, "orderby": "createdAt"}).json()
    assert [f["id"] for f in listed["items"]] == ids
    assert api.call("GET", "/flows", params={**query, "count": "true"}).json() == {"count": 3}
    first = api.call("GET", "/flows", params={**query, "limit": 2}).json()
    assert len(first["items"]) == 2
    rest = api.session.get(api.svc.flow_url + first["_links"]["next"]["href"], headers=api.headers, timeout=10)
    assert [f["id"] for f in first["items"] + rest.json()["items"]] == ids
    target = api.call("GET", "/flows", params={"property": f"targetConnectionIds=={ing.target()}"}).json()
    assert target["items"] == []
    # Any member's path filters (Adobe's sort-and-filter guide), arrays written with [] or without.
    deep = api.call("GET", "/flows", params={"property": ["scheduleParams.frequency==minute",
                                                          f"sourceConnectionIds[]=={source}"]}).json()
    assert sorted(f["id"] for f in deep["items"]) == sorted(ids)


@pytest.mark.parametrize("prop", ['name=="CloudStorageToAEP"', "name==CloudStorageToAEP",
                                  f"id=={CLOUD_STORAGE_FLOW_SPEC_ID}"])
def test_flow_spec(api: Api, prop: str) -> None:
    resp = api.call("GET", "/flowSpecs", params={"property": prop})
    assert resp.status_code == 200, resp.text
    [spec] = resp.json()["items"]
    assert spec["id"] == CLOUD_STORAGE_FLOW_SPEC_ID and spec["name"] == "CloudStorageToAEP"
    assert spec["version"] == "1.0" and spec["providerId"]
    assert S3_CONNECTION_SPEC_ID in spec["sourceConnectionSpecIds"]
    assert spec["targetConnectionSpecIds"] == [DATA_LAKE_CONNECTION_SPEC_ID]
    assert [t["name"] for t in spec["transformationSpecs"]] == ["Mapping"]
    schedule = spec["scheduleSpec"]["spec"]
    assert {k: v for k, v in schedule.items() if k != "$schema"} == SCHEDULE_SCHEMA
    assert spec["runSpec"]["spec"]["required"] == ["startTime", "windowStartTime", "windowEndTime"]
    assert spec["attributes"]
    assert api.call("GET", f"/flowSpecs/{CLOUD_STORAGE_FLOW_SPEC_ID}").json()["items"] == [spec]
    assert api.call("GET", "/flowSpecs", params={"property": 'name=="Other"'}).json() == {"items": [], "_links": {}}
    assert_flow_error(api.call("GET", "/flowSpecs/unknown"), "1101", 404)


def test_mapping_must_exist_in_the_callers_sandbox(api: Api, ing: Ingestion, service: Any) -> None:
    """The catalog is per sandbox: a mapping added to dev only is unknown in prod."""
    mapping = "1" * 32
    entry = {"id": mapping, "version": 0, "outputSchema": {"schemaRef": {"id": CRM_SCHEMA}}, "mappings": []}
    resp = api.session.post(service.url + "/__local/catalog", json={"sandboxes": {"dev": {"mappingSets": [entry]}}},
                            timeout=10)
    assert resp.status_code == 200, resp.text
    assert any(m["id"] == mapping for m in resp.json()["sandboxes"]["dev"]["mappingSets"])
    body = flow_body(ing.source(), ing.target(), mapping=mapping)
    assert_flow_error(api.call("POST", "/flows", json=body), "1419", 400)
    assert ORDERS_MAPPING != mapping
