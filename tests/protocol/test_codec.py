"""The value codec against the wire rules of object-wire-format.md."""

from __future__ import annotations

import json

import msgpack
import pytest

from aep_provider.protocol import codec
from aep_provider.protocol import tfplugin6_pb2 as pb
from aep_provider.protocol.resource import UNKNOWN, Attribute, Schema, Value

SCHEMA = Schema(
    version=3,
    description="things",
    attributes=(
        Attribute("id", "string", computed=True),
        Attribute("count", "number", optional=True),
        Attribute("enabled", "bool", optional=True),
        Attribute("tags", ["map", "string"], optional=True),
        Attribute("ports", ["list", "number"], optional=True),
        Attribute("names", ["set", "string"], optional=True),
        Attribute("nested", ["list", ["map", ["set", "number"]]], optional=True),
        Attribute("obj", ["object", {"a": "string", "b": ["list", "bool"]}], optional=True),
        Attribute("pair", ["tuple", ["string", "number"]], optional=True),
        Attribute("secret", "string", optional=True, sensitive=True, write_only=True, description="shh"),
    ),
)
OBJ = codec.object_type(SCHEMA)


def _ext(code: int, payload: bytes = b"\x00") -> msgpack.ExtType:
    return msgpack.ExtType(code, payload)


def test_unknown_extension_0_and_refined_12_both_decode_to_unknown() -> None:
    refined = msgpack.packb({1: False, 2: "arn:"})  # not null, known prefix
    raw = msgpack.packb({"id": _ext(0), "count": _ext(12, refined), "tags": {"k": _ext(12, refined)}})
    value = codec.decode_msgpack(raw, OBJ)
    assert value["id"] is UNKNOWN
    assert value["count"] is UNKNOWN
    assert value["tags"] == {"k": UNKNOWN}
    assert value["enabled"] is None  # absent attributes come back null


def test_any_other_extension_is_unknown_too() -> None:
    assert codec.decode_msgpack(msgpack.packb(_ext(42, b"xyz")), "string") is UNKNOWN


def test_unknown_encodes_as_extension_0() -> None:
    raw = codec.encode_msgpack({"id": UNKNOWN, "ports": [1, UNKNOWN]}, OBJ)
    decoded = msgpack.unpackb(raw, ext_hook=lambda code, data: ("ext", code))
    assert decoded["id"] == ("ext", 0)
    assert decoded["ports"] == [1, ("ext", 0)]
    assert codec.encode_msgpack(UNKNOWN, "string") == msgpack.packb(_ext(0))


def test_nested_round_trip_keeps_ints_ints() -> None:
    value = {
        "id": "x",
        "count": 42,
        "enabled": True,
        "tags": {"env": "prod", "empty": ""},
        "ports": [80, 443, 8.5],
        "names": ["a", "b"],
        "nested": [{"k": [1, 2]}, {}],
        "obj": {"a": "hi", "b": [True, False]},
        "pair": ["p", 7],
        "secret": None,
    }
    back = codec.decode_msgpack(codec.encode_msgpack(value, OBJ), OBJ)
    assert back == value
    assert type(back["count"]) is int and type(back["ports"][0]) is int and type(back["ports"][2]) is float


def test_object_attributes_missing_on_encode_are_null() -> None:
    raw = codec.encode_msgpack({"id": "x"}, OBJ)
    decoded = msgpack.unpackb(raw)
    assert set(decoded) == {a.name for a in SCHEMA.attributes}
    assert decoded["count"] is None


def test_numbers_as_strings_and_big_numbers() -> None:
    assert codec.decode_msgpack(msgpack.packb("12345678901234567890123"), "number") == 12345678901234567890123
    assert codec.decode_msgpack(msgpack.packb("1.5"), "number") == 1.5
    big = 2**70
    assert msgpack.unpackb(codec.encode_msgpack(big, "number")) == str(big)
    assert codec.decode_msgpack(codec.encode_msgpack(big, "number"), "number") == big


def test_dynamic_values() -> None:
    raw = msgpack.packb([b'["list","string"]', ["a", "b"]], use_bin_type=True)
    assert codec.decode_msgpack(raw, "dynamic") == ["a", "b"]
    encoded = codec.encode_msgpack({"x": 1}, "dynamic")
    type_bytes, inner = msgpack.unpackb(encoded)
    assert json.loads(type_bytes) == ["object", {"x": "number"}] and inner == {"x": 1}
    assert codec.decode_json(b'{"type":"string","value":"s"}', "dynamic") == "s"


def test_null_and_empty() -> None:
    assert codec.decode_msgpack(b"", OBJ) is None
    assert codec.decode_msgpack(b"\xc0", OBJ) is None
    assert codec.encode_msgpack(None, OBJ) == b"\xc0"
    assert codec.decode(pb.DynamicValue(), OBJ) is None
    assert codec.decode(None, OBJ) is None


def test_json_dynamic_value_is_the_fallback() -> None:
    dv = pb.DynamicValue(json=b'{"id":"j","count":3,"tags":{"a":"b"},"ports":[1,2.5]}')
    value = codec.decode(dv, OBJ)
    assert value["id"] == "j" and value["count"] == 3 and value["ports"] == [1, 2.5]
    assert value["tags"] == {"a": "b"} and value["obj"] is None


