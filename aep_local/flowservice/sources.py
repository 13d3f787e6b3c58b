"""Source connections: which files of a base connection's S3 bucket a flow reads, and how.

The rules of `params` and `data` are the shared ones (`aep_spec.ingestion`): the JSON
Schema the S3 connection spec serves as its `sourceSpec`, then `check_source`. Beyond them, the
emulator requires the base connection to exist in the caller's org and sandbox, and the path to
lie within the base connection's `bucketName`/`folderPath` when it has them (a documented choice:
Adobe's credentials would not reach further).
"""

from __future__ import annotations

from typing import Any

from aep_spec import ingestion

from ..core.gateway import Caller
from ..core.store import CONNECTION, SOURCE_CONNECTION, Tx
from . import errors, listing, specs
from .records import (
    ConnectionWithData,
    check_description,
    check_name,
    check_schema,
    refuse,
    required,
    set_optional,
    spec_reference,
)


class SourceConnections(ConnectionWithData):
    kind = SOURCE_CONNECTION
    path = "/sourceConnections"
    flow_field = "sourceConnectionIds"
    list_fields = (*listing.CONNECTION_FIELDS, "baseConnectionId")

    def build(self, tx: Tx, caller: Caller, payload: dict[str, Any], now: float) -> dict[str, Any]:
        name = check_name(payload.get("name"))
        description = payload.get("description")
        check_description(description)
        base_id = required(payload, "baseConnectionId")
        base = tx.get(CONNECTION, base_id) if isinstance(base_id, str) else None
        if base is None or base["imsOrgId"] != caller.org_id or base["sandboxName"] != caller.sandbox:
            raise errors.invalid_param("baseConnectionId", f"no base connection '{base_id}' exists in this "
                                       "organization and sandbox")
        spec = spec_reference(payload, "connectionSpec", specs.SOURCE_CONNECTION_SPECS)
        if spec["id"] != base["connectionSpec"]["id"]:
            raise errors.unknown_spec(f"{spec['id']} (the base connection's spec is "
                                      f"{base['connectionSpec']['id']})")
        data, params = required(payload, "data"), required(payload, "params")
        check_source(data, params, base)
        record: dict[str, Any] = {
            "name": name, "baseConnectionId": base_id, "data": data, "params": params,
            "connectionSpec": spec,
            "inheritedAttributes": {"baseConnection": {"id": base_id, "connectionSpec": base["connectionSpec"]}},
        }
        set_optional(record, "description", description)
        return record

    def check_patch_path(self, record: dict[str, Any], op: dict[str, Any]) -> None:
        if op["path"] == "/baseConnectionId":
            raise errors.bad_patch("the baseConnectionId of a source connection cannot be changed; create "
                                   "another source connection instead")
        super().check_patch_path(record, op)

    def accept(self, tx: Tx, caller: Caller, record: dict[str, Any], result: dict[str, Any],
               now: float) -> None:
        name = check_name(result.get("name"))
        check_description(result.get("description"))
        data, params = required(result, "data"), required(result, "params")
        check_source(data, params, tx.get(CONNECTION, record["baseConnectionId"]))
        record.update(name=name, data=data, params=params)
        set_optional(record, "description", result.get("description"))

    def links(self, record: dict[str, Any]) -> dict[str, list[str]]:
        return {"baseConnectionId": [record["baseConnectionId"]]}


def check_source(data: Any, params: Any, base: dict[str, Any] | None) -> None:
    """`data` and `params` by the shared rules, and the path within the base connection's scope."""
    if not isinstance(data, dict):
        raise errors.invalid_param("data", "must be an object")
    data_format = required(data, "format", "data.format")
    properties = data.get("properties") or {}
    if not isinstance(properties, dict):
        raise errors.invalid_param("data.properties", "must be an object")
    check_schema(ingestion.SOURCE_PARAMS_SCHEMA, params, "params", "the S3 source spec")
    refuse(ingestion.check_source(
        params["path"], params.get("type"), params.get("recursive"), data_format,
        properties.get("columnDelimiter"), properties.get("encoding"), properties.get("compressionType"),
        fields={"path": "params.path", "path_type": "params.type", "recursive": "params.recursive",
                "format": "data.format", "column_delimiter": "data.properties.columnDelimiter",
                "encoding": "data.properties.encoding", "compression_type": "data.properties.compressionType"}))
    if base is None:
        return  # the base connection is gone: nothing left to scope the path by
    auth = base["auth"]["params"]
    if not ingestion.path_within(params["path"], auth.get("bucketName"), auth.get("folderPath")):
        scope = "/".join(p.strip("/") for p in (auth.get("bucketName"), auth.get("folderPath")) if p)
        raise errors.invalid_param("params.path", f"lies outside the base connection's scope /{scope}/")
