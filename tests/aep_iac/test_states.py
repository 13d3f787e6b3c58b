"""aep_iac.states: damaged local states, stacks no longer declared, and their empty configuration."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aep_iac.states import (
    Backend,
    StateError,
    forget,
    managed,
    repair_local_state,
    sandbox_of_state,
    tombstone,
    undeclared,
)
from aep_spec import identity


def state(*types: str, serial: int = 3, sandbox: str | None = "qa") -> dict:
    doc: dict = {"version": 4, "serial": serial, "lineage": "l", "outputs": {}, "resources": [
        {"mode": "managed", "type": kind, "name": f"r{i}", "instances": [{"attributes": {"id": f"id{i}"}}]}
        for i, kind in enumerate(types)]}
    if sandbox:
        doc["outputs"][identity.SANDBOX_OUTPUT] = {"value": sandbox, "type": "string"}
    return doc


def project(tmp_path: Path, declared: list[str]) -> Path:
    (tmp_path / "cdktf.out").mkdir()
    (tmp_path / "cdktf.out" / "manifest.json").write_text(json.dumps({"stacks": {s: {} for s in declared}}))
    for stack in declared:
        folder = tmp_path / "cdktf.out" / "stacks" / stack
        folder.mkdir(parents=True)
        (folder / "cdk.tf.json").write_text(json.dumps({
            "terraform": {"backend": {"local": {"path": str(tmp_path / f"terraform.{stack}.tfstate")}},
                          "required_providers": {identity.TYPE: {"source": identity.SOURCE}}},
            "provider": {identity.TYPE: [{"sandbox_name": "dev", "flow_service_url": "http://x",
                                          "ownership_journal": str(tmp_path / f"terraform.{stack}.tfstate.owned")}]},
            "resource": {identity.S3_BASE_CONNECTION: {"c": {"name": "c"}}}}))
    return tmp_path


def test_a_whole_state_is_left_alone_and_an_emptied_one_comes_back_from_its_backup(tmp_path: Path) -> None:
    path = tmp_path / "terraform.s3-dev.tfstate"
    assert repair_local_state(tmp_path, "s3-dev") is None  # no state yet
    path.write_text(json.dumps(state(identity.S3_BASE_CONNECTION)))
    assert repair_local_state(tmp_path, "s3-dev") is None
    path.with_name(path.name + ".backup").write_text(json.dumps(state(identity.DATAFLOW, serial=2)))
    path.write_bytes(b"")
    said = repair_local_state(tmp_path, "s3-dev")
    assert said is not None and "was empty" in said and "serial 2, 1 dataflow" in said
    assert managed(json.loads(path.read_text())) == {identity.DATAFLOW: 1}
    assert [p.stat().st_size for p in tmp_path.glob("terraform.s3-dev.tfstate.broken-*")] == [0]


def test_an_unreadable_state_without_a_whole_backup_is_refused_with_the_way_out(tmp_path: Path) -> None:
    path = tmp_path / "terraform.s3-dev.tfstate"
    path.write_text('{"version": 4, "resour')
    path.with_name(path.name + ".backup").write_bytes(b"")
    with pytest.raises(StateError) as raised:
        repair_local_state(tmp_path, "s3-dev")
    assert "not a state (22 bytes)" in str(raised.value) and "aep-iac deploy s3-dev" in str(raised.value)
    assert path.read_text() == '{"version": 4, "resour'  # nothing was touched


def test_stacks_holding_objects_that_no_synthesis_declares_are_found(tmp_path: Path) -> None:
    root = project(tmp_path, ["s3-dev"])
    (root / "terraform.s3-dev.tfstate").write_text(json.dumps(state(identity.S3_BASE_CONNECTION)))
    (root / "terraform.s3-qa.tfstate").write_text(json.dumps(state(identity.S3_BASE_CONNECTION, identity.DATAFLOW)))
    (root / "terraform.s3-old.tfstate").write_text(json.dumps(state()))  # destroyed: nothing held
    [left] = undeclared(root, Backend())
    assert (left.stack, left.sandbox) == ("s3-qa", "qa")
    assert left.line() == "`s3-qa` (sandbox qa): 1 base connection, 1 dataflow"


def test_the_sandbox_comes_from_the_output_or_else_from_an_object() -> None:
    assert sandbox_of_state(state(sandbox="qa")) == "qa"
    doc = state(identity.S3_BASE_CONNECTION, sandbox=None)
    doc["resources"][0]["instances"][0]["attributes"]["sandbox_name"] = "stage"
    assert sandbox_of_state(doc) == "stage" and sandbox_of_state(state(sandbox=None)) == ""


def test_a_tombstone_is_an_empty_configuration_of_the_stack_in_its_sandbox(tmp_path: Path) -> None:
    root = project(tmp_path, ["s3-dev"])
    folder = tombstone(root, "s3-qa", "qa")
    doc = json.loads((folder / "cdk.tf.json").read_text())
    assert "resource" not in doc
    assert doc["terraform"]["backend"]["local"]["path"] == str(root / "terraform.s3-qa.tfstate")
    [block] = doc["provider"][identity.TYPE]
    assert block["sandbox_name"] == "qa" and block["ownership_journal"] == str(root / "terraform.s3-qa.tfstate.owned")


def test_forget_moves_an_undeclared_state_aside_and_refuses_a_declared_one(tmp_path: Path) -> None:
    root = project(tmp_path, ["s3-dev"])
    (root / "terraform.s3-qa.tfstate").write_text(json.dumps(state(identity.S3_BASE_CONNECTION)))
    said = forget(root, Backend(), "s3-qa")
    assert "1 base connection stay in AEP" in said and not (root / "terraform.s3-qa.tfstate").exists()
    assert list(root.glob("terraform.s3-qa.tfstate.forgotten-*"))
    with pytest.raises(StateError):
        forget(root, Backend(), "s3-dev")
