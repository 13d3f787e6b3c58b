"""End to end: real Terraform 1.11 drives the protocol layer through the ``testkv`` provider.

The provider is installed the way the project installs its own: a launcher script in an
unpacked filesystem mirror named by a CLI config, so ``terraform init`` works offline.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest

from aep_iac.mirror import terraform_platform

HERE = Path(__file__).resolve().parent
SOURCE = "terraform.local/test/testkv"
VERSION = "0.0.1"
SECRET_1 = "wo-secret-ONE-5f1d0c"
SECRET_2 = "wo-secret-TWO-9a7b3e"

PROVIDER_TF = """
terraform {
  required_providers {
    testkv = { source = "%(source)s", version = "%(version)s" }
  }
}

provider "testkv" {
  path = "${path.module}/data.json"
}
"""

MAIN_TF = """
variable "value" { type = string }
variable "secret_version" { type = number }
variable "secret" {
  type      = string
  sensitive = true
  ephemeral = true
}

resource "testkv_item" "one" {
  key               = "alpha"
  value             = var.value
  tags              = { team = "core", env = "test" }
  ports             = [80, 443]
  secret_wo         = var.secret
  secret_wo_version = var.secret_version
}

output "revision" { value = testkv_item.one.revision }
"""

# Read at plan: a seeded item and a missing one (a list of objects, a map), and an empty lookup.
# Read at apply: a lookup by the id of an item this very apply creates.
DATA_TF = """
data "testkv_lookup" "seeded" {
  keys = ["alpha", "nope"]
}

data "testkv_lookup" "none" {
  keys = []
}

resource "testkv_item" "made" {
  key   = "beta"
  value = "made-by-terraform"
}

data "testkv_lookup" "made" {
  ids = [testkv_item.made.id]
}

