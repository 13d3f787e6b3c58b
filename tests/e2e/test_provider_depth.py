"""Provider behaviour that only shows with real Terraform: drift, 412, import, plan-time checks, faults.

Each test deploys the real main.py with cdktf, then changes things on the server behind
Terraform's back (directly over HTTP, as another AEP user would) and checks what Terraform
plans and what reaches the server.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests

from aep_iac.project import CdktfProject
from aep_local.testing import LocalAep
from tests.conftest import FlowApi, provider_env, single_project
from tests.e2e.requestlog import write_methods

pytestmark = pytest.mark.e2e

APPS = Path(__file__).parent / "apps"


def patch_on_server(flow_api: FlowApi, connection_id: str, ops: list[dict]) -> str:
    """Another AEP user's change: a PATCH with the current etag; returns the new etag."""
    etag = flow_api.connection(connection_id)["etag"]
    response = requests.patch(f"{flow_api.server.flow_url}/connections/{connection_id}", json=ops,
                              headers={**flow_api.headers(), "If-Match": etag}, timeout=10)
    response.raise_for_status()
    return response.json()["etag"]


def credentials(suffix: str = "0001") -> dict[str, str]:
    return {"TF_VAR_s3_access_key": f"AKIADEPTH{suffix}", "TF_VAR_s3_secret_key": f"depth-secret-{suffix}",
            "TF_VAR_s3_session_token": f"depth-token-{suffix}"}


@pytest.fixture
def project(tmp_path: Path, local_aep: LocalAep, cli_config: Path) -> CdktfProject:
    env = provider_env(local_aep, tmp_path / "token-cache") | credentials()
    app = single_project(tmp_path / "app", cli_config, env)
    app.lock()
    return app


@pytest.fixture
def deployed(project: CdktfProject, local_aep: LocalAep) -> dict:
    project.deploy()
    [conn] = project.connections_in_state()
    local_aep.reset_requests()
    return conn


def plan(project: CdktfProject) -> tuple[int, str]:
    run = project.terraform("plan", "-detailed-exitcode", "-no-color", "-input=false", check=False)
    assert run.returncode in (0, 2), run.output
    return run.returncode, run.output


def test_rename_in_aep_is_planned_back_and_reverted(project: CdktfProject, deployed: dict,
                                                     local_aep: LocalAep, flow_api: FlowApi) -> None:
    patch_on_server(flow_api, deployed["id"], [{"op": "replace", "path": "/name", "value": "renamed in AEP"}])
    code, output = plan(project)
    assert code == 2
    assert '~ name' in output and '"renamed in AEP" -> "Amazon S3 base connection"' in output
    assert "must be replaced" not in output
    local_aep.reset_requests()
    project.deploy()
    assert write_methods(local_aep) == ["PATCH"]
    assert flow_api.connection(deployed["id"])["name"] == "Amazon S3 base connection"
    assert plan(project)[0] == 0


def test_credentials_rotated_elsewhere_are_resent(project: CdktfProject, deployed: dict,
                                                  local_aep: LocalAep, flow_api: FlowApi) -> None:
    foreign_etag = patch_on_server(flow_api, deployed["id"], [
        {"op": "replace", "path": "/auth/params/s3SessionToken", "value": "rotated-by-someone-else"}])
    code, output = plan(project)
    assert code == 2, output
    # The invisible change shows as the versions going back from null to the configured ones.
    assert "session_token_wo_version" in output and '+ session_token_wo_version = "1"' in output
    assert "1 to change" in output and "must be replaced" not in output
    local_aep.reset_requests()
    project.deploy()
    [patch] = [r for r in local_aep.requests() if r["method"] == "PATCH"]
    assert patch["if_match"].strip('"') == foreign_etag.strip('"')
    assert write_methods(local_aep) == ["PATCH"]
    [conn] = project.connections_in_state()
    assert conn["etag"] == flow_api.connection(deployed["id"])["etag"]
    assert conn["session_token_wo_version"] == "1"
    assert plan(project)[0] == 0


def test_deleted_in_aep_is_recreated(project: CdktfProject, deployed: dict,
                                     local_aep: LocalAep, flow_api: FlowApi) -> None:
    response = requests.delete(f"{local_aep.flow_url}/connections/{deployed['id']}",
                               headers=flow_api.headers(), timeout=10)
    assert response.status_code == 204
    code, output = plan(project)
    assert code == 2 and "1 to add, 0 to change, 0 to destroy" in output
    local_aep.reset_requests()
    project.deploy()
    assert write_methods(local_aep) == ["POST"]
    [conn] = project.connections_in_state()
    assert conn["id"] != deployed["id"]
    assert [c["id"] for c in flow_api.list()] == [conn["id"]]


def test_destroy_needs_no_secrets(project: CdktfProject, deployed: dict, local_aep: LocalAep,
                                  flow_api: FlowApi) -> None:
    """Write-only values are for create and rotation only: destroy works with none supplied."""
    no_session_token = {"TF_VAR_s3_session_token": None}
    project.destroy(extra_env=no_session_token)
    assert write_methods(local_aep) == ["DELETE"]
    assert flow_api.list() == []


