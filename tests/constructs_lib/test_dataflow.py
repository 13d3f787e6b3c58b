"""The ingestion path as typed declarations: the S3Dataflow construct (three resources, stable
addresses, checked at synth) and Dataflow declarations over sandboxes (paths made absolute in each
sandbox's bucket, per-sandbox datasets, every broken rule reported at once, naming where and why).
"""

from __future__ import annotations

from typing import Any

import pytest

from constructs_lib import (
    ConstructError,
    Dataflow,
    DataflowOverride,
    Delimited,
    Json,
    MappingSet,
    Parquet,
    S3Connection,
    S3Dataflow,
    Sandbox,
    SandboxOverride,
    Schedule,
    define,
    deployments,
)
from tests.constructs_lib.support import TerraformStack, synth
from tests.constructs_lib.support import Testing as CdkTesting

SCHEMA_ID = "https://ns.adobe.com/acme/schemas/5b7ff8b4e4a0c7d9b1f8a3c2d6e9f0a1"
DATASET = "64d0a1b2c3d4e5f6a7b8c9d0"
MAPPING = MappingSet("0f3a5c7e9b1d4f6a8c0e2a4c6e8a0c2e")


def dataflow(stack: TerraformStack, **props: Any) -> S3Dataflow:
    values: dict[str, Any] = {
        "name": "Orders", "connection": "${aep_s3_base_connection.orders.id}",
        "path": "/acme-orders/exports", "format": Delimited(), "dataset_id": DATASET, "schema_id": SCHEMA_ID,
        "schedule": Schedule.every(15, "minute"), "mapping": MAPPING, "bucket_name": "acme-orders",
        "folder_path": "exports"} | props
    return S3Dataflow(stack, "orders", **values)


def test_one_declaration_three_resources_one_key(stack: TerraformStack) -> None:
    dataflow(stack, format=Delimited(delimiter=";", compression="gzip"), recursive=True, enabled=False)
    _, config = synth(stack)
    source = config["resource"]["aep_source_connection"]["orders"]
    target = config["resource"]["aep_target_connection"]["orders"]
    flow = config["resource"]["aep_dataflow"]["orders"]
    assert source["name"] == "Orders (source)" and target["name"] == "Orders (target)" and flow["name"] == "Orders"
    assert source["base_connection_id"] == "${aep_s3_base_connection.orders.id}"
    assert source["column_delimiter"] == ";" and source["compression_type"] == "gzip" and source["recursive"] is True
    assert flow["source_connection_id"] == "${aep_source_connection.orders.id}"
    assert flow["target_connection_id"] == "${aep_target_connection.orders.id}"
    assert (flow["frequency"], flow["interval"], flow["enabled"]) == ("minute", 15, False)
    assert flow["mapping_id"] == MAPPING.id and flow["mapping_version"] == 0
    assert target == {"name": "Orders (target)", "dataset_id": DATASET, "schema_id": SCHEMA_ID}


@pytest.mark.parametrize(("props", "prop", "words"), [
    ({"path": "acme-orders/exports"}, "path", "must start with /"),
    ({"path": "/acme-orders/other"}, "path", "inside the base connection's bucket and folder (/acme-orders/exports)"),
    ({"path": "/acme-orders/ex*/x"}, "path", "wildcards"),
    ({"format": Delimited(delimiter=";;")}, "format.delimiter", "exactly one character"),
    ({"format": Delimited(encoding="UTF-16")}, "format.encoding", "UTF-8, ISO-8859-1"),
    ({"format": Json(compression="rar")}, "format.compression", "gzip"),
    ({"format": "csv"}, "format", "Delimited(...), Json(...) or Parquet()"),
    ({"dataset_id": "orders"}, "dataset_id", "24 lowercase hexadecimal"),
    ({"schema_id": "orders"}, "schema_id", "https://ns.adobe.com/"),
    ({"schedule": Schedule.every(5, "minute")}, "schedule.interval", "at least 15"),
    ({"schedule": Schedule("fortnight", 1)}, "schedule.frequency", "once, minute, hour, day, week"),
    ({"schedule": Schedule.every(1, "hour", start_time=1_700_000_000_000)}, "schedule.start_time", "milliseconds"),
    ({"schedule": Schedule("once", 3)}, "schedule.interval", "must not be set when frequency is once"),
    ({"mapping": None}, "mapping.id", "required for delimited data"),
    ({"mapping": MappingSet("x")}, "mapping.id", "32 lowercase hexadecimal"),
    ({"path_type": "file", "path": "/acme-orders/exports/"}, "path", "names a file"),
    ({"path_type": "file", "path": "/acme-orders/exports/a.csv", "recursive": True}, "recursive", "folders only"),
    ({"name": "bad\nname"}, "name", "control characters"),
])
def test_each_rule_is_refused_at_synth_naming_the_prop(stack: TerraformStack, props: dict[str, Any], prop: str,
                                                       words: str) -> None:
    with pytest.raises(ConstructError) as raised:
        dataflow(stack, **props)
    assert any(v.prop == prop and words in v.rule for v in raised.value.violations), raised.value
    assert "test-stack/orders" in str(raised.value)
    assert stack.node.try_find_child("orders__flow") is None  # nothing half-built


