"""The 0.1.0 -> 0.2.0 migration's pieces: state, lock file and .tf rewrites, and the guard."""

from __future__ import annotations

import copy
import json
from pathlib import Path

from aep_iac.lock import drop_lock_entry
from aep_iac.migrate import migrate_config, migrate_state, rename_address
from aep_iac.mirror import cli_config, install
from aep_provider.legacy import LegacyGuard
from aep_provider.provider import AepProviderHandler
from aep_spec import identity, legacy

OLD = f'provider["{legacy.SOURCE}"]'


def state_of_0_1() -> dict:
    """A state as release 0.1.0 wrote it: a connection, a flow that depends on it, a data source, and
    a resource of another provider depending on ours."""
    return {
        "version": 4, "terraform_version": "1.11.4", "serial": 7, "lineage": "l-1", "outputs": {},
        "resources": [
            {"mode": "managed", "type": "flowservice_s3_base_connection", "name": "orders", "provider": OLD,
             "instances": [{"schema_version": 0, "attributes": {"id": "c1", "etag": '"e1"'}}]},
            {"mode": "managed", "type": "flowservice_dataflow", "name": "orders_daily", "provider": OLD + ".dev",
             "instances": [{"schema_version": 0, "attributes": {"id": "f1", "etag": '"e2"'},
                            "dependencies": ["flowservice_s3_base_connection.orders",
                                             "module.m.flowservice_source_connection.s"]}]},
            {"mode": "data", "type": "flowservice_explore", "name": "files", "provider": OLD,
             "instances": [{"schema_version": 0, "attributes": {"id": "x"}}]},
            {"mode": "managed", "type": "terraform_data", "name": "note",
             "provider": 'provider["terraform.io/builtin/terraform"]',
             "instances": [{"schema_version": 0, "attributes": {"id": "n"},
                            "dependencies": ["data.flowservice_explore.files"]}]},
        ],
        "check_results": None,
    }


def test_state_is_renamed_with_ids_etags_lineage_kept_and_the_next_serial() -> None:
    old = state_of_0_1()
    new, renamed = migrate_state(copy.deepcopy(old))
    assert renamed == 3 and new["serial"] == 8 and new["lineage"] == "l-1"
    assert [r["type"] for r in new["resources"]] == [
        identity.S3_BASE_CONNECTION, identity.DATAFLOW, identity.EXPLORE, "terraform_data"]
    assert new["resources"][1]["provider"] == f'provider["{identity.SOURCE}"].dev'
    assert new["resources"][1]["instances"][0]["dependencies"] == [
        f"{identity.S3_BASE_CONNECTION}.orders", f"module.m.{identity.SOURCE_CONNECTION}.s"]
    assert new["resources"][3]["instances"][0]["dependencies"] == [f"data.{identity.EXPLORE}.files"]
    for before, after in zip(old["resources"], new["resources"], strict=True):
        assert before["instances"][0]["attributes"] == after["instances"][0]["attributes"]
    assert "flowservice" not in json.dumps(new)


def test_a_migrated_state_is_left_as_it_is() -> None:
    new, _ = migrate_state(state_of_0_1())
    again, renamed = migrate_state(copy.deepcopy(new))
    assert renamed == 0 and again == new


def test_only_whole_type_names_are_renamed() -> None:
    assert rename_address("flowservice_dataflow_runs.r") == f"{identity.DATAFLOW_RUNS}.r"
    assert rename_address("my_flowservice_dataflow.x") == "my_flowservice_dataflow.x"
    assert rename_address("aep_dataflow.x") == "aep_dataflow.x"


LOCK = f'''# This file is maintained automatically by "terraform init".

provider "{identity.SOURCE}" {{
  version     = "{identity.VERSION}"
  hashes = [
    "h1:new=",
  ]
}}

provider "{legacy.SOURCE}" {{
  version = "{legacy.VERSION}"
  hashes = [
    "h1:old=",
  ]
}}
'''


def test_the_lock_entry_of_the_old_package_goes_and_the_guard_s_only_when_asked(tmp_path: Path) -> None:
    (tmp_path / ".terraform.lock.hcl").write_text(LOCK)
    assert drop_lock_entry(tmp_path, keep_guard=True)
    text = (tmp_path / ".terraform.lock.hcl").read_text()
    assert legacy.SOURCE not in text and f'provider "{identity.SOURCE}"' in text and text.endswith("}\n")
    guard = LOCK.replace(f'version = "{legacy.VERSION}"', f'version = "{legacy.GUARD_VERSION}"')
    (tmp_path / ".terraform.lock.hcl").write_text(guard)
    assert not drop_lock_entry(tmp_path, keep_guard=True)
    assert drop_lock_entry(tmp_path, keep_guard=False)
    assert legacy.SOURCE not in (tmp_path / ".terraform.lock.hcl").read_text()
    assert not drop_lock_entry(tmp_path / "missing", keep_guard=False)


def test_a_tf_file_of_0_1_gets_every_new_name() -> None:
    old = '''terraform {
  required_providers {
    flowservice = {
      source  = "terraform.local/aep/flowservice"
      version = "0.1.0"
    }
    random = { source = "hashicorp/random", version = "3.6.0" }
  }
}
provider "flowservice" {
  alias = "dev"
}
resource "flowservice_s3_base_connection" "c" {
  provider = flowservice.dev
}
data "flowservice_dataflow_runs" "r" { dataflow_id = flowservice_dataflow.f.id }
'''
    new = migrate_config(old)
    assert new == f'''terraform {{
  required_providers {{
    {identity.TYPE} = {{
      source  = "{identity.SOURCE}"
      version = "{identity.VERSION}"
    }}
    random = {{ source = "hashicorp/random", version = "3.6.0" }}
  }}
}}
provider "{identity.TYPE}" {{
  alias = "dev"
}}
resource "{identity.S3_BASE_CONNECTION}" "c" {{
  provider = {identity.TYPE}.dev
}}
data "{identity.DATAFLOW_RUNS}" "r" {{ dataflow_id = {identity.DATAFLOW}.f.id }}
'''
    assert migrate_config(new) == new


def test_the_guard_serves_the_old_names_and_refuses_to_configure_naming_the_step() -> None:
    guard = LegacyGuard()
    current = AepProviderHandler()
    assert guard.type_name == legacy.TYPE
    assert set(guard.resources()) | set(guard.data_sources()) == set(legacy.RENAMED_TYPES)
    for old, new in legacy.RENAMED_TYPES.items():
        mine = guard.resources().get(old) or guard.data_sources()[old]
        theirs = current.handlers.get(new) or current.readers[new]
        assert mine.schema == theirs.schema
    [diagnostic] = guard.configure({})
    assert diagnostic.severity == "error" and diagnostic.summary == legacy.GUARD_SUMMARY
    assert legacy.MIGRATE_PROJECT in diagnostic.detail and legacy.MIGRATE_FOLDER in diagnostic.detail


def test_the_mirror_serves_the_guard_at_the_old_address(tmp_path: Path) -> None:
    import sys

    launcher, config = install(tmp_path, Path(sys.executable), platform="linux_amd64")
    guard = (tmp_path / "mirror" / identity.HOSTNAME / identity.NAMESPACE / legacy.TYPE / legacy.GUARD_VERSION
             / "linux_amd64" / f"terraform-provider-{legacy.TYPE}_v{legacy.GUARD_VERSION}")
    assert "aep_provider.legacy:main" in guard.read_text() and "aep_provider.__main__:main" in launcher.read_text()
    assert f'"{legacy.SOURCE}"' in cli_config(tmp_path / "mirror") == config.read_text()
