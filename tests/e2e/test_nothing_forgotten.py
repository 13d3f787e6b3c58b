"""Nothing managed is forgotten, and a plan is this run's or absent: through make and scripts/plan.

One copy of the project after `make demo`, then, in order:

* a main.py that synth refuses, after a good plan: plan.md shows the refusal, not the old plan;
* a sandbox removed from main.py: the plan names its stack and what it holds (exit 2), a deploy of
  every stack leaves it alone, a deploy naming it is refused, a destroy naming it deletes it;
* a destroy killed part-way whose state file was emptied (what a kill while Terraform rewrites it
  leaves): the next destroy restores it from Terraform's backup and leaves 0 objects;
* an emptied state with no backup: the plan refuses it with the way out, and the way out (move it
  aside, deploy) adopts every object back from the ownership journal with no create.
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.e2e.edits import edited
from tests.e2e.processes import descendants, wait_for
from tests.e2e.repo_copy import copy_checkout, make, make_environment, plan_script
from tests.e2e.test_team_workflow import free_port

pytestmark = pytest.mark.e2e

FLOW = "/data/foundation/flowservice"
KINDS = ("/connections", "/sourceConnections", "/targetConnections", "/flows")
DEMO_CLIENT = {"client_id": "local-demo-client", "client_secret": "local-demo-secret",
               "org_id": "DEMO0000000000000000000@AdobeOrg"}


class Demo:
    """The copy and its local AEP, read through the API as the demo's client."""

    def __init__(self, repo: Path, port: int) -> None:
        self.repo, self.port = repo, port
        self.base = f"http://127.0.0.1:{port}"

    def headers(self, sandbox: str) -> dict[str, str]:
        token = requests.post(f"{self.base}/ims/token/v3", timeout=10, data={
            "grant_type": "client_credentials", "client_id": DEMO_CLIENT["client_id"],
            "client_secret": DEMO_CLIENT["client_secret"], "scope": "openid"}).json()["access_token"]
        return {"Authorization": f"Bearer {token}", "x-api-key": DEMO_CLIENT["client_id"],
                "x-gw-ims-org-id": DEMO_CLIENT["org_id"], "x-sandbox-name": sandbox}

    def objects(self, sandbox: str) -> dict[str, list[str]]:
        headers = self.headers(sandbox)
        return {kind: sorted(o["name"] for o in requests.get(f"{self.base}{FLOW}{kind}", headers=headers,
                                                             timeout=10).json()["items"]) for kind in KINDS}

    def count(self, sandbox: str) -> int:
        return sum(len(names) for names in self.objects(sandbox).values())

    def requests(self) -> list[dict]:
        entries: list[dict] = requests.get(f"{self.base}/__local/requests", timeout=10).json()
        return entries

    def reset(self) -> None:
        requests.delete(f"{self.base}/__local/requests", timeout=10).raise_for_status()

    def faults(self, **settings: object) -> None:
        requests.post(f"{self.base}/__local/faults", json=settings, timeout=10).raise_for_status()

    def posts(self) -> int:
        return len([r for r in self.requests() if r["method"] == "POST" and r["path"].startswith(FLOW)])


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[Demo]:
    repo = copy_checkout(tmp_path / "repo")
    port = free_port()
    try:
        done = make(repo, "demo", f"PORT={port}")
        assert done.returncode == 0, done.output[-3000:]
        yield Demo(repo, port)
    finally:
        make(repo, "local-aep-stop")


