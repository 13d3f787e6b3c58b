"""A sandbox spread over several stacks: stable placement through real deploys, a rebalance that
moves state without a call to AEP, one bound on calls in flight across concurrent stacks, and
Ctrl-C of all of them at once.

Each test deploys the fleet app (``aep_iac/apps/fleet.py``) with ``FLEET_BOUND`` set, through
``aep_iac.stacks`` (what ``make deploy`` runs), against the local AEP.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from aep_iac.project import CdktfProject
from aep_local.testing import LocalAep
from benchmarks.serverlog import peak_in_flight
from tests.conftest import FlowApi, provider_env
from tests.e2e.edits import edited
from tests.e2e.processes import wait_for

pytestmark = pytest.mark.e2e

KEYS = {"TF_VAR_s3_access_key": "AKIASCALE0001", "TF_VAR_s3_secret_key": "scale-secret-0001",
        "TF_VAR_s3_session_token": "scale-token-0001"}
WRITES = ("POST", "PATCH", "PUT", "DELETE")


@pytest.fixture
def fleet(tmp_path: Path, local_aep: LocalAep, cli_config: Path) -> Iterator[CdktfProject]:
    env = provider_env(local_aep, tmp_path / "token-cache") | KEYS | {"FLEET_BOUND": "10",
                                                                        "FLEET_CONNECTIONS": "25"}
    project = CdktfProject.fleet(tmp_path / "app", cli_config, env)
    project.lock()
    yield project


def placement(project: CdktfProject) -> dict[str, list[str]]:
    return dict(json.loads((project.folder / "placement.json").read_text())["sandboxes"]["prod"])


def holder(project: CdktfProject) -> dict[str, str]:
    """Which stack's state holds each connection (by key)."""
    found: dict[str, str] = {}
    for stack in project.stacks:
        for resource in project.state(stack).get("resources", []):
            if (resource["type"] == "aep_s3_base_connection" and resource["mode"] == "managed"
                    and resource["instances"]):
                assert resource["name"] not in found, f"{resource['name']} in two states"
                found[resource["name"]] = stack
    return found


def api_calls(server: LocalAep) -> list[dict[str, Any]]:
    return [r for r in server.requests() if not r["path"].startswith("/__local")]


def test_placement_holds_through_deploys_and_a_rebalance_moves_state_without_a_call(
        fleet: CdktfProject, local_aep: LocalAep, flow_api: FlowApi) -> None:
    fleet.run(fleet.stacks_command("apply"))
    assert fleet.stacks == ("s3-fleet", "s3-fleet-2", "s3-fleet-3")
    assert sorted(len(keys) for keys in placement(fleet).values()) == [8, 8, 9]
    before = holder(fleet)
    assert len(before) == 25 and len(flow_api.list()) == 25

    # Three connections added and two removed: nothing else moves, one POST or DELETE each.
    local_aep.reset_requests()
    fleet.env["FLEET_CONNECTIONS"] = "28"
    (fleet.folder / "fleet.py").write_text(edited((fleet.folder / "fleet.py").read_text(), (
        "for i in range(1, count + 1)]\n\n\ndef target_of",
        "for i in range(1, count + 1) if i not in (4, 17)]\n\n\ndef target_of")))
    fleet.lock()
    fleet.run(fleet.stacks_command("apply"))
    methods = sorted(r["method"] for r in api_calls(local_aep) if r["method"] in WRITES)
    assert methods == ["DELETE", "DELETE", "POST", "POST", "POST"]
    after = holder(fleet)
    assert {k: s for k, s in after.items() if k in before} == {k: s for k, s in before.items() if k in after}
    assert set(after) == {f"fleet_{i:03d}" for i in range(1, 29) if i not in (4, 17)}

    # A lower bound: the rebalance spreads 26 connections over 6 stacks of at most 5, moving state only.
    local_aep.reset_requests()
    run = fleet.run([sys.executable, "-m", "aep_iac.rebalance", "--project", ".", "--app", "fleet.py",
                     "--bound", "5"])
    assert api_calls(local_aep) == []  # not a call to Flow Service or IMS, let alone a write
    assert "no call to Flow Service" in run.output
    fleet.env["FLEET_BOUND"] = "5"
    fleet.lock()
    assert len(fleet.stacks) == 6 and max(len(keys) for keys in placement(fleet).values()) <= 5
    moved = holder(fleet)
    assert set(moved) == set(after)
    assert {s: sorted(k for k, h in moved.items() if h == s) for s in fleet.stacks} == placement(fleet)
    # Each object's ownership record moved with it: the stack that holds it is the one that may adopt it.
    claims = {s: len(list((fleet.folder / f"terraform.{s}.tfstate.owned").rglob("*.json"))) for s in fleet.stacks}
    assert claims == {s: len(keys) for s, keys in placement(fleet).items()}
    # Every stack plans nothing: the moved objects kept their ids, etags and credential versions.
    local_aep.reset_requests()
    plan = fleet.run([sys.executable, "-m", "aep_iac.plan", "--project", ".", "--out", "plan.md",
                      "--json", "plan.json"], check=False)
    assert plan.returncode == 0, plan.output
    assert [r["method"] for r in api_calls(local_aep) if r["method"] in WRITES] == []
    assert "**0 to create, 0 to update, 0 to replace, 0 to delete** in 1 sandbox (6 stacks)" in (
        fleet.folder / "plan.md").read_text()