def test_json_and_parquet_need_no_mapping(stack: TerraformStack) -> None:
    dataflow(stack, format=Json(), mapping=None)
    S3Dataflow(stack, "other", name="Other", connection="x", path="/acme-orders/exports/p", format=Parquet(),
               dataset_id=DATASET, schema_id=SCHEMA_ID, schedule=Schedule.once())
    _, config = synth(stack)
    assert "mapping_id" not in config["resource"]["aep_dataflow"]["orders"]
    assert config["resource"]["aep_dataflow"]["other"]["frequency"] == "once"


SANDBOXES = [Sandbox("dev"), Sandbox("prod", credentials="s3_prod")]
CONNECTIONS = [
    S3Connection(key="orders", name="Orders landing", bucket_name="acme-orders-dev", folder_path="exports/orders",
                 overrides={"prod": SandboxOverride(bucket_name="acme-orders")}),
    S3Connection(key="crm", name="CRM", bucket_name="acme-crm", sandboxes=("prod",)),
]


def orders_flow(**props: Any) -> Dataflow:
    values: dict[str, Any] = {
        "key": "orders_daily", "name": "Orders daily", "connection": "orders", "path": "*.csv",
        "format": Delimited(), "dataset_id": DATASET, "schema_id": SCHEMA_ID, "mapping": MAPPING,
        "schedule": Schedule.every(15, "minute"),
        "overrides": {"prod": DataflowOverride(dataset_id="64d0a1b2c3d4e5f6a7b8c9d2",
                                               schedule=Schedule.every(1, "hour"))}} | props
    return Dataflow(**values)


def test_paths_are_made_absolute_per_sandbox_and_datasets_are_per_sandbox() -> None:
    plan = deployments(SANDBOXES, CONNECTIONS, [orders_flow()])
    (dev,), (prod,) = plan["dev"].dataflows, plan["prod"].dataflows
    assert dev.path == "/acme-orders-dev/exports/orders/*.csv" and prod.path == "/acme-orders/exports/orders/*.csv"
    assert dev.folder == "/acme-orders-dev/exports/orders"
    assert (dev.dataset_id, prod.dataset_id) == (DATASET, "64d0a1b2c3d4e5f6a7b8c9d2")
    assert prod.schedule == Schedule.every(1, "hour") and dev.schedule == Schedule.every(15, "minute")


def test_a_dataflow_goes_where_its_connection_goes_in_its_stack() -> None:
    app = CdkTesting.app()
    crm = Dataflow(key="crm_sync", name="CRM sync", connection="crm", format=Json(), dataset_id=DATASET,
                   schema_id=SCHEMA_ID, schedule=Schedule.every(1, "day"))
    stacks = define(app, SANDBOXES, CONNECTIONS, dataflows=[orders_flow(), crm])
    configs = {s.sandbox.name: synth(s)[1] for s in stacks}
    assert set(configs["dev"]["resource"]["aep_dataflow"]) == {"orders_daily"}
    assert set(configs["prod"]["resource"]["aep_dataflow"]) == {"orders_daily", "crm_sync"}
    assert configs["prod"]["output"]["dataflow_ids"]["value"]["crm_sync"] == "${aep_dataflow.crm_sync.id}"
    assert "data" not in configs["dev"]  # reports are opt-in: no reads on every plan unless asked


