"""Upgrading from release 0.1.0 as a user does: make demo on 0.1.0, pull this release, one step.

The old release is this repository's own commit (``RELEASE_0_1_0``), cloned and set up from
scratch (its own venv: its packages had other names), its demo deployed to every sandbox with
every kind. Then the checkout's files replace the clone's tracked files, as ``git pull`` would
(new modification times, so make sets up again), and:

* the plan before migrating fails, naming the step, and plans nothing (no re-creation);
* ``make migrate`` renames every state entry and moves the demo's data, with no write to AEP;
* ``scripts/plan`` then exits 0, every id and etag as before; a second migrate changes nothing.

A plain Terraform folder deployed with 0.1.0's example gets the same from ``--dir``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import requests

from aep_iac.project import ROOT, run_command
from aep_spec import identity, legacy
from tests.e2e.edits import edited
from tests.e2e.repo_copy import copy_files, make, make_environment, plan_script
from tests.e2e.test_team_workflow import free_port

pytestmark = pytest.mark.e2e

#: The landed commit of release 0.1.0 (provider terraform.local/aep/flowservice).
RELEASE_0_1_0 = "bbbfaa19ebd4aa272cda25b3d30c0ccf77f92606"
WRITES = ("POST", "PATCH", "PUT", "DELETE")
FLOW_SERVICE = "/data/foundation/flowservice/"
HCL_CREDENTIALS = {"TF_VAR_s3_access_key": "AKIAUPGRADEHCL000001", "TF_VAR_s3_secret_key": "upgrade-hcl-secret-1",
                   "TF_VAR_s3_session_token": "upgrade-hcl-token-1"}


def clone_release(folder: Path) -> Path:
    """This repository at release 0.1.0, its node packages shared (package-lock.json is the same)."""
    found = subprocess.run(["git", "cat-file", "-e", f"{RELEASE_0_1_0}^{{commit}}"], cwd=ROOT, capture_output=True)
    assert found.returncode == 0, (f"release 0.1.0 ({RELEASE_0_1_0}) is not in this clone's history; "
                                   "the upgrade test needs the repository's full history (not a shallow clone)")
    subprocess.run(["git", "clone", "--quiet", "--shared", "--no-checkout", str(ROOT), str(folder)], check=True)
    subprocess.run(["git", "checkout", "--quiet", RELEASE_0_1_0], cwd=folder, check=True)
    assert (folder / "package-lock.json").read_bytes() == (ROOT / "package-lock.json").read_bytes()
    (folder / "node_modules").symlink_to(ROOT / "node_modules")
    (folder / ".stamps").mkdir()
    for stamp in ("prereqs", "node"):
        (folder / ".stamps" / stamp).touch()
    return folder


#: A team's own files: their declarations, which upgrading the product does not change.
OWN = ("main.py", "placement.json")


def pull_this_release(folder: Path) -> None:
    """What upgrading does to a team's repository made from this one: every file of the product
    becomes this checkout's (new mtimes, as a pull writes them), the team's own declarations stay."""
    kept = {name: (folder / name).read_bytes() for name in OWN}
    old = subprocess.run(["git", "ls-files", "-z"], cwd=folder, capture_output=True, check=True).stdout
    for name in old.decode().split("\0"):
        if name:
            (folder / name).unlink(missing_ok=True)
    copy_files(folder, keep_times=False)
    for name, data in kept.items():
        (folder / name).write_bytes(data)
    for stamp in ("prereqs", "node"):  # node_modules is shared, and package-lock.json did not change
        (folder / ".stamps" / stamp).touch()


def objects_by_address(folder: Path) -> dict[str, tuple[str, str | None]]:
    """(id, etag) of every managed object in the project's local states, keyed by stack and name."""
    found = {}
    for path in sorted(folder.glob("terraform.*.tfstate")):
        for resource in json.loads(path.read_text())["resources"]:
            if resource["mode"] != "managed":
                continue
            for instance in resource["instances"]:
                attributes = instance["attributes"]
                kind = resource["type"].split("_", 1)[1]  # the same after the rename
                found[f"{path.name}:{kind}.{resource['name']}"] = (attributes["id"], attributes.get("etag"))
    return found


def local_requests(port: int) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = requests.get(f"http://127.0.0.1:{port}/__local/requests", timeout=10).json()
    return entries


def flow_writes(port: int) -> list[str]:
    return [f"{r['method']} {r['path']}" for r in local_requests(port)
            if r["method"] in WRITES and r["path"].startswith(FLOW_SERVICE)]


def reset_requests(port: int) -> None:
    requests.delete(f"http://127.0.0.1:{port}/__local/requests", timeout=10).raise_for_status()


