"""The order a deploy runs a project's stacks in, when a sandbox's targets live in its first stack."""

from __future__ import annotations

import json
from pathlib import Path

from aep_iac.stacks import Phase, phases, target_addresses, terraform_command
from aep_spec import identity


def synthesized(project: Path, stacks: dict[str, dict[str, dict[str, object]]]) -> None:
    for stack, resources in stacks.items():
        folder = project / "cdktf.out" / "stacks" / stack
        folder.mkdir(parents=True)
        (folder / "cdk.tf.json").write_text(json.dumps({"resource": resources}))


def test_the_first_stack_applies_its_targets_alone_then_every_stack_runs(tmp_path: Path) -> None:
    synthesized(tmp_path, {
        "s3-dev": {identity.XDM_SCHEMA: {"orders": {}}, identity.DATASET: {"orders": {}},
                   identity.MAPPING_SET: {"cols": {}}, identity.S3_BASE_CONNECTION: {"a": {}}},
        "s3-dev-2": {identity.S3_BASE_CONNECTION: {"b": {}}},
    })
    assert target_addresses(tmp_path, "s3-dev") == [f"{identity.XDM_SCHEMA}.orders", f"{identity.DATASET}.orders",
                                                     f"{identity.MAPPING_SET}.cols"]
    assert phases(tmp_path, ["s3-dev", "s3-dev-2"], "apply") == [Phase(["s3-dev"], targets_only=True),
                                                                 Phase(["s3-dev", "s3-dev-2"])]
    assert phases(tmp_path, ["s3-dev", "s3-dev-2"], "destroy") == [Phase(["s3-dev-2"]), Phase(["s3-dev"])]
    assert phases(tmp_path, ["s3-dev"], "apply") == [Phase(["s3-dev"])]  # nobody else needs them first
    assert phases(tmp_path, ["s3-dev-2"], "apply") == [Phase(["s3-dev-2"])]


def test_a_targeted_apply_names_each_target_and_keeps_its_warnings_short(tmp_path: Path) -> None:
    (tmp_path / ".terraform").mkdir()
    step = terraform_command("apply", tmp_path, {}, 20, ["aep_dataset.orders"])[-1]
    assert "-target=aep_dataset.orders" in step.args and "-compact-warnings" in step.args
    plain = terraform_command("apply", tmp_path, {}, 20)[-1]
    assert not any(a.startswith("-target") for a in plain.args)