def test_stale_etag_at_apply_fails_clearly_and_keeps_state(project: CdktfProject, deployed: dict,
                                                           local_aep: LocalAep,
                                                           flow_api: FlowApi) -> None:
    project.synth({"S3_CONNECTION_DESCRIPTION": "new description"})
    project.terraform("plan", "-out=update.tfplan", "-input=false", "-no-color")
    foreign_etag = patch_on_server(flow_api, deployed["id"], [{"op": "replace", "path": "/name", "value": "x"}])
    run = project.terraform("apply", "-no-color", "-input=false", "update.tfplan", check=False)
    assert run.returncode != 0
    message = " ".join(run.output.split())
    assert "changed in Flow Service since Terraform last read it" in message
    assert deployed["etag"].strip('"') in message and foreign_etag.strip('"') in message
    [conn] = project.connections_in_state()
    assert conn["etag"] == deployed["etag"]  # the last known etag, not a guess
    assert write_methods(local_aep) == ["PATCH", "PATCH"]  # the foreign one, then ours (412)


def test_import_from_adopts_without_replacement(tmp_path: Path, local_aep: LocalAep,
                                                flow_api: FlowApi, cli_config: Path) -> None:
    body = {"name": "Amazon S3 base connection",
            "description": "Amazon S3 base connection with temporary session token",
            "auth": {"specName": "Access Key", "params": {"s3AccessKey": "AKIAOLD", "s3SecretKey": "old"}},
            "connectionSpec": {"id": "ecadc60c-7455-4d87-84dc-2a0e293d997b", "version": "1.0"}}
    created = requests.post(f"{local_aep.flow_url}/connections", json=body, headers=flow_api.headers(), timeout=10)
    assert created.status_code == 201
    existing = created.json()["id"]
    env = provider_env(local_aep, tmp_path / "token-cache") | credentials() | {"S3_IMPORT_CONNECTION_ID": existing}
    app = single_project(tmp_path / "app", cli_config, env, app_file=APPS / "import_app.py")
    app.lock()
    local_aep.reset_requests()
    run = app.deploy()
    summary = " ".join(run.output.split())
    assert "1 imported, 0 added, 1 changed, 0 destroyed" in summary, run.output
    # Import reads once; the configured credentials are sent once (Terraform cannot know the old ones).
    assert write_methods(local_aep) == ["PATCH"]
    [conn] = app.connections_in_state()
    assert conn["id"] == existing
    assert conn["etag"] == flow_api.connection(existing)["etag"]
    assert plan(app)[0] == 0
    assert [c["id"] for c in flow_api.list()] == [existing]


def test_plan_time_validation_names_the_attribute(project: CdktfProject, local_aep: LocalAep) -> None:
    project.synth()
    cdk_json = project.stack_dir() / "cdk.tf.json"
    doc = json.loads(cdk_json.read_text())
    resource = doc["resource"]["aep_s3_base_connection"]["amazon_s3"]
    # Bypass the construct's synth-time checks to reach the provider's own.
    resource.update(bucket_name="Not_A_Bucket", folder_path="data/CON", service_url="ftp://s3.example")
    cdk_json.write_text(json.dumps(doc))
    project.terraform("init", "-input=false", "-no-color")
    local_aep.reset_requests()
    run = project.terraform("plan", "-input=false", "-no-color", check=False)
    assert run.returncode == 1
    out = " ".join(run.output.split())
    assert "Invalid bucket_name" in out and "lowercase letters, digits and hyphens" in out
    assert "Invalid folder_path" in out and "reserved name" in out
    assert "Invalid service_url" in out
    assert 'on cdk.tf.json' in run.output  # diagnostics point at the configuration
    assert write_methods(local_aep) == []


def test_unknown_values_are_checked_at_apply_not_plan(project: CdktfProject, local_aep: LocalAep,
                                                      flow_api: FlowApi) -> None:
    project.synth()
    cdk_json = project.stack_dir() / "cdk.tf.json"
    doc = json.loads(cdk_json.read_text())
    doc["resource"]["terraform_data"] = {"bucket": {"input": "late-bucket"}}
    doc["resource"]["aep_s3_base_connection"]["amazon_s3"]["bucket_name"] = "${terraform_data.bucket.output}"
    cdk_json.write_text(json.dumps(doc))
    project.terraform("init", "-input=false", "-no-color")
    run = project.terraform("apply", "-auto-approve", "-input=false", "-no-color")
    assert "2 added" in run.output
    [conn] = project.connections_in_state()
    assert flow_api.connection(conn["id"])["auth"]["params"]["bucketName"] == "late-bucket"


def test_lost_create_response_is_adopted_not_duplicated(project: CdktfProject, local_aep: LocalAep,
                                                        flow_api: FlowApi) -> None:
    local_aep.set_faults(methods=["POST"], templates=["/connections"], script=["commit-drop"])
    local_aep.reset_requests()
    project.deploy()
    servers = flow_api.list()
    [conn] = project.connections_in_state()
    assert [c["id"] for c in servers] == [conn["id"]]
    assert conn["etag"] == servers[0]["etag"]
    assert write_methods(local_aep) == ["POST"]  # reconciled by a list, never re-sent


def test_throttling_and_server_errors_are_retried(project: CdktfProject, deployed: dict,
                                                  local_aep: LocalAep, flow_api: FlowApi) -> None:
    local_aep.set_faults(methods=["PATCH"], templates=["/connections/{id}"], script=["429", "503"], retry_after=1)
    project.deploy({"S3_CONNECTION_NAME": "renamed through faults"})
    statuses = [r["status"] for r in local_aep.requests() if r["method"] == "PATCH"]
    assert statuses == [429, 503, 200]
    assert flow_api.connection(deployed["id"])["name"] == "renamed through faults"

