"""The ingestion path for real: a base connection, its source connection, a target connection and a
dataflow, created, read back, changed, drift-corrected, imported and destroyed through cdktf-cli,
terraform and our provider against the local AEP (with its local S3 API and sample files),
checked from both sides after each step: what the server received and holds, and what state records.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from aep_iac.project import CdktfProject
from aep_local.testing import LocalAep
from tests.conftest import FlowApi, provider_env

pytestmark = [pytest.mark.e2e, pytest.mark.framework]

APP = Path(__file__).parent / "apps" / "ingestion.py"
STACK = "s3-ingestion"
BASE = "/data/foundation/flowservice"
KINDS = {"aep_s3_base_connection": "/connections", "aep_source_connection": "/sourceConnections",
         "aep_target_connection": "/targetConnections", "aep_dataflow": "/flows"}
KEYS = {"TF_VAR_s3_access_key": "AKIAINGESTCANARY01", "TF_VAR_s3_secret_key": "ingest-secret-CANARY-01",
        "TF_VAR_s3_session_token": "ingest-token-CANARY-01"}


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LocalAep]:
    (tmp_path / "data").mkdir()
    with LocalAep(data_dir=tmp_path / "data", args=["--local-s3", "--no-scheduler"]) as running:
        yield running


@pytest.fixture
def api(server: LocalAep) -> FlowApi:
    return FlowApi(server)


@pytest.fixture
def project(tmp_path: Path, server: LocalAep, cli_config: Path) -> CdktfProject:
    env = provider_env(server, tmp_path / "token-cache") | KEYS
    made = CdktfProject(tmp_path / "app", cli_config, env, app_file=APP, stacks=(STACK,))
    made.lock()
    return made


def calls(server: LocalAep) -> Counter[str]:
    """``METHOD /collection`` of every Flow Service call since the last reset (IMS counted apart)."""
    counted: Counter[str] = Counter()
    for entry in server.requests():
        template = entry["template"]
        if template.startswith("/ims"):
            counted["IMS"] += 1
        elif not template.startswith("/__local"):
            counted[f"{entry['method']} {template}"] += 1
    return counted


def in_state(project: CdktfProject) -> dict[str, dict[str, Any]]:
    """Each managed object of the stack, by resource type."""
    found = {}
    for kind in KINDS:
        objects = project.connections_in_state(resource_type=kind)
        assert len(objects) <= 1, objects
        if objects:
            found[kind] = objects[0]
    return found


def on_server(api: FlowApi, kind: str, object_id: str) -> requests.Response:
    return requests.get(f"{api.server.flow_url}{KINDS[kind]}/{object_id}", headers=api.headers(), timeout=10)


def everything(api: FlowApi) -> dict[str, list[dict[str, Any]]]:
    out = {}
    for kind, path in KINDS.items():
        response = requests.get(f"{api.server.flow_url}{path}", headers=api.headers(), timeout=10)
        response.raise_for_status()
        out[kind] = response.json()["items"]
    return out


def outputs(project: CdktfProject) -> dict[str, Any]:
    run = project.terraform("output", "-json", "-no-color")
    return {name: value["value"] for name, value in json.loads(run.stdout).items()}


def plan(project: CdktfProject, extra: dict[str, str] | None = None) -> tuple[int, str]:
    run = project.terraform("plan", "-detailed-exitcode", "-no-color", "-input=false", extra_env=extra, check=False)
    assert run.returncode in (0, 2), run.output
    return run.returncode, run.output


def test_create_read_update_drift_import_destroy(project: CdktfProject, server: LocalAep,
                                                 api: FlowApi) -> None:
    flow_api = api
    # 1. create: one POST per object, one listing per kind at plan and at apply (the check for
    # objects an interrupted deploy left), the reports read once their inputs exist.
    server.reset_requests()
    project.deploy()
    made = calls(server)
    assert {k: v for k, v in made.items() if k.startswith("POST")} == {
        "POST /connections": 1, "POST /sourceConnections": 1, "POST /targetConnections": 1, "POST /flows": 1}
    for path in KINDS.values():
        assert made[f"GET {path}"] == 2, made
    assert made["IMS"] == 1 and made["GET /connections/{id}/explore"] == 1 and made["GET /runs"] == 1
    assert not [k for k in made if k.startswith(("PATCH", "DELETE"))]
    state = in_state(project)
    assert set(state) == set(KINDS)
    for kind, attributes in state.items():
        record = on_server(flow_api, kind, attributes["id"]).json()["items"][0]
        assert record["etag"] == attributes["etag"], kind
    flow = state["aep_dataflow"]
    assert flow["source_connection_id"] == state["aep_source_connection"]["id"]
    assert flow["target_connection_id"] == state["aep_target_connection"]["id"]
    assert state["aep_source_connection"]["base_connection_id"] == state["aep_s3_base_connection"]["id"]
    assert flow["enabled"] is True and isinstance(flow["start_time"], int)
    files = outputs(project)["explored_files"]["orders"]
    assert files == [f"/acme-orders/exports/orders/orders-2024-0{i}.csv" for i in (1, 2, 3)]

    # 2. the flow runs on its schedule and reads the real files: the runs data source shows it.
    assert len(server.tick()) == 1
    project.terraform("apply", "-refresh-only", "-auto-approve", "-no-color", "-input=false")
    (run,) = outputs(project)["dataflow_runs"]["orders"]
    assert (run["status"], run["files_read"], run["records_read"], run["records_written"], run["records_failed"]) == (
        "partialSuccess", 3, 72, 70, 2)
    assert run["errors"] and "orders-2024-02.csv" in run["errors"][0]

    # 3. no change: refresh only (GETs), nothing written.
    server.reset_requests()
    assert project.cdktf("diff", STACK).returncode == 0
    assert not [k for k in calls(server) if not k.startswith(("GET", "IMS"))]

    # 4. schedule and mapping change in place: one PATCH with If-Match = the etag in state.
    server.reset_requests()
    project.deploy({"FLOW_INTERVAL": "30", "FLOW_MAPPING_VERSION": "1"})
    assert {k: v for k, v in calls(server).items() if not k.startswith("GET")} == {"PATCH /flows/{id}": 1}
    (patch,) = [r for r in server.requests() if r["method"] == "PATCH"]
    assert patch["if_match"].strip('"') == flow["etag"].strip('"')
    new_flow = in_state(project)["aep_dataflow"]
    record = on_server(flow_api, "aep_dataflow", new_flow["id"]).json()["items"][0]
    assert record["scheduleParams"]["interval"] in (30, "30") and record["etag"] == new_flow["etag"]
    assert record["transformations"][0]["params"]["mappingVersion"] in (1, "1")

    # 5. disable: one action call; enabled again by drift correction after AEP disables it.
    settings = {"FLOW_INTERVAL": "30", "FLOW_MAPPING_VERSION": "1"}
    server.reset_requests()
    project.deploy(settings | {"FLOW_ENABLED": "false"})
    assert {k: v for k, v in calls(server).items() if not k.startswith("GET")} == {"POST /flows/{id}/action": 1}
    assert on_server(flow_api, "aep_dataflow", new_flow["id"]).json()["items"][0]["state"] == "disabled"
    project.deploy(settings)  # enabled again
    response = requests.post(f"{server.flow_url}/flows/{new_flow['id']}/action", params={"op": "disable"},
                             headers=flow_api.headers(), timeout=10)
    assert response.status_code == 200
    code, text = plan(project, settings)
    assert code == 2 and "enabled" in text and "must be replaced" not in text
    project.deploy(settings)
    assert on_server(flow_api, "aep_dataflow", new_flow["id"]).json()["items"][0]["state"] == "enabled"

    # 6. a source path change replaces the source connection and the flow (Flow Service would not
    # apply it to the running flow), deleting the flow before its connection: no 1447, no 1418.
    server.reset_requests()
    project.deploy(settings | {"FLOW_PATH": "*.csv"})
    writes = [f"{r['method']} {r['template']}" for r in server.requests() if r["method"] in ("POST", "DELETE", "PATCH")]
    assert writes == ["DELETE /flows/{id}", "DELETE /sourceConnections/{id}", "POST /sourceConnections",
                      "POST /flows"], writes
    assert all(r["status"] < 400 for r in server.requests() if r["method"] in ("POST", "DELETE"))
    state = in_state(project)
    assert state["aep_source_connection"]["path"] == "/acme-orders/exports/orders/*.csv"
    assert {k: len(v) for k, v in everything(flow_api).items()} == dict.fromkeys(KINDS, 1)

    # 7. the flow deleted in AEP behind Terraform's back: the plan re-creates it.
    settings |= {"FLOW_PATH": "*.csv"}
    flow_id = state["aep_dataflow"]["id"]
    assert requests.delete(f"{server.flow_url}/flows/{flow_id}", headers=flow_api.headers(),
                           timeout=10).status_code == 204
    code, text = plan(project, settings)
    assert code == 2 and "aep_dataflow.orders will be created" in text
    project.deploy(settings)
    assert len(everything(flow_api)["aep_dataflow"]) == 1

    # 8. import: forget the target connection and the flow, import them back by id, nothing to change.
    state = in_state(project)
    for kind in ("aep_dataflow", "aep_target_connection"):
        project.terraform("state", "rm", f"{kind}.orders", "-no-color")
    for kind in ("aep_target_connection", "aep_dataflow"):
        project.terraform("import", "-no-color", "-input=false", f"{kind}.orders", state[kind]["id"],
                          extra_env=settings)
    server.reset_requests()
    code, text = plan(project, settings)
    assert "0 to add, 0 to change, 0 to destroy" in text or "No changes" in text, text
    assert in_state(project)["aep_dataflow"]["etag"] == state["aep_dataflow"]["etag"]

    # 9. destroy: the flow first, then its connections, then the base connection: every DELETE succeeds.
    server.reset_requests()
    project.destroy(extra_env=settings)
    deletes = [(r["template"], r["status"]) for r in server.requests() if r["method"] == "DELETE"]
    assert deletes[0] == ("/flows/{id}", 204) and deletes[-1] == ("/connections/{id}", 204)
    assert sorted(t for t, _ in deletes[1:3]) == ["/sourceConnections/{id}", "/targetConnections/{id}"]
    assert all(status == 204 for _, status in deletes) and len(deletes) == 4
    assert everything(flow_api) == {kind: [] for kind in KINDS}
    assert in_state(project) == {}
