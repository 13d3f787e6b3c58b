"""The Flow Service rules for base connections, independent of HTTP.

Every public method takes the caller (who, which org and sandbox) and raw request data, and
either returns the response body or raises a `FlowError`; the HTTP layer only translates.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import jsonpatch
import jsonschema
from jsonschema.validators import Draft7Validator

from . import errors, listing, specs
from .store import Store, Tx

ETAG_SEQUENCE = "etag"
SANDBOX_NAMESPACE = uuid.UUID("6b36e130-c5d7-11e9-949c-0da8d50fcac1")
PATCH_OPS = frozenset({"add", "replace", "remove"})


@dataclass(frozen=True)
class Caller:
    """Who is calling, as established by the gateway headers."""

    client_id: str
    org_id: str
    sandbox: str

    @property
    def sandbox_id(self) -> str:
        return str(uuid.uuid5(SANDBOX_NAMESPACE, f"{self.org_id}/{self.sandbox}"))

    @property
    def user(self) -> str:
        # Service tokens: Adobe reports createdBy equal to createdClient.
        return f"{self.client_id}@AdobeID"


def make_etag(sequence: int, unix_seconds: float) -> str:
    """Adobe's shape `"xxxxxxxx-0000-0200-0000-ssssssss0000"`, quotes included.

    The first group is a bijective scramble of a persisted counter, so two writes never get
    the same etag even within one second or across restarts.
    """
    scrambled = ((sequence * 0x9E3779B1) & 0xFFFFFFFF) ^ 0x5BD1E995
    return f'"{scrambled:08x}-0000-0200-0000-{int(unix_seconds) & 0xFFFFFFFF:08x}0000"'


def strip_etag(value: str) -> str:
    """Clients send etags quoted, unquoted, or weak; compare only the inner token."""
    value = value.strip()
    if value.startswith("W/"):
        value = value[2:]
    return value.strip().strip('"').strip()


def parse_json(body: bytes) -> Any:
    """Decode a request body; a parse problem is a clear 400, never a crash."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise errors.bad_request(f"The request body is not valid UTF-8: {exc}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        hint = ""
        if exc.msg.startswith(("Invalid control character", "Unterminated string")):
            hint = " A string value is not closed by a double quote (or holds a raw line break)."
        raise errors.bad_request(f"Malformed JSON in request body: {exc}.{hint}") from None


def validate_params(spec_id: str, auth_name: str, params: Any) -> None:
    """Check auth params against the auth spec's JSON Schema, mapping to Adobe's codes."""
    schema = specs.auth_schema(spec_id, auth_name)
    if schema is None:
        raise errors.unknown_auth_spec(auth_name, spec_id)
    if not isinstance(params, dict):
        raise errors.invalid_param("auth.params", "must be an object")
    validator = Draft7Validator(schema)
    problems = sorted(validator.iter_errors(params), key=_error_rank)
    if not problems:
        return
    first = problems[0]
    if first.validator == "required":
        missing = [name for name in first.validator_value if name not in params]
        raise errors.missing_field(f"auth.params.{missing[0] if missing else '?'}")
    where = ".".join(["auth.params", *(str(p) for p in first.absolute_path)])
    if first.validator == "additionalProperties":
        extra = sorted(set(params) - set(schema.get("properties", {})))
        raise errors.invalid_param(f"auth.params.{extra[0]}" if extra else where,
                                   f"not a parameter of auth spec '{auth_name}'")
    # Never echo the offending value: it may be a secret.
    raise errors.invalid_param(where, _describe(first))


def _error_rank(error: jsonschema.ValidationError) -> tuple[int, str]:
    # Missing fields first (1304 is the documented code), then the rest in a stable order.
    return (0 if error.validator == "required" else 1, ".".join(map(str, error.absolute_path)))


def _describe(error: jsonschema.ValidationError) -> str:
    if error.validator == "pattern":
        return f"does not match the pattern {error.validator_value}"
    if error.validator in ("minLength", "maxLength", "type"):
        return f"violates {error.validator}={error.validator_value}"
    return f"fails the '{error.validator}' rule of the auth spec"


