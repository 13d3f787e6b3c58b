"""Interrupted deploys converge: Ctrl-C, or a kill of terraform or of the provider, in the middle of
creating dozens of connections at API latency, then deploy again: exactly the declared connections,
no duplicate, no orphan, and every etag in state is the server's.

Each case runs a real deploy of aep_iac/apps/fleet.py (N connections in one stack) against the
local AEP with added latency, interrupts it once the server has committed a few creates,
and redeploys.
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
import requests

from aep_iac.processes import process_alive
from aep_iac.project import CdktfProject, interrupt
from aep_local.testing import LocalAep
from tests.conftest import FlowApi, provider_env
from tests.e2e.processes import find, is_provider, is_terraform_apply, wait_for
from tests.e2e.requestlog import calls, writes

pytestmark = [pytest.mark.e2e, pytest.mark.framework]

N = 30
LATENCY_MS = 400
CREDENTIALS = {"TF_VAR_s3_access_key": "AKIAINTERRUPT0001", "TF_VAR_s3_secret_key": "interrupt-secret-0001",
               "TF_VAR_s3_session_token": "interrupt-token-0001"}


@pytest.fixture
def fleet(tmp_path: Path, local_aep: LocalAep, cli_config: Path) -> CdktfProject:
    env = provider_env(local_aep, tmp_path / "token-cache") | CREDENTIALS | {"FLEET_CONNECTIONS": str(N)}
    project = CdktfProject.fleet(tmp_path / "app", cli_config, env)
    project.lock()
    return project


def posts(server: LocalAep) -> int:
    """Creates the server committed, not POSTs received: a request the killed provider had only half
    sent creates nothing (the local AEP drops it, as a gateway would)."""
    return len([r for r in calls(server, "POST") if r["status"] == 201])


def start_and_interrupt(project: CdktfProject, server: LocalAep, command: list[str],
                        interrupt_with: Callable[[subprocess.Popen[str]], None]) -> tuple[int, str]:
    """Start a deploy, act once the server has committed a few creates, wait for the command to end."""
    server.set_faults(latency_ms=LATENCY_MS)
    server.reset_requests()
    process = project.start(command)
    try:
        wait_for(lambda: posts(server) >= 3, 120, "the first creates")
        involved = find(process.pid, lambda argv: is_terraform_apply(argv) or is_provider(argv))
        interrupt_with(process)
        output, _ = process.communicate(timeout=180)
        # A CLI may return before the terraform it started has ended (cdktf 0.21 does): wait for it,
        # so what is compared below is final.
        wait_for(lambda: not any(process_alive(pid) for pid in involved), 180, "terraform and the provider to end")
        # Requests of a killed provider still run to their end on the server (latency included).
        server.wait_idle()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    server.clear_faults()
    return process.returncode, output


def assert_converged(project: CdktfProject, flow_api: FlowApi) -> None:
    """Exactly the declared connections, each once, all in state with the server's etag."""
    on_server = flow_api.list()
    names = sorted(c["name"] for c in on_server)
    assert names == [f"fleet-{i:03d}" for i in range(1, N + 1)], f"duplicates or orphans: {names}"
    in_state = {c["id"]: c for c in project.connections_in_state()}
    assert set(in_state) == {c["id"] for c in on_server}
    for connection in on_server:
        assert in_state[connection["id"]]["etag"] == connection["etag"]


def test_ctrl_c_of_make_deploy_is_graceful_then_converges(fleet: CdktfProject, local_aep: LocalAep,
                                                          flow_api: FlowApi) -> None:
    """Through aep_iac.cdk (what `make deploy` runs): in-flight creates finish and reach state."""
    code, output = start_and_interrupt(fleet, local_aep, fleet.deploy_command(), interrupt)
    assert code == 130, output
    assert "Interrupted" in output and "state is saved" in output
    first = posts(local_aep)
    created = {c["id"] for c in flow_api.list()}
    assert 0 < len(created) == first < N
    assert {c["id"] for c in fleet.connections_in_state()} == created  # graceful: nothing lost from state
    local_aep.reset_requests()
    fleet.deploy()
    assert first + posts(local_aep) == N  # every connection created exactly once
    assert calls(local_aep, "PATCH") == []  # nothing to adopt
    assert_converged(fleet, flow_api)


def test_ctrl_c_of_bare_cdktf_leaves_creates_that_the_next_deploy_adopts(
        fleet: CdktfProject, local_aep: LocalAep, flow_api: FlowApi) -> None:
    """`cdktf deploy` (or `cdktn deploy`) typed directly: cdktf 0.21 kills terraform, so committed
    creates can miss the state; the next deploy adopts them (one PATCH each) instead of creating
    duplicates. (cdktn stops terraform gracefully but exits 0: the exit status is not checked here;
    aep_iac.cdk's is, above.)"""
    command = [str(fleet.cli), "deploy", fleet.stack, "--auto-approve"]
    start_and_interrupt(fleet, local_aep, command, interrupt)
    first = posts(local_aep)
    local_aep.reset_requests()
    run = fleet.deploy()
    assert first + posts(local_aep) == N  # none created twice
    adopted = len(calls(local_aep, "PATCH"))
    assert ("will be adopted" in run.output) == (adopted > 0)
    assert_converged(fleet, flow_api)