def test_one_bound_on_calls_in_flight_across_concurrent_stacks(
        fleet: CdktfProject, local_aep: LocalAep) -> None:
    local_aep.set_faults(latency_ms=150)
    local_aep.reset_requests()
    fleet.run(fleet.stacks_command("apply"), {"AEP_MAX_IN_FLIGHT": "4"})
    entries = api_calls(local_aep)
    assert len([e for e in entries if e["method"] == "POST" and e["status"] == 201]) == 25
    assert peak_in_flight(entries) <= 4  # three stacks side by side, 4 calls at most in all
    assert peak_in_flight(entries) >= 3  # and the stacks did run side by side
    assert len([e for e in entries if e["path"].startswith("/ims")]) == 1  # one token for the command
    lists = [e for e in entries if e["method"] == "GET" and e["template"] == "/connections"]
    assert len(lists) == 3 * 2 and all(e["query"].get("limit") == ["1000"] for e in lists)


def test_a_lone_stack_with_changes_gets_the_whole_bound(fleet: CdktfProject, local_aep: LocalAep) -> None:
    """The bound is one pool, not a share per stack: when only one of three stacks has work (the
    usual pull request), its calls alone fill the bound."""
    fleet.run(fleet.stacks_command("apply", "s3-fleet-2", "s3-fleet-3"))
    local_aep.set_faults(latency_ms=150)
    local_aep.reset_requests()
    run = fleet.run(fleet.stacks_command("apply"), {"AEP_MAX_IN_FLIGHT": "4"})
    assert "apply: 3 of 3 stack(s) done" in run.stdout
    entries = api_calls(local_aep)
    posts = [e for e in entries if e["method"] == "POST" and e["status"] == 201]
    assert len(posts) == len(placement(fleet)["s3-fleet"]) >= 8  # the first stack's, nothing else
    assert peak_in_flight([e for e in entries if e["method"] == "POST"]) == 4


def test_ctrl_c_stops_every_stack_gracefully_and_the_next_deploy_converges(
        fleet: CdktfProject, local_aep: LocalAep, flow_api: FlowApi) -> None:
    local_aep.set_faults(latency_ms=400)
    local_aep.reset_requests()
    process = fleet.start(fleet.stacks_command("apply"))
    try:
        wait_for(lambda: len([r for r in local_aep.requests() if r["method"] == "POST"
                              and r["status"] == 201]) >= 4, 120, "the first creates")
        os.killpg(process.pid, signal.SIGINT)  # a terminal's Ctrl-C
        output, _ = process.communicate(timeout=180)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    local_aep.wait_idle()
    local_aep.clear_faults()
    assert process.returncode == 130, output
    assert "Interrupted; state is saved" in output
    created = {c["name"]: c["id"] for c in flow_api.list()}
    assert 0 < len(created) < 25
    recorded = holder(fleet)
    assert len(recorded) == len(created)  # graceful in every stack: nothing created went unrecorded
    again = fleet.run(fleet.stacks_command("apply"))
    assert again.returncode == 0
    names = [c["name"] for c in flow_api.list()]
    assert sorted(names) == [f"fleet-{i:03d}" for i in range(1, 26)]  # each once
    assert set(holder(fleet)) == {f"fleet_{i:03d}" for i in range(1, 26)}