def hcl_terraform(folder: Path, env: Mapping[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["terraform", *args, "-no-color", "-input=false"], cwd=folder, env=dict(env),
                          capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)


@pytest.fixture
def release_demo(tmp_path: Path) -> Iterator[tuple[Path, int]]:
    """A clone of release 0.1.0 after its own `make demo`; whatever server runs at the end is stopped."""
    repo = clone_release(tmp_path / "repo")
    port = free_port()
    try:
        done = make(repo, "demo", f"PORT={port}")
        assert done.returncode == 0, done.output[-3000:]
        yield repo, port
    finally:
        for run_file in ("flowservice.pid", "local-aep.pid"):  # this test's servers only, by their pid files
            pid_file = repo / ".run" / run_file
            if pid_file.exists():
                subprocess.run(["kill", pid_file.read_text().strip()], capture_output=True)


def test_upgrade_from_release_0_1_0_is_one_step_with_no_write(release_demo: tuple[Path, int], tmp_path: Path) -> None:
    repo, port = release_demo
    before = objects_by_address(repo)
    kinds = {address.split(":")[1].split(".")[0] for address in before}
    assert kinds == {"s3_base_connection", "source_connection", "target_connection", "dataflow"}, kinds
    stacks = {address.split(":")[0] for address in before}
    assert stacks == {f"terraform.s3-{sandbox}.tfstate" for sandbox in ("dev", "stage", "prod")}
    old_state = (repo / "terraform.s3-dev.tfstate").read_text()
    assert f'provider[\\"{legacy.SOURCE}\\"]' in old_state and '"type": "flowservice_dataflow"' in old_state

    # A plain Terraform folder on 0.1.0 too: its own example, deployed with that release's mirror.
    hcl = tmp_path / "hcl"
    hcl.mkdir()
    shutil.copy(repo / "examples" / "provider" / "provider.tf", hcl)
    example = (repo / "examples" / "resources" / "flowservice_s3_base_connection" / "resource.tf").read_text()
    (hcl / "resource.tf").write_text(edited(example, ('"Amazon S3 base connection"', '"Upgrade test (plain HCL)"')))
    demo = json.loads((repo / ".run" / "demo.json").read_text())
    hcl_env = {**make_environment(), **HCL_CREDENTIALS, "TF_CLI_CONFIG_FILE": str(repo / ".tf" / "cli.tfrc"),
               "AEP_FLOW_SERVICE_URL": demo["AEP_FLOW_SERVICE_URL"], "AEP_IMS_URL": demo["AEP_IMS_URL"],
               "AEP_CLIENT_ID": "local-demo-client", "AEP_CLIENT_SECRET": "local-demo-secret",
               "AEP_ORG_ID": "DEMO0000000000000000000@AdobeOrg", "AEP_SANDBOX_NAME": "dev"}
    for args in (("init",), ("apply", "-auto-approve")):
        done = hcl_terraform(hcl, hcl_env, *args)
        assert done.returncode == 0, done.stdout + done.stderr
    hcl_before = json.loads((hcl / "terraform.tfstate").read_text())

    pull_this_release(repo)
    reset_requests(port)

    # Not migrated yet: the plan fails at once, naming the step, and plans no re-creation.
    guarded = plan_script(repo)
    assert guarded.returncode == 1, guarded.output[-3000:]
    plan_md = (repo / "plan.md").read_text()
    assert legacy.GUARD_SUMMARY in plan_md and legacy.MIGRATE_PROJECT in plan_md, plan_md
    assert "0 to create, 0 to update, 0 to replace, 0 to delete" in plan_md, plan_md
    assert plan_md.count(legacy.GUARD_SUMMARY) == 1 and "already exists" not in plan_md, plan_md  # every stack's
    assert "(`provider configuration`, `s3-dev`, `s3-prod`, `s3-stage`)" in plan_md, plan_md
    assert flow_writes(port) == []

    migrated = make(repo, "migrate")
    assert migrated.returncode == 0, migrated.output[-3000:]
    assert "local AEP data: .flowservice-data -> .local-aep-data; restarted on port" in migrated.output
    assert "migrated 33 resource(s) in 3 of 3 state(s)" in migrated.output, migrated.output[-3000:]
    assert not (repo / ".flowservice-data").exists() and (repo / ".local-aep-data" / "local-aep.sqlite3").exists()

    planned = plan_script(repo)
    assert planned.returncode == 0, planned.output[-3000:]
    assert "**0 to create, 0 to update, 0 to replace, 0 to delete**" in (repo / "plan.md").read_text()
    assert flow_writes(port) == [], "migrate and the plan after it must not write to Flow Service"
    assert objects_by_address(repo) == before
    for path in repo.glob("terraform.*.tfstate"):
        text = path.read_text()
        assert legacy.SOURCE not in text and "flowservice_" not in text, path.name
        assert f'provider[\\"{identity.SOURCE}\\"]' in text
    again = make(repo, "migrate")
    assert again.returncode == 0 and "every state already uses 0.2.0's names" in again.output, again.output[-2000:]

    # The plain Terraform folder: one command renames its files and its state; plan says no change.
    reset_requests(port)
    new_env = {**hcl_env, "TF_CLI_CONFIG_FILE": str(repo / ".aep" / "cli.tfrc")}
    venv_python = repo / ".venv" / "bin" / "python"
    step = run_command([str(venv_python), "-m", "aep_iac.migrate", "--dir", str(hcl)], repo, new_env, 300)
    assert step.returncode == 0, step.output
    assert "resource.tf: renamed" in step.output and "provider.tf: renamed" in step.output, step.output
    text = (hcl / "resource.tf").read_text() + (hcl / "provider.tf").read_text()
    assert "flowservice_" not in text and legacy.SOURCE not in text and f'"{identity.SOURCE}"' in text
    assert f'provider "{identity.TYPE}"' in text and f'version = "{identity.VERSION}"' in text
    assert legacy.SOURCE not in (hcl / ".terraform.lock.hcl").read_text()
    checked = hcl_terraform(hcl, new_env, "plan", "-detailed-exitcode")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    hcl_after = json.loads((hcl / "terraform.tfstate").read_text())
    [old_connection] = hcl_before["resources"]
    [new_connection] = hcl_after["resources"]
    assert new_connection["type"] == identity.S3_BASE_CONNECTION
    assert new_connection["instances"][0]["attributes"]["etag"] == old_connection["instances"][0]["attributes"]["etag"]
    assert flow_writes(port) == []
