"""The team workflow, end to end: main.py's connections over three sandboxes, plan.md for review,
plain Terraform on the synthesized stacks, shared S3 state with locking under two concurrent
deploys, the CI workflow's own steps, and `make demo` on another port.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests

from aep_iac.project import MAIN_STACKS, ROOT, CdktfProject, connections_of_state
from aep_local.testing import LocalAep
from tests.conftest import ORG_ID, FlowApi, provider_env
from tests.e2e.edits import edited
from tests.e2e.processes import wait_for
from tests.e2e.repo_copy import copy_checkout, make
from tests.e2e.requestlog import calls
from tests.e2e.workflow import Workflow, environment_without_secrets
from tests.moto_server import MotoServer

pytestmark = pytest.mark.e2e

SANDBOXES = ("dev", "stage", "prod")
#: A local AEP for main.py: its sandboxes, and an S3 API with the files its dataflows read.
SERVER_ARGS = ["--sandboxes", ",".join(SANDBOXES), "--local-s3"]
CI_ORG = "CI000000000000000000000@AdobeOrg"
SECRETS = {  # canaries: none may appear in plan.md, plan.json, cdk.tf.json or state
    "TF_VAR_s3_access_key": "AKIATEAMDEV0000CANARY", "TF_VAR_s3_secret_key": "team-dev-secret-CANARY-1",
    "TF_VAR_s3_session_token": "team-dev-token-CANARY-1", "TF_VAR_s3_prod_access_key": "AKIATEAMPROD000CANARY",
    "TF_VAR_s3_prod_secret_key": "team-prod-secret-CANARY-1",
    "TF_VAR_s3_prod_session_token": "team-prod-token-CANARY-1",
}
EXPECTED = {  # main.py: which connections each sandbox gets
    "dev": {"Amazon S3 base connection", "Orders landing zone", "CRM profile snapshots"},
    "stage": {"Amazon S3 base connection", "Orders landing zone"},
    "prod": {"Amazon S3 base connection", "Orders landing zone", "CRM profile snapshots"},
}


@pytest.fixture
def team_server(tmp_path: Path) -> Iterator[LocalAep]:
    (tmp_path / "data").mkdir()
    with LocalAep(data_dir=tmp_path / "data", args=SERVER_ARGS) as server:
        yield server


@pytest.fixture
def main_project(tmp_path: Path, team_server: LocalAep, cli_config: Path) -> CdktfProject:
    """A copy of main.py, locked, its provider pointed at the team server (each stack names its sandbox)."""
    env = provider_env(team_server, tmp_path / "token-cache") | SECRETS
    env.pop("AEP_SANDBOX_NAME")
    project = CdktfProject(tmp_path / "app", cli_config, env)
    project.lock()
    return project


def names_by_sandbox(server: LocalAep, org_id: str = ORG_ID) -> dict[str, set[str]]:
    return {s: {c["name"] for c in FlowApi(server, s, org_id).list()} for s in SANDBOXES}


def sample_change(app: Path) -> None:
    """Rotate the tutorial connection's session token in prod only; add a connection to stage only."""
    text = app.read_text()
    text = edited(text, ('        session_token_version=1,\n',
                         '        session_token_version=1,\n'
                         '        overrides={"prod": SandboxOverride(session_token_version=2)},\n'))
    text = edited(text, ('        session_token=False,\n        sandboxes=("dev", "prod"),\n    ),\n]',
                         '        session_token=False,\n        sandboxes=("dev", "prod"),\n    ),\n'
                         '    S3Connection(\n        key="web_logs",\n        name="Web logs",\n'
                         '        bucket_name="acme-web-logs",\n        region="eu-central-1",\n'
                         '        sandboxes=("stage",),\n    ),\n]'))
    assert "web_logs" in text and 'SandboxOverride(session_token_version=2)' in text
    app.write_text(text)


def section(text: str, sandbox: str) -> str:
    """The part of plan.md about one sandbox (all its stacks), without the line naming them."""
    part = text.split(f"\n## {sandbox}\n", 1)[1].split("\n## ", 1)[0]
    return "\n".join(line for line in part.splitlines() if not line.startswith("Stacks: "))


def plan(project: CdktfProject, extra: dict[str, str | None] | None = None) -> tuple[int, str, dict]:
    run = project.run([sys.executable, "-m", "aep_iac.plan", "--project", ".", "--out", "plan.md",
                       "--json", "plan.json"], extra, check=False)
    assert run.returncode in (0, 1, 2), run.output
    doc = json.loads((project.folder / "plan.json").read_text())
    return run.returncode, (project.folder / "plan.md").read_text(), doc