def test_type_errors_name_the_path_but_not_the_value() -> None:
    with pytest.raises(codec.CodecError) as info:
        codec.encode_msgpack({"tags": {"k": 12345}}, OBJ)
    assert "tags.k" in str(info.value) and "12345" not in str(info.value)
    with pytest.raises(codec.CodecError) as info:
        codec.decode_msgpack(msgpack.packb({"count": "hunter2-secret"}), OBJ)
    assert "hunter2" not in str(info.value)
    with pytest.raises(codec.CodecError):
        codec.encode_msgpack({"not_in_schema": 1}, OBJ)
    with pytest.raises(codec.CodecError):
        codec.encode_msgpack({"enabled": 1}, OBJ)
    with pytest.raises(codec.CodecError):
        codec.encode_msgpack({"count": float("nan")}, OBJ)


def test_sets_accept_python_sets_and_tuples() -> None:
    raw = codec.encode_msgpack({"names": {"x"}, "pair": ("a", 1)}, OBJ)
    assert msgpack.unpackb(raw)["names"] == ["x"]


def test_coerce_state_for_upgrade_drops_fills_and_nulls_write_only() -> None:
    raw = json.loads('{"id":"i","count":"7","gone":"old","secret":"leaked","ports":[1]}')
    state = codec.coerce_state(raw, SCHEMA)
    assert "gone" not in state
    assert state["count"] == 7 and state["ports"] == [1] and state["tags"] is None
    assert state["secret"] is None
    assert set(state) == {a.name for a in SCHEMA.attributes}


def test_complete_nulls_write_only_and_fills() -> None:
    assert codec.complete(None, SCHEMA) is None
    done = codec.complete({"id": "x", "secret": "s", "extra": 1}, SCHEMA)
    assert done is not None and done["secret"] is None and "extra" not in done and done["count"] is None


def test_schema_to_proto() -> None:
    proto = codec.schema_to_proto(SCHEMA)
    assert proto.version == 3 and proto.block.version == 3
    assert proto.block.description == "things" and proto.block.description_kind == pb.PLAIN
    by_name = {a.name: a for a in proto.block.attributes}
    assert json.loads(by_name["nested"].type) == ["list", ["map", ["set", "number"]]]
    assert by_name["id"].type == b'"string"' and by_name["id"].computed
    secret = by_name["secret"]
    assert secret.write_only and secret.sensitive and secret.optional and secret.description == "shh"
    assert not by_name["count"].write_only


# A data source result: a list of objects with every primitive member, and a map of strings.
ROW = ["object", {"key": "string", "revision": "number", "found": "bool"}]
RESULT = ["object", {"items": ["list", ROW], "values": ["map", "string"]}]
ROWS = [{"key": "a", "revision": 2, "found": True}, {"key": None, "revision": None, "found": False}]


@pytest.mark.parametrize(
    "value",
    [
        {"items": ROWS, "values": {"a": "x", "b": None}},
        {"items": [], "values": {}},
        {"items": None, "values": None},
        {"items": [None], "values": {"": ""}},  # a null element and an empty key are values too
    ],
    ids=["full", "empty", "null", "null-element"],
)
def test_list_of_objects_and_map_round_trip_msgpack(value: Value) -> None:
    raw = codec.encode_msgpack(value, RESULT)
    assert msgpack.unpackb(raw) == value  # plain msgpack: Terraform reads it without our types
    assert codec.decode_msgpack(raw, RESULT) == value


def test_list_of_objects_fills_missing_members_and_refuses_others() -> None:
    raw = codec.encode_msgpack({"items": [{"key": "a"}]}, RESULT)
    assert msgpack.unpackb(raw) == {"items": [{"key": "a", "revision": None, "found": None}], "values": None}
    with pytest.raises(codec.CodecError, match=r"items\.0: attributes not in the schema: extra"):
        codec.encode_msgpack({"items": [{"key": "a", "extra": 1}]}, RESULT)
    with pytest.raises(codec.CodecError, match=r"items\.1\.found: expected bool"):
        codec.encode_msgpack({"items": [{}, {"found": "yes"}]}, RESULT)
    with pytest.raises(codec.CodecError, match=r"items\.0: expected object"):
        codec.decode_msgpack(msgpack.packb({"items": ["a"]}), RESULT)
    with pytest.raises(codec.CodecError, match=r"values\.k: expected string"):
        codec.decode_msgpack(msgpack.packb({"values": {"k": 1}}), RESULT)


def test_list_of_objects_and_map_with_unknowns() -> None:
    values: list[Value] = [
        {"items": [{"key": UNKNOWN, "revision": 1, "found": True}], "values": UNKNOWN},
        {"items": UNKNOWN, "values": {"a": UNKNOWN}},
    ]
    for value in values:
        assert codec.decode_msgpack(codec.encode_msgpack(value, RESULT), RESULT) == value


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            '{"items":[{"key":"a","revision":"2","found":true},{"key":null,"revision":null,"found":false}],'
            '"values":{"a":"x","b":null}}',
            {"items": ROWS, "values": {"a": "x", "b": None}},
        ),
        ('{"items":[],"values":{}}', {"items": [], "values": {}}),
        ('{"items":null,"values":null}', {"items": None, "values": None}),
        ('{"items":[{"key":"a"}]}', {"items": [{"key": "a", "revision": None, "found": None}], "values": None}),
    ],
    ids=["full", "empty", "null", "sparse"],
)
def test_list_of_objects_and_map_from_json(text: str, expected: Value) -> None:
    assert codec.decode_json(text.encode(), RESULT) == expected
    assert codec.decode(pb.DynamicValue(json=text.encode()), RESULT) == expected


def test_list_of_objects_schema_type_json() -> None:
    attr = Attribute("items", ["list", ROW], computed=True)
    proto = codec.attribute_to_proto(attr)
    assert json.loads(proto.type) == ["list", ["object", {"key": "string", "revision": "number", "found": "bool"}]]
    assert proto.computed and not proto.optional
