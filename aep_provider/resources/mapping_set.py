"""`aep_mapping_set`: a Data Prep mapping set, file columns (or expressions) to XDM paths.

Data Prep keeps every version of a set: a change is one PUT of the whole set, answered with the
next version; a dataflow names the version it uses, so it follows in the same apply (the version
is unknown in the plan of any change, and the dataflow's ``mapping_version`` refers to it). One
POST to create (with ``validate=true``: a destination outside the schema is refused), one GET to
refresh, one DELETE.

At plan, before anything is written: every destination must be a path of the output schema (one
GET of the schema, when it already exists), and, when ``sample_connection_id`` and ``sample_file``
name a file, every column an ``ATTRIBUTE`` mapping reads must be in that file's header (one
explore call); each refusal names the mapping line.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from aep_client.kinds import MAPPING_SETS, SCHEMAS
from aep_provider.protocol.resource import (
    UNKNOWN,
    Attribute,
    Diagnostic,
    DiagnosticsError,
    PlanResult,
    Schema,
    Value,
)
from aep_provider.resources.context import KindApi
from aep_provider.resources.flow_object import FlowObject, Ops, as_dict, named, rule_diagnostics, tracked
from aep_spec import dataprep, identity, ingestion, xdm
from aep_spec.rules import RuleViolation

MAPPING_TYPE = ["list", ["object", {"source": "string", "destination": "string", "source_type": "string"}]]

SCHEMA = Schema(
    version=0,
    description=("A Data Prep mapping set (`POST /mappingSets`): each line maps a source column, expression or "
                 "constant to a path of the output XDM schema. A change writes a new version."),
    attributes=(
        *named("mapping set"),
        Attribute("schema_id", "string", required=True, description=(
            "The output XDM schema `$id`. Changing it replaces the mapping set.")),
        Attribute("mappings", MAPPING_TYPE, required=True, description=(
            "The lines: `source` (a column of the file, an expression, or a constant), `destination` (an XDM "
            f"path such as `_acme.orderId`), `source_type` ({', '.join(dataprep.SOURCE_TYPES)}).")),
        Attribute("sample_connection_id", "string", optional=True, description=(
            "A base connection whose `sample_file` has the columns to check `ATTRIBUTE` sources against at plan.")),
        Attribute("sample_file", "string", optional=True, description=(
            "The file (`/bucket/path/file.csv`) whose header the sources must be in (checked at plan).")),
        Attribute("sample_delimiter", "string", optional=True, description="The sample file's delimiter (`,`)."),
        Attribute("version", "number", computed=True, description=(
            "The version (0 for a new set, one more with each change): what a dataflow's `mapping_version` names.")),
        *tracked("mapping set"),
    ),
)


def mapping_lines(value: Value) -> list[dict[str, Value]]:
    return [dict(m) for m in value if isinstance(m, dict)] if isinstance(value, list) else []


#: A line's attributes by the member Data Prep's rules name, and a value that passes them, which
#: stands in for a value not known yet (a path of a schema not made yet): the rest is checked now.
LINE_MEMBERS = {"sourceType": ("source_type", "ATTRIBUTE"), "source": ("source", "x"),
                "destination": ("destination", "_tenant.field")}


def line_violations(line: dict[str, Value], field: str) -> list[RuleViolation]:
    """Data Prep's rules for one line, in the words of the configuration: its attribute names, the
    value declared; a member not known yet is checked at apply, when it is."""
    mapping: dict[str, Value] = {}
    for member, (name, stand_in) in LINE_MEMBERS.items():
        mapping[member] = stand_in if line.get(name) is UNKNOWN else line.get(name)
    mapping["sourceType"] = mapping["sourceType"] or "ATTRIBUTE"
    found = []
    for violation in dataprep.check_mapping(mapping, field):
        member = violation.field.rpartition(".")[2]
        name = LINE_MEMBERS[member][0]
        found.append(dataclasses.replace(violation, field=f"{field}.{name}", value=line.get(name)))
    return found


#: What the plan-time check of the lines reads: a change of any of them checks them again (a new
#: output schema replaces the set, and is checked too).
CHECKED_BY = ("mappings", "sample_connection_id", "sample_file", "sample_delimiter")


def reads_column(line: dict[str, Value]) -> bool:
    """Whether a line takes a file's column as it is (an ``ATTRIBUTE`` source, the default)."""
    return isinstance(line.get("source"), str) and dataprep.source_type(line.get("source_type") or "ATTRIBUTE") \
        == "ATTRIBUTE"