class FlowModel:
    """Base connections CRUD plus the connection-spec reads."""

    def __init__(self, store: Store, clock: Callable[[], float] = time.time,
                 page_size: int = 100) -> None:
        self.store = store
        self.clock = clock
        self.page_size = page_size

    # --- connections ---------------------------------------------------------------------

    def create(self, caller: Caller, body: bytes) -> dict[str, Any]:
        if not body.strip():
            raise errors.empty_body()
        payload = parse_json(body)
        if not isinstance(payload, dict):
            raise errors.bad_request("The request body must be a JSON object.")
        name = _required(payload, "name")
        if not isinstance(name, str) or not name.strip():
            raise errors.invalid_param("name", "must be a non-empty string")
        description = payload.get("description")
        if description is not None and not isinstance(description, str):
            raise errors.invalid_param("description", "must be a string")
        spec_ref = _required(payload, "connectionSpec")
        if not isinstance(spec_ref, dict):
            raise errors.invalid_param("connectionSpec", "must be an object")
        spec_id = _required(spec_ref, "id", "connectionSpec.id")
        spec = specs.SPECS.get(spec_id) if isinstance(spec_id, str) else None
        version = spec_ref.get("version")
        if spec is None or (version is not None and version != spec["version"]):
            raise errors.unknown_spec(f"{spec_id}" + (f" (version {version})" if version else ""))
        auth = _required(payload, "auth")
        if not isinstance(auth, dict):
            raise errors.invalid_param("auth", "must be an object")
        spec_name = _required(auth, "specName", "auth.specName")
        if not isinstance(spec_name, str) or specs.auth_schema(spec_id, spec_name) is None:
            raise errors.unknown_auth_spec(str(spec_name), spec_id)
        params = _required(auth, "params", "auth.params")
        validate_params(spec_id, spec_name, params)

        now = self.clock()
        ms = int(now * 1000)
        record: dict[str, Any] = {
            "id": str(uuid.uuid4()),
            "createdAt": ms,
            "updatedAt": ms,
            "createdBy": caller.user,
            "updatedBy": caller.user,
            "createdClient": caller.user,
            "updatedClient": caller.user,
            "sandboxId": caller.sandbox_id,
            "sandboxName": caller.sandbox,
            "imsOrgId": caller.org_id,
            "name": name,
            "connectionSpec": {"id": spec_id, "version": spec["version"]},
            "state": "enabled",
            "auth": {"specName": spec_name, "params": params},
        }
        if description is not None:
            record["description"] = description
        with self.store.transaction() as tx:
            self._stamp(tx, record, now)
            tx.put_connection(record)
        return {"id": record["id"], "etag": record["etag"]}

    def get(self, caller: Caller, conn_id: str) -> dict[str, Any]:
        with self.store.read() as tx:
            record = self._load(tx, caller, conn_id)
        return {"items": [public_view(record)]}

    def record(self, caller: Caller, conn_id: str) -> dict[str, Any]:
        """The stored record with its secrets, for `/test` and `/explore` only (never returned)."""
        with self.store.read() as tx:
            return self._load(tx, caller, conn_id)

    def list_connections(self, caller: Caller, query: Mapping[str, Sequence[str]]) -> dict[str, Any]:
        with self.store.read() as tx:
            # Filter and page on the index columns; parse only the documents of the page.
            def view(entry: dict[str, Any]) -> dict[str, Any]:
                record = tx.get_connection(entry["id"])
                assert record is not None  # same snapshot as the index
                return public_view(record)

            return listing.list_records(tx.list_index(caller.org_id, caller.sandbox), query,
                                        self.page_size, "/connections", view)

    def patch(self, caller: Caller, conn_id: str, body: bytes,
              if_match: str | None) -> dict[str, Any]:
        if if_match is None or not strip_etag(if_match):
            raise errors.if_match_missing()
        ops = self._parse_patch(body)
        with self.store.transaction() as tx:
            record = self._load(tx, caller, conn_id)
            if strip_etag(if_match) != strip_etag(record["etag"]):
                raise errors.version_mismatch(strip_etag(if_match), strip_etag(record["etag"]))
            spec_id = record["connectionSpec"]["id"]
            spec_name = record["auth"]["specName"]
            allowed = set((specs.auth_schema(spec_id, spec_name) or {}).get("properties", {}))
            for op in ops:
                _check_path(op, allowed)
            editable = {"name": record["name"], "auth": {"params": record["auth"]["params"]}}
            if "description" in record:
                editable["description"] = record["description"]
            result = _apply(editable, ops)
            name = result.get("name")
            if name is None:
                raise errors.missing_field("name")
            if not isinstance(name, str) or not name.strip():
                raise errors.invalid_param("name", "must be a non-empty string")
            if "description" in result and not isinstance(result["description"], str):
                raise errors.invalid_param("description", "must be a string")
            params = result.get("auth", {}).get("params")
            if params is None:
                raise errors.missing_field("auth.params")
            validate_params(spec_id, spec_name, params)

            now = self.clock()
            record["name"] = name
            if "description" in result:
                record["description"] = result["description"]
            else:
                record.pop("description", None)
            record["auth"]["params"] = params
            record["updatedAt"] = max(int(now * 1000), record["createdAt"])
            record["updatedBy"] = caller.user
            record["updatedClient"] = caller.user
            self._stamp(tx, record, now)
            tx.put_connection(record)
        return {"id": record["id"], "etag": record["etag"]}

    def delete(self, caller: Caller, conn_id: str) -> None:
        with self.store.transaction() as tx:
            self._load(tx, caller, conn_id)
            tx.delete_connection(conn_id)

    # --- connection specs ----------------------------------------------------------------

    def get_spec(self, spec_id: str) -> dict[str, Any]:
        spec = specs.get_spec(spec_id)
        if spec is None:
            raise errors.not_found(spec_id)
        return {"items": [spec]}

    def list_specs(self, query: Mapping[str, Sequence[str]]) -> dict[str, Any]:
        all_specs = [specs.get_spec(i) for i in specs.SPECS]
        return listing.list_specs([s for s in all_specs if s is not None], query)

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

    # --- helpers -------------------------------------------------------------------------

    def _stamp(self, tx: Tx, record: dict[str, Any], now: float) -> None:
        etag = make_etag(tx.next_sequence(ETAG_SEQUENCE), now)
        record["etag"] = etag
        record["version"] = etag

    @staticmethod
    def _load(tx: Tx, caller: Caller, conn_id: str) -> dict[str, Any]:
        record = tx.get_connection(conn_id)
        # Another org's or sandbox's connection does not exist as far as this caller knows.
        if (record is None or record["imsOrgId"] != caller.org_id
                or record["sandboxName"] != caller.sandbox):
            raise errors.not_found(conn_id)
        return record

    @staticmethod
    def _parse_patch(body: bytes) -> list[dict[str, Any]]:
        if not body.strip():
            raise errors.empty_body()
        ops = parse_json(body)
        if ops is None or ops == [] or ops == {}:
            raise errors.empty_body()
        if not isinstance(ops, list):
            raise errors.bad_patch("the body must be a JSON Patch array of operations")
        normalized: list[dict[str, Any]] = []
        for index, op in enumerate(ops):
            if not isinstance(op, dict):
                raise errors.bad_patch(f"operation {index} is not an object")
            if "op" not in op:
                raise errors.bad_patch('Missing field "op"')
            if not isinstance(op["op"], str) or op["op"].lower() not in PATCH_OPS:
                raise errors.unsupported_op(str(op["op"]))
            if not isinstance(op.get("path"), str):
                raise errors.bad_patch('Missing field "path"')
            kind = op["op"].lower()
            if kind != "remove" and "value" not in op:
                raise errors.bad_patch(f'Missing field "value" for {kind} {op["path"]}')
            normalized.append({**op, "op": kind})
        return normalized


