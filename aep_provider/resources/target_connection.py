"""`aep_target_connection`: the Data Lake target of a dataflow, one dataset and its XDM schema.

Only the name and description change in place; another dataset, schema or format replaces the
target connection (and the dataflows that use it), as for source connections.
"""

from __future__ import annotations

from typing import Any

from aep_client.kinds import TARGET_CONNECTIONS
from aep_provider.protocol.resource import UNKNOWN, Attribute, Diagnostic, Schema, Value
from aep_provider.resources.flow_object import FlowObject, as_dict, named, rule_diagnostics, tracked
from aep_spec import identity, ingestion

SCHEMA = Schema(
    version=0,
    description="A Data Lake target connection (`POST /targetConnections`): the dataset a dataflow writes to.",
    attributes=(
        *named("target connection"),
        Attribute("dataset_id", "string", required=True, description=(
            "Catalog dataset id (`params.dataSetId`), 24 hexadecimal characters. Changing it replaces the "
            "target connection.")),
        Attribute("schema_id", "string", required=True, description=(
            "The dataset's XDM schema `$id` (`data.schema.id`). Changing it replaces the target connection.")),
        Attribute("schema_version", "string", optional=True, computed=True, description=(
            f"`data.schema.version`, default `{ingestion.DEFAULT_SCHEMA_VERSION}`.")),
        Attribute("format", "string", optional=True, description=(
            "`data.format` (`delimited`, `json` or `parquet`); left out when unset, as in Adobe's tutorial.")),
        Attribute("connection_spec_id", "string", computed=True, description="The Data Lake connection spec id."),
        *tracked("target connection"),
    ),
)


class TargetConnection(FlowObject):
    type_name = identity.TARGET_CONNECTION
    schema = SCHEMA
    kind = TARGET_CONNECTIONS
    listing = (f"connectionSpec.id=={ingestion.DATA_LAKE_CONNECTION_SPEC_ID}",)
    replacing = ("dataset_id", "schema_id", "schema_version", "format")
    defaulted = {"schema_version": ingestion.DEFAULT_SCHEMA_VERSION}
    fixed = {"connection_spec_id": ingestion.DATA_LAKE_CONNECTION_SPEC_ID}

    def check(self, config: dict[str, Value]) -> list[Diagnostic]:
        """The shared rules on every known value (one from another resource is checked at apply)."""
        checks = (("dataset_id", ingestion.check_dataset_id), ("schema_id", ingestion.check_schema_id),
                  ("schema_version", ingestion.check_schema_version),
                  ("format", lambda value, field: ingestion.check_source_format(value, field)))
        violations = []
        for name, check in checks:
            value = config.get(name)
            if value is not None and value is not UNKNOWN:
                violations += check(value, name)
        return rule_diagnostics(violations)

    def body(self, planned: dict[str, Value], config: dict[str, Value]) -> dict[str, Any]:
        data: dict[str, Any] = {"schema": {"id": planned["schema_id"], "version": planned["schema_version"]}}
        if planned.get("format") is not None:
            data["format"] = planned["format"]
        body: dict[str, Any] = {
            "data": data,
            "params": {"dataSetId": planned["dataset_id"]},
            "connectionSpec": {"id": ingestion.DATA_LAKE_CONNECTION_SPEC_ID,
                               "version": ingestion.DATA_LAKE_CONNECTION_SPEC_VERSION},
        }
        return body

    def state_from_record(self, record: dict[str, Any], prior: dict[str, Value]) -> dict[str, Value]:
        new = self.common(record, prior)
        data = as_dict(record.get("data"))
        schema, params = as_dict(data.get("schema")), as_dict(record.get("params"))
        spec = as_dict(record.get("connectionSpec"))
        new.update(
            dataset_id=params.get("dataSetId"),
            schema_id=schema.get("id"),
            schema_version=schema.get("version") or prior.get("schema_version"),
            format=data.get("format"),
            connection_spec_id=spec.get("id", ingestion.DATA_LAKE_CONNECTION_SPEC_ID),
        )
        return new
