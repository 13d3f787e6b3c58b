"""The life cycle every Flow Service collection shares, written once.

Base connections, source and target connections, flows and runs are all records owned by an org
and a sandbox, carrying audit fields and an etag that every write changes, updated by JSON Patch
under `If-Match`, listed with the same filters and pages. `Collection` holds those rules; a
subclass states only what is particular to its kind (how a body becomes a record, which patch
paths it takes and how the result is checked, what a delete must refuse).
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar

import jsonpatch
import jsonschema
from jsonschema.validators import Draft7Validator

from aep_spec.rules import RuleViolation

from ..core import bodies
from ..core.gateway import Caller
from ..core.store import Store, Tx
from . import errors, listing

ETAG_SEQUENCE = "etag"
PATCH_OPS = frozenset({"add", "replace", "remove"})
PRIVATE_PREFIX = "_"  # record members the emulator keeps for itself and never returns


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


def check_version(if_match: str | None, record: Mapping[str, Any], *, required: bool = True) -> None:
    """`If-Match` against the record's etag: missing is 1403 (when required), stale 1404."""
    if if_match is None or not strip_etag(if_match):
        if required:
            raise errors.if_match_missing()
        return
    if strip_etag(if_match) != strip_etag(record["etag"]):
        raise errors.version_mismatch(strip_etag(if_match), strip_etag(record["etag"]))


def parse_json(body: bytes) -> Any:
    """Decode a request body; a parse problem is a clear 400 (1000), never a crash."""
    return bodies.parse_json(body, errors.bad_request)


def parse_object(body: bytes) -> dict[str, Any]:
    """A create body: present (1405) and a JSON object (1000)."""
    if not body.strip():
        raise errors.empty_body()
    payload = parse_json(body)
    if not isinstance(payload, dict):
        raise errors.bad_request("The request body must be a JSON object.")
    return payload


def parse_patch(body: bytes) -> list[dict[str, Any]]:
    """A JSON Patch array with lower-cased ops; the op names Adobe accepts in any letter case."""
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
        normalized.append({**op, "op": kind, "path": op["path"].rstrip("/") or op["path"]})
    return normalized


def apply_patch(doc: dict[str, Any], ops: list[dict[str, Any]]) -> dict[str, Any]:
    """Apply with the jsonpatch library; `replace` of an absent optional member acts as `add`.

    That leniency is an [infer] choice: clients rotate `s3SessionToken` with `replace` even
    when the connection was created without one.
    """
    current = doc
    for op in ops:
        step = {k: v for k, v in op.items() if k in ("op", "path", "value")}
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


def required(obj: Mapping[str, Any], key: str, label: str | None = None) -> Any:
    value = obj.get(key)
    if value is None:
        raise errors.missing_field(label or key)
    return value


def check_name(value: Any, label: str = "name") -> str:
    if value is None:
        raise errors.missing_field(label)
    if not isinstance(value, str) or not value.strip():
        raise errors.invalid_param(label, "must be a non-empty string")
    return value


def check_description(value: Any) -> None:
    if value is not None and not isinstance(value, str):
        raise errors.invalid_param("description", "must be a string")


