"""The documented commands, run as documented, and the exit status each promises.

`scripts/plan` exits 0 (no changes), 2 (changes) or 1 (error); `make plan` exits 0 whenever the plan
was made and 2 when it failed (make's own code for any failure); `make deploy` fails non-zero and,
interrupted by Ctrl-C, ends by that SIGINT (status 130 in a shell). After `make demo`, the later
commands reach the demo's Flow Service with no export; pointed at another Flow Service, nothing is
filled in and a missing setting fails at once, naming it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from aep_iac import localdemo
from aep_iac.project import connections_of_state
from aep_local.testing import LocalAep
from tests.conftest import FlowApi
from tests.e2e.edits import edited
from tests.e2e.processes import wait_for
from tests.e2e.repo_copy import after_demo, copy_checkout, make, make_environment, plan_script
from tests.e2e.test_team_workflow import (
    EXPECTED,
    SANDBOXES,
    SERVER_ARGS,
    free_port,
    names_by_sandbox,
    section,
)

pytestmark = pytest.mark.e2e

SECRETS = {"TF_VAR_s3_access_key": "AKIAEXITSTATUSCANARY", "TF_VAR_s3_secret_key": "exit-secret-CANARY-9",
           "TF_VAR_s3_session_token": "exit-token-CANARY-9", "TF_VAR_s3_prod_access_key": "AKIAEXITPRODCANARY",
           "TF_VAR_s3_prod_secret_key": "exit-prod-secret-CANARY-9",
           "TF_VAR_s3_prod_session_token": "exit-prod-token-CANARY-9"}
OTHER_CLIENT = {"AEP_CLIENT_ID": "other-client", "AEP_CLIENT_SECRET": "other-secret-CANARY-9",
                "AEP_ORG_ID": "OTHER00000000000000000@AdobeOrg"}


def plan_md(repo: Path) -> str:
    return (repo / "plan.md").read_text()


def each_once(text: str) -> None:
    """plan.md shows every distinct diagnostic once per stack."""
    for sandbox in ("dev", "stage", "prod"):
        bullets = [line for line in section(text, sandbox).splitlines() if line.startswith("- **")]
        assert len(bullets) == len(set(bullets)), section(text, sandbox)


def delete_connection(api: FlowApi, name: str) -> str:
    """Delete a connection through the API, behind Terraform's back."""
    (found,) = [c for c in api.list() if c["name"] == name]
    response = requests.delete(f"{api.server.flow_url}/connections/{found['id']}", headers=api.headers(), timeout=10)
    assert response.status_code == 204, response.text
    return str(found["id"])


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[tuple[Path, int]]:
    """A fresh copy of the project after `make demo` on a free port; its server stopped at the end."""
    with after_demo(copy_checkout(tmp_path / "repo"), free_port()) as made:
        yield made


def test_after_make_demo_plan_deploy_destroy_work_and_exit_truthfully(demo: tuple[Path, int]) -> None:
    repo, port = demo
    server = LocalAep.attach(port)
    dev = FlowApi(server, "dev", localdemo.ORG_ID)

    # No changes: scripts/plan 0, make plan 0; no export needed after the demo.
    run = plan_script(repo)
    assert run.returncode == 0, run.output[-3000:]
    assert plan_md(repo).count("No changes.") == 3
    assert "Using the local demo's Flow Service" in run.output
    assert make(repo, "plan").returncode == 0

    # A connection deleted behind Terraform's back: changes, named in plan.md.
    deleted = delete_connection(dev, "Amazon S3 base connection")
    run = plan_script(repo)
    assert run.returncode == 2, run.output[-3000:]
    dev_section = section(plan_md(repo), "dev")
    assert "### Create (1)" in dev_section and "`tutorial` (Amazon S3 base connection)" in dev_section
    assert "`tutorial` (Amazon S3 base connection) in `s3-dev`: deleted in Flow Service" in dev_section
    assert make(repo, "plan").returncode == 0  # planned; make's status cannot say "changes"

    # make deploy re-creates it with the demo's credentials; make destroy works too.
    run = make(repo, "deploy", "STACKS=s3-dev")
    assert run.returncode == 0, run.output[-3000:]
    assert {c["name"] for c in dev.list()} == EXPECTED["dev"] and deleted not in {c["id"] for c in dev.list()}
    # make destroy refuses to delete a dataset that holds records (deletion protection, on by default)...
    run = make(repo, "destroy", "STACKS=s3-stage")
    assert run.returncode == 2 and "holds data and would be deleted" in run.output, run.output[-3000:]
    assert names_by_sandbox(server, localdemo.ORG_ID)["stage"] == EXPECTED["stage"]
    # ...until the declaration says so, in a reviewed change: then it goes.
    main_py = repo / "main.py"
    declared = main_py.read_text()
    main_py.write_text(edited(declared, ('schema="orders")', 'schema="orders", deletion_protection=False)')))
    assert make(repo, "deploy", "STACKS=s3-stage").returncode == 0
    run = make(repo, "destroy", "STACKS=s3-stage")
    assert run.returncode == 0, run.output[-3000:]
    assert names_by_sandbox(server, localdemo.ORG_ID)["stage"] == set()
    main_py.write_text(declared)
    run = plan_script(repo, "s3-dev", "s3-prod")
    assert run.returncode == 0, run.output[-3000:]

    # The Flow Service stopped: an error, 1 (make plan: 2), said once for every object and stack.
    assert make(repo, "local-aep-stop").returncode == 0
    run = plan_script(repo)
    assert run.returncode == 1, run.output[-3000:]
    text = plan_md(repo)
    assert "**errors in s3-dev, s3-prod, s3-stage**" in text and text.count("connection refused") == 1
    assert f"start it with `make local-aep-start PORT={port}`" in text
    each_once(text)
    assert make(repo, "plan").returncode == 2