@pytest.mark.parametrize(("victim", "match"), [("terraform", is_terraform_apply), ("provider", is_provider)])
def test_kill_9_mid_apply_then_converges(fleet: CdktfProject, local_aep: LocalAep, flow_api: FlowApi,
                                         victim: str, match: Callable[[list[str]], bool]) -> None:
    def kill(process: subprocess.Popen[str]) -> None:
        targets = find(process.pid, match)
        assert targets, f"no {victim} process found under the deploy"
        for pid in targets:
            os.kill(pid, signal.SIGKILL)

    code, output = start_and_interrupt(fleet, local_aep, fleet.deploy_command(), kill)
    assert code != 0, output
    first = posts(local_aep)
    first_calls = Counter((r["method"], r["status"]) for r in writes(local_aep))
    local_aep.reset_requests()
    again = fleet.deploy(check=False)
    assert again.returncode == 0, f"first run:\n{output[-3000:]}\nredeploy:\n{again.output[-5000:]}"
    assert_converged(fleet, flow_api)  # names each duplicate or orphan, if any
    again_calls = Counter((r["method"], r["status"]) for r in writes(local_aep))
    assert first + posts(local_aep) == N, (first_calls, again_calls, again.output[-3000:])


# --- the whole ingestion path: connections, their source and target connections, dataflows -------

FLOWS = 8
KIND_PATHS = {"aep_s3_base_connection": "/connections", "aep_source_connection": "/sourceConnections",
              "aep_target_connection": "/targetConnections", "aep_dataflow": "/flows"}


@pytest.fixture
def path_fleet(tmp_path: Path, local_aep: LocalAep, cli_config: Path) -> CdktfProject:
    env = provider_env(local_aep, tmp_path / "token-cache") | CREDENTIALS
    env |= {"FLEET_CONNECTIONS": str(FLOWS), "FLEET_DATAFLOWS": str(FLOWS)}
    project = CdktfProject.fleet(tmp_path / "app", cli_config, env)
    project.lock()
    return project


def created(server: LocalAep) -> Counter[str]:
    """Creates the server committed, per collection."""
    return Counter(r["template"] for r in server.requests()
                   if r["method"] == "POST" and r["status"] == 201 and r["template"] in KIND_PATHS.values())


def assert_path_converged(project: CdktfProject, flow_api: FlowApi) -> None:
    """Every kind: exactly the declared objects, each once, all in state with the server's etag."""
    for kind, path in KIND_PATHS.items():
        response = requests.get(f"{flow_api.server.flow_url}{path}", headers=flow_api.headers(), timeout=10)
        on_server = response.json()["items"]
        names = Counter(item["name"] for item in on_server)
        assert len(names) == FLOWS and set(names.values()) == {1}, f"{kind}: duplicates or missing: {names}"
        in_state = {o["id"]: o for o in project.connections_in_state(resource_type=kind)}
        assert set(in_state) == {item["id"] for item in on_server}, f"{kind}: orphans or ghosts"
        for item in on_server:
            assert in_state[item["id"]]["etag"] == item["etag"], kind


@pytest.mark.parametrize("how", ["ctrl-c", "ctrl-c-bare-cli", "kill-terraform", "kill-provider"])
def test_the_whole_path_survives_an_interrupt_without_duplicates(
        path_fleet: CdktfProject, local_aep: LocalAep, flow_api: FlowApi, how: str) -> None:
    """32 objects of four kinds at 400 ms per request, interrupted once the first creates are in:
    the next deploy makes exactly the missing ones (adopting what a kill left unrecorded)."""
    def kill(match: Callable[[list[str]], bool]) -> Callable[[subprocess.Popen[str]], None]:
        def act(process: subprocess.Popen[str]) -> None:
            for pid in find(process.pid, match):
                os.kill(pid, signal.SIGKILL)
        return act

    command = ([str(path_fleet.cli), "deploy", path_fleet.stack, "--auto-approve"] if how == "ctrl-c-bare-cli"
               else path_fleet.deploy_command())
    action = {"ctrl-c": interrupt, "ctrl-c-bare-cli": interrupt, "kill-terraform": kill(is_terraform_apply),
              "kill-provider": kill(is_provider)}[how]
    code, output = start_and_interrupt(path_fleet, local_aep, command, action)
    if how == "ctrl-c":
        assert code == 130, output
    first = created(local_aep)
    assert sum(first.values()) < 4 * FLOWS, "the interrupt came too late to test anything"
    local_aep.reset_requests()
    again = path_fleet.deploy(check=False)
    assert again.returncode == 0, f"first run:\n{output[-3000:]}\nredeploy:\n{again.output[-5000:]}"
    assert_path_converged(path_fleet, flow_api)
    total = first + created(local_aep)
    assert all(total[path] <= FLOWS for path in KIND_PATHS.values()), total  # nothing created twice
