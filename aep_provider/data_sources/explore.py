"""`aep_explore`: what a base connection sees in its bucket (Adobe's "explore your cloud
storage" step): a folder's files and subfolders, or a file's columns as Flow Service detects them.

One `GET /connections/{id}/explore` per read. A data source is read on every plan, so a stack
declares it where a reviewer wants to see the files, not for every connection by default.
"""

from __future__ import annotations

from typing import Any

from aep_provider.data_sources.base import FlowDataSource
from aep_provider.protocol.resource import Attribute, Diagnostic, Schema, Value, known_str
from aep_provider.resources.flow_object import rule_diagnostics
from aep_spec import identity, ingestion
from aep_spec.rules import RuleViolation

ITEM = ["object", {"type": "string", "name": "string", "path": "string", "can_preview": "bool"}]
COLUMN = ["object", {"name": "string", "type": "string"}]

SCHEMA = Schema(
    description="Files and folders a base connection sees (`GET /connections/{id}/explore`), or with "
                "`file_type` a file's detected columns (preview).",
    attributes=(
        Attribute("id", "string", computed=True, description="`<connection id>:<path>`."),
        Attribute("connection_id", "string", required=True, description="The base connection."),
        Attribute("path", "string", optional=True, description=(
            "A folder (`/bucket/folder`) to list, or with `file_type` a file to preview; unset: the root.")),
        Attribute("file_type", "string", optional=True, description=(
            "Preview `path` as `delimited`, `json` or `parquet` and return its columns.")),
        Attribute("column_delimiter", "string", optional=True, description="Preview of delimited data: one character."),
        Attribute("items", ["list", ITEM], computed=True, description=(
            "The folder's entries: `type` (`file` or `folder`), `name`, `path`, `can_preview`.")),
        Attribute("files", ["list", "string"], computed=True, description="Paths of the files among `items`."),
        Attribute("columns", ["list", COLUMN], computed=True,
                  description="A previewed file's columns: `name`, `type`."),
    ),
)


class Explore(FlowDataSource):
    type_name = identity.EXPLORE
    schema = SCHEMA

    def check(self, config: dict[str, Value]) -> list[Diagnostic]:
        file_type, delimiter = config.get("file_type"), config.get("column_delimiter")
        violations = []
        if isinstance(file_type, str):
            violations += ingestion.check_source_format(file_type, "file_type")
            if config.get("path") is None:
                violations.append(RuleViolation("path", "names the file to preview when file_type is set"))
        if isinstance(delimiter, str):
            violations += ingestion.check_delimiter(delimiter)
            if file_type is None:
                violations.append(RuleViolation("column_delimiter", "applies to a preview (file_type delimited)"))
        return rule_diagnostics(violations)

    def read(self, config: dict[str, Value]) -> dict[str, Value]:
        connection_id = known_str(config, "connection_id")
        path, file_type = config.get("path"), config.get("file_type")
        state = dict(config, id=f"{connection_id}:{path or '/'}", items=[], files=[], columns=[])
        with self.failures("explore"):
            if isinstance(file_type, str):
                preview = {"fileType": file_type}
                if isinstance(config.get("column_delimiter"), str):
                    preview["columnDelimiter"] = str(config["column_delimiter"])
                found = self.api().explore(connection_id, "file", str(path), preview)
                state["columns"] = [{"name": _text(c.get("name")), "type": _text(c.get("type"))} for c in found]
                return state
            found = self.api().explore(connection_id, "folder" if path else "root", str(path) if path else None)
        items: list[Value] = [_item(entry) for entry in found]
        state["items"] = items
        state["files"] = [item["path"] for item in items if isinstance(item, dict) and item["type"] == "file"]
        return state


def _item(entry: dict[str, Any]) -> dict[str, Value]:
    return {"type": _text(entry.get("type")), "name": _text(entry.get("name")), "path": _text(entry.get("path")),
            "can_preview": bool(entry.get("canPreview"))}


def _text(value: Any) -> str | None:
    return None if value is None else str(value)
