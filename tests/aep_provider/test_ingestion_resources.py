"""Unit tests of the ingestion path's handlers (source connection, target connection, dataflow) and
data sources (explore, runs) against the fake Flow Service API: bodies, state mapping, what
patches and what replaces, the enable/disable action, adoption, and plan-time rules.

End-to-end tests run the same code through real Terraform against the local AEP.
"""

from __future__ import annotations

from typing import Any

import pytest

from aep_client import FLOWS, SOURCE_CONNECTIONS
from aep_provider.data_sources.dataflow_runs import DataflowRuns
from aep_provider.data_sources.explore import Explore
from aep_provider.protocol.resource import UNKNOWN, DiagnosticsError, Value
from aep_provider.resources.dataflow import Dataflow
from aep_provider.resources.flow_object import FlowObject
from aep_provider.resources.source_connection import SourceConnection
from aep_provider.resources.target_connection import TargetConnection
from aep_spec import ingestion, s3
from tests.aep_provider.fake_api import CLIENT_ID, FakeConnectionsApi, context_for

DATASET = "64d0a1b2c3d4e5f6a7b8c9d0"
SCHEMA_ID = "https://ns.adobe.com/acme/schemas/5b7ff8b4e4a0c7d9b1f8a3c2d6e9f0a1"
MAPPING = "0f3a5c7e9b1d4f6a8c0e2a4c6e8a0c2e"


def blank(handler: FlowObject) -> dict[str, Value]:
    return {attr.name: None for attr in handler.schema.attributes}


def proposed_from(handler: FlowObject, prior: dict[str, Value], cfg: dict[str, Value]) -> dict[str, Value]:
    """What Terraform proposes: config values, prior values for computed attributes left unset."""
    new = dict(cfg)
    for attr in handler.schema.attributes:
        if attr.computed and cfg.get(attr.name) is None:
            new[attr.name] = prior.get(attr.name)
    return new


def made(handler: FlowObject, api: FakeConnectionsApi) -> FlowObject:
    handler.configure(context_for(api))
    return handler


def create(handler: FlowObject, cfg: dict[str, Value]) -> dict[str, Value]:
    planned = handler.plan(None, proposed_from(handler, blank(handler), cfg), cfg).planned_state
    return handler.create(planned, cfg).state


def plan(handler: FlowObject, prior: dict[str, Value], cfg: dict[str, Value]) -> Any:
    return handler.plan(prior, proposed_from(handler, prior, cfg), cfg)


@pytest.fixture
def api() -> FakeConnectionsApi:
    return FakeConnectionsApi()


def source_config(handler: SourceConnection, **values: Value) -> dict[str, Value]:
    return blank(handler) | {"name": "orders (source)", "base_connection_id": "conn-9",
                             "path": "/acme-orders-dev/exports/orders", "format": "delimited"} | values


def test_source_connection_create_is_the_tutorials_body(api: FakeConnectionsApi) -> None:
    handler = made(SourceConnection(), api)
    state = create(handler, source_config(handler, recursive=True, column_delimiter=";"))
    body = api.calls[-1][1]
    assert body == {"name": "orders (source)", "baseConnectionId": "conn-9",
                    "data": {"format": "delimited", "properties": {"columnDelimiter": ";"}},
                    "params": {"path": "/acme-orders-dev/exports/orders", "type": "folder", "recursive": True},
                    "connectionSpec": {"id": s3.CONNECTION_SPEC_ID, "version": "1.0"}}
    assert api.operations() == ["list", "create"]
    assert state["id"] == "src-1" and state["path_type"] == "folder" and state["state"] is None
    refreshed = handler.read(state).state
    assert refreshed is not None and refreshed["column_delimiter"] == ";" and refreshed["recursive"] is True
    assert refreshed["state"] == "enabled" and refreshed["etag"] == state["etag"]


@pytest.mark.parametrize("change", [{"path": "/acme-orders-dev/exports/other"}, {"format": "json"},
                                    {"base_connection_id": "conn-10"}, {"column_delimiter": "|"}])
def test_a_source_connection_is_replaced_not_patched_where_a_flow_would_not_follow(
        api: FakeConnectionsApi, change: dict[str, Value]) -> None:
    handler = made(SourceConnection(), api)
    prior = create(handler, source_config(handler))
    result = plan(handler, handler.read(prior).state or {}, source_config(handler, **change))
    assert [path[0] for path in result.requires_replace] == list(change)
    assert result.planned_state["id"] is UNKNOWN


