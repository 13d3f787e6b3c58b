"""Durability: kill -9 and restart keep connections, tokens and etag uniqueness."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import requests

from aep_local.core.store import DB_NAME
from aep_local.testing import LocalAep
from tests.aep_local.local_helpers import Api, Ingestion, flow_body, s3_body


def test_kill_9_and_restart_keeps_everything() -> None:
    with LocalAep() as svc:
        headers = svc.auth_headers()
        flow = svc.flow_url
        created = requests.post(flow + "/connections", json=s3_body("durable"), headers=headers,
                                timeout=10).json()
        patched = requests.patch(flow + f"/connections/{created['id']}", timeout=10,
                                 json=[{"op": "replace", "path": "/name", "value": "durable 2"}],
                                 headers={**headers, "If-Match": created["etag"]}).json()
        port = svc.port
        svc.restart(hard=True)  # SIGKILL: only what was committed survives
        assert svc.port == port
        # the same token still works: tokens are stored too
        rec = requests.get(flow + f"/connections/{created['id']}", headers=headers, timeout=10)
        assert rec.status_code == 200, rec.text
        item = rec.json()["items"][0]
        assert item["name"] == "durable 2"
        assert item["etag"] == patched["etag"]
        # the old etag is still stale, the current one still works, and etags do not repeat
        stale = requests.patch(flow + f"/connections/{created['id']}", timeout=10,
                               json=[{"op": "replace", "path": "/name", "value": "x"}],
                               headers={**headers, "If-Match": created["etag"]})
        assert stale.status_code == 412
        after = requests.patch(flow + f"/connections/{created['id']}", timeout=10,
                               json=[{"op": "replace", "path": "/name", "value": "durable 3"}],
                               headers={**headers, "If-Match": patched["etag"]})
        assert after.status_code == 200
        assert after.json()["etag"] not in {created["etag"], patched["etag"]}
        svc.restart(hard=False)
        assert requests.get(flow + f"/connections/{created['id']}", headers=headers,
                            timeout=10).json()["items"][0]["name"] == "durable 3"


def test_database_from_before_the_index_columns_is_migrated(tmp_path: Path) -> None:
    """A data directory written by the first version (documents only) still lists and filters."""
    data = tmp_path / "data"
    with LocalAep(data_dir=data) as svc:
        headers = svc.auth_headers()
        for name in ("old-b", "old-a"):
            assert requests.post(svc.flow_url + "/connections", json=s3_body(name), headers=headers,
                                 timeout=10).status_code == 201
    db = sqlite3.connect(data / DB_NAME)
    with db:  # back to the old layout: the same rows without the index columns
        db.executescript("""
            CREATE TABLE old AS SELECT id, org, sandbox, doc FROM connections;
            DROP TABLE connections;
            ALTER TABLE old RENAME TO connections;
        """)
    db.close()
    with LocalAep(data_dir=data) as svc:
        resp = requests.get(svc.flow_url + "/connections", params={"orderby": "name", "property": "name>=old"},
                            headers=headers, timeout=10)
        assert [i["name"] for i in resp.json()["items"]] == ["old-a", "old-b"]


def test_ingestion_objects_survive_kill_9_and_a_database_from_before_them_is_migrated(tmp_path: Path) -> None:
    """A data directory of the connections-only layout (no objects table, user_version 0) opens,
    keeps its connections, and then stores and keeps every new kind across kill -9."""
    data = tmp_path / "data"
    with LocalAep(data_dir=data) as svc:
        headers = svc.auth_headers()
        base = requests.post(svc.flow_url + "/connections", json=s3_body("kept"), headers=headers,
                             timeout=10).json()["id"]
    db = sqlite3.connect(data / DB_NAME)
    with db:
        db.executescript("DROP TABLE objects; DROP TABLE links; PRAGMA user_version = 0;")
    db.close()
    with LocalAep(data_dir=data, args=["--no-scheduler"]) as svc, requests.Session() as session:
        api = Api(svc, svc.auth_headers(), session)
        ing = Ingestion(api)
        assert ing.item(f"/connections/{base}")["name"] == "kept"
        source, target = ing.source(base), ing.target()
        flow = ing.post("/flows", flow_body(source, target, startTime=int(time.time()) - 1, frequency="day",
                                           interval=1))
        [run] = requests.post(svc.url + "/__local/scheduler/tick", timeout=60).json()["runs"]
        svc.restart(hard=True)
        api.headers = svc.auth_headers()
        assert ing.item(f"/sourceConnections/{source}")["baseConnectionId"] == base
        assert ing.item(f"/targetConnections/{target}")["id"] == target
        kept = ing.item(f"/flows/{flow['id']}")
        assert kept["etag"] == flow["etag"] and kept["lastRunDetails"]["id"] == run
        assert ing.item(f"/runs/{run}")["flowId"] == flow["id"]
        assert api.call("DELETE", f"/connections/{base}").status_code == 400   # still used: 1418
        assert requests.post(svc.url + "/__local/scheduler/tick", timeout=60).json()["runs"] == []
