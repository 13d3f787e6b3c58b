"""An object belongs to the state that created or imported it, through the real CLI.

* Two states, one name, one technical account: a CDKTF stack deploys a connection; the plain-HCL
  example (its own state) declares the same name in the same sandbox. It is refused at plan (who
  made it, when, the two ways out); its apply creates nothing and its destroy deletes nothing; the
  first state's next plan has no change and its object was never written to.
* A create interrupted by a kill leaves objects only the state's journal knows: on S3 state, a
  second fresh checkout (nothing local) adopts every one of them, of every kind, with 0 duplicates.
"""

from __future__ import annotations

import json
import os
import signal
from collections import Counter
from pathlib import Path

import boto3
import pytest

from aep_iac.project import CdktfProject
from aep_local.testing import LocalAep
from tests.conftest import FlowApi, provider_env, single_project
from tests.e2e.edits import edited
from tests.e2e.processes import find, is_provider, is_terraform_apply, wait_for
from tests.e2e.requestlog import WRITES
from tests.e2e.test_plain_terraform import CREDENTIALS as HCL_CREDENTIALS
from tests.e2e.test_plain_terraform import copy_example, terraform
from tests.moto_server import MotoServer

pytestmark = pytest.mark.e2e

SHARED_NAME = "Orders landing (shared name)"
SECRETS = {"TF_VAR_s3_access_key": "AKIAOWNERSHIP000001", "TF_VAR_s3_secret_key": "ownership-secret-1",
           "TF_VAR_s3_session_token": "ownership-token-1"}
FLOW = "/data/foundation/flowservice"
KINDS = ("/connections", "/sourceConnections", "/targetConnections", "/flows")


def writes_to(server: LocalAep, object_id: str) -> list[str]:
    return [f"{r['method']} {r['path']}" for r in server.requests()
            if r["method"] in WRITES and object_id in r["path"]]


def test_a_second_state_with_the_same_name_is_refused_and_never_touches_the_first(
        tmp_path: Path, local_aep: LocalAep, flow_api: FlowApi, cli_config: Path) -> None:
    env = provider_env(local_aep, tmp_path / "token-cache")
    first = single_project(tmp_path / "cdktf", cli_config, env | SECRETS | {"S3_CONNECTION_NAME": SHARED_NAME})
    first.lock()
    first.deploy()
    [mine] = first.connections_in_state()
    local_aep.reset_requests()

    hcl = copy_example(tmp_path / "hcl")
    resource = hcl / "resource.tf"
    resource.write_text(edited(resource.read_text(), ('"Amazon S3 base connection"', f'"{SHARED_NAME}"')))
    hcl_env = {**env, **HCL_CREDENTIALS, "TF_CLI_CONFIG_FILE": str(cli_config), "CHECKPOINT_DISABLE": "1"}
    terraform(hcl, hcl_env, "init")
    planned = terraform(hcl, hcl_env, "plan", check=False)
    assert planned.returncode == 1, planned.stdout + planned.stderr
    said = " ".join((planned.stdout + planned.stderr).split())
    assert f"named '{SHARED_NAME}' already exists" in said and mine["id"] in said, said
    assert "This state did not create it" in said and "terraform import" in said and "another name" in said, said
    assert f"created by {env['AEP_CLIENT_ID']}" in said and " at 20" in said, said
    applied = terraform(hcl, hcl_env, "apply", "-auto-approve", check=False)
    assert applied.returncode == 1 and "already exists" in applied.stdout + applied.stderr
    destroyed = terraform(hcl, hcl_env, "destroy", "-auto-approve")
    assert "0 destroyed" in destroyed.stdout or "No objects need to be destroyed" in destroyed.stdout

    assert writes_to(local_aep, mine["id"]) == []
    assert [r for r in local_aep.requests() if r["method"] in WRITES and r["path"].startswith(FLOW)] == []
    [server_copy] = [c for c in flow_api.list() if c["name"] == SHARED_NAME]
    assert (server_copy["id"], server_copy["etag"]) == (mine["id"], mine["etag"])
    again = first.terraform("plan", "-detailed-exitcode", "-input=false", "-no-color", check=False)
    assert again.returncode == 0, again.output

    # The way out the message names: import it into the second state (it now co-manages on purpose).
    imported = terraform(hcl, hcl_env, "import", "aep_s3_base_connection.example", mine["id"])
    assert "Import successful" in imported.stdout
    assert list((hcl / ".aep-ownership").rglob("*.json")), "an import is recorded in that state's journal"


