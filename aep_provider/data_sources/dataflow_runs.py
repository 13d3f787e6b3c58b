"""`aep_dataflow_runs`: a dataflow's most recent runs, with their status and record counts
(`GET /runs?property=flowId==<id>`, one call per read), so a plan or an output shows whether the
files of the last runs made it into the dataset.
"""

from __future__ import annotations

from typing import Any

from aep_provider.data_sources.base import FlowDataSource
from aep_provider.protocol.resource import Attribute, Diagnostic, Schema, Value, known_str
from aep_provider.resources.flow_object import as_dict, rfc3339, rule_diagnostics
from aep_spec import identity
from aep_spec.rules import RuleViolation

DEFAULT_LIMIT = 10
MAX_LIMIT = 100
RUN = ["object", {
    "id": "string", "status": "string", "started_at": "string", "completed_at": "string",
    "files_read": "number", "bytes_read": "number", "records_read": "number", "records_written": "number",
    "records_failed": "number", "errors": ["list", "string"],
}]

SCHEMA = Schema(
    description="A dataflow's most recent runs, newest first (`GET /runs?property=flowId==<id>`).",
    attributes=(
        Attribute("id", "string", computed=True, description="The flow id."),
        Attribute("flow_id", "string", required=True, description="The dataflow."),
        Attribute("limit", "number", optional=True,
                  description=f"How many runs, 1 to {MAX_LIMIT} (default {DEFAULT_LIMIT})."),
        Attribute("runs", ["list", RUN], computed=True, description=(
            "Each run: `id`, `status` (`success`, `failed`, `inProgress`...), `started_at`, `completed_at` "
            "(RFC 3339), `files_read`, `bytes_read`, `records_read`, `records_written`, `records_failed`, "
            "`errors` (`code: message`).")),
        Attribute("last_status", "string", computed=True, description="The newest run's status (null: no run yet)."),
    ),
)


class DataflowRuns(FlowDataSource):
    type_name = identity.DATAFLOW_RUNS
    schema = SCHEMA

    def check(self, config: dict[str, Value]) -> list[Diagnostic]:
        limit = config.get("limit")
        if isinstance(limit, (int, float)) and not (1 <= limit <= MAX_LIMIT and float(limit).is_integer()):
            return rule_diagnostics([RuleViolation("limit", f"must be a whole number from 1 to {MAX_LIMIT}")])
        return []

    def read(self, config: dict[str, Value]) -> dict[str, Value]:
        flow_id = known_str(config, "flow_id")
        limit = config.get("limit")
        with self.failures("runs listing"):
            found = self.api().list_runs(flow_id, int(limit) if isinstance(limit, (int, float)) else DEFAULT_LIMIT)
        runs: list[Value] = [run_values(run) for run in found]
        last = runs[0]["status"] if runs and isinstance(runs[0], dict) else None
        return dict(config, id=flow_id, runs=runs, last_status=last)


def run_values(run: dict[str, Any]) -> dict[str, Value]:
    """A run record as the data source shows it (Adobe's metrics, flattened)."""
    metrics = as_dict(run.get("metrics"))
    duration, size = as_dict(metrics.get("durationSummary")), as_dict(metrics.get("sizeSummary"))
    records, files = as_dict(metrics.get("recordSummary")), as_dict(metrics.get("fileSummary"))
    status = as_dict(metrics.get("statusSummary"))
    errors = [f"{as_dict(e).get('code')}: {as_dict(e).get('message')}" for e in status.get("errors") or []]
    return {
        "id": str(run.get("id")), "status": _text(status.get("status")),
        "started_at": rfc3339(duration.get("startedAtUTC")), "completed_at": rfc3339(duration.get("completedAtUTC")),
        "files_read": _number(files.get("inputFileCount")), "bytes_read": _number(size.get("inputBytes")),
        "records_read": _number(records.get("inputRecordCount")),
        "records_written": _number(records.get("outputRecordCount")),
        "records_failed": _number(records.get("failedRecordCount")), "errors": list(errors),
    }


def _number(value: Any) -> int | None:
    return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _text(value: Any) -> str | None:
    return None if value is None else str(value)
