"""Terraform values on the wire (msgpack or JSON ``DynamicValue``) <-> plain Python values.

Decoding is driven by the schema's cty types because the wire alone is ambiguous (a set and a
list look the same; a number may arrive as a string; "dynamic" carries its own type). Rules
from hashicorp/terraform docs/plugin-protocol/object-wire-format.md.
"""

from __future__ import annotations

import json
import math
from decimal import Decimal, InvalidOperation
from typing import Any

import msgpack

from . import tfplugin6_pb2 as pb
from .resource import UNKNOWN, Attribute, AttrPath, Schema, Value

CtyType = Any  # "string" | "number" | "bool" | "dynamic" | [kind, arg]

# cty encodes a whole-unknown value as extension 0; its payload is ignored by every reader.
_UNKNOWN_EXT = msgpack.ExtType(0, b"\x00")
_NIL = b"\xc0"  # msgpack nil: a null object, as Terraform expects for "no state"
_INT64_MIN, _UINT64_MAX = -(2**63), 2**64 - 1


class CodecError(ValueError):
    """A value does not fit its schema type; the message names the path, never the value."""


def object_type(schema: Schema) -> CtyType:
    """The cty object type a schema's block encodes as (attributes only: no nested blocks here)."""
    return ["object", {attr.name: attr.type for attr in schema.attributes}]


def type_json(ty: CtyType) -> bytes:
    """Compact JSON for a cty type, as ``Schema.Attribute.type`` carries it."""
    return json.dumps(ty, separators=(",", ":")).encode()


# ---------------------------------------------------------------------------------- decoding


def _ext_hook(code: int, data: bytes) -> Any:
    # Any extension is an unknown (12 carries refinements we may ignore; others are reserved).
    return UNKNOWN


def decode_msgpack(raw: bytes, ty: CtyType) -> Value:
    """Decode msgpack bytes of type ``ty``; empty bytes mean null."""
    if not raw:
        return None
    loaded = msgpack.unpackb(raw, ext_hook=_ext_hook, raw=False, strict_map_key=False)
    return _conform(loaded, ty, (), from_json=False)


def decode_json(raw: bytes, ty: CtyType) -> Value:
    """Decode a JSON ``DynamicValue`` or raw state; JSON cannot hold unknowns."""
    if not raw:
        return None
    return _conform(json.loads(raw), ty, (), from_json=True)


def decode(dynamic: Any, ty: CtyType) -> Value:
    """Decode a ``tfplugin6.DynamicValue`` (msgpack preferred, JSON as the protocol's fallback)."""
    if dynamic is None:
        return None
    if dynamic.msgpack:
        return decode_msgpack(dynamic.msgpack, ty)
    if dynamic.json:
        return decode_json(dynamic.json, ty)
    return None


def decode_object(dynamic: Any, schema: Schema) -> dict[str, Value] | None:
    """Decode a whole resource or provider object (None when null, as for "no state")."""
    value = decode(dynamic, object_type(schema))
    if value is None or isinstance(value, dict):
        return value
    raise CodecError("<root>: expected an object (or null)")


def _where(path: AttrPath) -> str:
    return ".".join(str(p) for p in path) or "<root>"


def _number(value: Any, path: AttrPath) -> int | float:
    if isinstance(value, bool):
        raise CodecError(f"{_where(path)}: expected number, got bool")
    if isinstance(value, int | float):
        return value
    if isinstance(value, str):  # big numbers travel as decimal strings
        try:
            dec = Decimal(value)
        except InvalidOperation:
            raise CodecError(f"{_where(path)}: expected number, got a non-numeric string") from None
        return int(dec) if dec == dec.to_integral_value() else float(dec)
    raise CodecError(f"{_where(path)}: expected number, got {type(value).__name__}")


def _conform(value: Any, ty: CtyType, path: AttrPath, *, from_json: bool) -> Value:
    """Check a loaded value against its type and turn it into the interface's Python shape."""
    if value is None or value is UNKNOWN:
        return value
    if ty == "string":
        if not isinstance(value, str):
            raise CodecError(f"{_where(path)}: expected string, got {type(value).__name__}")
        return value
    if ty == "number":
        return _number(value, path)
    if ty == "bool":
        if not isinstance(value, bool):
            raise CodecError(f"{_where(path)}: expected bool, got {type(value).__name__}")
        return value
    if ty == "dynamic":
        if from_json:  # {"type": T, "value": V}
            if not isinstance(value, dict) or "type" not in value:
                raise CodecError(f"{_where(path)}: malformed dynamic value")
            return _conform(value.get("value"), value["type"], path, from_json=True)
        if not isinstance(value, list) or len(value) != 2:
            raise CodecError(f"{_where(path)}: malformed dynamic value")
        return _conform(value[1], json.loads(value[0]), path, from_json=False)
    if not isinstance(ty, list) or len(ty) != 2:
        raise CodecError(f"{_where(path)}: unsupported type {ty!r}")
    kind, arg = ty
    if kind in ("list", "set"):
        if not isinstance(value, list):
            raise CodecError(f"{_where(path)}: expected {kind}, got {type(value).__name__}")
        return [_conform(v, arg, (*path, i), from_json=from_json) for i, v in enumerate(value)]
    if kind == "map":
        if not isinstance(value, dict):
            raise CodecError(f"{_where(path)}: expected map, got {type(value).__name__}")
        return {str(k): _conform(v, arg, (*path, str(k)), from_json=from_json) for k, v in value.items()}
    if kind == "object":
        if not isinstance(value, dict):
            raise CodecError(f"{_where(path)}: expected object, got {type(value).__name__}")
        return {name: _conform(value.get(name), aty, (*path, name), from_json=from_json) for name, aty in arg.items()}
    if kind == "tuple":
        if not isinstance(value, list) or len(value) != len(arg):
            raise CodecError(f"{_where(path)}: expected tuple of {len(arg)}")
        return [
            _conform(v, t, (*path, i), from_json=from_json) for i, (v, t) in enumerate(zip(value, arg, strict=True))
        ]
    raise CodecError(f"{_where(path)}: unsupported type kind {kind!r}")