def test_a_renamed_source_connection_is_one_patch(api: FakeConnectionsApi) -> None:
    handler = made(SourceConnection(), api)
    prior = handler.read(create(handler, source_config(handler))).state or {}
    cfg = source_config(handler, name="renamed")
    result = plan(handler, prior, cfg)
    assert not result.requires_replace and result.planned_state["etag"] is UNKNOWN
    new = handler.update(prior, result.planned_state, cfg).state
    assert api.calls[-1] == ("update", ("src-1", prior["etag"], [{"op": "replace", "path": "/name",
                                                                  "value": "renamed"}]))
    assert new["etag"] == api.of(SOURCE_CONNECTIONS)["src-1"]["etag"]


def test_source_connection_rules_are_checked_at_plan() -> None:
    diagnostics = SourceConnection().check({"path": "acme/x", "format": "xml", "column_delimiter": ";;",
                                            "path_type": "file", "recursive": True, "encoding": None,
                                            "compression_type": None})
    fields = {d.path[0] for d in diagnostics if d.path}
    assert fields == {"path", "format", "recursive", "column_delimiter"}
    assert SourceConnection().check({"path": UNKNOWN, "format": "xml"}) == []  # the API checks it at apply
    known = SourceConnection().check({"path": "/acme-orders/x", "format": "xml", "base_connection_id": UNKNOWN})
    assert [d.path for d in known] == [("format",)]  # a base connection made in the same apply is no excuse


@pytest.mark.parametrize(("declared", "attribute", "value"), [
    ({"column_delimiter": ";;"}, "column_delimiter", ";;"),
    ({"encoding": "UTF-16"}, "encoding", "UTF-16"),
    ({"compression_type": "rar"}, "compression_type", "rar"),
    ({"path_type": "files"}, "path_type", "files"),
    ({"path_type": "file", "path": "/acme-orders/daily/"}, "path", "/acme-orders/daily/"),
])
def test_a_source_refused_at_plan_shows_the_value_declared(declared: dict[str, Value], attribute: str,
                                                           value: str) -> None:
    config = {"path": "/acme-orders/x", "format": "delimited", "path_type": "folder", "recursive": None,
              "column_delimiter": None, "encoding": None, "compression_type": None} | declared
    (diagnostic,) = SourceConnection().check(config)
    assert diagnostic.path == (attribute,) and diagnostic.detail.endswith(f"value: {value!r}"), diagnostic


def target_config(handler: TargetConnection, **values: Value) -> dict[str, Value]:
    return blank(handler) | {"name": "orders (target)", "dataset_id": DATASET, "schema_id": SCHEMA_ID} | values


def test_target_connection_create_and_refresh(api: FakeConnectionsApi) -> None:
    handler = made(TargetConnection(), api)
    state = create(handler, target_config(handler))
    assert api.calls[-1][1] == {
        "name": "orders (target)", "params": {"dataSetId": DATASET},
        "data": {"schema": {"id": SCHEMA_ID, "version": ingestion.DEFAULT_SCHEMA_VERSION}},
        "connectionSpec": {"id": ingestion.DATA_LAKE_CONNECTION_SPEC_ID, "version": "1.0"}}
    refreshed = handler.read(state).state or {}
    assert refreshed["dataset_id"] == DATASET and refreshed["schema_version"] == ingestion.DEFAULT_SCHEMA_VERSION
    result = plan(handler, refreshed, target_config(handler, dataset_id="64d0a1b2c3d4e5f6a7b8c9d1"))
    assert [p[0] for p in result.requires_replace] == ["dataset_id"]
    bad = handler.check({"dataset_id": "nope", "schema_id": "http://x", "schema_version": "2", "format": None})
    assert {d.path[0] for d in bad if d.path} == {"dataset_id", "schema_id", "schema_version"}


def flow_config(handler: Dataflow, **values: Value) -> dict[str, Value]:
    return blank(handler) | {"name": "orders daily", "source_connection_id": "src-1", "target_connection_id": "tgt-2",
                             "mapping_id": MAPPING, "frequency": "minute", "interval": 15} | values


def test_dataflow_create_sends_schedule_and_mapping_and_starts_now(api: FakeConnectionsApi) -> None:
    handler = made(Dataflow(), api)
    cfg = flow_config(handler)
    result = handler.plan(None, proposed_from(handler, blank(handler), cfg), cfg)
    planned = result.planned_state
    assert planned["start_time"] is UNKNOWN and planned["backfill"] is UNKNOWN and planned["enabled"] is True
    assert planned["mapping_version"] == 0 and planned["flow_spec_id"] == ingestion.CLOUD_STORAGE_FLOW_SPEC_ID
    state = handler.create(planned, cfg).state
    body = api.calls[-1][1]
    assert body["flowSpec"] == {"id": ingestion.CLOUD_STORAGE_FLOW_SPEC_ID, "version": "1.0"}
    assert body["sourceConnectionIds"] == ["src-1"] and body["targetConnectionIds"] == ["tgt-2"]
    assert body["transformations"] == [{"name": "Mapping", "params": {"mappingId": MAPPING, "mappingVersion": 0}}]
    assert body["scheduleParams"]["frequency"] == "minute" and body["scheduleParams"]["interval"] == 15
    assert isinstance(body["scheduleParams"]["startTime"], int) and "backfill" not in body["scheduleParams"]
    assert api.operations() == ["list", "create"]  # enabled on create: no action call
    assert state["start_time"] == body["scheduleParams"]["startTime"]  # the time it chose, not a drift later
    assert state["backfill"] is None  # Flow Service's default: read by the next refresh


