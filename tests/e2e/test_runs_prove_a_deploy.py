"""Runs that prove a deploy: `make verify` / `aep-iac verify` and `make status` / `aep-iac status`,
green and red, against the demo's local AEP, through the documented commands.

One copy of the project after `make demo`, then in order: the demo's runs verify (0); a `once`
dataflow added to main.py reads a file whose rows mostly fail (put in the local S3 bucket through
the local AEP's S3 API), so verify exits 2 and verify.md names the file and Adobe's error; a verify
that no run can satisfy in time exits 1 naming the flow; the health report flags a dataflow
disabled behind Terraform's back and the flows that are late (judged three hours on), and exits 0
once the deploy enabled it again and the scheduler's clock reached those three hours.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
import requests

from aep_iac import localdemo
from aep_iac.project import run_command
from aep_local.testing import LocalAep
from tests.conftest import FlowApi
from tests.e2e.edits import edited
from tests.e2e.repo_copy import after_demo, copy_checkout, make, make_environment
from tests.e2e.test_team_workflow import free_port

pytestmark = pytest.mark.e2e

BAD_FILE = "bad-2024-04.csv"
BAD_ROWS = "order_id,customer_id,total,currency,ordered_at\nORD-1,CUST-1,10.00,USD,2024-04-01T10:00:00Z\n" + \
    "".join(f"ORD-{i},CUST-{i},oops\n" for i in range(2, 21))  # 19 of 20 rows: too few columns
ONCE_FLOW = '''
# Added by the test: a one-off load of April's file, in dev only.
DATAFLOWS.append(Dataflow(key="orders_april", name="Orders of April (one-off)", connection="orders_landing",
                          path="bad-2024-04.csv", path_type="file", format=Delimited(delimiter=","),
                          dataset="orders", mapping="orders_columns", schedule=Schedule.once(), sandboxes=("dev",)))
'''
MARK = "# Which stack (Terraform state) holds each connection"


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[tuple[Path, int]]:
    with after_demo(copy_checkout(tmp_path / "repo"), free_port()) as made:
        yield made


def aep_iac(repo: Path, *args: str, timeout: float = 600) -> tuple[int, str]:
    """`.venv/bin/aep-iac ARGS` in the copy, as the README and the workflow run it."""
    done = run_command([str(repo / ".venv" / "bin" / "aep-iac"), *args], repo, make_environment(), timeout)
    return done.returncode, done.output


def test_verify_and_status_judge_the_runs_green_and_red(demo: tuple[Path, int]) -> None:
    repo, port = demo
    server = LocalAep.attach(port)

    # Green: the demo's own deploy; its five dataflows' first runs are within their expectations.
    assert make(repo, "verify").returncode == 0
    code, out = aep_iac(repo, "verify")
    assert code == 0, out[-3000:]
    verified = json.loads((repo / "verify.json").read_text())
    assert [f["verdict"] for f in verified["flows"]] == ["pass"] * 5
    assert "**5 passed, 0 outside expectations, 0 timed out, 0 errors**" in (repo / "verify.md").read_text()

    # Red: a file whose rows mostly fail, read by a once dataflow a change adds.
    s3 = boto3.client("s3", endpoint_url=server.health()["s3_endpoint"], region_name="eu-west-1",
                      aws_access_key_id="test", aws_secret_access_key="test")
    s3.put_object(Bucket="acme-orders-dev", Key=f"exports/orders/{BAD_FILE}", Body=BAD_ROWS.encode())
    main = (repo / "main.py").read_text()
    (repo / "main.py").write_text(edited(main, (MARK, ONCE_FLOW + "\n" + MARK)))
    plan = run_command([str(repo / "scripts" / "plan")], repo, make_environment(), 600)
    assert plan.returncode == 2, plan.output[-3000:]
    plan_md = (repo / "plan.md").read_text()
    assert "```mermaid" in plan_md and "classDef m_create" in plan_md  # the new flow, green on the picture
    assert make(repo, "deploy").returncode == 0
    assert make(repo, "verify").returncode == 2  # make's own code for any failure
    code, out = aep_iac(repo, "verify")
    assert code == 2, out[-3000:]
    verify_md = (repo / "verify.md").read_text()
    assert "`orders_april` in `s3-dev` (sandbox dev): **outside expectations**" in verify_md, verify_md
    assert f"/acme-orders-dev/exports/orders/{BAD_FILE}: 19 of 20 records could not be parsed" in verify_md
    assert "95% of the records read failed (at most 5% expected)" in verify_md
    (flow,) = json.loads((repo / "verify.json").read_text())["flows"]
    assert (flow["key"], flow["verdict"], flow["read"], flow["failed"]) == ("orders_april", "fail", 20, 19)

    # A verify no run can satisfy in time: exit 1, naming the flow.
    code, out = aep_iac(repo, "verify", "--timeout", "3", "--since", str(time.time()), "--flow", "orders_daily")
    assert code == 1, out[-3000:]
    assert "s3-dev/orders_daily: timeout" in out and "no run finished within the timeout" in out
    assert "**timed out**" in (repo / "verify.md").read_text()

    # The change is taken back: the once flow goes (its records stay in the dataset).
    (repo / "main.py").write_text(main)
    assert make(repo, "deploy").returncode == 0
    code, out = aep_iac(repo, "status")
    assert code == 0, out[-3000:]
    assert make(repo, "status").returncode == 0

    # A dataflow disabled behind Terraform's back, and every flow judged three hours on.
    dev = FlowApi(server, "dev", localdemo.ORG_ID)
    (orders,) = [f for f in dev.list("/flows") if f["name"] == "Orders into the orders dataset"]
    done = requests.post(f"{server.flow_url}/flows/{orders['id']}/action", params={"op": "disable"},
                         headers=dev.headers(), timeout=10)
    assert done.status_code < 300, done.text
    later = time.time() + 3 * 3600
    code, out = aep_iac(repo, "status", "--at", str(later))
    assert code == 2, out[-3000:]
    status_md = (repo / "status.md").read_text()
    assert "s3-dev/orders_daily: disabled outside Terraform (declared enabled)" in out
    assert "s3-stage/orders_daily: late: no run started for" in out and "s3-prod/orders_daily: late" in out
    assert "s3-dev/crm_profiles_daily: healthy" in out  # daily: not late after three hours
    assert "```mermaid" in status_md and "class " in status_md
    assert make(repo, "status").returncode == 2  # the disabled flow, now

    # Fixed: the deploy enables it again; the scheduler's clock reaches those three hours.
    assert make(repo, "deploy").returncode == 0
    server.advance(3 * 3600 + 60)
    code, out = aep_iac(repo, "status", "--at", str(later + 60))
    assert code == 0, out[-3000:]
    assert "**5 healthy, 0 need attention**" in (repo / "status.md").read_text()
