"""The documented examples, run with plain Terraform (no CDKTF) against a real local AEP.

CDKTF is deprecated upstream, so plain HCL must stay a working path: this runs
`examples/resources/aep_s3_base_connection/` as a user would (init from the mirror,
apply, plan, rotate, import, destroy) and checks the server side after each step.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path

import pytest
import requests

from aep_iac.project import RESOURCE_TYPE, ROOT
from aep_local.testing import LocalAep
from tests.conftest import FlowApi, provider_env
from tests.e2e.requestlog import calls, writes

pytestmark = pytest.mark.e2e

EXAMPLES = ROOT / "examples"
ADDRESS = f"{RESOURCE_TYPE}.example"
S3_SPEC = {"id": "ecadc60c-7455-4d87-84dc-2a0e293d997b", "version": "1.0"}
CREDENTIALS = {"TF_VAR_s3_access_key": "AKIAPLAINTFACCESS001", "TF_VAR_s3_secret_key": "plain-tf-secret-key-001",
               "TF_VAR_s3_session_token": "plain-tf-session-token-001"}


def copy_example(folder: Path) -> Path:
    """What examples/README.md tells users to do: the resource example plus the provider block."""
    folder.mkdir(parents=True)
    shutil.copy(EXAMPLES / "provider" / "provider.tf", folder)
    shutil.copy(EXAMPLES / "resources" / RESOURCE_TYPE / "resource.tf", folder)
    return folder


def terraform(folder: Path, env: Mapping[str, str], *args: str, check: bool = True,
              extra: Mapping[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Plain terraform in ``folder``, with only the variables given here (none from the caller's shell)."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("TF_", "AEP_"))}
    environment.update(env, TF_IN_AUTOMATION="1", TF_INPUT="0", NO_COLOR="1")
    environment.update(extra or {})
    proc = subprocess.run(["terraform", *args, "-no-color"], cwd=folder, env=environment,
                          capture_output=True, text=True, timeout=180)
    if check and proc.returncode != 0:
        raise AssertionError(f"terraform {' '.join(args)} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
    return proc


def state_of(folder: Path) -> dict:
    """The attributes of the one connection in ``folder``'s local state."""
    state = json.loads((folder / "terraform.tfstate").read_text())
    [resource] = [r for r in state["resources"] if r["type"] == RESOURCE_TYPE]
    [instance] = resource["instances"]
    return instance["attributes"]


def create_directly(server: LocalAep, api: FlowApi) -> dict:
    """A connection someone made outside Terraform, with the Flow Service API itself."""
    body = {"name": "Made outside Terraform", "description": "to be imported",
            "auth": {"specName": "Access Key", "params": {"s3AccessKey": "AKIAOUTSIDE000000001",
                                                          "s3SecretKey": "outside-secret"}},
            "connectionSpec": S3_SPEC}
    response = requests.post(f"{server.flow_url}/connections", json=body,
                             headers={**api.headers(), "Content-Type": "application/json"}, timeout=10)
    assert response.status_code == 201, response.text
    return response.json()


def test_examples_with_plain_terraform(tmp_path: Path, local_aep: LocalAep, flow_api: FlowApi,
                                       cli_config: Path) -> None:
    env = {**provider_env(local_aep, tmp_path / "token-cache"), **CREDENTIALS,
           "TF_CLI_CONFIG_FILE": str(cli_config), "CHECKPOINT_DISABLE": "1"}
    stack = copy_example(tmp_path / "stack")

    # init: offline, from the mirror named by the CLI config; no lock step.
    init = terraform(stack, env, "init")
    assert "terraform.local/aep/aep" in init.stdout

    # create: one POST; the etag in state is the server's; no credential in state.
    local_aep.reset_requests()
    terraform(stack, env, "apply", "-auto-approve")
    assert [r["method"] for r in writes(local_aep)] == ["POST"]
    conn = state_of(stack)
    server_side = flow_api.connection(conn["id"])
    assert conn["etag"] == server_side["etag"]
    assert server_side["name"] == conn["name"] == "Amazon S3 base connection"
    assert conn["session_token_wo"] is None and conn["session_token_wo_version"] == "1"
    state_text = (stack / "terraform.tfstate").read_text()
    assert not any(secret in state_text for secret in CREDENTIALS.values())
    created_etag = conn["etag"]

    # no change: the plan is empty and nothing is written.
    local_aep.reset_requests()
    plan = terraform(stack, env, "plan", "-detailed-exitcode")
    assert plan.returncode == 0, plan.stdout
    assert writes(local_aep) == []

    # rotate the session token: a new value and a new version, one PATCH against the etag in state.
    rotated = {"TF_VAR_s3_session_token": "plain-tf-session-token-002"}
    local_aep.reset_requests()
    terraform(stack, env, "apply", "-auto-approve", "-var", "session_token_version=2", extra=rotated)
    patches = calls(local_aep, "PATCH")
    assert [r["method"] for r in writes(local_aep)] == ["PATCH"]
    assert patches[0]["if_match"].strip('"') == created_etag.strip('"')
    conn = state_of(stack)
    assert conn["session_token_wo_version"] == "2"
    assert conn["etag"] == flow_api.connection(conn["id"])["etag"] != created_etag
    plan = terraform(stack, env, "plan", "-detailed-exitcode", "-var", "session_token_version=2", extra=rotated)
    assert plan.returncode == 0, plan.stdout

    # import a connection created outside Terraform, into a fresh folder and state.
    outside = create_directly(local_aep, flow_api)
    imported_dir = copy_example(tmp_path / "imported")
    terraform(imported_dir, env, "init")
    local_aep.reset_requests()
    terraform(imported_dir, env, "import", ADDRESS, outside["id"])
    assert writes(local_aep) == []
    imported = state_of(imported_dir)
    assert imported["id"] == outside["id"]
    assert imported["etag"] == flow_api.connection(outside["id"])["etag"]
    assert imported["name"] == "Made outside Terraform"

    # the plan after import: in place (name, description, the *_wo_version attributes), never a replacement.
    plan = terraform(imported_dir, env, "plan", "-detailed-exitcode", check=False)
    assert plan.returncode == 2, plan.stdout + plan.stderr
    assert "must be replaced" not in plan.stdout
    assert "0 to add, 1 to change, 0 to destroy" in plan.stdout, plan.stdout
    assert "session_token_wo_version" in plan.stdout

    # the first apply after import sends the configured credentials once (one PATCH); then no changes.
    local_aep.reset_requests()
    terraform(imported_dir, env, "apply", "-auto-approve")
    assert [r["method"] for r in writes(local_aep)] == ["PATCH"]
    imported = state_of(imported_dir)
    assert imported["etag"] == flow_api.connection(outside["id"])["etag"]
    assert flow_api.connection(outside["id"])["name"] == "Amazon S3 base connection"
    plan = terraform(imported_dir, env, "plan", "-detailed-exitcode")
    assert plan.returncode == 0, plan.stdout

    # destroy the first stack: one DELETE; the imported connection is untouched.
    local_aep.reset_requests()
    terraform(stack, env, "destroy", "-auto-approve", "-var", "session_token_version=2", extra=rotated)
    assert [r["method"] for r in writes(local_aep)] == ["DELETE"]
    assert flow_api.get(conn["id"]).status_code == 404
    assert [c["id"] for c in flow_api.list()] == [outside["id"]]
    assert json.loads((stack / "terraform.tfstate").read_text())["resources"] == []
