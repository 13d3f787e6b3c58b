"""The shared facts the services validate with (aep_spec.xdm, .catalog, .dataprep) and the mapper's
expression subset, without a server: the provider reads the same functions."""

from __future__ import annotations

from typing import Any

import pytest

from aep_local.dataprep.mapper import Mapper, MappingFailure, check_expression
from aep_spec import catalog, dataprep, xdm


@pytest.mark.parametrize(("cell", "kind", "value"), [
    ("42", "integer", 42), ("-7", "integer", -7), ("4.5", "number", 4.5), ("1e3", "number", 1000.0),
    ("12", "number", 12), ("TRUE", "boolean", True), ("false", "boolean", False),
    ("2024-02-29", "date", "2024-02-29"), ("2024-02-01T10:00:00Z", "date-time", "2024-02-01T10:00:00Z"),
    ("2024-02-01T10:00:00.5+01:00", "date-time", "2024-02-01T10:00:00.5+01:00"), ("  ", "integer", None),
    (" a b ", "string", " a b "),
])
def test_cells_convert_to_their_fields_type(cell: str, kind: str, value: Any) -> None:
    assert xdm.convert(cell, kind) == value


@pytest.mark.parametrize(("cell", "kind"), [
    ("4.5", "integer"), ("two", "integer"), ("nan", "number"), ("inf", "number"), ("yes", "boolean"),
    ("2023-02-29", "date"), ("02/01/2024", "date"), ("2024-02-01", "date-time"), ("2024-02-01T25:00:00Z", "date-time"),
    ("x", "object"),
])
def test_cells_that_do_not_fit_are_refused_naming_the_type(cell: str, kind: str) -> None:
    with pytest.raises(ValueError, match=cell.strip() if kind != "object" else "object"):
        xdm.convert(cell, kind)


def test_field_rules_and_resource_ids() -> None:
    assert xdm.check_tenant_fields({"_acme": {"type": "object", "properties": {"a-b_1": {"type": "string"}}}},
                                   "acme") == []
    rules = [v.rule for v in xdm.check_tenant_fields({"x": {"type": "string"}}, "acme")]
    assert any("_acme" in r for r in rules)
    assert xdm.check_field_name("_hidden", "f") and xdm.check_field_name("9lives", "f") == []
    assert xdm.field_type({"type": "string", "format": "date-time"}) == "date-time"
    tree = {"a": {"type": "object", "properties": {"b": {"type": "integer"}}}}
    assert dict(xdm.leaf_fields(tree)) == {"a.b": "integer"}
    assert xdm.alt_id("https://ns.adobe.com/acme/mixins/abc") == "_acme.mixins.abc"
    assert xdm.tenant_of("https://ns.adobe.com/acme/schemas/abc") == "acme"
    assert xdm.tenant_of(xdm.PROFILE_CLASS) is None


def test_catalog_and_dataprep_facts() -> None:
    assert catalog.id_of_ref(catalog.dataset_ref("a" * 24)) == "a" * 24
    assert catalog.check_tags({"iac/key": ["x"]}) == []
    assert catalog.check_tags({"adobe/x": ["x"]}) and catalog.check_tags({"k": "x"})
    legacy = dataprep.normalize({"sourceAttribute": "a", "destinationXdmPath": "_acme.a"})
    assert legacy == {"sourceType": "ATTRIBUTE", "source": "a", "destination": "_acme.a"}
    assert dataprep.source_type("text/x.schema-path") == "ATTRIBUTE"
    assert dataprep.check_mapping({"sourceType": "X", "source": "a", "destination": "b"}, "m")


def test_the_expression_subset() -> None:
    assert check_expression("concat(upper(trim(a)), '-', lower(\"B\"))") is None
    for bad in ("to_date(a)", "a + b", "concat(a", "lower(a) b"):
        assert check_expression(bad), bad
    mapper = Mapper([{"sourceType": "EXPRESSION", "source": "concat(upper(trim(a)), '-', lower(\"B\"))",
                      "destination": "x"}, {"sourceType": "ATTRIBUTE", "source": "p\\.q", "destination": "y"},
                     {"sourceType": "ATTRIBUTE", "source": "n.m", "destination": "z"}], None)
    assert mapper.apply({"a": " v ", "p.q": "dotted", "n": {"m": 1}}) == {"x": "V-b", "y": "dotted", "z": "1"}
    with pytest.raises(MappingFailure, match="lower"):
        Mapper([{"sourceType": "EXPRESSION", "source": "lower(a, b)", "destination": "x"}], None).apply({})
