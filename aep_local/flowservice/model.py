"""The Flow Service rules for base connections and the facade over every collection, apart from HTTP.

Every public method takes the caller (who, which org and sandbox) and raw request data, and
either returns the response body or raises a `FlowError`; the HTTP layer only translates.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ..core.gateway import Caller
from ..core.store import CONNECTION, Store, Tx
from . import errors, specs
from .flows import Flows
from .records import (
    Collection,
    apply_patch,
    check_description,
    check_name,
    check_schema,
    in_use_by,
    make_etag,
    parse_json,
    public,
    required,
    set_optional,
    spec_reference,
    strip_etag,
)
from .references import References
from .runs import Runs
from .sources import SourceConnections
from .targets import TargetConnections

__all__ = ["Connections", "FlowModel", "apply_patch", "make_etag", "parse_json", "strip_etag"]

def validate_params(spec_id: str, auth_name: str, params: Any) -> None:
    """Check auth params against the auth spec's JSON Schema, mapping to Adobe's codes."""
    schema = specs.auth_schema(spec_id, auth_name)
    if schema is None:
        raise errors.unknown_auth_spec(auth_name, spec_id)
    check_schema(schema, params, "auth.params", f"auth spec '{auth_name}'")


class Connections(Collection):
    """Base connections: an S3 connection spec and the auth params its auth spec allows."""

    kind = CONNECTION
    path = "/connections"

    def build(self, tx: Tx, caller: Caller, payload: dict[str, Any], now: float) -> dict[str, Any]:
        name = check_name(payload.get("name"))
        description = payload.get("description")
        check_description(description)
        spec = spec_reference(payload, "connectionSpec", specs.BASE_CONNECTION_SPECS)
        spec_id = spec["id"]
        auth = required(payload, "auth")
        if not isinstance(auth, dict):
            raise errors.invalid_param("auth", "must be an object")
        spec_name = required(auth, "specName", "auth.specName")
        if not isinstance(spec_name, str) or specs.auth_schema(spec_id, spec_name) is None:
            raise errors.unknown_auth_spec(str(spec_name), spec_id)
        params = required(auth, "params", "auth.params")
        validate_params(spec_id, spec_name, params)
        record: dict[str, Any] = {"name": name, "connectionSpec": spec,
                                  "auth": {"specName": spec_name, "params": params}}
        set_optional(record, "description", description)
        return record

    def check_patch_path(self, record: dict[str, Any], op: dict[str, Any]) -> None:
        schema = specs.auth_schema(record["connectionSpec"]["id"], record["auth"]["specName"]) or {}
        _check_path(op, set(schema.get("properties", {})))

    def editable(self, record: dict[str, Any]) -> dict[str, Any]:
        editable = {"name": record["name"], "auth": {"params": record["auth"]["params"]}}
        if "description" in record:
            editable["description"] = record["description"]
        return editable

    def accept(self, tx: Tx, caller: Caller, record: dict[str, Any], result: dict[str, Any],
               now: float) -> None:
        name = check_name(result.get("name"))
        check_description(result.get("description"))
        params = result.get("auth", {}).get("params")
        if params is None:
            raise errors.missing_field("auth.params")
        validate_params(record["connectionSpec"]["id"], record["auth"]["specName"], params)
        record["name"] = name
        set_optional(record, "description", result.get("description"))
        record["auth"]["params"] = params

    def before_delete(self, tx: Tx, record: dict[str, Any]) -> None:
        flows = sorted({flow for source in in_use_by(tx, record["id"], "baseConnectionId")
                        for flow in in_use_by(tx, source, "sourceConnectionIds")})
        if flows:
            raise errors.base_connection_in_use(record["id"], flows)

    def view(self, tx: Tx, record: dict[str, Any]) -> dict[str, Any]:
        return public_view(record)


class FlowModel:
    """Every collection the emulator serves, and the spec reads, behind one object."""

    def __init__(self, store: Store, references: References, clock: Callable[[], float] = time.time,
                 page_size: int = 100, schedule_clock: Callable[[], float] | None = None) -> None:
        self.store = store
        self.connections = Connections(store, clock, page_size)
        self.sources = SourceConnections(store, clock, page_size)
        self.targets = TargetConnections(store, clock, page_size, references)
        # Flows check startTime and runs are stamped on the scheduler's clock (see scheduler.py).
        self.flows = Flows(store, clock, page_size, references, schedule_clock or clock)
        self.runs = Runs(store, schedule_clock or clock, page_size, self.flows, references)

    def collection(self, route: str) -> Collection:
        """The collection behind a list route such as `/flows`."""
        for collection in (self.connections, self.sources, self.targets, self.flows, self.runs):
            if collection.path == route:
                return collection
        raise KeyError(route)

    # --- specs ---------------------------------------------------------------------------

    def get_spec(self, spec_id: str) -> dict[str, Any]:
        return _found(specs.get_spec(spec_id), spec_id)

    def list_specs(self, query: Mapping[str, Sequence[str]]) -> dict[str, Any]:
        return specs.list_documents(specs.SPECS, query)

    def get_flow_spec(self, spec_id: str) -> dict[str, Any]:
        return _found(specs.get_flow_spec(spec_id), spec_id)

    def list_flow_specs(self, query: Mapping[str, Sequence[str]]) -> dict[str, Any]:
        return specs.list_documents(specs.FLOW_SPECS, query)

    def spec_configs(self, spec_id: str, query: Mapping[str, Sequence[str]]) -> dict[str, Any]:
        if spec_id not in specs.SPECS:
            raise errors.not_found(spec_id)
        auth_type = (query.get("authType") or [""])[0]
        if not auth_type:
            raise errors.FlowError("1359", 400, "The param authType is missing in the request. "
                                   "Please provide a valid authType and try again.",
                                   title="Bad Request")
        config = specs.CONFIGS.get(spec_id, {}).get(auth_type)
        if config is None:
            raise errors.FlowError("1301", 400, f"The provided authSpecType param : {auth_type} is "
                                   "not supported. Please provide a valid auth spec type and try "
                                   "again.", title="Bad Request")
        return {"configParams": dict(config)}


def _found(document: dict[str, Any] | None, doc_id: str) -> dict[str, Any]:
    if document is None:
        raise errors.not_found(doc_id)
    return {"items": [document]}


def _check_path(op: dict[str, Any], params: set[str]) -> None:
    path = op["path"].rstrip("/") if op["path"] != "/" else op["path"]
    if path == "/connectionSpec" or path.startswith("/connectionSpec/"):
        raise errors.spec_not_updatable()
    if path in ("/name", "/description"):
        return
    if path == "/auth/params":
        if op["op"] == "remove":
            raise errors.bad_patch("the auth params cannot be removed as a whole")
        if not isinstance(op.get("value"), dict):
            raise errors.invalid_param("auth.params", "must be an object")
        return
    prefix = "/auth/params/"
    if path.startswith(prefix):
        field = path[len(prefix):]
        if field in params:
            return
        raise errors.bad_patch(f'Missing field "{field}"')
    raise errors.bad_patch(f"the path '{op['path']}' cannot be patched")


def public_view(record: dict[str, Any]) -> dict[str, Any]:
    """The record as a read returns it: secrets masked."""
    view = public(record)
    view["auth"]["params"] = specs.mask_params(view["auth"]["params"])
    return view
