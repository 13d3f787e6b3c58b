"""The demo's set-up: `--local-s3` (moto in the emulator's process, seeded with the sample data),
`--catalog`, `/__local/catalog`, and the request log of the new routes."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import requests

from aep_local.testing import LocalAep
from tests.aep_local.local_helpers import (
    CRM_DATASET,
    CRM_SCHEMA,
    ORDERS_DATASET,
    ORDERS_SCHEMA,
    Api,
    Ingestion,
    assert_flow_error,
)


def test_local_s3_serves_the_sample_data_to_explore_and_runs() -> None:
    with LocalAep(args=["--local-s3", "--no-scheduler", "--sandboxes", "dev,stage"]) as svc, \
            requests.Session() as session:
        api = Api(svc, svc.auth_headers(sandbox="stage"), session)
        ing = Ingestion(api)
        base = ing.base()
        roots = api.call("GET", f"/connections/{base}/explore", params={"objectType": "root"}).json()
        assert [r["name"] for r in roots] == ["acme-crm-snapshots", "acme-orders", "acme-orders-dev",
                                              "acme-orders-stage"]
        assert api.call("GET", f"/connections/{base}/test").json() == {"result": True}
        start = {"startTime": int(time.time()) - 1, "frequency": "once"}
        orders = ing.flow(ing.source(base, "/acme-orders-stage/exports/orders"),
                          ing.target(ORDERS_DATASET["stage"], ORDERS_SCHEMA), **start)
        profiles = ing.flow(ing.source(base, "/acme-crm-snapshots/profiles", data_format="json"),
                            ing.target(CRM_DATASET["stage"], CRM_SCHEMA), mapping=None, **start)
        assert len(svc.tick()) == 2
        assert svc.advance(86400) == []     # once flows run once
        for flow, expected in ((orders, (3, 72, 2, "partialSuccess")), (profiles, (1, 12, 0, "success"))):
            [run] = api.call("GET", "/runs", params={"property": f"flowId=={flow}"}).json()["items"]
            m = run["metrics"]
            assert (m["fileSummary"]["inputFileCount"], m["recordSummary"]["inputRecordCount"],
                    m["recordSummary"]["failedRecordCount"], m["statusSummary"]["status"]) == expected
        counters = svc.counters()
        for key in ("POST /flows", "GET /runs", "GET /connections/{id}/explore", "POST /sourceConnections",
                    "POST /targetConnections"):
            assert counters[key] >= 1, key


def test_new_routes_are_logged_and_take_faults(api: Api, service: LocalAep) -> None:
    flow = Ingestion(api).flow()
    service.set_faults(script=["503"], templates=["/flows/{id}/action"])
    try:
        resp = api.call("POST", f"/flows/{flow}/action", params={"op": "disable"})
        assert_flow_error(resp, "1103", 503)
        assert api.call("POST", f"/flows/{flow}/action", params={"op": "disable"}).status_code == 200
    finally:
        service.clear_faults()
    logged = [e for e in service.requests() if e["path"].endswith(f"/flows/{flow}/action")]
    assert [(e["template"], e["status"], e["fault"]) for e in logged] == [
        ("/flows/{id}/action", 503, "503"), ("/flows/{id}/action", 200, None)]
    assert api.call("PUT", f"/flows/{flow}", json={}).status_code == 405


def test_catalog_file_and_local_catalog_tool(tmp_path: Path) -> None:
    schema = "https://ns.adobe.com/other/schemas/0123"
    catalog = {"sandboxes": {"prod": {
        "schemas": [{"$id": schema, "title": "Other", "version": "1"}],
        "datasets": [{"id": "aaaaaaaaaaaaaaaaaaaaaaaa", "schemaRef": {"id": schema}}]}}}
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps(catalog))
    with LocalAep(args=["--catalog", str(path), "--no-scheduler"]) as svc, requests.Session() as session:
        api = Api(svc, svc.auth_headers(), session)
        ing = Ingestion(api)
        assert ing.target("aaaaaaaaaaaaaaaaaaaaaaaa", schema)
        # the default seed is not loaded beside the file
        resp = api.call("POST", "/targetConnections", json={
            "data": {"schema": {"id": ORDERS_SCHEMA, "version": "application/vnd.adobe.xed-full+json;version=1"}},
            "params": {"dataSetId": ORDERS_DATASET["prod"]},
            "connectionSpec": {"id": "c604ff05-7f1a-43c0-8e18-33bf874cb11c"}})
        assert_flow_error(resp, "1312", 400)
        bad = requests.post(svc.url + "/__local/catalog", timeout=10,
                            json={"sandboxes": {"prod": {"datasets": [{"id": "b" * 24, "schemaRef": {"id": "x"}}]}}})
        assert bad.status_code == 400 and "schema" in bad.json()["error"]
        added = {"sandboxes": {"prod": {"datasets": [{"id": "b" * 24, "schemaRef": {"id": schema}}]}}}
        assert len(svc.add_to_catalog(added)["sandboxes"]["prod"]["datasets"]) == 2
        assert svc.catalog()["sandboxes"]["prod"]["datasets"][1]["id"] == "b" * 24
        assert ing.target("b" * 24, schema)
    path.write_text('{"sandboxes": {"prod": {"datasets": [{"id": "short"}]}}}')
    proc = subprocess.run([sys.executable, "-m", "aep_local", "--port", "0", "--data", str(tmp_path / "d"),
                           "--catalog", str(path)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "--catalog" in proc.stderr and "24" in proc.stderr