N = 6
LATENCY_MS = 700


def test_an_interrupted_create_on_s3_state_is_adopted_from_a_second_fresh_checkout(
        tmp_path: Path, local_aep: LocalAep, cli_config: Path) -> None:
    with MotoServer() as moto:
        s3 = boto3.client("s3", endpoint_url=moto.url, region_name="us-east-1",
                          aws_access_key_id="state", aws_secret_access_key="state")
        s3.create_bucket(Bucket="ci-state")
        env = provider_env(local_aep, tmp_path / "token-cache") | SECRETS | {
            "TF_STATE_BACKEND": "s3", "TF_STATE_BUCKET": "ci-state", "TF_STATE_ENDPOINT": moto.url,
            "TF_STATE_PREFIX": "aep", "AWS_ACCESS_KEY_ID": "state", "AWS_SECRET_ACCESS_KEY": "state",
            "AWS_REGION": "us-east-1", "FLEET_CONNECTIONS": str(N), "FLEET_DATAFLOWS": str(N)}
        # A deploy as CI runs it (cdktf deploy), killed part-way: S3 state keeps nothing of it (it is
        # written every 20 s and at the end), only the journal beside it knows what was begun.
        first = CdktfProject.fleet(tmp_path / "checkout-1", cli_config, env)
        first.lock()
        local_aep.set_faults(latency_ms=LATENCY_MS)
        process = first.start([str(first.cli), "deploy", "--auto-approve", *first.stacks])

        def committed() -> Counter[str]:
            return Counter(next(k for k in KINDS if r["path"] == f"{FLOW}{k}") for r in local_aep.requests()
                           if r["method"] == "POST" and r["status"] == 201
                           and any(r["path"] == f"{FLOW}{k}" for k in KINDS))

        try:
            wait_for(lambda: committed()["/sourceConnections"] >= 1, 180, "the first source connections")
            involved = find(process.pid, lambda argv: is_terraform_apply(argv) or is_provider(argv))
            for pid in involved:
                os.kill(pid, signal.SIGKILL)
            process.kill()
            process.wait(60)
            local_aep.wait_idle()
        finally:
            if process.poll() is None:
                process.kill()
        local_aep.clear_faults()
        left = committed()
        assert 0 < sum(left.values()) < 4 * N, left
        owned = s3.list_objects_v2(Bucket="ci-state", Prefix="aep/s3-fleet.tfstate.owned/")
        assert owned.get("KeyCount", 0) >= sum(left.values()), "the journal sits beside the state, in S3"

        local_aep.reset_requests()
        second = CdktfProject.fleet(tmp_path / "checkout-2", cli_config, env)  # nothing of the first run here
        second.lock()
        # The kill left Terraform's S3 lock behind; after a crash the README says: force-unlock its ID.
        lock = json.loads(s3.get_object(Bucket="ci-state", Key="aep/s3-fleet.tfstate.tflock")["Body"].read())
        second.terraform("init", "-input=false", "-no-color")
        second.terraform("force-unlock", "-force", lock["ID"])
        second.run([str(second.cli), "deploy", "--auto-approve", *second.stacks])
        again = committed()
        api = FlowApi(local_aep)
        for kind in KINDS:
            assert left[kind] + again[kind] == N, (kind, left, again)  # each made once, none twice
            names = [o["name"] for o in api.list(kind)]
            assert len(names) == len(set(names)) == N, (kind, names)
        adopted = sum(N - again[kind] for kind in KINDS)
        assert adopted == sum(left.values()) > 0