def _required(obj: dict[str, Any], key: str, label: str | None = None) -> Any:
    value = obj.get(key)
    if value is None:
        raise errors.missing_field(label or key)
    return value


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


def _apply(doc: dict[str, Any], ops: list[dict[str, Any]]) -> dict[str, Any]:
    """Apply with the jsonpatch library; `replace` of an absent optional member acts as `add`.

    That leniency is an [infer] choice: clients rotate `s3SessionToken` with `replace` even
    when the connection was created without one.
    """
    current = doc
    for op in ops:
        step = {k: v for k, v in op.items() if k in ("op", "path", "value")}
        step["path"] = op["path"].rstrip("/") or op["path"]
        if step["op"] == "replace":
            try:
                jsonpatch.JsonPointer(step["path"]).resolve(current)
            except jsonpatch.JsonPointerException:
                step["op"] = "add"
        try:
            current = jsonpatch.apply_patch(current, [step])
        except (jsonpatch.JsonPatchConflict, jsonpatch.JsonPointerException) as exc:
            raise errors.bad_patch(f"{step['op']} {step['path']}: {exc}") from None
    return current


def public_view(record: dict[str, Any]) -> dict[str, Any]:
    """The record as a read returns it: secrets masked."""
    view: dict[str, Any] = json.loads(json.dumps(record))
    view["auth"]["params"] = specs.mask_params(view["auth"]["params"])
    return view
