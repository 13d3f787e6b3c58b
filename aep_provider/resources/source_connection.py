"""`aep_source_connection`: which files of an S3 base connection to ingest, in which format.

Only the name and description change in place: Flow Service lets the rest be patched, but a
dataflow already running does not pick such a change up (Adobe's advice: create a new source
connection and flow), so a new path, format or base connection replaces the source connection,
and with it the dataflows that use it.
"""

from __future__ import annotations

from typing import Any

from aep_client.kinds import SOURCE_CONNECTIONS
from aep_provider.protocol.resource import UNKNOWN, Attribute, Diagnostic, Schema, Value
from aep_provider.resources.flow_object import FlowObject, as_dict, named, rule_diagnostics, tracked
from aep_spec import identity, ingestion, s3

#: Attribute -> ``data.properties`` member.
PROPERTIES = {"column_delimiter": "columnDelimiter", "encoding": "encoding", "compression_type": "compressionType"}

SCHEMA = Schema(
    version=0,
    description="An S3 source connection (`POST /sourceConnections`): a file or folder of a base connection, "
                "and its format.",
    attributes=(
        *named("source connection"),
        Attribute("base_connection_id", "string", required=True, description=(
            "The S3 base connection (`baseConnectionId`). Changing it replaces the source connection.")),
        Attribute("path", "string", required=True, description=(
            "`/bucket/folder`, `/bucket/folder/file.csv` or `/bucket/folder/*.csv` (`params.path`), inside the "
            "base connection's bucket and folder. Changing it replaces the source connection.")),
        Attribute("path_type", "string", optional=True, computed=True, description=(
            "`folder` (default) or `file` (`params.type`). Changing it replaces the source connection.")),
        Attribute("recursive", "bool", optional=True, description=(
            "Folders: also ingest subfolders (`params.recursive`). Changing it replaces the source connection.")),
        Attribute("format", "string", required=True, description=(
            "`delimited`, `json` or `parquet` (`data.format`). Changing it replaces the source connection.")),
        Attribute("column_delimiter", "string", optional=True, description=(
            "Delimited data: one character, default `,` (`data.properties.columnDelimiter`).")),
        Attribute("encoding", "string", optional=True, description=(
            "Delimited data: `UTF-8` or `ISO-8859-1` (`data.properties.encoding`).")),
        Attribute("compression_type", "string", optional=True, description=(
            "Delimited or JSON data: `bzip2`, `gzip`, `deflate`, `zipDeflate`, `tarGzip` or `tar` "
            "(`data.properties.compressionType`).")),
        Attribute("connection_spec_id", "string", computed=True, description="The S3 connection spec id."),
        *tracked("source connection"),
    ),
)

REPLACING = ("base_connection_id", "path", "path_type", "recursive", "format", *PROPERTIES)


class SourceConnection(FlowObject):
    type_name = identity.SOURCE_CONNECTION
    schema = SCHEMA
    kind = SOURCE_CONNECTIONS
    listing = (f"connectionSpec.id=={s3.CONNECTION_SPEC_ID}",)
    replacing = REPLACING
    defaulted = {"path_type": "folder"}
    fixed = {"connection_spec_id": s3.CONNECTION_SPEC_ID}

    def check(self, config: dict[str, Value]) -> list[Diagnostic]:
        """The shared rules (aep_spec.ingestion) on the configured values; when one is not
        known yet (it comes from another resource) the API checks it at apply instead."""
        if any(config.get(name) is UNKNOWN for name in ("path", "path_type", "recursive", "format", *PROPERTIES)):
            return []
        return rule_diagnostics(ingestion.check_source(
            config.get("path"), config.get("path_type") or "folder", config.get("recursive"), config.get("format"),
            config.get("column_delimiter"), config.get("encoding"), config.get("compression_type")))

    def body(self, planned: dict[str, Value], config: dict[str, Value]) -> dict[str, Any]:
        properties = {api: planned[name] for name, api in PROPERTIES.items() if planned.get(name) is not None}
        params: dict[str, Any] = {"path": planned["path"], "type": planned["path_type"]}
        if planned.get("recursive") is not None:
            params["recursive"] = planned["recursive"]
        body: dict[str, Any] = {
            "baseConnectionId": planned["base_connection_id"],
            "data": {"format": planned["format"], **({"properties": properties} if properties else {})},
            "params": params,
            "connectionSpec": {"id": s3.CONNECTION_SPEC_ID, "version": s3.CONNECTION_SPEC_VERSION},
        }
        return body

    def state_from_record(self, record: dict[str, Any], prior: dict[str, Value]) -> dict[str, Value]:
        new = self.common(record, prior)
        data = as_dict(record.get("data"))
        params = as_dict(record.get("params"))
        # An older tutorial puts columnDelimiter directly under data: read both places.
        properties = as_dict(data.get("properties")) | {k: v for k, v in data.items() if k in PROPERTIES.values()}
        new.update(
            base_connection_id=record.get("baseConnectionId"),
            path=params.get("path"),
            path_type=params.get("type") or prior.get("path_type"),
            recursive=ingestion.as_bool(params.get("recursive")),
            format=data.get("format"),
            connection_spec_id=as_dict(record.get("connectionSpec")).get("id", s3.CONNECTION_SPEC_ID),
            **{name: properties.get(api) for name, api in PROPERTIES.items()},
        )
        return new

