"""The tutorial's targets as declarations: XDM schemas, datasets and mapping sets declared once,
each sandbox's own in its first stack, found by name from its other stacks, every broken rule of
the whole declaration reported at once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from constructs_lib import (
    ConstructError,
    Dataflow,
    Dataset,
    Delimited,
    Map,
    Mappings,
    Placement,
    S3Connection,
    Sandbox,
    Schedule,
    XdmSchema,
    define,
    deployments,
)
from tests.constructs_lib.support import Testing, synth

SANDBOXES = [Sandbox("dev"), Sandbox("prod")]
ORDERS = XdmSchema(key="orders", name="Orders", fields={"orderId": "string", "total": "number"})
DATASET = Dataset(key="orders", name="Orders", schema="orders")
COLUMNS = Mappings(key="orders_columns", name="Orders columns", schema="orders",
                   rules=[Map("order_id", "orderId"), Map("total", "total")])
CONNECTION = S3Connection(key="landing", name="Landing", bucket_name="acme-orders", folder_path="exports")


def flow(**props: Any) -> Dataflow:
    values: dict[str, Any] = {"key": "orders_daily", "name": "Orders daily", "connection": "landing",
                              "format": Delimited(), "dataset": "orders", "mapping": "orders_columns",
                              "schedule": Schedule.every(15, "minute")} | props
    return Dataflow(**values)


def test_each_sandbox_gets_its_own_targets_and_the_dataflow_refers_to_them() -> None:
    stacks = define(Testing.app(), SANDBOXES, [CONNECTION], dataflows=[flow()], schemas=[ORDERS], datasets=[DATASET],
                    mappings=[COLUMNS])
    for stack in stacks:
        _, config = synth(stack)
        resources = config["resource"]
        assert resources["aep_xdm_schema"]["orders"]["fields"] == {"orderId": "string", "total": "number"}
        assert resources["aep_dataset"]["orders"]["schema_id"] == "${aep_xdm_schema.orders.id}"
        assert resources["aep_mapping_set"]["orders_columns"]["mappings"][1] == {
            "source": "total", "source_type": "ATTRIBUTE", "destination": '${aep_xdm_schema.orders.paths["total"]}'}
        target = resources["aep_target_connection"]["orders_daily"]
        assert (target["dataset_id"], target["schema_id"]) == ("${aep_dataset.orders.id}",
                                                               "${aep_dataset.orders.schema_id}")
        dataflow = resources["aep_dataflow"]["orders_daily"]
        assert dataflow["mapping_id"] == "${aep_mapping_set.orders_columns.id}"
        assert dataflow["mapping_version"] == "${aep_mapping_set.orders_columns.version}"


def test_other_stacks_of_a_sandbox_find_its_targets_by_name_after_its_first_stack(tmp_path: Path) -> None:
    connections = [S3Connection(key=f"c{i}", name=f"Connection {i}", bucket_name="acme-orders",
                                folder_path=f"in/{i}") for i in range(3)]
    flows = [flow(key=f"f{i}", name=f"Flow {i}", connection=f"c{i}") for i in range(3)]
    placement = Placement.file(tmp_path / "placement.json", bound=2)
    stacks = define(Testing.app(), [Sandbox("dev")], connections, dataflows=flows, placement=placement,
                    schemas=[ORDERS], datasets=[DATASET], mappings=[COLUMNS])
    first, second = (synth(s)[1] for s in stacks)
    assert "aep_dataset" in first["resource"] and "aep_dataset" not in second["resource"]
    looked_up = second["data"]["aep_dataset"]["orders"]
    assert looked_up["name"] == "Orders" and looked_up["depends_on"] == ["terraform_data.aep_targets"]
    assert "declarations" in second["resource"]["terraform_data"]["aep_targets"]["input"]
    [(key, target)] = second["resource"]["aep_target_connection"].items()
    assert target["dataset_id"] == "${data.aep_dataset.orders.id}"
    assert second["resource"]["aep_dataflow"][key]["mapping_version"] == \
        "${data.aep_mapping_set.orders_columns.version}"


def test_every_broken_rule_of_the_targets_is_reported_at_once() -> None:
    bad_schema = XdmSchema(key="bad", name="Bad", fields={"_hidden": "string", "when": "timestamp"})
    other = XdmSchema(key="other", name="Other", fields={"x": "string"})
    wrong = Mappings(key="wrong", name="Wrong", schema="other", rules=[Map("a", "nowhere")])
    with pytest.raises(ConstructError) as raised:
        deployments(SANDBOXES, [CONNECTION], [
            flow(mapping="wrong"),  # mapping on another schema than its dataset's
            flow(key="both", name="Both", dataset_id="64d0a1b2c3d4e5f6a7b8c9d0"),
            flow(key="lost", name="Lost", dataset="nope", mapping="orders_columns"),
        ], [ORDERS, bad_schema, other], [DATASET, Dataset(key="orphan", name="Orphan", schema="none")],
            [COLUMNS, wrong])
    found = {(v.path, v.prop): v for v in raised.value.violations}
    assert ("XdmSchema('bad')", "fields._hidden") in found
    assert found[("XdmSchema('bad')", "fields.when")].value == "timestamp"
    assert ("Dataset('orphan')", "schema") in found
    assert "names no field of schema 'other'" in found[("Mappings('wrong')", "rules[0].to")].rule
    assert "(Flow Service refuses it, 1425)" in found[("Dataflow('orders_daily')", "mapping")].rule
    assert ("Dataflow('both')", "dataset_id") in found
    assert ("Dataflow('lost')", "dataset") in found


def test_target_names_are_unique_per_sandbox_and_kind() -> None:
    twin = Dataset(key="twin", name="Orders", schema="orders")
    with pytest.raises(ConstructError) as raised:
        deployments(SANDBOXES, [CONNECTION], [], [ORDERS], [DATASET, twin])
    assert {(v.path, v.prop) for v in raised.value.violations} == {("s3-dev", "name"), ("s3-prod", "name")}
