"""`aep_dataflow`: a `CloudStorageToAEP` flow from one source connection to one Data Lake
target, with its mapping and schedule, enabled or disabled.

In place (one JSON Patch with If-Match): name, description, the schedule's frequency and interval,
the mapping. Enabled/disabled goes through the flow's action endpoint (`POST /flows/{id}/action`).
A new source or target connection, start time or backfill replaces the flow: Adobe documents no
patch of a flow's connections, and a start time already passed cannot change.
"""

from __future__ import annotations

import time
from typing import Any

from aep_client.kinds import FLOWS
from aep_provider.protocol.resource import UNKNOWN, Attribute, Diagnostic, PlanResult, Schema, Value
from aep_provider.resources.flow_object import FlowObject, Ops, as_dict, named, put, rule_diagnostics, tracked
from aep_spec import identity, ingestion

SCHEMA = Schema(
    version=0,
    description="A cloud storage dataflow (`POST /flows`, flow spec `CloudStorageToAEP`): files of a source "
                "connection into the dataset of a target connection, on a schedule.",
    attributes=(
        *named("dataflow"),
        Attribute("source_connection_id", "string", required=True, description=(
            "The source connection (`sourceConnectionIds[0]`). Changing it replaces the dataflow.")),
        Attribute("target_connection_id", "string", required=True, description=(
            "The target connection (`targetConnectionIds[0]`). Changing it replaces the dataflow.")),
        Attribute("mapping_id", "string", optional=True, description=(
            "Data Prep mapping set id (`transformations[0].params.mappingId`); required for delimited data.")),
        Attribute("mapping_version", "number", optional=True, computed=True, description=(
            "Mapping set version (`mappingVersion`), default 0 when a mapping is set.")),
        Attribute("frequency", "string", required=True, description=(
            "`once`, `minute`, `hour`, `day` or `week` (`scheduleParams.frequency`).")),
        Attribute("interval", "number", optional=True, description=(
            "Frequency units between runs: at least 15 for `minute`, 1 otherwise; not with `once`.")),
        Attribute("start_time", "number", optional=True, computed=True, description=(
            "First run, epoch seconds (`scheduleParams.startTime`); default: the time of the create. "
            "Changing it replaces the dataflow.")),
        Attribute("backfill", "bool", optional=True, computed=True, description=(
            "Ingest the files already there on the first run (unset: Flow Service's default, true); not with "
            "`once`. Changing it replaces the dataflow.")),
        Attribute("enabled", "bool", optional=True, computed=True, description=(
            "Whether the flow runs (default true); changed with `POST /flows/{id}/action?op=enable|disable`.")),
        Attribute("flow_spec_id", "string", computed=True, description="The `CloudStorageToAEP` flow spec id."),
        *tracked("dataflow"),
    ),
)

SCHEDULE = ("frequency", "interval")
MAPPING = ("mapping_id", "mapping_version")