def test_a_plan_is_current_and_no_stack_or_state_is_forgotten(demo: Demo) -> None:
    repo = demo.repo
    app = repo / "main.py"
    assert plan_script(repo).returncode == 0
    assert "No changes." in (repo / "plan.md").read_text()
    # What follows deletes datasets that hold records: their declarations say so first (a reviewed change).
    declared = edited(app.read_text(),
                      ('schema="orders")', 'schema="orders", deletion_protection=False)'),
                      ('schema="crm_profiles", sandboxes=("dev", "prod"))',
                       'schema="crm_profiles", sandboxes=("dev", "prod"), deletion_protection=False)'))
    app.write_text(declared)
    assert make(repo, "deploy").returncode == 0

    # A synth error after a good plan: plan.md shows the error, status and plan.json say 1.
    app.write_text(edited(declared, ('Sandbox("dev", credentials="s3", reports=True)',
                                     'Sandbox("Dev Sandbox", credentials="s3", reports=True)')))
    refused = plan_script(repo)
    assert refused.returncode == 1, refused.output[-2000:]
    text = (repo / "plan.md").read_text()
    assert "refused at synthesis" in text and "Dev Sandbox" in text and "No changes." not in text, text
    assert '"exit_code": 1' in (repo / "plan.json").read_text()

    # A sandbox removed from main.py: named by the plan, left alone by deploy, destroyed only by name.
    without_stage = edited(declared, ('    Sandbox("stage", credentials="s3", reports=True),\n', ""))
    app.write_text("".join(line for line in without_stage.splitlines(keepends=True) if '"stage": ' not in line))
    stage_before = demo.objects("stage")
    assert sum(map(len, stage_before.values())) > 0
    named = plan_script(repo)
    assert named.returncode == 2, named.output[-2000:]
    text = (repo / "plan.md").read_text()
    assert "## Not declared any more (1 stack)" in text and "`s3-stage` (sandbox stage)" in text, text
    assert "make destroy STACKS=s3-stage" in text and "make forget STACKS=s3-stage" in text
    deployed = make(repo, "deploy")
    assert deployed.returncode == 0 and "not touched: `s3-stage`" in deployed.output, deployed.output[-2000:]
    assert demo.objects("stage") == stage_before
    wrong = make(repo, "deploy", "STACKS=s3-stage")
    assert wrong.returncode != 0 and "main.py no longer declares it" in wrong.output, wrong.output[-2000:]
    assert demo.objects("stage") == stage_before
    gone = make(repo, "destroy", "STACKS=s3-stage")
    assert gone.returncode == 0, gone.output[-3000:]
    assert demo.count("stage") == 0
    assert plan_script(repo).returncode == 0
    app.write_text(declared)

    # A destroy killed part-way, its state file emptied: restored from the backup, then 0 objects.
    assert demo.count("dev") > 0
    demo.faults(latency_ms=600)
    demo.reset()
    env = make_environment()
    process = subprocess.Popen(["make", "--no-print-directory", "destroy", "STACKS=s3-dev"], cwd=repo, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        wait_for(lambda: any(r["method"] == "DELETE" and r["status"] == 204 for r in demo.requests()), 120,
                 "the first delete")
        for pid in [process.pid, *descendants(process.pid)]:  # make, the runner, terraform, the provider
            os.kill(pid, signal.SIGKILL)
        process.wait(60)
    finally:
        if process.poll() is None:
            process.kill()
    demo.faults()
    state = repo / "terraform.s3-dev.tfstate"
    state.write_bytes(b"")  # what a kill while Terraform rewrites the file leaves (hashicorp/terraform#34266)
    assert (repo / "terraform.s3-dev.tfstate.backup").stat().st_size > 0
    again = make(repo, "destroy", "STACKS=s3-dev")
    assert again.returncode == 0, again.output[-3000:]
    assert "its state file was empty" in again.output
    assert "restored from terraform.s3-dev.tfstate.backup" in again.output
    assert demo.count("dev") == 0
    assert list(repo.glob("terraform.s3-dev.tfstate.broken-*"))

    # No backup: refused with the way out; following it adopts every object back, creating none.
    prod = repo / "terraform.s3-prod.tfstate"
    prod_before = demo.objects("prod")
    prod.write_bytes(b"")
    (repo / "terraform.s3-prod.tfstate.backup").unlink(missing_ok=True)
    stopped = plan_script(repo, "s3-prod")
    assert stopped.returncode == 1
    text = (repo / "plan.md").read_text()
    assert "State not readable" in text and "no whole backup" in text and "make deploy STACKS=s3-prod" in text, text
    prod.rename(repo / "terraform.s3-prod.tfstate.broken")
    demo.reset()
    adopted = make(repo, "deploy", "STACKS=s3-prod")
    assert adopted.returncode == 0, adopted.output[-3000:]
    assert demo.posts() == 0, "every object adopted back, none created again"
    assert demo.objects("prod") == prod_before
    assert plan_script(repo, "s3-prod").returncode == 0
