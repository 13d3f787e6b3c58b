"""Dataflows (`CloudStorageToAEP`): one S3 source connection, one Data Lake target, an optional
mapping and a schedule; enabled and disabled by `/flows/{id}/action`.

The schedule is checked with the flow spec's JSON Schema and the shared `check_schedule`, and
stored as Adobe returns it, every value a string. Where the flow stands in its schedule (the
next slot, the last one) is kept in the record's private `_schedule`, which only the scheduler
changes and which never changes the etag: a client's `If-Match` is not raced by the runs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from aep_spec import ingestion

from ..core.gateway import Caller
from ..core.store import CURSOR, FLOW, RUN, SOURCE_CONNECTION, TARGET_CONNECTION, Store, Tx
from . import errors, specs
from .records import (
    Collection,
    check_description,
    check_name,
    check_schema,
    check_version,
    public,
    refuse,
    required,
    set_optional,
    spec_reference,
    written,
)
from .references import References, schema_of

SCHEDULE_FIELDS = ("startTime", "frequency", "interval", "backfill")
PATCHABLE = ("/name", "/description", "/transformations", "/labels",
             *(f"/scheduleParams/{f}" for f in SCHEDULE_FIELDS))
FIXED = ("/sourceConnectionIds", "/targetConnectionIds", "/flowSpec")
ACTIONS = {"enable": "enabled", "disable": "disabled"}
SUB_OPS = ("apply", "rollback", "progress")


def period(schedule: Mapping[str, Any]) -> int | None:
    """Seconds between runs; None for `once`."""
    frequency = schedule.get("frequency")
    if frequency not in ingestion.UNIT_SECONDS:
        return None
    return int(ingestion.as_int(schedule.get("interval")) or 1) * ingestion.UNIT_SECONDS[frequency]


def next_slot(schedule: Mapping[str, Any], after: float) -> int:
    """The first slot of the schedule's grid (startTime + k * period) at or after `after`."""
    start = int(ingestion.as_int(schedule["startTime"]) or 0)
    step = period(schedule)
    if step is None or after <= start:
        return start
    return start + -(-(int(after) - start) // step) * step


def plan(schedule: Mapping[str, Any], last: int | None) -> int | None:
    """When the next scheduled run is due, given the slot of the last one (None: never ran)."""
    if last is None:
        return int(ingestion.as_int(schedule["startTime"]) or 0)
    step = period(schedule)
    return None if step is None else last + step


def cursor_id(flow_id: str) -> str:
    """The flow's cursor (what its scheduled runs saw in S3); ids are unique across kinds."""
    return f"cursor:{flow_id}"


class Flows(Collection):
    kind = FLOW
    path = "/flows"
    spec_field = "flowSpec"
    list_fields = ("id", "name", "description", "flowSpec.id", "state", "createdAt", "updatedAt",
                   "sourceConnectionIds", "targetConnectionIds")

    def __init__(self, store: Store, clock: Callable[[], float], page_size: int, references: References,
                 schedule_clock: Callable[[], float]) -> None:
        super().__init__(store, clock, page_size)
        self.references = references
        self.schedule_clock = schedule_clock

    # --- create, patch, delete -----------------------------------------------------------

    def build(self, tx: Tx, caller: Caller, payload: dict[str, Any], now: float) -> dict[str, Any]:
        name = check_name(payload.get("name"))
        description = payload.get("description")
        check_description(description)
        spec = spec_reference(payload, "flowSpec", specs.FLOW_SPECS)
        flow_spec = specs.FLOW_SPECS[spec["id"]]
        source = _one(tx, caller, payload, "sourceConnectionIds", SOURCE_CONNECTION,
                      flow_spec["sourceConnectionSpecIds"])
        target = _one(tx, caller, payload, "targetConnectionIds", TARGET_CONNECTION,
                      flow_spec["targetConnectionSpecIds"])
        schedule = check_schedule(required(payload, "scheduleParams"))
        transformations = payload.get("transformations")
        self.check_transformations(tx, caller, transformations, source, target)
        record: dict[str, Any] = {
            "name": name, "flowSpec": spec,
            "sourceConnectionIds": [source["id"]], "targetConnectionIds": [target["id"]],
            "scheduleParams": schedule,
            "inheritedAttributes": {
                "sourceConnections": [{"id": source["id"], "connectionSpec": source["connectionSpec"],
                                       "baseConnection": source["inheritedAttributes"]["baseConnection"]}],
                "targetConnections": [{"id": target["id"], "connectionSpec": target["connectionSpec"]}],
            },
            "state": "enabled",
            "lastOperation": _operation("create", now),
            "_schedule": {"next": plan(schedule, None), "last": None},
        }
        set_optional(record, "description", description)
        set_optional(record, "transformations", transformations)
        if "labels" in payload:
            record["labels"] = _labels(payload["labels"])
        return record

    def check_patch_path(self, record: dict[str, Any], op: dict[str, Any]) -> None:
        path = op["path"]
        if any(path == p or path.startswith(f"{p}/") for p in FIXED):
            raise errors.bad_patch(f"'{path}' cannot be changed: create another flow instead")
        if not any(path == p or path.startswith(f"{p}/") for p in PATCHABLE):
            raise errors.bad_patch(f"the path '{path}' cannot be patched")
        if path == "/scheduleParams/startTime":
            start = int(ingestion.as_int(record["scheduleParams"]["startTime"]) or 0)
            if start <= self.schedule_clock():
                raise errors.bad_patch(f"scheduleParams.startTime can only be changed before the flow starts; "
                                       f"its start time {start} has passed")

    def editable(self, record: dict[str, Any]) -> dict[str, Any]:
        keep = ("name", "description", "scheduleParams", "transformations", "labels")
        return {k: v for k, v in public(record).items() if k in keep}

    def accept(self, tx: Tx, caller: Caller, record: dict[str, Any], result: dict[str, Any],
               now: float) -> None:
        name = check_name(result.get("name"))
        check_description(result.get("description"))
        schedule = check_schedule(result.get("scheduleParams"))
        source = tx.get(SOURCE_CONNECTION, record["sourceConnectionIds"][0])
        target = tx.get(TARGET_CONNECTION, record["targetConnectionIds"][0])
        if source is None or target is None:
            raise errors.invalid_param("sourceConnectionIds" if source is None else "targetConnectionIds",
                                       "the flow's connection no longer exists")
        transformations = result.get("transformations")
        self.check_transformations(tx, caller, transformations, source, target)
        if schedule != record["scheduleParams"]:
            record["_schedule"]["next"] = plan(schedule, record["_schedule"]["last"])
        record.update(name=name, scheduleParams=schedule, lastOperation=_operation("update", now))
        set_optional(record, "description", result.get("description"))
        set_optional(record, "transformations", transformations)
        set_optional(record, "labels", _labels(result["labels"]) if "labels" in result else None)

    def before_delete(self, tx: Tx, record: dict[str, Any]) -> None:
        # Connections and runs stay (no cascade); only what the scheduler kept for the flow goes.
        tx.delete(CURSOR, cursor_id(record["id"]))

    def action(self, caller: Caller, flow_id: str, query: Mapping[str, Sequence[str]],
               if_match: str | None) -> dict[str, Any]:
        """`POST /flows/{id}/action?op=enable|disable` (any case); `If-Match` checked when sent."""
        op = _query(query, "op")
        if not op:
            raise errors.FlowError("1359", 400, "The param op is missing in the request. Please provide a "
                                   "valid op (enable or disable) and try again.", title="Bad Request")
        if op.lower() not in ACTIONS:
            raise errors.FlowError("1453", 400, f"Invalid query value op={op} provided in query param: use "
                                   "enable or disable.")
        sub_op = _query(query, "subOp")
        if sub_op and sub_op.lower() not in SUB_OPS:
            raise errors.FlowError("1453", 400, f"Invalid query value subOp={sub_op} provided in query param.")
        with self.store.transaction() as tx:
            record = self.load(tx, caller, flow_id)
            check_version(if_match, record, required=False)
            now = self.clock()
            state = ACTIONS[op.lower()]
            if state == "enabled" and record["state"] == "disabled":
                # Slots missed while disabled are not made up: the schedule resumes at its next slot.
                due = record["_schedule"]["next"]
                if due is not None and period(record["scheduleParams"]) is not None:
                    record["_schedule"]["next"] = max(due, next_slot(record["scheduleParams"],
                                                                     self.schedule_clock()))
            record["state"] = state
            record["lastOperation"] = _operation(op.lower(), now)
            self.touch(record, caller, now)
            self.save(tx, record, now)
        return written(record)

    # --- reads ---------------------------------------------------------------------------

    def view(self, tx: Tx, record: dict[str, Any]) -> dict[str, Any]:
        view = public(record)
        view["runs"] = f"/runs?property=flowId=={record['id']}"
        last = tx.newest_referrer(RUN, record["id"], "flowId")
        if last is not None:
            duration = last["metrics"]["durationSummary"]
            details = {"id": last["id"], "state": last["metrics"]["statusSummary"]["status"],
                       "startedAtUTC": duration["startedAtUTC"], "completedAtUTC": duration.get("completedAtUTC")}
            view["lastRunDetails"] = {k: v for k, v in details.items() if v is not None}
        return view

    def links(self, record: dict[str, Any]) -> dict[str, list[str]]:
        return {"sourceConnectionIds": list(record["sourceConnectionIds"]),
                "targetConnectionIds": list(record["targetConnectionIds"])}

    # --- mapping rules -------------------------------------------------------------------

    def check_transformations(self, tx: Tx, caller: Caller, transformations: Any, source: dict[str, Any],
                              target: dict[str, Any]) -> None:
        """The mapping exists in the sandbox with that version and writes the target's schema."""
        data_format = source["data"]["format"]
        if transformations is None or transformations == []:
            problems = ingestion.check_mapping(None, None, data_format)
            if problems:
                raise errors.mapping_invalid(f"the source data is {data_format}: {problems[0].rule}")
            return
        if not isinstance(transformations, list) or not all(isinstance(t, dict) for t in transformations):
            raise errors.invalid_param("transformations", "must be an array of {name, params} objects")
        known = {t["name"] for t in specs.FLOW_SPECS[ingestion.CLOUD_STORAGE_FLOW_SPEC_ID]["transformationSpecs"]}
        names = [t.get("name") for t in transformations]
        if any(n not in known for n in names) or len(set(names)) != len(names):
            raise errors.invalid_param("transformations", f"each transformation is named one of {', '.join(known)}, "
                                       "at most once")
        mapping = next(t for t in transformations if t.get("name") == "Mapping")
        params = mapping.get("params")
        if not isinstance(params, dict):
            raise errors.missing_field("transformations.params")
        mapping_id, version = str(params.get("mappingId")), params.get("mappingVersion")
        problems = ingestion.check_mapping(params.get("mappingId"), version, data_format,
                                           ("transformations.params.mappingId",
                                            "transformations.params.mappingVersion"))
        if problems:
            raise errors.mapping_invalid("; ".join(str(p) for p in problems))
        number = 0 if version is None else int(ingestion.as_int(version) or 0)
        found = self.references.mapping_set(tx, caller, mapping_id, number)
        if found is None:
            if self.references.mapping_versions(tx, caller, mapping_id):
                raise errors.mapping_version_invalid(mapping_id, version)
            raise errors.mapping_invalid(f"no mapping set '{mapping_id}' exists in sandbox '{caller.sandbox}'")
        wanted = target["data"]["schema"]["id"]
        if schema_of(found) != wanted:
            raise errors.mapping_schema_mismatch(str(schema_of(found)), wanted)


def check_schedule(value: Any) -> dict[str, str]:
    """`scheduleParams` by the flow spec's schema and the shared rules, as strings (Adobe's GET)."""
    check_schema(ingestion.SCHEDULE_SCHEMA, value, "scheduleParams", "the flow spec's scheduleSpec")
    refuse(ingestion.check_schedule(value["frequency"], value.get("interval"), value["startTime"],
                                    value.get("backfill"),
                                    fields={f: f"scheduleParams.{f}" for f in ("frequency", "interval", "backfill")}
                                    | {"start_time": "scheduleParams.startTime"}))
    return {key: str(value[key]).lower() if isinstance(value[key], bool) else str(value[key])
            for key in SCHEDULE_FIELDS if value.get(key) is not None}


def _one(tx: Tx, caller: Caller, payload: Mapping[str, Any], key: str, kind: str,
         spec_ids: Sequence[str]) -> dict[str, Any]:
    """The single connection a cloud storage flow names in `key`, of the caller's org and sandbox."""
    ids = required(payload, key)
    if not isinstance(ids, list) or len(ids) != 1 or not isinstance(ids[0], str):
        raise errors.invalid_param(key, "must be an array of exactly one id")
    record = tx.get(kind, ids[0])
    if record is None or record["imsOrgId"] != caller.org_id or record["sandboxName"] != caller.sandbox:
        raise errors.invalid_param(key, f"no {kind} '{ids[0]}' exists in this organization and sandbox")
    if record["connectionSpec"]["id"] not in spec_ids:
        raise errors.invalid_param(key, f"the flow spec does not take connection spec {record['connectionSpec']['id']}")
    return record


def _labels(value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise errors.invalid_param("labels", "must be an array of label names")
    return list(value)


def _operation(name: str, now: float) -> dict[str, Any]:
    ms = int(now * 1000)
    return {"operation": name, "started": ms, "updated": ms, "status": "completed"}


def _query(query: Mapping[str, Sequence[str]], name: str) -> str | None:
    for key, values in query.items():
        if key.lower() == name.lower() and values:
            return values[0]
    return None