@pytest.mark.framework
def test_main_deploys_every_sandbox_and_plan_md_reviews_a_change(tmp_path: Path, team_server: LocalAep,
                                                                 main_project: CdktfProject) -> None:
    project = main_project
    project.deploy()  # cdktf deploy s3-dev s3-stage s3-prod, one state each (main.py's placement.json)
    assert names_by_sandbox(team_server) == EXPECTED
    for stack, sandbox in zip(MAIN_STACKS, SANDBOXES, strict=True):
        in_state = project.connections_in_state(stack)
        assert {c["name"] for c in in_state} == EXPECTED[sandbox]
        assert {c["sandbox_name"] for c in in_state} == {sandbox}
        assert project.state_file(stack).exists()

    code, text, doc = plan(project)
    assert code == 0, text
    assert text.count("No changes.") == 3 and doc["exit_code"] == 0

    sample_change(project.folder / "main.py")
    project.lock()
    code, text, doc = plan(project)
    assert code == 2, text
    (tmp_path / "sample-plan.md").write_text(text)  # kept for the reviewer's eyes in the test's folder
    prod, stage = section(text, "prod"), section(text, "stage")
    assert "### Update (1)" in prod and "`session_token_wo`: (write-only: version 1 -> 2)" in prod
    assert "### Create (1)" in stage and "`web_logs` (Web logs)" in stage and "`bucket_name`: acme-web-logs" in stage
    assert section(text, "dev").strip() == "No changes."
    assert "**1 to create, 1 to update, 0 to replace, 0 to delete**" in text
    actions = {(s["stack"], c["key"], c["action"]) for s in doc["stacks"] for c in s["changes"]}
    assert actions == {("s3-prod", "tutorial", "update"), ("s3-stage", "web_logs", "create")}
    for secret in SECRETS.values():
        assert secret not in text and secret not in json.dumps(doc)

    team_server.reset_requests()
    project.deploy({"TF_VAR_s3_prod_session_token": "team-prod-token-CANARY-2"})
    assert len(calls(team_server, "POST")) == 1 and len(calls(team_server, "PATCH")) == 1
    assert plan(project, {"TF_VAR_s3_prod_session_token": "team-prod-token-CANARY-2"})[0] == 0

    # An error is exit status 1, and plan.md says what failed: here a sandbox the service does not know.
    prod = '    Sandbox("prod", credentials="s3_prod", reports=True),\n'
    (project.folder / "main.py").write_text(edited((project.folder / "main.py").read_text(),
                                                   (prod, prod + '    Sandbox("qa", credentials="s3"),\n')))
    project.lock()
    code, text, doc = plan(project, {"TF_VAR_s3_prod_session_token": "team-prod-token-CANARY-2"})
    assert code == 1 and "Sandbox not found" in text and "## qa" in text and "Planning failed in `s3-qa`" in text
    assert [s["status"] for s in doc["stacks"] if s["stack"] == "s3-qa"] == ["error"]


def test_plain_terraform_runs_the_synthesized_stacks(team_server: LocalAep,
                                                     main_project: CdktfProject) -> None:
    """CDKTF is archived upstream: `terraform` alone in cdktf.out/stacks/<stack> works on the same state."""
    project = main_project
    for stack in MAIN_STACKS:
        project.terraform("init", "-input=false", "-no-color", stack=stack)
        project.terraform("apply", "-auto-approve", "-input=false", "-no-color", stack=stack)
        assert project.state_file(stack).exists()  # the project root, where cdktf keeps it too
    assert names_by_sandbox(team_server) == EXPECTED
    team_server.reset_requests()
    for stack in MAIN_STACKS:  # cdktf sees the same state and plans nothing (the runs report may move)
        diff = project.cdk("diff", stack)
        assert "No changes" in diff.output or ("Changes to Outputs" in diff.output and "Plan:" not in diff.output), \
            diff.output
    # Datasets that hold records refuse plain terraform's destroy too, until the declaration allows it.
    refused = project.terraform("destroy", "-auto-approve", "-input=false", "-no-color", stack="s3-dev", check=False)
    assert refused.returncode == 1 and "holds data and would be deleted" in refused.output, refused.output[-3000:]
    app = project.folder / project.app_name
    app.write_text(edited(
        app.read_text(),
        ('name="Orders", schema="orders")', 'name="Orders", schema="orders", deletion_protection=False)'),
        ('name="CRM profiles", schema="crm_profiles",',
         'name="CRM profiles", schema="crm_profiles", deletion_protection=False,')))
    project.synth()
    for stack in MAIN_STACKS:
        project.terraform("apply", "-auto-approve", "-input=false", "-no-color", stack=stack)
        project.terraform("destroy", "-auto-approve", "-input=false", "-no-color", stack=stack)
    assert names_by_sandbox(team_server) == {s: set() for s in SANDBOXES}