output "seeded_items" { value = data.testkv_lookup.seeded.items }
output "seeded_values" { value = data.testkv_lookup.seeded.values }
output "none" { value = data.testkv_lookup.none }
output "made_items" { value = data.testkv_lookup.made.items }
output "made_values" { value = data.testkv_lookup.made.values }
"""

pytestmark = pytest.mark.e2e


def _workspace(tmp_path: Path, main_tf: str) -> dict[str, Path]:
    """A provider mirror, a CLI config naming it, and a working directory holding ``main_tf``."""
    mirror = tmp_path / "mirror"
    plat = mirror / SOURCE / VERSION / terraform_platform()
    plat.mkdir(parents=True)
    launcher = plat / f"terraform-provider-testkv_v{VERSION}"
    launcher.write_text(f"#!/bin/sh\nexec {sys.executable} {HERE / 'testkv_provider.py'}\n")
    launcher.chmod(0o755)
    cli = tmp_path / "cli.tfrc"
    cli.write_text(
        "provider_installation {\n"
        f'  filesystem_mirror {{\n    path    = "{mirror}"\n    include = ["{SOURCE}"]\n  }}\n'
        f'  direct {{\n    exclude = ["{SOURCE}"]\n  }}\n'
        "}\n"
    )
    work = tmp_path / "work"
    work.mkdir()
    (work / "main.tf").write_text((PROVIDER_TF + main_tf) % {"source": SOURCE, "version": VERSION})
    return {"root": tmp_path, "work": work, "cli": cli, "observe": tmp_path / "observe.jsonl"}


@pytest.fixture
def workspace(tmp_path: Path) -> dict[str, Path]:
    return _workspace(tmp_path, MAIN_TF)


def _terraform(
    ws: dict[str, Path], *args: str, value: str = "", secret: str = "", version: int = 0, ok: tuple[int, ...] = (0,),
    extra: Mapping[str, str] | None = None,
) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TF_", "PLUGIN_"))}
    env.update(
        CHECKPOINT_DISABLE="1",
        TF_CLI_CONFIG_FILE=str(ws["cli"]),
        TF_IN_AUTOMATION="1",
        TF_INPUT="0",
        TESTKV_OBSERVE=str(ws["observe"]),
        TF_VAR_value=value,
        TF_VAR_secret=secret,
        TF_VAR_secret_version=str(version),
        TF_LOG="debug",
        TF_LOG_PATH=str(ws["root"] / "terraform.log"),
    )
    env.update(extra or {})
    proc = subprocess.run(
        ["terraform", *args, "-no-color"],
        cwd=ws["work"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode in ok, f"terraform {' '.join(args)} exited {proc.returncode}:\n{out}"
    return out + f"\n[exit {proc.returncode}]"


def _state_text(ws: dict[str, Path]) -> str:
    return (ws["work"] / "terraform.tfstate").read_text()


def _instance(ws: dict[str, Path]) -> dict:
    state = json.loads(_state_text(ws))
    (res,) = state["resources"]
    (inst,) = res["instances"]
    return inst


def test_lifecycle_with_real_terraform(workspace: dict[str, Path]) -> None:
    ws = workspace
    tf = _terraform
    tf(ws, "init", value="v1", secret=SECRET_1, version=1)

    out = tf(ws, "apply", "-auto-approve", value="v1", secret=SECRET_1, version=1)
    assert "1 added" in out
    inst = _instance(ws)
    attrs = inst["attributes"]
    assert attrs["value"] == "v1" and attrs["revision"] == 1 and attrs["ports"] == [80, 443]
    assert attrs["tags"] == {"team": "core", "env": "test"}
    assert attrs["secret_wo"] is None and inst["schema_version"] == 1
    data = json.loads((ws["work"] / "data.json").read_text())
    assert data[attrs["id"]]["secret"] == SECRET_1  # the provider did receive it at apply
    assert SECRET_1 not in _state_text(ws)

    # Re-planning the same config finds nothing to do (exit 0, not 2).
    tf(ws, "plan", "-detailed-exitcode", value="v1", secret=SECRET_1, version=1)

    # An update: the computed revision must be unknown in the plan, then land in state.
    out = tf(ws, "plan", "-detailed-exitcode", value="v2", secret=SECRET_1, version=1, ok=(2,))
    assert "(known after apply)" in out and "~ update in-place" in out
    out = tf(ws, "apply", "-auto-approve", value="v2", secret=SECRET_1, version=1)
    assert "1 changed" in out
    attrs = _instance(ws)["attributes"]
    assert attrs["value"] == "v2" and attrs["revision"] == 2
    tf(ws, "plan", "-detailed-exitcode", value="v2", secret=SECRET_1, version=1)

    # Rotating the write-only secret through its version attribute.
    tf(ws, "apply", "-auto-approve", value="v2", secret=SECRET_2, version=2)
    data = json.loads((ws["work"] / "data.json").read_text())
    assert data[attrs["id"]]["secret"] == SECRET_2
    assert data[attrs["id"]]["revision"] == 3
    tf(ws, "plan", "-detailed-exitcode", value="v2", secret=SECRET_2, version=2)

    # Import (ImportResourceState, then ReadResource) rebuilds an identical state.
    before = _instance(ws)["attributes"]
    tf(ws, "state", "rm", "testkv_item.one", value="v2", secret=SECRET_2, version=2)
    out = tf(ws, "import", "testkv_item.one", attrs["id"], value="v2", secret=SECRET_2, version=2)
    assert "Import successful" in out
    assert _instance(ws)["attributes"] == before
    tf(ws, "plan", "-detailed-exitcode", value="v2", secret=SECRET_2, version=2)

    # Validation diagnostics carry the attribute path back to Terraform.
    out = tf(ws, "plan", value="invalid", secret=SECRET_2, version=2, ok=(1,))
    assert "value must not be 'invalid'" in out and "testkv_item.one" in out

    out = tf(ws, "destroy", "-auto-approve", value="v2", secret=SECRET_2, version=2)
    assert "1 destroyed" in out
    assert json.loads((ws["work"] / "data.json").read_text()) == {}

    # Neither secret anywhere Terraform writes: state, backups, plan output, its own log.
    for path in ws["work"].rglob("*"):
        if path.is_file() and path.suffix != ".json" and "providers" not in path.parts:
            text = path.read_text(errors="replace")
            assert SECRET_1 not in text and SECRET_2 not in text, path
    log_text = (ws["root"] / "terraform.log").read_text(errors="replace")
    assert SECRET_1 not in log_text and SECRET_2 not in log_text

    # What Terraform 1.11 put in `config` for the write-only attribute, per RPC.
    seen: dict[str, set[str]] = {}
    for line in ws["observe"].read_text().splitlines():
        entry = json.loads(line)
        seen.setdefault(entry["rpc"], set()).add(entry["secret_wo"])
        if entry["rpc"] == "plan":
            assert entry["proposed_secret"] is False  # never in proposed_new_state
    print("write-only value in config by RPC:", {k: sorted(v) for k, v in seen.items()})
    # Validation also runs in the walk where input variables are still unknown.
    assert seen["validate"] == {"present", "unknown"}
    assert seen["plan"] == {"present"}
    assert seen["create"] == {"present"} and seen["update"] == {"present"}


def _observed(ws: dict[str, Path]) -> dict[str, list[dict]]:
    """The observe file's entries by RPC, then the file emptied for the next step."""
    by_rpc: dict[str, list[dict]] = {}
    for line in ws["observe"].read_text().splitlines() if ws["observe"].exists() else []:
        entry = json.loads(line)
        by_rpc.setdefault(entry["rpc"], []).append(entry)
    ws["observe"].write_text("")
    return by_rpc