def test_pointed_elsewhere_nothing_is_filled_in_and_errors_name_what_is_missing(
        demo: tuple[Path, int], tmp_path: Path) -> None:
    repo, _ = demo
    with LocalAep(data_dir=tmp_path / "other", args=SERVER_ARGS) as other:
        elsewhere = {"AEP_FLOW_SERVICE_URL": other.flow_url, "AEP_IMS_URL": other.ims_url,
                     "AEP_TOKEN_CACHE_DIR": str(tmp_path / "token-cache")}

        # No client settings: bad configuration, named once per stack; deploy refuses up front.
        run = plan_script(repo, env=elsewhere)
        assert run.returncode == 1, run.output[-3000:]
        text = plan_md(repo)
        assert text.count("missing required configuration: client_id (AEP_CLIENT_ID)") == 1, text  # every stack's
        assert "Using the local demo's" not in run.output
        each_once(text)
        run = make(repo, "deploy", env=elsewhere)
        assert run.returncode == 2
        assert "missing setting: s3-dev: AEP_CLIENT_ID is not set" in run.output
        assert other.requests() == [] or all(r["path"].startswith("/__local") for r in other.requests())

        # With every setting: deploy, then a connection deleted there; a plan without the credentials
        # fails naming the variables, the connection and why (a create sends them).
        settings = elsewhere | OTHER_CLIENT
        run = make(repo, "deploy", env=settings | SECRETS)
        assert run.returncode == 0, run.output[-3000:]
        assert names_by_sandbox(other, OTHER_CLIENT["AEP_ORG_ID"]) == EXPECTED
        delete_connection(FlowApi(other, "prod", OTHER_CLIENT["AEP_ORG_ID"]), "Amazon S3 base connection")
        run = plan_script(repo, env=settings)
        assert run.returncode == 1, run.output[-3000:]
        prod = section(plan_md(repo), "prod")
        assert "Credentials missing to re-create connection 'Amazon S3 base connection'" in prod
        assert "was deleted in Flow Service outside Terraform" in prod and "Flow Service never returns them" in prod
        for variable in ("TF_VAR_s3_prod_access_key", "TF_VAR_s3_prod_secret_key", "TF_VAR_s3_prod_session_token"):
            assert variable in prod
        assert "`tutorial`" in prod
        assert section(plan_md(repo), "dev").strip() == "No changes."
        assert plan_script(repo, env=settings | SECRETS).returncode == 2
        assert all(secret not in plan_md(repo) for secret in SECRETS.values())

    # A declaration that breaks a rule: refused at synth, before any plan: 1, and plan.md says so.
    main_py = repo / "main.py"
    main_py.write_text(edited(main_py.read_text(), ('bucket_name="acme-orders-dev"', 'bucket_name="Acme_Orders"')))
    run = plan_script(repo)
    assert run.returncode == 1
    assert "bucket_name" in run.output and "planning failed (exit 1); plan.md says why" in run.output
    assert "main.py was refused at synthesis" in plan_md(repo) and "Acme_Orders" in plan_md(repo)


def as_in_a_terminal() -> None:
    """Ctrl-C as a terminal's foreground job gets it: a test run in the background of a
    non-interactive shell inherits SIGINT ignored, and make keeps an ignored SIGINT ignored."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_ctrl_c_of_make_deploy_ends_by_sigint_and_the_next_deploy_converges(tmp_path: Path) -> None:
    """A terminal's Ctrl-C reaches make and everything under it: the deploy finishes what is in flight,
    saves state, and make ends by that SIGINT (130 in a shell). The next `make deploy` converges."""
    repo = copy_checkout(tmp_path / "repo")
    with LocalAep(data_dir=tmp_path / "server", args=SERVER_ARGS) as server:
        settings = {"AEP_FLOW_SERVICE_URL": server.flow_url, "AEP_IMS_URL": server.ims_url,
                    "AEP_TOKEN_CACHE_DIR": str(tmp_path / "token-cache")} | OTHER_CLIENT | SECRETS
        assert make(repo, "lock", env=settings).returncode == 0
        server.set_faults(latency_ms=1500)
        process = subprocess.Popen(["make", "--no-print-directory", "deploy"], cwd=repo,
                                   env=make_environment(settings), stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True,
                                   start_new_session=True, preexec_fn=as_in_a_terminal)
        try:
            wait_for(lambda: any(r["method"] == "POST" and r["status"] == 201 for r in server.requests()), 180,
                     "the first create")
            os.killpg(process.pid, signal.SIGINT)  # what the terminal does on Ctrl-C
            output, _ = process.communicate(timeout=300)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
        server.clear_faults()
        server.wait_idle()
        assert process.returncode == -signal.SIGINT, output[-3000:]
        assert "Interrupted; state is saved" in output
        on_server = {c["id"] for s in SANDBOXES for c in FlowApi(server, s, OTHER_CLIENT["AEP_ORG_ID"]).list()}
        in_state = {c["id"] for state in repo.glob("terraform.s3-*.tfstate")
                    for c in connections_of_state(json.loads(state.read_text() or "{}"))}
        assert on_server and in_state == on_server  # graceful: every create that was made reached state
        again = make(repo, "deploy", env=settings)
        assert again.returncode == 0, again.output[-3000:]
        assert names_by_sandbox(server, OTHER_CLIENT["AEP_ORG_ID"]) == EXPECTED
        posts = [r for r in server.requests() if r["method"] == "POST" and r["status"] == 201
                 and r["path"].endswith("/connections")]
        assert len(posts) == sum(len(v) for v in EXPECTED.values())  # each connection created once
