"""Flow runs: their records and metrics, the runs list, and on-demand runs of `once` flows.

A run is created `inProgress` with the time it is due (its private `_run`), by the scheduler for
a flow's slot or by `POST /runs`; the scheduler executes it when due and `finish` records what
the S3 side found. A run still `inProgress` after a restart is simply executed again. Run times
(createdAt, durationSummary) are on the scheduler's clock.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from aep_spec import ingestion

from ..core.gateway import Caller
from ..core.store import CONNECTION, CURSOR, FLOW, RUN, SOURCE_CONNECTION, TARGET_CONNECTION, Store, Tx
from ..ingest import Outcome, Selection
from . import errors, specs
from .flows import Flows, cursor_id, plan
from .records import (
    Collection,
    check_schema,
    parse_object,
    public,
    required,
    written,
)
from .references import References, RowMapper

IN_PROGRESS, SUCCESS, PARTIAL, FAILED = ingestion.RUN_STATUSES
SCHEDULER_CLIENT = "acp_flowservice_scheduler"  # who creates scheduled runs
RUN_PARAMS_SCHEMA = specs.CLOUD_STORAGE_FLOW_SPEC["runSpec"]["spec"]
COPY_ACTIVITY = "Amazon S3 Copy Activity"


@dataclass(frozen=True)
class Work:
    """What one run needs: where it reads, which files, how it maps them, where they land."""

    base: dict[str, Any]
    source: dict[str, Any]
    selection: Selection
    mapper: RowMapper | None
    dataset_id: str


class Runs(Collection):
    kind = RUN
    path = "/runs"
    spec_field = "flowSpec"
    list_fields = ("id", "flowId", "createdAt", "updatedAt", "metrics.statusSummary.status")
    default_order = "-createdAt"   # newest first, as a monitoring view wants them

    def __init__(self, store: Store, clock: Callable[[], float], page_size: int, flows: Flows,
                 references: References) -> None:
        super().__init__(store, clock, page_size)
        self.flows = flows
        self.references = references

    # --- on demand -----------------------------------------------------------------------

    def create(self, caller: Caller, body: bytes) -> dict[str, Any]:
        """`POST /runs` for a `once` flow: the window of files to take, in epoch seconds."""
        payload = parse_object(body)
        flow_id = required(payload, "flowId")
        params = required(payload, "params")
        check_schema(RUN_PARAMS_SCHEMA, params, "params", "the flow spec's runSpec")
        if params["windowStartTime"] > params["windowEndTime"]:
            raise errors.invalid_param("params.windowEndTime", "must not be before windowStartTime")
        with self.store.transaction() as tx:
            flow = tx.get(FLOW, flow_id) if isinstance(flow_id, str) else None
            if flow is None or flow["imsOrgId"] != caller.org_id or flow["sandboxName"] != caller.sandbox:
                raise errors.invalid_param("flowId", f"no flow '{flow_id}' exists in this organization and sandbox")
            frequency = flow["scheduleParams"]["frequency"]
            if frequency != "once":
                raise errors.not_allowed_in_state(f"on-demand runs are only for flows whose frequency is once; "
                                                  f"flow {flow_id} runs every {flow['scheduleParams'].get('interval')} "
                                                  f"{frequency}(s) on its own")
            if flow["state"] != "enabled":
                raise errors.not_allowed_in_state(f"flow {flow_id} is {flow['state']}")
            now = self.clock()
            run = self.new_run(flow, caller.client_id, now, due=params["startTime"], trigger="onDemand",
                               params={k: params[k] for k in ("startTime", "windowStartTime", "windowEndTime")})
            self.save(tx, run, now)
        return {"items": [written(run)]}

    # --- the scheduler's side ------------------------------------------------------------

    def start_scheduled(self, flow_id: str, now: float) -> str | None:
        """Claim a due slot of an enabled flow: one transaction creates the run and moves the flow on.

        When several slots have passed (the emulator was stopped), only the latest is run.
        """
        with self.store.transaction() as tx:
            flow = tx.get(FLOW, flow_id)
            if flow is None or flow["state"] != "enabled":
                return None
            schedule, state = flow["scheduleParams"], flow["_schedule"]
            slot = state["next"]
            if slot is None or slot > now:
                return None
            following = plan(schedule, slot)
            while following is not None and following <= now:
                slot, following = following, plan(schedule, following)
            window_start = int(state["last"] if state["last"] is not None else plan(schedule, None) or 0)
            run = self.new_run(flow, SCHEDULER_CLIENT, now, due=slot, trigger="schedule",
                               params={"startTime": slot, "windowStartTime": window_start,
                                       "windowEndTime": max(slot, int(now))})
            flow["_schedule"] = {"next": following, "last": slot}
            self.flows.save(tx, flow, now, restamp=False)
            self.save(tx, run, now)
        return str(run["id"])

    def due_flows(self, now: float) -> list[str]:
        """Ids of the enabled flows with a slot due, soonest first."""
        with self.store.read() as tx:
            flows = [f for f in tx.scan(FLOW, "enabled") if f["_schedule"]["next"] is not None]
        return [f["id"] for f in sorted(flows, key=lambda f: (f["_schedule"]["next"], f["id"]))
                if f["_schedule"]["next"] <= now]

    def pending(self, now: float) -> list[dict[str, Any]]:
        """Runs waiting to be executed, oldest due first."""
        with self.store.read() as tx:
            runs = tx.scan(RUN, IN_PROGRESS)
        return sorted((r for r in runs if r["_run"]["due"] <= now), key=lambda r: (r["_run"]["due"], r["createdAt"]))

    def next_due(self) -> float | None:
        """When the next slot or waiting run is due (None: nothing is scheduled)."""
        with self.store.read() as tx:
            times = [f["_schedule"]["next"] for f in tx.scan(FLOW, "enabled") if f["_schedule"]["next"] is not None]
            times += [r["_run"]["due"] for r in tx.scan(RUN, IN_PROGRESS)]
        return min(times) if times else None

    def work(self, run: Mapping[str, Any]) -> Work | str:
        """What a run reads and how it maps and lands the records, or why it cannot run."""
        with self.store.read() as tx:
            flow = tx.get(FLOW, run["flowId"])
            if flow is None:
                return f"The flow {run['flowId']} was deleted."
            source = tx.get(SOURCE_CONNECTION, flow["sourceConnectionIds"][0])
            base = tx.get(CONNECTION, source["baseConnectionId"]) if source else None
            target = tx.get(TARGET_CONNECTION, flow["targetConnectionIds"][0])
            if source is None or base is None or target is None:
                return "The flow's source or target connection, or its base connection, was deleted."
            caller = Caller(SCHEDULER_CLIENT, run["imsOrgId"], run["sandboxName"])
            mapper = None
            mapping = next((t["params"] for t in flow.get("transformations") or [] if t.get("name") == "Mapping"),
                           None)
            if mapping is not None:
                version = int(ingestion.as_int(mapping.get("mappingVersion")) or 0)
                mapper = self.references.mapper(tx, caller, str(mapping.get("mappingId")), version)
                if mapper is None:
                    return f"The mapping set {mapping.get('mappingId')} (version {version}) was deleted."
            landing = {"base": base, "source": source, "mapper": mapper,
                       "dataset_id": target["params"]["dataSetId"]}
            if run["_run"]["trigger"] == "onDemand":
                return Work(**landing, selection=Selection(window=(run["params"]["windowStartTime"],
                                                                   run["params"]["windowEndTime"])))
            cursor = tx.get(CURSOR, cursor_id(flow["id"]))
        schedule = flow["scheduleParams"]
        if cursor is not None:
            return Work(**landing, selection=Selection(seen=cursor["seen"]))
        backfill = ingestion.as_bool(schedule.get("backfill"))
        return Work(**landing, selection=Selection(backfill=backfill is not False,
                                                   start_time=ingestion.as_int(schedule["startTime"])))

    def finish(self, run_id: str, outcome: Outcome, started: float, now: float, work: Work | None = None) -> None:
        """Record what the run found, land its records in the target dataset (one batch, when it read
        a file); a scheduled run that listed S3 moves the flow's cursor."""
        with self.store.transaction() as tx:
            run = tx.get(RUN, run_id)
            if run is None:
                return
            metrics = _metrics(outcome, started, now)
            run["metrics"] = metrics
            if work is not None and outcome.files:
                records = [r for f in outcome.files for r in f.accepted]
                caller = Caller(SCHEDULER_CLIENT, run["imsOrgId"], run["sandboxName"])
                self.references.land(tx, caller, work.dataset_id, run, records, work.source["data"]["format"])
            run["metrics"] = metrics
            run["activities"] = [{"id": run["_run"]["activityId"], "name": COPY_ACTIVITY,
                                  "updatedAtUTC": int(now * 1000), **metrics}]
            run["updatedAt"] = max(int(now * 1000), run["createdAt"])
            self.save(tx, run, now)
            if outcome.seen is not None and run["_run"]["trigger"] == "schedule":
                tx.put(CURSOR, {"id": cursor_id(run["flowId"]), "imsOrgId": run["imsOrgId"],
                                "sandboxName": run["sandboxName"], "createdAt": run["createdAt"],
                                "updatedAt": run["updatedAt"], "runId": run_id, "seen": outcome.seen})

    # --- records ---------------------------------------------------------------------------

    def new_run(self, flow: Mapping[str, Any], client_id: str, now: float, due: int, trigger: str,
                params: dict[str, int]) -> dict[str, Any]:
        run = self.audit(Caller(client_id, flow["imsOrgId"], flow["sandboxName"]), now)
        run.update({
            "flowId": flow["id"], "flowSpec": flow["flowSpec"], "params": params,
            "metrics": {"durationSummary": {"startedAtUTC": max(int(now * 1000), due * 1000)},
                        "sizeSummary": {"inputBytes": 0, "outputBytes": 0},
                        "recordSummary": {"inputRecordCount": 0, "outputRecordCount": 0, "failedRecordCount": 0},
                        "fileSummary": {"inputFileCount": 0, "outputFileCount": 0},
                        "statusSummary": {"status": IN_PROGRESS, "errors": []}},
            "activities": [],
            "_run": {"due": due, "trigger": trigger, "activityId": str(uuid.uuid4())},
        })
        return run

    def view(self, tx: Tx, record: dict[str, Any]) -> dict[str, Any]:
        return public(record)

    def index_entry(self, entry: dict[str, Any]) -> dict[str, Any]:
        entry = super().index_entry(entry)
        entry["metrics"] = {"statusSummary": {"status": entry.pop("state")}}
        return entry

    def links(self, record: dict[str, Any]) -> dict[str, list[str]]:
        return {"flowId": [record["flowId"]]}

    def state_of(self, record: dict[str, Any]) -> str | None:
        status: str = record["metrics"]["statusSummary"]["status"]
        return status


def _metrics(outcome: Outcome, started: float, now: float) -> dict[str, Any]:
    """Adobe's run metrics from what the S3 side found: success, partialSuccess (some records or
    files failed, some were taken) or failed (S3 could not be read, or nothing could be taken)."""
    files = outcome.files
    records = sum(f.records for f in files)
    failed = sum(f.failed for f in files)
    counted = [f for f in files if not f.problem]
    if not outcome.errors:
        status = SUCCESS
    elif outcome.seen is not None and records > failed:
        status = PARTIAL
    else:
        status = FAILED
    return {
        "durationSummary": {"startedAtUTC": int(started * 1000), "completedAtUTC": int(now * 1000)},
        "sizeSummary": {"inputBytes": sum(f.size for f in files), "outputBytes": sum(f.output_bytes for f in files)},
        "recordSummary": {"inputRecordCount": records, "outputRecordCount": records - failed,
                          "failedRecordCount": failed},
        "fileSummary": {"inputFileCount": len(files),
                        "outputFileCount": sum(1 for f in counted if f.records > f.failed)},
        "statusSummary": {"status": status, "errors": list(outcome.errors)},
    }