class MappingSet(FlowObject):
    type_name = identity.MAPPING_SET
    schema = SCHEMA
    kind = MAPPING_SETS
    patched = ("name", "description", "mappings")
    replacing = ("schema_id",)

    def _api(self) -> KindApi:
        return self.context.api().prep

    def check(self, config: dict[str, Value]) -> list[Diagnostic]:
        problems: list[RuleViolation] = []
        value = config.get("schema_id")
        if isinstance(value, str):
            problems += ingestion.check_schema_id(value, "schema_id")
        lines = mapping_lines(config.get("mappings"))
        if isinstance(config.get("mappings"), list) and not lines:
            problems.append(RuleViolation("mappings", "declare at least one mapping line"))
        for index, line in enumerate(lines):
            problems += line_violations(line, f"mappings[{index}]")
        return rule_diagnostics(problems)

    def body(self, planned: dict[str, Value], config: dict[str, Value]) -> dict[str, Any]:
        return {"outputSchema": {"schemaRef": {"id": planned["schema_id"],
                                               "contentType": dataprep.DEFAULT_SCHEMA_CONTENT_TYPE}},
                "mappings": [{"sourceType": line.get("source_type") or "ATTRIBUTE", "source": line["source"],
                              "destination": line["destination"]} for line in mapping_lines(planned["mappings"])]}

    def patch_ops(self, prior: dict[str, Value], planned: dict[str, Value], config: dict[str, Value],
                  adopting: dict[str, Any] | None = None) -> Ops:
        """Data Prep has no PATCH: any change is the whole set, PUT as its next version."""
        if all(planned.get(name) == prior.get(name) for name in self.patched):
            return []
        return [{"op": "replace", "path": "", "value": self.create_body(planned, config)}]

    def state_from_record(self, record: dict[str, Any], prior: dict[str, Value]) -> dict[str, Value]:
        new = self.common(record, prior)
        raw = record["raw"]
        schema_ref = as_dict(as_dict(raw.get("outputSchema")).get("schemaRef"))
        lines: list[Value] = []
        for mapping in raw.get("mappings") or []:
            normal = dataprep.normalize(mapping)
            lines.append({"source": normal["source"], "destination": normal["destination"],
                          "source_type": normal["sourceType"]})
        version = raw.get("version")
        new.update(schema_id=schema_ref.get("id") or raw.get("xdmSchema"), mappings=lines,
                   version=int(version) if isinstance(version, int | str) and str(version).isdigit() else None)
        return new

    def sent(self, state: dict[str, Value], body: dict[str, Any]) -> dict[str, Value]:
        return dict(state, version=int(str(state.get("etag") or 0)))

    def after_write(self, state: dict[str, Value], prior: dict[str, Value] | None,
                    planned: dict[str, Value]) -> dict[str, Value]:
        return dict(state, version=int(str(state.get("etag") or 0)))

    # ---- plan: every line must fit the schema and the file -----------------------------------

    def plan(self, prior: dict[str, Value] | None, proposed: dict[str, Value], config: dict[str, Value]) -> PlanResult:
        result = super().plan(prior, proposed, config)
        planned = result.planned_state
        if prior is None or result.requires_replace or planned.get("etag") is UNKNOWN:
            planned["version"] = UNKNOWN
        if prior is None or result.requires_replace or any(planned.get(name) != prior.get(name) for name in CHECKED_BY):
            self._check_lines(planned)
        return result

    def _check_lines(self, planned: dict[str, Value]) -> None:
        """Each line against what it names: its destination is a field of the output schema, its
        column (an ``ATTRIBUTE`` source) is in the sample file's header. One error per line, naming it."""
        lines = mapping_lines(planned.get("mappings"))
        problems: list[RuleViolation] = []
        schema_id = planned.get("schema_id")
        if isinstance(schema_id, str) and lines:
            with self._api_errors("plan (reading the output schema)"):
                record = self.context.api().registry.get(SCHEMAS, schema_id)
            paths = sorted(path for path, _ in xdm.leaf_fields(record["raw"].get("properties") or {}))
            listed = f"{', '.join(paths[:12])}{' ...' if len(paths) > 12 else ''}"
            problems += [RuleViolation(f"mappings[{index}].destination", (
                f"no field of the output schema {schema_id} is called so (its fields: {listed}); declare the "
                "field in the schema, or fix the path"), line["destination"]) for index, line in enumerate(lines)
                if isinstance(line.get("destination"), str) and line["destination"] not in paths]
        connection, sample = planned.get("sample_connection_id"), planned.get("sample_file")
        if isinstance(connection, str) and isinstance(sample, str) and lines:
            columns = self._columns(connection, sample, planned.get("sample_delimiter"))
            problems += [RuleViolation(f"mappings[{index}].source", (
                f"no column of {sample}'s header is called so (its columns: {', '.join(columns)}); fix the column "
                "name, or map an expression"), line["source"]) for index, line in enumerate(lines)
                if reads_column(line) and str(line["source"]).replace("\\.", ".") not in columns]
        if problems:
            raise DiagnosticsError(rule_diagnostics(problems))

    def _columns(self, connection_id: str, sample: str, delimiter: Value) -> list[str]:
        preview = {"fileType": "delimited", **({"columnDelimiter": str(delimiter)} if delimiter else {})}
        with self._api_errors("plan (reading the sample file's header)"):
            items = self.context.api().explore(connection_id, "file", sample, preview)
        return [str(item.get("name")) for item in items if isinstance(item, dict) and item.get("name")]