class Dataflow(FlowObject):
    type_name = identity.DATAFLOW
    schema = SCHEMA
    kind = FLOWS
    listing = (f"flowSpec.id=={ingestion.CLOUD_STORAGE_FLOW_SPEC_ID}",)
    patched = ("name", "description", *SCHEDULE, *MAPPING, "enabled")
    replacing = ("source_connection_id", "target_connection_id", "start_time", "backfill")
    # Unset, enabled means the default, enforced: a flow disabled in AEP is drift the plan corrects.
    defaulted = {"enabled": True}
    fixed = {"flow_spec_id": ingestion.CLOUD_STORAGE_FLOW_SPEC_ID}

    def check(self, config: dict[str, Value]) -> list[Diagnostic]:
        """The schedule's and the mapping's rules (aep_spec.ingestion) on known values."""
        if any(config.get(name) is UNKNOWN for name in (*SCHEDULE, "start_time", "backfill", *MAPPING)):
            return []
        violations = ingestion.check_schedule(config.get("frequency"), _int(config.get("interval")),
                                              _int(config.get("start_time")), config.get("backfill"))
        if config.get("mapping_id") is not None or config.get("mapping_version") is not None:
            violations += ingestion.check_mapping(config.get("mapping_id"), _int(config.get("mapping_version")),
                                                  data_format=None)
        return rule_diagnostics(violations)

    def defaults(self, planned: dict[str, Value], config: dict[str, Value]) -> None:
        super().defaults(planned, config)
        if config.get("mapping_version") is None:  # version 0 of a mapping set, none without one
            planned["mapping_version"] = None if planned.get("mapping_id") is None else 0

    def plan(self, prior: dict[str, Value] | None, proposed: dict[str, Value], config: dict[str, Value]) -> PlanResult:
        result = super().plan(prior, proposed, config)
        planned = result.planned_state
        if prior is not None and not result.requires_replace and planned.get("enabled") != prior.get("enabled"):
            planned["state"] = UNKNOWN
        return result

    def unknown_on_create(self, planned: dict[str, Value], config: dict[str, Value]) -> None:
        """Unset, a new flow starts when it is created, with Flow Service's default backfill."""
        for name in ("start_time", "backfill"):
            if config.get(name) is None:
                planned[name] = UNKNOWN

    def body(self, planned: dict[str, Value], config: dict[str, Value]) -> dict[str, Any]:
        start = planned.get("start_time")
        schedule: dict[str, Any] = {
            "startTime": int(start) if isinstance(start, (int, float)) else int(time.time()),
            "frequency": planned["frequency"],
        }
        if _int(planned.get("interval")) is not None:
            schedule["interval"] = _int(planned["interval"])
        if isinstance(planned.get("backfill"), bool):
            schedule["backfill"] = planned["backfill"]
        body: dict[str, Any] = {
            "flowSpec": {"id": ingestion.CLOUD_STORAGE_FLOW_SPEC_ID,
                         "version": ingestion.CLOUD_STORAGE_FLOW_SPEC_VERSION},
            "sourceConnectionIds": [planned["source_connection_id"]],
            "targetConnectionIds": [planned["target_connection_id"]],
            "scheduleParams": schedule,
        }
        if planned.get("mapping_id") is not None:
            body["transformations"] = [_mapping(planned)]
        return body

    def state_from_record(self, record: dict[str, Any], prior: dict[str, Value]) -> dict[str, Value]:
        new = self.common(record, prior)
        schedule = as_dict(record.get("scheduleParams"))
        mapping = next((as_dict(t.get("params")) for t in record.get("transformations") or []
                        if isinstance(t, dict) and str(t.get("name", "")).lower() == "mapping"), {})
        sources, targets = record.get("sourceConnectionIds") or [None], record.get("targetConnectionIds") or [None]
        new.update(
            source_connection_id=sources[0],
            target_connection_id=targets[0],
            mapping_id=mapping.get("mappingId"),
            mapping_version=ingestion.as_int(mapping.get("mappingVersion")) if mapping else None,
            frequency=schedule.get("frequency"),
            interval=ingestion.as_int(schedule.get("interval")),
            start_time=ingestion.as_int(schedule.get("startTime")),
            backfill=ingestion.as_bool(schedule.get("backfill")),
            enabled=record.get("state") != "disabled",
            flow_spec_id=as_dict(record.get("flowSpec")).get("id", ingestion.CLOUD_STORAGE_FLOW_SPEC_ID),
        )
        return new

    def patch_ops(self, prior: dict[str, Value], planned: dict[str, Value], config: dict[str, Value],
                  adopting: dict[str, Any] | None = None) -> Ops:
        ops = super().patch_ops(prior, planned, config)
        for name, member in (("frequency", "frequency"), ("interval", "interval")):
            if planned.get(name) != prior.get(name):
                value = planned.get(name)
                put(ops, f"/scheduleParams/{member}", prior.get(name), _int(value) if name == "interval" else value)
        if any(planned.get(name) != prior.get(name) for name in MAPPING):
            if planned.get("mapping_id") is None:
                ops.append({"op": "remove", "path": "/transformations"})
            elif prior.get("mapping_id") is None:
                ops.append({"op": "add", "path": "/transformations", "value": [_mapping(planned)]})
            else:
                ops.append({"op": "replace", "path": "/transformations/0", "value": _mapping(planned)})
        return ops

    def sent(self, state: dict[str, Value], body: dict[str, Any]) -> dict[str, Value]:
        return dict(state, start_time=body["scheduleParams"]["startTime"])

    def after_write(self, state: dict[str, Value], prior: dict[str, Value] | None,
                    planned: dict[str, Value]) -> dict[str, Value]:
        """Enable or disable through the action endpoint when the flow is not as planned (a new flow
        starts enabled); its answer is the flow's new etag."""
        wanted = planned.get("enabled") is not False
        was = True if prior is None else prior.get("enabled") is not False
        if wanted != was:
            ref = self.context.api().act(self.kind, str(state["id"]), "enable" if wanted else "disable")
            state = dict(state, etag=ref.etag, state="enabled" if wanted else "disabled", updated_at=None)
        return state


def _mapping(planned: dict[str, Value]) -> dict[str, Any]:
    return {"name": "Mapping", "params": {"mappingId": planned["mapping_id"],
                                          "mappingVersion": _int(planned.get("mapping_version")) or 0}}


def _int(value: Value) -> int | None:
    """Terraform numbers arrive as int or float (or Decimal-like); the API wants whole numbers."""
    if isinstance(value, bool) or value is None or value is UNKNOWN:
        return None
    if isinstance(value, (int, float)):
        return int(value)
    return ingestion.as_int(value)