def test_data_sources_with_real_terraform(tmp_path: Path) -> None:
    ws = _workspace(tmp_path, DATA_TF)
    seeded = {"key": "alpha", "value": "seeded", "note": None, "tags": None, "ports": None}
    (ws["work"] / "data.json").write_text(json.dumps({"a1": {**seeded, "revision": 3}}))
    _terraform(ws, "init")

    # Known config: read during plan, outputs known. Config on a computed id: read at apply.
    out = _terraform(ws, "plan", "-detailed-exitcode", ok=(2,))
    assert "data.testkv_lookup.made will be read during apply" in out
    assert "config refers to values not yet known" in out
    assert 'alpha = "seeded"' in out and re.search(r"made_values += \(known after apply\)", out)
    seen = _observed(ws)
    assert len(seen["lookup"]) == 2 and not any(r["by_id"] or r["unknown"] for r in seen["lookup"])
    # Validation, though, does see the id unknown.
    assert any(v["unknown"] for v in seen["lookup_validate"])

    _terraform(ws, "apply", "-auto-approve")
    apply_reads = _observed(ws)["lookup"]
    assert [r["by_id"] for r in apply_reads if r["by_id"]] == [True] and not any(r["unknown"] for r in apply_reads)

    outputs = {k: v["value"] for k, v in json.loads(_terraform(ws, "output", "-json").split("\n[exit")[0]).items()}
    assert outputs["seeded_items"] == [
        {"id": "a1", "key": "alpha", "value": "seeded", "revision": 3, "found": True},
        {"id": None, "key": "nope", "value": None, "revision": None, "found": False},
    ]
    assert outputs["seeded_values"] == {"alpha": "seeded"}
    assert outputs["none"] == {"keys": [], "ids": None, "items": [], "values": {}}
    (made,) = [r for r in json.loads(_state_text(ws))["resources"] if r["mode"] == "managed"]
    made_id = made["instances"][0]["attributes"]["id"]
    assert outputs["made_items"] == [
        {"id": made_id, "key": "beta", "value": "made-by-terraform", "revision": 1, "found": True}
    ]
    assert outputs["made_values"] == {"beta": "made-by-terraform"}

    # Everything known now: every lookup is read at plan, and nothing changes.
    _terraform(ws, "plan", "-detailed-exitcode")
    assert any(r["by_id"] for r in _observed(ws)["lookup"])
