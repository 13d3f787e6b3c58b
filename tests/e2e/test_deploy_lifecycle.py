"""The whole chain, for real: main.py -> cdktf-cli -> terraform -> our provider -> local AEP.

Checked from both sides after each step: what the server received (request log) and holds,
and what Terraform state records.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from aep_local.testing import LocalAep
from tests.conftest import FlowApi, provider_env, single_project
from tests.e2e.requestlog import CONNECTIONS, api_calls, calls, writes

pytestmark = [pytest.mark.e2e, pytest.mark.framework]


def strip_quotes(etag: str) -> str:
    return etag.strip('"')


def test_deploy_rotate_rename_destroy(tmp_path: Path, local_aep: LocalAep, flow_api: FlowApi,
                                      cli_config: Path) -> None:
    env = provider_env(local_aep, tmp_path / "token-cache")
    env.update(TF_VAR_s3_access_key="AKIAE2EACCESSKEY0001", TF_VAR_s3_secret_key="e2e-secret-key-0001",
               TF_VAR_s3_session_token="e2e-session-token-0001")
    project = single_project(tmp_path / "app", cli_config, env)
    project.lock()

    # 1. create: exactly one POST; the etag in state is the server's.
    local_aep.reset_requests()
    project.deploy()
    assert len(calls(local_aep, "POST")) == 1, writes(local_aep)
    assert [r["method"] for r in writes(local_aep)] == ["POST"]
    # One token for the whole deploy (4 provider processes share the 0600 cache); one listing of the
    # sandbox at plan and one at apply (the check for connections an interrupted deploy left), no GET after.
    assert api_calls(local_aep) == {"IMS": 1, "GET": 2, "POST": 1}
    assert [r["path"] for r in calls(local_aep, "GET")] == [CONNECTIONS, CONNECTIONS]
    [conn] = project.connections_in_state()
    server_side = flow_api.connection(conn["id"])
    assert server_side["name"] == "Amazon S3 base connection"
    assert server_side["auth"]["specName"] == "Access Key"
    assert strip_quotes(conn["etag"]) == strip_quotes(server_side["etag"])
    assert conn["etag"] == server_side["etag"]
    created_etag = conn["etag"]

    # 2. no change: cdktf diff plans nothing and writes nothing.
    local_aep.reset_requests()
    diff = project.cdktf("diff", "s3-base-connection")
    assert "No changes" in diff.output, diff.output
    assert writes(local_aep) == []
    assert api_calls(local_aep) == {"GET": 1}  # one refresh, the cached token reused

    # 3. rotate the session token: exactly one PATCH, If-Match = the etag in state, new etag in state.
    local_aep.reset_requests()
    project.deploy({"TF_VAR_s3_session_token": "e2e-session-token-0002", "S3_SESSION_TOKEN_VERSION": "2"})
    patches = calls(local_aep, "PATCH")
    assert len(patches) == 1, writes(local_aep)
    assert [r["method"] for r in writes(local_aep)] == ["PATCH"]
    assert api_calls(local_aep) == {"GET": 1, "PATCH": 1}  # refresh, then no GET before the PATCH
    assert strip_quotes(patches[0]["if_match"]) == strip_quotes(created_etag)
    [conn] = project.connections_in_state()
    server_side = flow_api.connection(conn["id"])
    assert conn["etag"] == server_side["etag"] != created_etag
    rotated_etag = conn["etag"]

    # 4. rename: one PATCH against the rotated etag; the server has the new name.
    local_aep.reset_requests()
    rename_env = {"S3_SESSION_TOKEN_VERSION": "2", "S3_CONNECTION_NAME": "Amazon S3 base connection (renamed)",
                  "TF_VAR_s3_session_token": "e2e-session-token-0002"}
    project.deploy(rename_env)
    patches = calls(local_aep, "PATCH")
    assert len(patches) == 1 and [r["method"] for r in writes(local_aep)] == ["PATCH"]
    assert strip_quotes(patches[0]["if_match"]) == strip_quotes(rotated_etag)
    [conn] = project.connections_in_state()
    server_side = flow_api.connection(conn["id"])
    assert server_side["name"] == "Amazon S3 base connection (renamed)" == conn["name"]
    assert conn["etag"] == server_side["etag"] != rotated_etag

    # 5. destroy: one DELETE; nothing left on the server or in state.
    local_aep.reset_requests()
    project.destroy(extra_env=rename_env)
    assert [r["method"] for r in writes(local_aep)] == ["DELETE"]
    assert api_calls(local_aep) == {"GET": 1, "DELETE": 1}
    assert flow_api.get(conn["id"]).status_code == 404
    assert flow_api.list() == []
    assert project.connections_in_state() == []