def spec_reference(payload: Mapping[str, Any], key: str,
                   known: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    """`connectionSpec` or `flowSpec`: `{"id", "version"?}` naming one of `known` (1413 otherwise).

    An omitted version means the latest, which is the only one.
    """
    ref = required(payload, key)
    if not isinstance(ref, dict):
        raise errors.invalid_param(key, "must be an object")
    spec_id = required(ref, "id", f"{key}.id")
    spec = known.get(spec_id) if isinstance(spec_id, str) else None
    version = ref.get("version")
    if spec is None or (version is not None and version != spec["version"]):
        raise errors.unknown_spec(f"{spec_id}" + (f" (version {version})" if version else ""))
    return {"id": spec_id, "version": spec["version"]}


def check_schema(schema: Mapping[str, Any], value: Any, label: str, source: str) -> None:
    """Validate against a spec's JSON Schema: a missing member is 1304, anything else 1312.

    The message names the member and the rule, never the value (it may be a secret).
    """
    if not isinstance(value, dict):
        raise errors.invalid_param(label, "must be an object")
    problems = sorted(Draft7Validator(schema).iter_errors(value), key=_error_rank)
    if not problems:
        return
    first = problems[0]
    where = ".".join([label, *(str(p) for p in first.absolute_path)])
    if first.validator == "required":
        missing = [name for name in first.validator_value if name not in (first.instance or {})]
        raise errors.missing_field(f"{where}.{missing[0] if missing else '?'}")
    if first.validator == "additionalProperties":
        extra = sorted(set(value) - set(schema.get("properties", {})))
        raise errors.invalid_param(f"{label}.{extra[0]}" if extra else where, f"not a parameter of {source}")
    raise errors.invalid_param(where, _describe(first, source))


def _error_rank(error: jsonschema.ValidationError) -> tuple[int, int, str]:
    # Missing members first (1304 is the documented code), outer before inner, then a stable order.
    return (0 if error.validator == "required" else 1, len(error.absolute_path),
            ".".join(map(str, error.absolute_path)))


def _describe(error: jsonschema.ValidationError, source: str) -> str:
    if error.validator == "pattern":
        return f"does not match the pattern {error.validator_value}"
    if error.validator in ("minLength", "maxLength", "type", "minimum"):
        return f"violates {error.validator}={error.validator_value}"
    if error.validator == "enum":
        allowed: list[Any] = error.schema.get("enum", []) if isinstance(error.schema, dict) else []
        return f"must be one of {', '.join(json.dumps(v) for v in allowed)}"
    return f"fails the '{error.validator}' rule of {source}"


def refuse(violations: Sequence[RuleViolation], prefix: str = "") -> None:
    """A shared rule's verdict as Adobe's 1312, naming every broken rule."""
    if violations:
        first, rest = violations[0], violations[1:]
        detail = first.rule + "".join(f"; {prefix}{v.field} {v.rule}" for v in rest)
        raise errors.invalid_param(f"{prefix}{first.field}", detail)


def set_optional(record: dict[str, Any], key: str, value: Any) -> None:
    """Set `key`, or drop it when a patch removed it."""
    if value is None:
        record.pop(key, None)
    else:
        record[key] = value


def public(record: Mapping[str, Any]) -> dict[str, Any]:
    """A deep copy without the emulator's private members."""
    copy: dict[str, Any] = json.loads(json.dumps(record))
    for key in [k for k in copy if k.startswith(PRIVATE_PREFIX)]:
        del copy[key]
    return copy


class Collection:
    """One Flow Service collection: create, read, list, patch and delete with Adobe's rules."""

    kind: ClassVar[str]
    path: ClassVar[str]                       # the list route, for `_links.next.href`
    spec_field: ClassVar[str] = "connectionSpec"
    list_fields: ClassVar[tuple[str, ...]] = listing.CONNECTION_FIELDS
    default_order: ClassVar[str] = "createdAt"

    def __init__(self, store: Store, clock: Callable[[], float] = time.time, page_size: int = 100) -> None:
        self.store = store
        self.clock = clock
        self.page_size = page_size

    # --- the life cycle ------------------------------------------------------------------

    def create(self, caller: Caller, body: bytes) -> dict[str, Any]:
        payload = parse_object(body)
        with self.store.transaction() as tx:
            now = self.clock()
            fields = self.build(tx, caller, payload, now)
            record = {**self.audit(caller, now), **fields}
            record.setdefault("state", "enabled")
            self.save(tx, record, now)
        return written(record)

    def get(self, caller: Caller, doc_id: str) -> dict[str, Any]:
        with self.store.read() as tx:
            return {"items": [self.view(tx, self.load(tx, caller, doc_id))]}

    def stored(self, caller: Caller, doc_id: str) -> dict[str, Any]:
        """The record as stored (secrets and private members included): never for an answer."""
        with self.store.read() as tx:
            return self.load(tx, caller, doc_id)

    def list_items(self, caller: Caller, query: Mapping[str, Sequence[str]]) -> dict[str, Any]:
        with self.store.read() as tx:
            # Filter and page on the index columns; read only the documents of the page.
            def view(entry: dict[str, Any]) -> dict[str, Any]:
                record = tx.get(self.kind, entry["id"])
                assert record is not None  # same snapshot as the index
                return self.view(tx, record)

            def load(entry: dict[str, Any]) -> dict[str, Any]:
                record = tx.get(self.kind, entry["id"])
                assert record is not None
                return record

            entries = [self.index_entry(e) for e in tx.index(self.kind, caller.org_id, caller.sandbox)]
            return listing.list_records(entries, query, self.page_size, self.path, view,
                                        fields=self.list_fields, default_order=self.default_order, load=load)

    def patch(self, caller: Caller, doc_id: str, body: bytes, if_match: str | None) -> dict[str, Any]:
        if if_match is None or not strip_etag(if_match):
            raise errors.if_match_missing()
        ops = parse_patch(body)
        with self.store.transaction() as tx:
            record = self.load(tx, caller, doc_id)
            check_version(if_match, record)
            for op in ops:
                self.check_patch_path(record, op)
            result = apply_patch(self.editable(record), ops)
            now = self.clock()
            self.accept(tx, caller, record, result, now)
            self.touch(record, caller, now)
            self.save(tx, record, now)
        return written(record)

    def delete(self, caller: Caller, doc_id: str) -> None:
        with self.store.transaction() as tx:
            record = self.load(tx, caller, doc_id)
            self.before_delete(tx, record)
            tx.delete(self.kind, doc_id)

    # --- shared steps ----------------------------------------------------------------------

    def load(self, tx: Tx, caller: Caller, doc_id: str) -> dict[str, Any]:
        record = tx.get(self.kind, doc_id)
        # Another org's or sandbox's record does not exist as far as this caller knows.
        if (record is None or record["imsOrgId"] != caller.org_id
                or record["sandboxName"] != caller.sandbox):
            raise errors.not_found(doc_id)
        return record

    def save(self, tx: Tx, record: dict[str, Any], now: float, *, restamp: bool = True) -> None:
        """Write the record; a new etag (and `version`) unless only private members changed."""
        if restamp:
            etag = make_etag(tx.next_sequence(ETAG_SEQUENCE), now)
            record["etag"] = etag
            record["version"] = etag
        spec = record.get(self.spec_field)
        spec_id = spec.get("id") if isinstance(spec, dict) else None
        tx.put(self.kind, record, spec_id=spec_id, state=self.state_of(record), links=self.links(record))

    @staticmethod
    def audit(caller: Caller, now: float) -> dict[str, Any]:
        ms = int(now * 1000)
        return {"id": str(uuid.uuid4()), "createdAt": ms, "updatedAt": ms,
                "createdBy": caller.user, "updatedBy": caller.user,
                "createdClient": caller.user, "updatedClient": caller.user,
                "sandboxId": caller.sandbox_id, "sandboxName": caller.sandbox, "imsOrgId": caller.org_id}

    @staticmethod
    def touch(record: dict[str, Any], caller: Caller, now: float) -> None:
        record["updatedAt"] = max(int(now * 1000), record["createdAt"])
        record["updatedBy"] = caller.user
        record["updatedClient"] = caller.user

    def index_entry(self, entry: dict[str, Any]) -> dict[str, Any]:
        """A store index row shaped like the record it mirrors, for the list filters."""
        spec_id = entry.pop("spec_id", None)
        entry[self.spec_field] = {"id": spec_id}
        return entry

    # --- what each kind states -----------------------------------------------------------

    def build(self, tx: Tx, caller: Caller, payload: dict[str, Any], now: float) -> dict[str, Any]:
        """The record's own fields from a validated create body."""
        raise NotImplementedError

    def check_patch_path(self, record: dict[str, Any], op: dict[str, Any]) -> None:
        raise errors.bad_patch(f"the path '{op['path']}' cannot be patched")

    def editable(self, record: dict[str, Any]) -> dict[str, Any]:
        """The part of the record a patch applies to (paths are relative to the record)."""
        return public(record)

    def accept(self, tx: Tx, caller: Caller, record: dict[str, Any], result: dict[str, Any],
               now: float) -> None:
        """Check the patched fields and copy them into the record; nothing is written on error."""
        raise NotImplementedError

    def before_delete(self, tx: Tx, record: dict[str, Any]) -> None:
        """Refuse a delete the kind does not allow (a record still in use)."""

    def view(self, tx: Tx, record: dict[str, Any]) -> dict[str, Any]:
        return public(record)

    def links(self, record: dict[str, Any]) -> dict[str, list[str]]:
        """The ids this record refers to, by field name."""
        return {}

    def state_of(self, record: dict[str, Any]) -> str | None:
        """What the `state` index column holds (lists filter on it)."""
        state = record.get("state")
        return state if isinstance(state, str) else None


def written(record: Mapping[str, Any]) -> dict[str, Any]:
    """The answer to a write: `{"id", "etag"}`."""
    return {"id": record["id"], "etag": record["etag"]}


def in_use_by(tx: Tx, doc_id: str, field: str) -> list[str]:
    """Ids of the records that refer to `doc_id` through `field`."""
    return sorted(ref for ref, _ in tx.referrers(doc_id, field))


class ConnectionWithData(Collection):
    """Source and target connections: `params` and `data` beside a fixed connection spec.

    One a flow uses cannot be deleted (1447). PATCH may change `/name`, `/description` and anything
    under `/params` and `/data` (Adobe allows it; a running flow just does not pick the change up);
    `/connectionSpec` is 1414.
    """

    patchable: ClassVar[tuple[str, ...]] = ("/name", "/description", "/params", "/data")
    flow_field: ClassVar[str]   # the flow member that names connections of this kind

    def before_delete(self, tx: Tx, record: dict[str, Any]) -> None:
        flows = in_use_by(tx, record["id"], self.flow_field)
        if flows:
            raise errors.connection_in_use(record["id"], flows)

    def check_patch_path(self, record: dict[str, Any], op: dict[str, Any]) -> None:
        path = op["path"]
        if path == "/connectionSpec" or path.startswith("/connectionSpec/"):
            raise errors.spec_not_updatable()
        if not any(path == p or path.startswith(f"{p}/") for p in self.patchable):
            raise errors.bad_patch(f"the path '{path}' cannot be patched")
        if path in ("/params", "/data") and op["op"] == "remove":
            raise errors.bad_patch(f"{path[1:]} cannot be removed as a whole")

    def editable(self, record: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in public(record).items() if f"/{k}" in self.patchable}