# ---------------------------------------------------------------------------------- encoding


def encode_msgpack(value: Value, ty: CtyType) -> bytes:
    """Encode a Python value of type ``ty``; UNKNOWN anywhere becomes extension 0."""
    if value is None:
        return _NIL
    packed: bytes = msgpack.packb(_prepare(value, ty, ()), use_bin_type=True)
    return packed


def _prepare(value: Value, ty: CtyType, path: AttrPath) -> Any:
    """Validate against the type and return what msgpack should pack."""
    if value is None:
        return None
    if value is UNKNOWN:
        return _UNKNOWN_EXT
    if ty == "string":
        if not isinstance(value, str):
            raise CodecError(f"{_where(path)}: expected string, got {type(value).__name__}")
        return value
    if ty == "number":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise CodecError(f"{_where(path)}: expected number, got {type(value).__name__}")
        if isinstance(value, int):
            return value if _INT64_MIN <= value <= _UINT64_MAX else str(value)
        if not math.isfinite(value):
            raise CodecError(f"{_where(path)}: numbers must be finite")
        return value
    if ty == "bool":
        if not isinstance(value, bool):
            raise CodecError(f"{_where(path)}: expected bool, got {type(value).__name__}")
        return value
    if ty == "dynamic":
        actual = infer_type(value)
        return [type_json(actual), _prepare(value, actual, path)]
    kind, arg = ty
    if kind in ("list", "set"):
        if not isinstance(value, list | tuple | set | frozenset):
            raise CodecError(f"{_where(path)}: expected {kind}, got {type(value).__name__}")
        return [_prepare(v, arg, (*path, i)) for i, v in enumerate(value)]
    if kind == "map":
        if not isinstance(value, dict):
            raise CodecError(f"{_where(path)}: expected map, got {type(value).__name__}")
        return {str(k): _prepare(v, arg, (*path, str(k))) for k, v in value.items()}
    if kind == "object":
        if not isinstance(value, dict):
            raise CodecError(f"{_where(path)}: expected object, got {type(value).__name__}")
        extra = set(value) - set(arg)
        if extra:
            raise CodecError(f"{_where(path)}: attributes not in the schema: {', '.join(sorted(extra))}")
        return {name: _prepare(value.get(name), aty, (*path, name)) for name, aty in arg.items()}
    if kind == "tuple":
        if not isinstance(value, list | tuple) or len(value) != len(arg):
            raise CodecError(f"{_where(path)}: expected tuple of {len(arg)}")
        return [_prepare(v, t, (*path, i)) for i, (v, t) in enumerate(zip(value, arg, strict=True))]
    raise CodecError(f"{_where(path)}: unsupported type kind {kind!r}")


def infer_type(value: Value) -> CtyType:
    """A cty type for a value held in a "dynamic" attribute (objects and tuples, like HCL literals)."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float | Decimal):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        return ["object", {str(k): infer_type(v) for k, v in value.items()}]
    if isinstance(value, list | tuple):
        return ["tuple", [infer_type(v) for v in value]]
    if value is None or value is UNKNOWN:
        return "dynamic"
    raise CodecError(f"cannot infer a Terraform type for {type(value).__name__}")


# ---------------------------------------------------------------------------------- states


def complete(state: dict[str, Value] | None, schema: Schema) -> dict[str, Value] | None:
    """Every schema attribute present (missing ones null), nothing else; write-only nulled."""
    if state is None:
        return None
    return {a.name: (None if a.write_only else state.get(a.name)) for a in schema.attributes}


def coerce_state(raw: dict[str, Value], schema: Schema) -> dict[str, Value]:
    """Fit a stored state to the current schema: drop unknown names, fill missing, check types."""
    out: dict[str, Value] = {}
    for attr in schema.attributes:
        out[attr.name] = (
            None if attr.write_only else _conform(raw.get(attr.name), attr.type, (attr.name,), from_json=True)
        )
    return out


# ---------------------------------------------------------------------------------- schemas


def attribute_to_proto(attr: Attribute) -> pb.Schema.Attribute:
    """One ``tfplugin6.Schema.Attribute``."""
    return pb.Schema.Attribute(
        name=attr.name,
        type=type_json(attr.type),
        description=attr.description,
        required=attr.required,
        optional=attr.optional,
        computed=attr.computed,
        sensitive=attr.sensitive,
        description_kind=pb.PLAIN,
        deprecated=attr.deprecated,
        write_only=attr.write_only,
    )


def schema_to_proto(schema: Schema) -> pb.Schema:
    """A ``tfplugin6.Schema`` with an explicit version (Terraform upgrades state by it)."""
    block = pb.Schema.Block(
        version=schema.version,
        attributes=[attribute_to_proto(a) for a in schema.attributes],
        description=schema.description,
        description_kind=pb.PLAIN,
    )
    return pb.Schema(version=schema.version, block=block)