@pytest.fixture
def state_bucket() -> Iterator[dict[str, str]]:
    with MotoServer() as moto:
        s3 = boto3.client("s3", endpoint_url=moto.url, region_name="us-east-1",
                          aws_access_key_id="state", aws_secret_access_key="state")
        s3.create_bucket(Bucket="team-state")
        yield {"TF_STATE_BACKEND": "s3", "TF_STATE_BUCKET": "team-state", "TF_STATE_ENDPOINT": moto.url,
               "TF_STATE_PREFIX": "aep", "AWS_ACCESS_KEY_ID": "state", "AWS_SECRET_ACCESS_KEY": "state",
               "AWS_REGION": "us-east-1"}


def test_two_concurrent_deploys_of_one_stack_share_a_locked_state(
        tmp_path: Path, local_aep: LocalAep, flow_api: FlowApi, cli_config: Path,
        state_bucket: dict[str, str]) -> None:
    env = provider_env(local_aep, tmp_path / "token-cache") | SECRETS | state_bucket | {"FLEET_CONNECTIONS": "10"}
    first = CdktfProject.fleet(tmp_path / "alice", cli_config, env)
    second = CdktfProject.fleet(tmp_path / "bob", cli_config, env)
    first.lock()
    second.lock()
    s3 = boto3.client("s3", endpoint_url=state_bucket["TF_STATE_ENDPOINT"], region_name="us-east-1",
                      aws_access_key_id="state", aws_secret_access_key="state")
    lock_key, state_key = "aep/s3-fleet.tfstate.tflock", "aep/s3-fleet.tfstate"

    def locked() -> bool:
        return s3.list_objects_v2(Bucket="team-state", Prefix=lock_key).get("KeyCount", 0) > 0

    def connections_in_bucket() -> list[dict[str, Any]]:
        return connections_of_state(json.loads(s3.get_object(Bucket="team-state", Key=state_key)["Body"].read()))

    @contextmanager
    def first_holds_the_lock(extra: dict[str, str] | None = None) -> Iterator[subprocess.Popen[str]]:
        """The first deploy started (slowed by latency) and holding the state lock; it is finished on exit."""
        local_aep.set_faults(latency_ms=3000)
        alice = first.start(first.deploy_command(), extra)

        def holds_lock() -> bool:
            if alice.poll() is not None:
                raise AssertionError(f"the first deploy ended before taking the lock:\n{alice.communicate()[0]}")
            return locked()

        try:
            wait_for(holds_lock, 120, "the first deploy to take the state lock")
            yield alice
            alice_output, _ = alice.communicate(timeout=300)
            assert alice.returncode == 0, alice_output
        finally:
            if alice.poll() is None:
                alice.kill()
                alice.wait()
            local_aep.clear_faults()

    with first_holds_the_lock():
        bob = second.deploy(check=False)  # no lock timeout: refused at once, changes nothing
    assert bob.returncode != 0
    bob_text = " ".join(bob.output.split())
    assert "Error acquiring the state lock" in bob_text and "Lock Info" in bob_text, bob.output
    assert len(connections_in_bucket()) == 10
    assert sorted(c["name"] for c in flow_api.list()) == [f"fleet-{i:03d}" for i in range(1, 11)]
    assert not locked()

    # With a lock timeout the second waits for the first instead: then finds nothing left to do.
    rotation = {"FLEET_SESSION_TOKEN_VERSION": "2", "TF_VAR_s3_session_token": "rotated-CANARY-2"}
    with first_holds_the_lock(rotation):
        waiting = {"TF_CLI_ARGS_plan": "-lock-timeout=180s", "TF_CLI_ARGS_apply": "-lock-timeout=180s"} | rotation
        local_aep.reset_requests()
        bob = second.deploy(waiting)
    assert bob.returncode == 0
    assert len(calls(local_aep, "PATCH")) == 10  # the rotation, once: the second deploy had nothing to do
    assert {c["etag"] for c in connections_in_bucket()} == {c["etag"] for c in flow_api.list()}


