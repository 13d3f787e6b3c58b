"""`aep_xdm_schema`: a tenant XDM schema whose fields are the columns a team ingests.

XDM composes a schema from one class and field groups, and custom fields live in a tenant field
group under ``_<tenant>``; so one schema resource is two Registry objects: the field group
``<title> fields`` holding the declared fields, and the schema (the class plus that field group).
A create is two POSTs (the Registry allows no fewer), a refresh one GET (the schema with its field
groups resolved), a change one PATCH of the object it touches (fields: the field group; the
description: the schema; a new title: both, since the field group's title is the schema's and
" fields"), a delete two DELETEs. Titles are unique in the tenant, so both objects
are claimed and adopted by title like every other kind.

Once a dataset uses a schema, AEP accepts only additive changes: a field removed or retyped is
refused at plan, with the dataset that holds it and the way forward, instead of failing the apply.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from aep_client.kinds import FIELD_GROUPS, SCHEMAS
from aep_provider.protocol.resource import (
    UNKNOWN,
    ApplyResult,
    Attribute,
    Diagnostic,
    PlanResult,
    ReadResult,
    Schema,
    Value,
    error,
    known_str,
)
from aep_provider.resources.context import KindApi, ResourceContext
from aep_provider.resources.flow_object import SET_BY_SERVER, FlowObject, Ops, named, rule_diagnostics, tracked
from aep_spec import identity, xdm
from aep_spec.rules import RuleViolation

#: The types a declared field may have (a CSV column's value becomes one of them).
FIELD_TYPES = ("string", "number", "integer", "boolean", "date", "date-time")

SCHEMA = Schema(
    version=0,
    description=("A tenant XDM schema (Schema Registry): a class and the fields a team declares, held in a tenant "
                 "field group. Once a dataset uses it, only additive changes are accepted."),
    attributes=(
        *named("XDM schema"),
        Attribute("class_id", "string", optional=True, computed=True, description=(
            f"The XDM class `$id`, default XDM Individual Profile (`{xdm.PROFILE_CLASS}`). Changing it replaces "
            "the schema.")),
        Attribute("fields", ["map", "string"], required=True, description=(
            "The fields, by name (letters, digits, `-` and `_`, not starting with `_`): each one's type, one of "
            f"{', '.join(FIELD_TYPES)}. They sit under the tenant's object (`_<tenant>.<name>`, see `paths`). "
            "Adding fields is a change in place; removing or retyping one is refused at plan once a dataset uses "
            "the schema.")),
        Attribute("tenant", "string", computed=True, description="The org's tenant id (`_<tenant>` holds the fields)."),
        Attribute("paths", ["map", "string"], computed=True, description=(
            "Each field's XDM path (`_<tenant>.<name>`): what a mapping's destination names.")),
        Attribute("field_group_id", "string", computed=True, description="The tenant field group's `$id`."),
        Attribute("field_group_version", "string", computed=True, description=(
            "The field group's version after this state's last write to it (a refresh reads only the schema: "
            "null after an import, until the next change of `fields` or `name`).")),
        *tracked("XDM schema"),
    ),
)


def field_properties(fields: Mapping[str, Value]) -> dict[str, Any]:
    """Field definitions as XDM writes them: a date is a string with that format."""
    out: dict[str, Any] = {}
    for name, kind in sorted(fields.items()):
        definition: dict[str, Any] = {"title": name, "type": "string" if kind in xdm.DATE_FORMATS else kind}
        if kind in xdm.DATE_FORMATS:
            definition["format"] = kind
        out[name] = definition
    return out


def field_changes(before: Mapping[str, Value], after: Mapping[str, Value]) -> tuple[list[str], list[str], list[str]]:
    """(added, removed, retyped) field names."""
    added = sorted(set(after) - set(before))
    removed = sorted(set(before) - set(after))
    retyped = sorted(n for n in set(before) & set(after) if before[n] != after[n])
    return added, removed, retyped


def check_fields(fields: Value) -> list[RuleViolation]:
    if not isinstance(fields, dict):
        return []
    problems: list[RuleViolation] = []
    if not fields:
        problems.append(RuleViolation("fields", "declare at least one field (a column of the files ingested)"))
    for name, kind in fields.items():
        problems += xdm.check_field_name(name, f"fields.{name}")
        if kind is not UNKNOWN and kind not in FIELD_TYPES:
            problems.append(RuleViolation(f"fields.{name}", f"type must be one of {', '.join(FIELD_TYPES)}", kind))
    return problems


class FieldGroupPart(FlowObject):
    """The tenant field group of one schema: the same lifecycle (claim, create, adopt by title),
    not a Terraform type of its own."""

    type_name = "aep_xdm_schema (field group)"
    schema = Schema(attributes=(*named("field group"), Attribute("fields", ["map", "string"], required=True),
                                Attribute("class_id", "string", optional=True),
                                Attribute("tenant", "string", optional=True), *tracked("field group")))
    kind = FIELD_GROUPS
    name_field = "title"
    patched = ("name", "description", "fields")
    replacing = ("class_id",)

    def _api(self) -> KindApi:
        return self.context.api().registry

    def body(self, planned: dict[str, Value], config: dict[str, Value]) -> dict[str, Any]:
        namespace = xdm.tenant_namespace(known_str(planned, "tenant"))
        fields = planned["fields"] if isinstance(planned["fields"], dict) else {}
        return {"type": "object", "meta:intendedToExtend": [planned["class_id"]],
                "definitions": {"customFields": {"properties": {namespace: {
                    "type": "object", "properties": field_properties(fields)}}}},
                "allOf": [{"$ref": "#/definitions/customFields"}]}

    def state_from_record(self, record: dict[str, Any], prior: dict[str, Value]) -> dict[str, Value]:
        new = self.common(record, prior)
        raw = record["raw"]
        extends = raw.get("meta:intendedToExtend") or [None]
        new.update(class_id=extends[0], fields=fields_of(raw, prior.get("tenant")), tenant=prior.get("tenant"))
        return new

    def patch_ops(self, prior: dict[str, Value], planned: dict[str, Value], config: dict[str, Value],
                  adopting: dict[str, Any] | None = None) -> Ops:
        ops = super().patch_ops(prior, planned, config)
        before = prior.get("fields") if isinstance(prior.get("fields"), dict) else {}
        after = planned.get("fields") if isinstance(planned.get("fields"), dict) else {}
        assert isinstance(before, dict) and isinstance(after, dict)
        base = (f"/definitions/customFields/properties/{xdm.tenant_namespace(known_str(planned, 'tenant'))}"
                "/properties")
        added, removed, retyped = field_changes(before, after)
        definitions = field_properties(after)
        ops += [{"op": "add", "path": f"{base}/{name}", "value": definitions[name]} for name in added]
        ops += [{"op": "remove", "path": f"{base}/{name}"} for name in removed]
        ops += [{"op": "replace", "path": f"{base}/{name}", "value": definitions[name]} for name in retyped]
        return ops


def fields_of(raw: Mapping[str, Any], tenant: Value) -> dict[str, Value]:
    """The fields under ``_<tenant>`` of a field group (its definitions) or a resolved schema."""
    namespace = xdm.tenant_namespace(str(tenant)) if isinstance(tenant, str) else None
    tops: list[Any] = [raw.get("properties") or {}]
    tops += [d.get("properties") or {} for d in (raw.get("definitions") or {}).values() if isinstance(d, dict)]
    found: dict[str, Value] = {}
    for top in tops:
        for space, holder in top.items():
            if (namespace is None or space == namespace) and isinstance(holder, dict):
                for name, definition in (holder.get("properties") or {}).items():
                    if isinstance(definition, dict):
                        found[name] = xdm.field_type(definition) or "string"
    return found


def tenant_group(raw: Mapping[str, Any], tenant: Value, known: Value) -> Value:
    """The tenant field group a schema is made of: its ``allOf`` names it in the raw form, its
    ``meta:extends`` in the resolved one (a refresh or an import reads that one). ``known`` (the
    state's) wins when the schema still has it."""
    refs = [part.get("$ref") for part in raw.get("allOf") or [] if isinstance(part, dict)]
    groups = [r for r in [*refs, *(raw.get("meta:extends") or [])]
              if isinstance(r, str) and "/mixins/" in r and xdm.tenant_of(r) == tenant]
    if known in groups or not groups:
        return known
    return groups[0]


class XdmSchema(FlowObject):
    type_name = identity.XDM_SCHEMA
    schema = SCHEMA
    kind = SCHEMAS
    name_field = "title"
    patched = ("name", "description", "fields")
    replacing = ("class_id",)
    defaulted: ClassVar[dict[str, Value]] = {"class_id": xdm.PROFILE_CLASS}

    def __init__(self) -> None:
        super().__init__()
        self.group = FieldGroupPart()

    def configure(self, context: ResourceContext) -> None:
        super().configure(context)
        self.group.configure(context)

    def _api(self) -> KindApi:
        return self.context.api().registry

    def check(self, config: dict[str, Value]) -> list[Diagnostic]:
        return rule_diagnostics(check_fields(config.get("fields")))

    # ---- plan: additive changes only, once a dataset uses the schema ----------------------

    def unknown_on_create(self, planned: dict[str, Value], config: dict[str, Value]) -> None:
        for name in ("tenant", "paths", "field_group_id", "field_group_version"):
            planned[name] = UNKNOWN

    def plan(self, prior: dict[str, Value] | None, proposed: dict[str, Value], config: dict[str, Value]) -> PlanResult:
        result = super().plan(prior, proposed, config)
        planned = result.planned_state
        if prior is None or result.requires_replace:
            name = planned.get("name")
            if prior is None and isinstance(name, str):  # its field group's title must be free too
                result.diagnostics += self.group._existing_named(self._group_name(planned),
                                                                 self._group_planned(planned))
            return result
        if self._patches_group(prior, planned):
            planned["field_group_version"] = UNKNOWN
        if planned.get("fields") != prior.get("fields"):
            planned["paths"] = self._planned_paths(prior, planned.get("fields"))
            self._refuse_breaking(prior, planned)
        return result

    @classmethod
    def _planned_paths(cls, prior: dict[str, Value], fields: Value) -> Value:
        """The paths after a change of fields: those of the fields kept stay known, so the lines that
        map to them show no change; a new field's path is known after apply, so a mapping line that
        names it is checked against the schema once the field is there."""
        paths = cls._paths(prior.get("tenant"), fields)
        before = prior.get("fields")
        if paths is None or not isinstance(before, dict):
            return UNKNOWN
        return {name: path if name in before else UNKNOWN for name, path in paths.items()}

    @staticmethod
    def _patches_group(prior: dict[str, Value], planned: dict[str, Value]) -> bool:
        """Whether a change patches the field group: its fields, or the schema's title (the field
        group's follows it: it would stay taken, and claimed by this state, under the old name)."""
        return planned.get("fields") != prior.get("fields") or (
            planned.get("name") != prior.get("name") and isinstance(prior.get("field_group_id"), str))

    def _refuse_breaking(self, prior: dict[str, Value], planned: dict[str, Value]) -> None:
        before, after = prior.get("fields"), planned.get("fields")
        if not isinstance(before, dict) or not isinstance(after, dict) or UNKNOWN in after.values():
            return
        _, removed, retyped = field_changes(before, after)
        if not removed and not retyped:
            return
        users = self._datasets_using(known_str(prior, "id"))
        if not users:
            return  # nothing holds data of it yet: AEP lets the schema change freely
        what = [f"removed {', '.join(f'`{n}`' for n in removed)}" if removed else "",
                "retyped " + ", ".join(f"`{n}` ({before[n]} -> {after[n]})" for n in retyped) if retyped else ""]
        held = ", ".join(f"{u['id']} ({u.get('name')})" for u in users[:3]) + (" and more" if len(users) > 3 else "")
        raise error(
            f"Breaking change to XDM schema {prior.get('name')!r} refused",
            f"This change {' and '.join(w for w in what if w)}, but the schema backs dataset(s) {held}, and AEP "
            "accepts only additive changes to a schema a dataset uses (new fields, titles, descriptions). Nothing "
            "was planned. Ways forward: keep the fields as they are and add new ones instead; or declare a new "
            "schema (another name) with a new dataset and point the dataflow at them (the old dataset keeps its "
            "data until you remove it, which its deletion protection makes an explicit step).", ("fields",))

    def _datasets_using(self, schema_id: str) -> list[dict[str, Any]]:
        with self._api_errors("plan (listing the datasets that use the schema)"):
            return self.context.api().catalog.using_schema(schema_id)

    # ---- apply: two objects, each with the shared lifecycle ---------------------------------

    @staticmethod
    def _group_name(values: dict[str, Value]) -> str:
        """The field group's title: the schema's, and " fields" (titles are unique in the tenant)."""
        return f"{values.get('name')} fields"

    def _group_planned(self, planned: dict[str, Value]) -> dict[str, Value]:
        group: dict[str, Value] = {a.name: None for a in self.group.schema.attributes}
        group.update(name=self._group_name(planned), description=planned.get("description"),
                     fields=planned.get("fields"), class_id=planned.get("class_id"), tenant=planned.get("tenant"))
        for name in SET_BY_SERVER:
            group[name] = UNKNOWN
        return group

    def create(self, planned: dict[str, Value], config: dict[str, Value]) -> ApplyResult:
        with self._api_errors("create (reading the tenant)"):
            tenant = self.context.api().registry.tenant()
        planned = dict(planned, tenant=tenant)
        made = self.group.create(self._group_planned(planned), {}).state
        planned.update(field_group_id=made["id"], field_group_version=made["etag"],
                       paths=self._paths(tenant, planned.get("fields")))
        return super().create(planned, config)

    def body(self, planned: dict[str, Value], config: dict[str, Value]) -> dict[str, Any]:
        return {"type": "object", "allOf": [{"$ref": planned["class_id"]}, {"$ref": planned["field_group_id"]}]}

    def update(self, prior: dict[str, Value], planned: dict[str, Value], config: dict[str, Value]) -> ApplyResult:
        planned = dict(planned, tenant=prior.get("tenant"), field_group_id=prior.get("field_group_id"),
                       field_group_version=prior.get("field_group_version"))
        if planned.get("fields") != prior.get("fields") and not isinstance(prior.get("field_group_id"), str):
            raise error(f"XDM schema {prior.get('name')!r} has no tenant field group", (
                f"{prior.get('id')} is made of global field groups only (an imported schema), so there is no field "
                "group of the tenant to hold its fields. Declare a new schema (another name) with the fields "
                "instead."), ("fields",))
        if self._patches_group(prior, planned):
            group_prior = dict(self._group_planned(prior), id=prior["field_group_id"],
                               etag=prior.get("field_group_version") or "")
            group_planned = dict(group_prior, name=self._group_name(planned), fields=planned.get("fields"))
            changed = self.group.update(group_prior, group_planned, {}).state
            planned.update(field_group_version=changed["etag"],
                           paths=self._paths(prior.get("tenant"), planned.get("fields")))
        schema_planned = dict(planned, fields=prior.get("fields"))  # the schema's own patch: title, description
        done = super().update(dict(prior, fields=prior.get("fields")), schema_planned, config).state
        return ApplyResult(dict(done, fields=planned.get("fields"), paths=planned.get("paths"),
                                field_group_version=planned.get("field_group_version")))

    def delete(self, state: dict[str, Value]) -> None:
        super().delete(state)
        if isinstance(state.get("field_group_id"), str):
            group: dict[str, Value] = {a.name: None for a in self.group.schema.attributes}
            self.group.delete(dict(group, id=state["field_group_id"], name=self._group_name(state)))

    def read(self, state: dict[str, Value]) -> ReadResult:
        """One GET of the schema (its field group's fields resolved in it); an import also records the
        field group as this state's, so a later create of that title is not taken for another's."""
        imported = state.get("name") is None
        result = super().read(state)
        found = result.state
        if imported and found is not None and isinstance(found.get("field_group_id"), str):
            self.group._hold(self._group_name(found), str(found["field_group_id"]))
        return result

    # ---- refresh --------------------------------------------------------------------------------

    def state_from_record(self, record: dict[str, Any], prior: dict[str, Value]) -> dict[str, Value]:
        new = self.common(record, prior)
        raw = record["raw"]
        tenant = prior.get("tenant") or xdm.tenant_of(str(raw.get("$id", "")))
        group_id = tenant_group(raw, tenant, prior.get("field_group_id"))
        fields = fields_of(raw, tenant)
        new.update(class_id=raw.get("meta:class") or prior.get("class_id"), tenant=tenant,
                   fields=fields if fields or prior.get("fields") is None else prior.get("fields"),
                   paths=self._paths(tenant, fields), field_group_id=group_id,
                   field_group_version=prior.get("field_group_version"))
        return new

    @staticmethod
    def _paths(tenant: Value, fields: Value) -> dict[str, Value] | None:
        if not isinstance(tenant, str) or not isinstance(fields, dict):
            return None
        return {name: f"{xdm.tenant_namespace(tenant)}.{name}" for name in fields}