def test_a_disabled_dataflow_is_created_then_disabled_by_the_action(api: FakeConnectionsApi) -> None:
    handler = made(Dataflow(), api)
    state = create(handler, flow_config(handler, enabled=False))
    assert api.operations() == ["list", "create", "action"] and api.calls[-1][1] == ("flow-1", "disable")
    assert state["etag"] == api.of(FLOWS)["flow-1"]["etag"] and state["state"] == "disabled"


def test_dataflow_schedule_mapping_and_enabled_change_in_place(api: FakeConnectionsApi) -> None:
    handler = made(Dataflow(), api)
    prior = handler.read(create(handler, flow_config(handler))).state or {}
    schedule = api.of(FLOWS)["flow-1"]["scheduleParams"]  # read back as Adobe answers: numbers as strings
    api.of(FLOWS)["flow-1"]["scheduleParams"] = {k: str(v) for k, v in schedule.items()}
    prior = handler.read(prior).state or {}
    assert prior["interval"] == 15 and isinstance(prior["start_time"], int) and prior["enabled"] is True
    cfg = flow_config(handler, frequency="hour", interval=2, mapping_version=1, enabled=False)
    result = plan(handler, prior, cfg)
    assert not result.requires_replace and result.planned_state["state"] is UNKNOWN
    new = handler.update(prior, result.planned_state, cfg).state
    (_, (_, etag, ops)) = next(call for call in api.calls if call[0] == "update")
    assert etag == prior["etag"]
    assert ops == [{"op": "replace", "path": "/scheduleParams/frequency", "value": "hour"},
                   {"op": "replace", "path": "/scheduleParams/interval", "value": 2},
                   {"op": "replace", "path": "/transformations/0",
                    "value": {"name": "Mapping", "params": {"mappingId": MAPPING, "mappingVersion": 1}}}]
    assert api.operations()[-2:] == ["update", "action"] and new["state"] == "disabled"
    assert new["etag"] == api.of(FLOWS)["flow-1"]["etag"]


@pytest.mark.parametrize("change", [{"source_connection_id": "src-7"}, {"target_connection_id": UNKNOWN},
                                    {"start_time": 1_900_000_000}, {"backfill": False}])
def test_dataflow_connections_start_and_backfill_replace_it(api: FakeConnectionsApi, change: dict[str, Value]) -> None:
    handler = made(Dataflow(), api)
    prior = handler.read(create(handler, flow_config(handler))).state or {}
    result = plan(handler, prior, flow_config(handler, **change))
    assert [p[0] for p in result.requires_replace] == list(change)


def test_a_flow_disabled_in_aep_is_drift_the_plan_enables_again(api: FakeConnectionsApi) -> None:
    handler = made(Dataflow(), api)
    prior = handler.read(create(handler, flow_config(handler))).state or {}
    api.of(FLOWS)["flow-1"]["state"] = "disabled"
    drifted = handler.read(prior).state or {}
    assert drifted["enabled"] is False
    result = plan(handler, drifted, flow_config(handler))
    assert result.planned_state["enabled"] is True and not result.requires_replace
    handler.update(drifted, result.planned_state, flow_config(handler))
    assert api.calls[-1] == ("action", ("flow-1", "enable"))


def test_dataflow_schedule_rules_are_checked_at_plan() -> None:
    handler = Dataflow()
    bad = handler.check(flow_config(handler, interval=5, start_time=1_700_000_000_000))
    assert {d.path[0] for d in bad if d.path} == {"interval", "start_time"}
    once = handler.check(flow_config(handler, frequency="once", interval=15, backfill=True))
    assert {d.path[0] for d in once if d.path} == {"interval", "backfill"}
    assert handler.check(flow_config(handler, frequency="once", interval=None)) == []


def test_an_unrecorded_flow_of_this_state_is_adopted_without_a_call(api: FakeConnectionsApi) -> None:
    handler = made(Dataflow(), api)
    create(handler, flow_config(handler))  # created, then "lost": a fresh process finds it by name
    assert api.journal.claim("flows", "prod", "orders daily") is not None  # the state's evidence
    fresh = made(Dataflow(), api)
    api.calls.clear()
    cfg = flow_config(fresh)
    result = fresh.plan(None, proposed_from(fresh, blank(fresh), cfg), cfg)
    assert [d.severity for d in result.diagnostics] == ["warning"]
    state = fresh.create(result.planned_state, cfg).state
    assert state["id"] == "flow-1" and api.operations() == ["list"]  # no POST, no PATCH: it is as configured
    assert len(api.of(FLOWS)) == 1