def test_the_ci_workflow_plans_then_deploys(tmp_path: Path, team_server: LocalAep,
                                            state_bucket: dict[str, str]) -> None:
    """The workflow file's own shell steps, in order: the pull request job (make plan, post plan.md),
    then the main-branch job (make deploy, then make plan finds nothing to change)."""
    repo = copy_checkout(tmp_path / "repo")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    posted = tmp_path / "posted-comment.md"
    (bin_dir / "gh").write_text(f"#!/bin/sh\n# stands in for the GitHub CLI: keeps the comment\n"
                                f"while [ $# -gt 0 ]; do [ \"$1\" = --body-file ] && cp \"$2\" {posted}; shift; done\n")
    (bin_dir / "gh").chmod(0o755)
    workflow = Workflow(ROOT / ".github" / "workflows" / "aep-connections.yml")
    values = {f"secrets.{k}": v for k, v in {
        "AEP_CLIENT_ID": "ci-client", "AEP_CLIENT_SECRET": "ci-secret-CANARY",
        "AEP_ORG_ID": CI_ORG,
        "S3_ACCESS_KEY": SECRETS["TF_VAR_s3_access_key"], "S3_SECRET_KEY": SECRETS["TF_VAR_s3_secret_key"],
        "S3_SESSION_TOKEN": SECRETS["TF_VAR_s3_session_token"],
        "S3_PROD_ACCESS_KEY": SECRETS["TF_VAR_s3_prod_access_key"],
        "S3_PROD_SECRET_KEY": SECRETS["TF_VAR_s3_prod_secret_key"],
        "S3_PROD_SESSION_TOKEN": SECRETS["TF_VAR_s3_prod_session_token"],
        "STATE_AWS_ACCESS_KEY_ID": "state", "STATE_AWS_SECRET_ACCESS_KEY": "state"}.items()}
    values |= {"vars.TF_STATE_BUCKET": "team-state", "vars.TF_STATE_REGION": "us-east-1",
               "github.token": "gh-token", "github.event.pull_request.number": "7", "github.ref": "refs/pull/7/merge"}
    base = environment_without_secrets() | {"PATH": f"{bin_dir}:{os.environ['PATH']}", "HOME": str(tmp_path)}
    local = {"AEP_FLOW_SERVICE_URL": team_server.flow_url, "AEP_IMS_URL": team_server.ims_url,
             "TF_STATE_ENDPOINT": state_bucket["TF_STATE_ENDPOINT"],
             "AEP_TOKEN_CACHE_DIR": str(tmp_path / "tc")}

    steps = workflow.run_job("plan", repo, values, base, local, tmp_path)
    assert [s.returncode for s in steps] == [0, 0], [s.output[-2000:] for s in steps]
    assert steps[0].outputs == {"exit_code": "2", "complete": "true"}  # changes: everything is new
    comment = posted.read_text()
    # main.py: 8 base connections, 5 dataflows of 3 objects each, 5 schemas, 5 datasets, 5 mapping sets
    assert "**38 to create, 0 to update, 0 to replace, 0 to delete** in 3 sandboxes (3 stacks)" in comment
    assert all(secret not in comment for secret in SECRETS.values())
    assert names_by_sandbox(team_server, CI_ORG) == {s: set() for s in SANDBOXES}  # a plan writes nothing

    steps = workflow.run_job("deploy", repo, values, base, local, tmp_path)
    assert [s.returncode for s in steps] == [0, 0, 0], [s.output[-3000:] for s in steps]
    assert names_by_sandbox(team_server, CI_ORG) == EXPECTED
    assert not list(repo.glob("terraform.*.tfstate"))  # state is in the bucket, as the workflow says
    # After the deploy, the workflow verified the first run of each of main.py's 5 dataflows.
    assert steps[1].outputs == {"exit_code": "0"}, steps[1].output[-3000:]
    verified = json.loads((repo / "verify.json").read_text())
    assert [f["verdict"] for f in verified["flows"]] == ["pass"] * 5, (repo / "verify.md").read_text()

    # The morning health job: no drift, every dataflow healthy; the failing step is skipped.
    steps = workflow.run_job("health", repo, values, base, local, tmp_path)
    assert [s.returncode for s in steps] == [0, 0], [s.output[-3000:] for s in steps]
    assert [s.outputs for s in steps] == [{"exit_code": "0"}, {"exit_code": "0"}]
    # A dataflow disabled in the UI: the drift plan and the health report both say so; the job fails.
    disabled = disable_a_flow(team_server, "dev")
    steps = workflow.run_job("health", repo, values, base, local, tmp_path)
    assert [s.returncode for s in steps] == [0, 0, 1], [s.output[-3000:] for s in steps]
    assert [s.outputs for s in steps[:2]] == [{"exit_code": "2"}, {"exit_code": "2"}]
    assert "disabled outside Terraform" in (repo / "status.md").read_text()
    assert disabled in (repo / "status.json").read_text()

    # A pull request whose plan cannot be made (Flow Service unreachable) fails its check, after
    # posting plan.md with the reason.
    unreachable = local | {"AEP_FLOW_SERVICE_URL": f"http://127.0.0.1:{free_port()}/data/foundation/flowservice"}
    steps = workflow.run_job("plan", repo, values, base, unreachable, tmp_path)
    assert [s.returncode for s in steps] == [0, 0, 1], [s.output[-2000:] for s in steps]
    assert steps[0].outputs == {"exit_code": "1", "complete": "true"}
    comment = posted.read_text()
    assert "Planning failed" in comment and comment.count("Cannot reach Flow Service: AEP_FLOW_SERVICE_URL=") == 1