def test_reports_add_explore_and_runs_per_dataflow() -> None:
    sandboxes = [Sandbox("dev", reports=True), Sandbox("prod", credentials="s3_prod")]
    stacks = define(CdkTesting.app(), sandboxes, CONNECTIONS[:1], dataflows=[orders_flow()])
    _, config = synth(stacks[0])
    explore = config["data"]["aep_explore"]["orders_daily"]
    assert explore["path"] == "/acme-orders-dev/exports/orders"
    assert explore["connection_id"] == "${aep_s3_base_connection.orders.id}"
    runs = config["data"]["aep_dataflow_runs"]["orders_daily"]
    assert runs["flow_id"] == "${aep_dataflow.orders_daily.id}"
    assert config["output"]["dataflow_runs"]["value"] == {
        "orders_daily": "${data.aep_dataflow_runs.orders_daily.runs}"}


def test_every_problem_of_the_declaration_is_reported_at_once() -> None:
    flows = [
        orders_flow(path="/elsewhere/x"),  # outside the dev and prod buckets
        orders_flow(key="orders_daily", name="Second"),  # repeated key
        orders_flow(key="lost", name="Lost", connection="nope"),
        orders_flow(key="crm_dev", name="CRM dev", connection="crm", sandboxes=("dev",)),
        orders_flow(key="twin", name="Orders daily", dataset_id="bad"),
    ]
    with pytest.raises(ConstructError) as raised:
        deployments(SANDBOXES, CONNECTIONS, flows)
    found = {(v.path, v.prop) for v in raised.value.violations}
    assert ("s3-dev/orders_daily", "path") in found and ("s3-prod/orders_daily", "path") in found
    assert ("app", "dataflows") in found  # the repeated key
    assert ("Dataflow('lost')", "connection") in found
    assert ("Dataflow('crm_dev')", "sandboxes") in found
    assert ("s3-dev/twin", "dataset_id") in found
    assert ("s3-dev", "name") in found  # "Orders daily" twice in dev


#: (props of a declaration, the prop refused, the value it must show): every refusal shows what was
#: declared, whether the dataflow is declared once per sandbox or as one construct.
DECLARED = [
    ({"format": Delimited(delimiter=";;")}, "format.delimiter", ";;"),
    ({"format": Delimited(encoding="UTF-16")}, "format.encoding", "UTF-16"),
    ({"format": Delimited(compression="rar")}, "format.compression", "rar"),
    ({"format": Json(compression="zip")}, "format.compression", "zip"),
    ({"path_type": "files"}, "path_type", "files"),
    ({"recursive": "maybe"}, "recursive", "maybe"),
    ({"schedule": Schedule.every(5, "minute")}, "schedule.interval", 5),
    ({"mapping": MappingSet("x")}, "mapping.id", "x"),
    ({"dataset_id": "orders"}, "dataset_id", "orders"),
]


@pytest.mark.parametrize(("props", "prop", "value"), DECLARED)
def test_a_declaration_refused_shows_the_value_declared(props: dict[str, Any], prop: str, value: Any) -> None:
    with pytest.raises(ConstructError) as raised:
        deployments(SANDBOXES, CONNECTIONS, [orders_flow(**props)])
    refused = [v for v in raised.value.violations if v.prop == prop]
    assert refused and all(v.value == value for v in refused), raised.value
    assert f"value: {value!r}" in str(raised.value) and "value: None" not in str(raised.value)


@pytest.mark.parametrize(("props", "prop", "value"), DECLARED)
def test_a_construct_refused_shows_the_value_declared(stack: TerraformStack, props: dict[str, Any], prop: str,
                                                      value: Any) -> None:
    with pytest.raises(ConstructError) as raised:
        dataflow(stack, **props)
    assert f"  {prop}: " in str(raised.value) and f"value: {value!r}" in str(raised.value), raised.value


def test_a_relative_file_path_ending_in_a_slash_is_refused_as_its_absolute_form() -> None:
    in_dev = []
    for path in ("daily/", "/acme-orders-dev/exports/orders/daily/"):
        with pytest.raises(ConstructError) as raised:
            deployments(SANDBOXES, CONNECTIONS, [orders_flow(path=path, path_type="file")])
        in_dev.append([v.block() for v in raised.value.violations if v.path == "s3-dev/orders_daily"])
    relative, absolute = in_dev
    assert relative == absolute and len(relative) == 1
    assert "names a file: it must not end with /" in relative[0]
    assert "value: '/acme-orders-dev/exports/orders/daily/'" in relative[0]


def test_a_relative_folder_path_keeps_losing_its_trailing_slash() -> None:
    plan = deployments(SANDBOXES, CONNECTIONS, [orders_flow(path="2024/")])
    assert plan["dev"].dataflows[0].path == "/acme-orders-dev/exports/orders/2024"
