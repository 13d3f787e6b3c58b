"""Target connections to the Data Lake: which dataset a flow writes to, under which XDM schema.

Flow Service asks Catalog whether the dataset exists in the caller's org and sandbox and which
schema it follows, and the Schema Registry whether that schema exists; `data.schema.id` must be
the dataset's schema.
"""

from __future__ import annotations

from typing import Any

from aep_spec import ingestion
from aep_spec.rules import RuleViolation

from ..core.gateway import Caller
from ..core.store import TARGET_CONNECTION, Store, Tx
from . import errors, listing, specs
from .records import (
    ConnectionWithData,
    check_description,
    check_name,
    refuse,
    required,
    set_optional,
    spec_reference,
)
from .references import References, schema_of


class TargetConnections(ConnectionWithData):
    kind = TARGET_CONNECTION
    path = "/targetConnections"
    flow_field = "targetConnectionIds"
    list_fields = (*listing.CONNECTION_FIELDS, "params.dataSetId")

    def __init__(self, store: Store, clock: Any, page_size: int, references: References) -> None:
        super().__init__(store, clock, page_size)
        self.references = references

    def build(self, tx: Tx, caller: Caller, payload: dict[str, Any], now: float) -> dict[str, Any]:
        # The OpenAPI schema requires only connectionSpec and data: a name is optional here.
        name = payload.get("name")
        if name is not None:
            check_name(name)
        description = payload.get("description")
        check_description(description)
        spec = spec_reference(payload, "connectionSpec", specs.TARGET_CONNECTION_SPECS)
        data, params = required(payload, "data"), required(payload, "params")
        self.check_target(tx, caller, data, params)
        record: dict[str, Any] = {"data": data, "params": params, "connectionSpec": spec}
        set_optional(record, "name", name)
        set_optional(record, "description", description)
        return record

    def accept(self, tx: Tx, caller: Caller, record: dict[str, Any], result: dict[str, Any],
               now: float) -> None:
        if result.get("name") is not None:
            check_name(result["name"])
        check_description(result.get("description"))
        data, params = required(result, "data"), required(result, "params")
        self.check_target(tx, caller, data, params)
        record.update(data=data, params=params)
        set_optional(record, "name", result.get("name"))
        set_optional(record, "description", result.get("description"))

    def index_entry(self, entry: dict[str, Any]) -> dict[str, Any]:
        entry = super().index_entry(entry)
        entry["params"] = {"dataSetId": entry.pop("params.dataSetId", None)}
        return entry

    def links(self, record: dict[str, Any]) -> dict[str, list[str]]:
        return {"params.dataSetId": [record["params"]["dataSetId"]]}

    def check_target(self, tx: Tx, caller: Caller, data: Any, params: Any) -> None:
        """The dataset exists in the caller's Catalog and `data.schema` is its schema, in the registry."""
        sandbox = caller.sandbox
        if not isinstance(data, dict):
            raise errors.invalid_param("data", "must be an object")
        if not isinstance(params, dict):
            raise errors.invalid_param("params", "must be an object")
        if data.get("format") is not None:
            refuse(_format_problems(data["format"]))
        schema = required(data, "schema", "data.schema")
        if not isinstance(schema, dict):
            raise errors.invalid_param("data.schema", "must be an object")
        schema_id = required(schema, "id", "data.schema.id")
        refuse(ingestion.check_schema_id(schema_id, "data.schema.id"))
        version = required(schema, "version", "data.schema.version")
        refuse(ingestion.check_schema_version(version, "data.schema.version"))
        dataset_id = required(params, "dataSetId", "params.dataSetId")
        refuse(ingestion.check_dataset_id(dataset_id, "params.dataSetId"))
        dataset = self.references.dataset(tx, caller, dataset_id)
        if dataset is None:
            raise errors.invalid_param("params.dataSetId", f"no dataset '{dataset_id}' exists in sandbox "
                                       f"'{sandbox}'")
        if schema_of(dataset) != schema_id:
            raise errors.invalid_param("data.schema.id", f"dataset '{dataset_id}' follows the schema "
                                       f"'{schema_of(dataset)}', not '{schema_id}'")
        known = self.references.schema(tx, caller, schema_id)
        if known is None:
            raise errors.invalid_param("data.schema.id", f"no schema '{schema_id}' exists in sandbox '{sandbox}'")
        if _major(str(known.get("version", "1"))) != _major(version.rsplit("=", 1)[-1]):
            raise errors.invalid_param("data.schema.version", f"the schema '{schema_id}' is at version "
                                       f"{known.get('version')}")


def _format_problems(value: Any) -> list[RuleViolation]:
    if value in ingestion.FORMATS:
        return []
    return [RuleViolation("data.format", f"must be one of {', '.join(ingestion.FORMATS)}")]


def _major(version: str) -> str:
    return version.split(".", 1)[0]