def disable_a_flow(server: LocalAep, sandbox: str) -> str:
    """Disable one of the sandbox's dataflows through Flow Service, as a user in the UI would; its id."""
    api = FlowApi(server, sandbox, CI_ORG)
    flow_id = str(api.list("/flows")[0]["id"])
    done = requests.post(f"{server.flow_url}/flows/{flow_id}/action", params={"op": "disable"},
                         headers=api.headers(), timeout=10)
    assert done.status_code < 300, done.text
    return flow_id


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_make_demo_on_another_port_and_a_port_in_use(tmp_path: Path) -> None:
    repo = copy_checkout(tmp_path / "repo")
    port = free_port()
    try:
        demo = make(repo, "demo", f"PORT={port}")
        assert demo.returncode == 0, demo.output[-3000:]
        assert f"http://127.0.0.1:{port}" in demo.output
        server = LocalAep.attach(port)
        assert names_by_sandbox(server, "DEMO0000000000000000000@AdobeOrg") == EXPECTED  # the demo's org
        server.reset_requests()
        again = make(repo, "demo", f"PORT={port}")
        # No object changes and no write; only the reports' outputs move as runs happen.
        assert again.returncode == 0 and again.output.count("Resources: 0 added, 0 changed, 0 destroyed") == 3, \
            again.output[-2000:]
        assert [r for r in server.requests() if r["method"] in ("POST", "PATCH", "PUT", "DELETE")
                and not r["path"].startswith("/ims")] == []
        assert "What the dataflows read:" in again.output and "72 records read, 70 written, 2 failed" in again.output
    finally:
        make(repo, "local-aep-stop")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = int(taken.getsockname()[1])
        refused = make(repo, "local-aep-start", f"PORT={busy}")
    assert refused.returncode != 0
    assert f"port {busy} on 127.0.0.1 is already in use" in refused.output
    assert f"make demo PORT={busy + 1}" in refused.output


def test_sandboxes_of_the_demo_server_come_from_main() -> None:
    done = subprocess.run([sys.executable, "-m", "aep_iac.sandboxes", str(ROOT / "main.py")],
                          capture_output=True, text=True, check=True, timeout=60)
    assert done.stdout.strip() == ",".join(SANDBOXES)


def test_deploying_with_a_missing_setting_fails_at_once_naming_it(tmp_path: Path) -> None:
    repo = copy_checkout(tmp_path / "repo")
    started = time.monotonic()
    run = make(repo, "deploy", env={"AEP_CLIENT_ID": "x", "AEP_CLIENT_SECRET": "y",
                                    "AEP_ORG_ID": "X1@AdobeOrg"})
    assert run.returncode != 0
    assert "missing setting: s3-dev: TF_VAR_s3_access_key is not set" in run.output
    assert time.monotonic() - started < 120
    assert not re.search(r"Deploying|Creating", run.output)
    shutil.rmtree(repo / "cdktf.out", ignore_errors=True)