def test_an_unrecorded_source_of_ours_with_another_path_is_refused_not_patched(api: FakeConnectionsApi) -> None:
    handler = made(SourceConnection(), api)
    create(handler, source_config(handler, path="/acme-orders-dev/old"))
    fresh = made(SourceConnection(), api)
    cfg = source_config(fresh)
    with pytest.raises(DiagnosticsError) as raised:
        fresh.plan(None, proposed_from(fresh, blank(fresh), cfg), cfg)
    (diag,) = raised.value.diagnostics
    assert "already exists" in diag.summary and "path differ" in diag.detail and "src-1" in diag.detail
    api.of(SOURCE_CONNECTIONS)["src-1"]["createdClient"] = "someone-else"
    assert CLIENT_ID != "someone-else"


def test_explore_lists_a_folder_and_previews_a_file(api: FakeConnectionsApi) -> None:
    reader = Explore()
    reader.configure(context_for(api))
    api.explored["/acme/exports"] = [
        {"type": "folder", "name": "2026", "path": "/acme/exports/2026/", "canPreview": False},
        {"type": "file", "name": "a.csv", "path": "/acme/exports/a.csv", "canPreview": True}]
    api.explored["/acme/exports/a.csv"] = [{"name": "order_id", "type": "String"}]
    config = {"connection_id": "conn-1", "path": "/acme/exports", "file_type": None, "column_delimiter": None}
    listed = reader.read(dict(config))
    assert listed["files"] == ["/acme/exports/a.csv"] and len(listed["items"]) == 2  # type: ignore[arg-type]
    previewed = reader.read(config | {"path": "/acme/exports/a.csv", "file_type": "delimited"})
    assert previewed["columns"] == [{"name": "order_id", "type": "String"}]
    assert api.calls[-1] == ("explore", ("conn-1", "file", "/acme/exports/a.csv", {"fileType": "delimited"}))
    assert {d.path[0] for d in reader.check(config | {"file_type": "xml", "path": None}) if d.path} == {
        "file_type", "path"}


def test_runs_are_flattened_newest_first(api: FakeConnectionsApi) -> None:
    reader = DataflowRuns()
    reader.configure(context_for(api))
    api.runs["flow-1"] = [{"id": "run-2", "metrics": {
        "durationSummary": {"startedAtUTC": 1_700_000_000_000, "completedAtUTC": 1_700_000_005_000},
        "sizeSummary": {"inputBytes": 2048}, "fileSummary": {"inputFileCount": 2},
        "recordSummary": {"inputRecordCount": 50, "outputRecordCount": 48, "failedRecordCount": 2},
        "statusSummary": {"status": "success", "errors": [{"code": "INGEST-1212-400", "message": "bad row"}]}}}]
    state = reader.read({"flow_id": "flow-1", "limit": None})
    (run,) = state["runs"]  # type: ignore[misc]
    assert run == {"id": "run-2", "status": "success", "started_at": "2023-11-14T22:13:20.000Z",
                   "completed_at": "2023-11-14T22:13:25.000Z", "files_read": 2, "bytes_read": 2048,
                   "records_read": 50, "records_written": 48, "records_failed": 2,
                   "errors": ["INGEST-1212-400: bad row"]}
    assert state["last_status"] == "success" and state["id"] == "flow-1"
    assert reader.check({"flow_id": "x", "limit": 0})


def test_defaults_fill_what_terraform_proposes_unknown_for_a_create(api: FakeConnectionsApi) -> None:
    """Plain HCL leaves optional+computed attributes out: Terraform proposes them unknown on a create."""
    handler = made(SourceConnection(), api)
    cfg = source_config(handler)
    proposed = dict(cfg, path_type=UNKNOWN, connection_spec_id=UNKNOWN)
    planned = handler.plan(None, proposed, cfg).planned_state
    assert planned["path_type"] == "folder" and planned["connection_spec_id"] == s3.CONNECTION_SPEC_ID
    flow = made(Dataflow(), api)
    cfg = flow_config(flow, mapping_version=None)
    planned = flow.plan(None, dict(cfg, enabled=UNKNOWN, mapping_version=UNKNOWN), cfg).planned_state
    assert planned["enabled"] is True and planned["mapping_version"] == 0
    state = flow.create(planned, cfg).state
    assert api.calls[-1][1]["transformations"][0]["params"]["mappingVersion"] == 0 and state["enabled"] is True
