"""The Schema Registry's rules, apart from HTTP: tenant field groups and schemas, how a schema
composes (one class, field groups meant for it), resolution into `properties` (`xed-full`), title
uniqueness across the tenant, minor versions per write, and the breaking changes refused once a
dataset uses a schema.

Field groups and schemas are documents of the caller's org and sandbox (the seed's included,
`core.documents`). Other services ask `schema` and `fields` inside their own transactions.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
import secrets
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from aep_spec import xdm

from ..core.bodies import apply_patch, parse_json, parse_object
from ..core.documents import Documents, Seeded
from ..core.gateway import DEFAULT_SANDBOX, Caller
from ..core.listing import first, parse_condition, query_refusal
from ..core.store import Store, Tx
from . import errors, library

SCHEMAS, MIXINS = "schemas", "mixins"           # `meta:resourceType`, and the `$id` path word
KINDS = (SCHEMAS, MIXINS)
PAGE_MAX = 300                                   # a list page at most, whatever `limit` says
READ_ONLY = ("$id", "meta:altId", "version", "meta:registryMetadata", "imsOrg", "meta:containerId",
             "meta:sandboxId", "meta:sandboxType", "meta:tenantNamespace", "meta:resourceType")
_ACCEPT = re.compile(r"application/vnd\.adobe\.(xed|xdm)(-id|-full|-notext|-full-notext|-full-desc|-deprecatefield)?"
                     r"\+json\s*(;\s*version\s*=\s*([0-9]+)(\.[0-9]+)?)?\s*$")
# Who uses a schema: (transaction, caller, schema $id) -> ids of the datasets that follow it.
Usage = Callable[[Tx, Caller, str], list[str]]


_REFUSE_QUERY = query_refusal(errors.bad_request)


@dataclass(frozen=True)
class Accept:
    summary: bool = False     # xed-id: $id, meta:altId, version, title
    full: bool = False        # field groups resolved into properties
    notext: bool = False      # no title or description


def parse_accept(value: str | None, *, listing: bool) -> Accept:
    """Adobe's Accept rules: a lookup needs `version=1`; a list takes `xed-id` or `xed` without one."""
    found = _ACCEPT.match((value or "").strip().lower())
    if found is None:
        raise errors.accept_missing(value)
    variant, version = found.group(2) or "", found.group(4)
    if version is None and not listing and variant != "-id":
        raise errors.accept_version_missing(value or "")
    if version is not None and version != "1":
        raise errors.version_not_available(value or "")
    return Accept(summary=variant == "-id", full="full" in variant, notext="notext" in variant)


class SchemaRegistry:
    def __init__(self, store: Store, tenant: str, seeded: Mapping[str, Seeded] | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.tenant = tenant
        self.clock = clock
        seeded = seeded or {}
        self.documents = {kind: Documents(f"xdm.{kind}", seeded.get(kind)) for kind in KINDS}
        self.datasets_using: Usage = lambda tx, caller, schema_id: []   # set by Catalog

    # --- what other services ask ----------------------------------------------------------

    def schema(self, tx: Tx, caller: Caller, schema_id: str) -> dict[str, Any] | None:
        return self._find(tx, caller, SCHEMAS, schema_id)

    def fields(self, tx: Tx, caller: Caller, schema_id: str) -> dict[str, str] | None:
        """Every leaf field of a schema, dotted path -> XDM type; None for an unknown schema."""
        schema = self.schema(tx, caller, schema_id)
        if schema is None:
            return None
        return dict(xdm.leaf_fields(self._properties(tx, caller, schema)))

    # --- reads ---------------------------------------------------------------------------

    def stats(self, caller: Caller) -> dict[str, Any]:
        with self.store.read() as tx:
            schemas, groups = self._all(tx, caller, SCHEMAS), self._all(tx, caller, MIXINS)
        everything = schemas + groups
        by_created = sorted(everything, key=lambda d: d["meta:registryMetadata"]["repo:createdDate"], reverse=True)
        by_updated = sorted(everything, key=lambda d: d["meta:registryMetadata"]["repo:lastModifiedDate"],
                            reverse=True)
        usage: dict[str, list[dict[str, str]]] = {}
        for schema in schemas:
            usage.setdefault(schema["meta:class"], []).append({"$id": schema["$id"], "title": schema["title"]})
        return {"imsOrg": caller.org_id, "tenantId": self.tenant,
                "counts": {"schemas": len(schemas), "mixins": len(groups), "datatypes": 0, "classes": 0,
                           "unions": 0},
                "recentlyCreatedResources": [_summary(d) for d in by_created[:5]],
                "recentlyUpdatedResources": [_summary(d) for d in by_updated[:5]],
                "classUsage": usage}

    def get(self, caller: Caller, container: str, kind: str, resource_id: str, accept: str | None) -> dict[str, Any]:
        wanted = parse_accept(accept, listing=False)
        with self.store.read() as tx:
            found = (library.global_resource(kind, resource_id) if container == "global"
                     else self._find(tx, caller, kind, resource_id))
            if found is None:
                raise errors.not_found(kind, resource_id)
            return self._view(tx, caller, found, wanted)

    def list_resources(self, caller: Caller, container: str, kind: str, query: Mapping[str, Sequence[str]],
             accept: str | None, path: str) -> dict[str, Any]:
        wanted = parse_accept(accept, listing=True)
        with self.store.read() as tx:
            if container == "global":
                pool = list((library.CLASSES if kind == "classes" else library.FIELD_GROUPS).values())
            else:
                pool = self._all(tx, caller, kind)
            conditions = [parse_condition(p, _REFUSE_QUERY, allow_exists=True) for p in query.get("property", [])]
            selected = [d for d in pool if all(c.matches(d) for c in conditions)]
            orderby = first(query, "orderby")
            if orderby:
                field = orderby.lstrip("+- ")
                selected.sort(key=lambda d: str(d.get(field, "")), reverse=orderby.startswith("-"))
            start, limit = _offset(first(query, "start")), _limit(first(query, "limit"))
            page = selected[start:start + limit]
            following = start + limit if start + limit < len(selected) else None
            body: dict[str, Any] = {
                "results": [self._view(tx, caller, d, wanted) for d in page],
                "_page": {"orderby": orderby or "", "next": None if following is None else str(following),
                          "count": len(page)},
                "_links": {},
            }
        if following is not None:
            kept = [(k, v) for k in ("property", "orderby", "limit") for v in query.get(k, [])]
            body["_links"]["next"] = {"href": f"{path}?{urlencode([*kept, ('start', str(following))])}"}
        return body

    # --- writes --------------------------------------------------------------------------

    def create(self, caller: Caller, kind: str, body: bytes) -> dict[str, Any]:
        payload = parse_object(body, errors.bad_request)
        with self.store.transaction() as tx:
            now = self.clock()
            resource_id = f"https://ns.adobe.com/{self.tenant}/{kind}/{secrets.token_hex(24)}"
            document = self._compose(tx, caller, kind, payload, resource_id)
            document["version"] = "1.0"
            document["meta:registryMetadata"] = _metadata(caller, now, None)
            _stamp(document)
            self.documents[kind].put(tx, caller, resource_id, document)
            return self._view(tx, caller, document, Accept())

    def replace(self, caller: Caller, kind: str, resource_id: str, body: bytes) -> dict[str, Any]:
        payload = parse_object(body, errors.bad_request)
        return self._write(caller, kind, resource_id, lambda current: payload)

    def patch(self, caller: Caller, kind: str, resource_id: str, body: bytes) -> dict[str, Any]:
        ops = parse_json(body, errors.bad_request) if body.strip() else None
        for op in ops if isinstance(ops, list) else []:
            target = str(op.get("path", "")).lstrip("/").split("/")[0] if isinstance(op, dict) else ""
            if target.replace("~1", "/") in READ_ONLY:
                raise errors.bad_request(f"'{target}' is set by the registry and cannot be patched.")
        return self._write(caller, kind, resource_id,
                           lambda current: apply_patch(_editable(current), ops, errors.bad_request))

    def delete(self, caller: Caller, kind: str, resource_id: str) -> None:
        with self.store.transaction() as tx:
            current = self._find(tx, caller, kind, resource_id)
            if current is None:
                raise errors.not_found(kind, resource_id)
            if kind == SCHEMAS:
                datasets = self.datasets_using(tx, caller, current["$id"])
                if datasets:
                    raise errors.breaking_change(current["$id"], datasets, "Deleting it")
            else:
                users = [s["$id"] for s in self._all(tx, caller, SCHEMAS) if current["$id"] in s.get("refs", [])]
                if users:
                    raise errors.in_use(current["$id"], users)
            self.documents[kind].delete(tx, caller, current["$id"])

    def _write(self, caller: Caller, kind: str, resource_id: str,
               change: Callable[[dict[str, Any]], dict[str, Any]]) -> dict[str, Any]:
        with self.store.transaction() as tx:
            current = self._find(tx, caller, kind, resource_id)
            if current is None:
                raise errors.not_found(kind, resource_id)
            document = self._compose(tx, caller, kind, change(current), current["$id"])
            self._check_evolution(tx, caller, kind, current, document)
            document["version"] = _next_minor(current["version"])
            document["meta:registryMetadata"] = _metadata(caller, self.clock(), current["meta:registryMetadata"])
            _stamp(document)
            self.documents[kind].put(tx, caller, current["$id"], document)
            return self._view(tx, caller, document, Accept())

    # --- composition ---------------------------------------------------------------------

    def _compose(self, tx: Tx, caller: Caller, kind: str, payload: Mapping[str, Any],
                 resource_id: str) -> dict[str, Any]:
        """The stored document of a create, replace or patch body: checked, server members filled."""
        title = payload.get("title")
        if not isinstance(title, str) or not title.strip():
            raise errors.bad_request("title is required: a non-empty string.")
        if payload.get("type", "object") != "object":
            raise errors.bad_request("type must be object.")
        description = payload.get("description")
        if description is not None and not isinstance(description, str):
            raise errors.bad_request("description must be a string.")
        for other in self._all(tx, caller, SCHEMAS) + self._all(tx, caller, MIXINS):
            if other["title"] == title and other["$id"] != resource_id:
                raise errors.title_not_unique(other["$id"])
        document: dict[str, Any] = {
            "$id": resource_id, "meta:altId": xdm.alt_id(resource_id), "meta:resourceType": kind,
            "title": title, "type": "object", "imsOrg": caller.org_id, "meta:containerId": "tenant",
            "meta:sandboxId": caller.sandbox_id,
            "meta:sandboxType": "production" if caller.sandbox == DEFAULT_SANDBOX else "development",
            "meta:tenantNamespace": xdm.tenant_namespace(self.tenant), "meta:xdmType": "object",
        }
        if description is not None:
            document["description"] = description
        if kind == MIXINS:
            document.update(self._field_group(payload))
        else:
            document.update(self._schema(tx, caller, payload))
        return document

    def _field_group(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        extends = payload.get("meta:intendedToExtend")
        if not isinstance(extends, list) or not extends or not all(c in library.CLASSES for c in extends):
            raise errors.field_rule("1023", "meta:intendedToExtend is required: the $ids of the classes the field "
                                    f"group is meant for ({', '.join(library.CLASSES)}).")
        definitions = payload.get("definitions", {})
        if not isinstance(definitions, dict) or not all(isinstance(d, dict) for d in definitions.values()):
            raise errors.bad_request("definitions must be an object of {properties} objects.")
        properties = _merged([d.get("properties") or {} for d in definitions.values()]
                             + [payload.get("properties") or {}])
        problems = xdm.check_tenant_fields(properties, self.tenant)
        if problems:
            rule = problems[0].rule
            code = "1020" if "tenant" in rule else "1021" if "field name" in rule else "1022"
            raise errors.field_rule(code, "; ".join(str(p) for p in problems))
        members: dict[str, Any] = {"meta:intendedToExtend": list(extends), "meta:abstract": True,
                                   "meta:extensible": True, "definitions": copy.deepcopy(definitions),
                                   "allOf": copy.deepcopy(payload.get("allOf") or
                                                          [{"$ref": f"#/definitions/{n}"} for n in definitions])}
        if payload.get("properties"):
            members["properties"] = copy.deepcopy(payload["properties"])
        return members

    def _schema(self, tx: Tx, caller: Caller, payload: Mapping[str, Any]) -> dict[str, Any]:
        parts = payload.get("allOf")
        if not isinstance(parts, list) or not all(isinstance(p, dict) and isinstance(p.get("$ref"), str)
                                                  for p in parts):
            raise errors.bad_request("allOf is required: [{\"$ref\": <class $id>}, {\"$ref\": <field group $id>}, …].")
        refs = list(dict.fromkeys(p["$ref"] for p in parts))
        classes = [r for r in refs if r in library.CLASSES]
        if len(classes) != 1:
            raise errors.bad_request(f"allOf must name exactly one class (one of {', '.join(library.CLASSES)}); "
                                     f"it names {len(classes)}.")
        class_id = classes[0]
        groups = [r for r in refs if r != class_id]
        for group_id in groups:
            group = self._find(tx, caller, MIXINS, group_id) or library.global_resource(MIXINS, group_id)
            if group is None:
                raise errors.bad_request(f"allOf names {group_id}, which is neither a class nor a field group.")
            if class_id not in group["meta:intendedToExtend"]:
                raise errors.field_rule("1024", f"The field group {group_id} is not meant for the class {class_id} "
                                        f"(its meta:intendedToExtend: {', '.join(group['meta:intendedToExtend'])}).")
        members: dict[str, Any] = {
            "allOf": [{"$ref": r, "type": "object", "meta:xdmType": "object"} for r in [class_id, *groups]],
            "refs": [class_id, *groups], "meta:class": class_id,
            "meta:extends": [class_id, *library.CLASSES[class_id]["meta:extends"], *groups],
            "meta:abstract": False, "meta:extensible": False,
        }
        tags = payload.get("meta:immutableTags")
        if tags is not None:
            members["meta:immutableTags"] = tags
        return members

    def _check_evolution(self, tx: Tx, caller: Caller, kind: str, current: Mapping[str, Any],
                         changed: dict[str, Any]) -> None:
        """Only additive changes to a schema a dataset uses, directly or through a field group."""
        schemas = ([current] if kind == SCHEMAS else
                   [s for s in self._all(tx, caller, SCHEMAS) if current["$id"] in s.get("refs", [])])
        for schema in schemas:
            datasets = self.datasets_using(tx, caller, schema["$id"])
            if not datasets:
                continue
            after = changed if kind == SCHEMAS else schema
            override = {} if kind == SCHEMAS else {current["$id"]: changed}
            before_fields = dict(xdm.leaf_fields(self._properties(tx, caller, schema)))
            after_fields = dict(xdm.leaf_fields(self._properties(tx, caller, after, override)))
            gone = [p for p in before_fields if p not in after_fields]
            retyped = [p for p in before_fields if p in after_fields and after_fields[p] != before_fields[p]]
            dropped = [r for r in schema.get("refs", []) if r not in after.get("refs", [])]
            if gone or retyped or dropped:
                what = ("Removing the fields " + ", ".join(gone) if gone else
                        "Changing the type of " + ", ".join(retyped) if retyped else
                        "Removing " + ", ".join(dropped))
                raise errors.breaking_change(schema["$id"], datasets, what)

    def _properties(self, tx: Tx, caller: Caller, schema: Mapping[str, Any],
                    override: Mapping[str, Mapping[str, Any]] | None = None) -> dict[str, Any]:
        """A schema's fields resolved: its class's, then each field group's, merged."""
        parts: list[Mapping[str, Any]] = []
        for ref in schema.get("refs", []):
            part = ((override or {}).get(ref) or library.CLASSES.get(ref) or self._find(tx, caller, MIXINS, ref)
                    or library.global_resource(MIXINS, ref))
            if part is not None:
                parts.append(_own_properties(part))
        if not schema.get("refs"):
            parts.append(schema.get("properties") or {})
        return _merged(parts)

    # --- documents -----------------------------------------------------------------------

    def _all(self, tx: Tx, caller: Caller, kind: str) -> list[dict[str, Any]]:
        return self.documents[kind].all(tx, caller)

    def _find(self, tx: Tx, caller: Caller, kind: str, resource_id: str) -> dict[str, Any] | None:
        """By `$id` or `meta:altId`."""
        found = self.documents[kind].get(tx, caller, resource_id)
        if found is not None:
            return found
        return next((d for d in self._all(tx, caller, kind) if d.get("meta:altId") == resource_id), None)

    def _view(self, tx: Tx, caller: Caller, document: Mapping[str, Any], accept: Accept) -> dict[str, Any]:
        if accept.summary:
            return _summary(document)
        view = copy.deepcopy(dict(document))
        view.setdefault("imsOrg", caller.org_id)
        if accept.full:
            if view.get("meta:resourceType") == SCHEMAS:
                view["properties"] = self._properties(tx, caller, document)
            else:
                view["properties"] = _own_properties(document)
            view.pop("allOf", None)
            view.pop("definitions", None)
        return _without_text(view) if accept.notext else view


def seeded_resource(entry: Mapping[str, Any], kind: str, tenant: str) -> dict[str, Any]:
    """A seed entry as the registry stores it: a minimal `{$id, title, version}` gets every server member."""
    document = copy.deepcopy(dict(entry))
    document.setdefault("meta:altId", xdm.alt_id(document["$id"]))
    document.setdefault("meta:resourceType", kind)
    document.setdefault("type", "object")
    document.setdefault("meta:containerId", "tenant")
    document.setdefault("meta:tenantNamespace", xdm.tenant_namespace(tenant))
    document.setdefault("meta:xdmType", "object")
    version = str(document.get("version", "1.0"))
    document["version"] = version if "." in version else f"{version}.0"
    if kind == SCHEMAS:
        refs = [p["$ref"] for p in document.get("allOf", []) if isinstance(p, dict) and "$ref" in p]
        class_id = next((r for r in refs if r in library.CLASSES), xdm.RECORD_CLASS if not refs else refs[0])
        document.setdefault("refs", refs)
        document.setdefault("meta:class", class_id)
        document.setdefault("meta:extends", [class_id, *refs[1:]] if refs else [class_id])
        document.setdefault("allOf", [{"$ref": class_id}])
    else:
        document.setdefault("meta:intendedToExtend", [])
    document.setdefault("meta:registryMetadata", {"repo:createdDate": 0, "repo:lastModifiedDate": 0,
                                                  "xdm:createdClientId": "seed", "xdm:lastModifiedClientId": "seed",
                                                  "eTag": ""})
    _stamp(document)
    return document


# --- helpers --------------------------------------------------------------------------------


def _offset(value: str | None) -> int:
    if value is None or value == "":
        return 0
    if not value.isdigit():
        raise errors.bad_request(f"start={value} is not a value of _page.next.")
    return int(value)


def _limit(value: str | None) -> int:
    if value is None:
        return PAGE_MAX
    if not value.isdigit() or not 0 < int(value) <= 500:
        raise errors.bad_request(f"limit={value} must be a whole number from 1 to 500.")
    return min(int(value), PAGE_MAX)


def _summary(document: Mapping[str, Any]) -> dict[str, Any]:
    return {k: document[k] for k in ("$id", "meta:altId", "version", "title") if k in document}


def _editable(document: Mapping[str, Any]) -> dict[str, Any]:
    return {k: copy.deepcopy(v) for k, v in document.items() if k not in READ_ONLY}


def _own_properties(resource: Mapping[str, Any]) -> dict[str, Any]:
    """A class's or field group's fields: its `properties` and those of its `definitions`."""
    definitions = resource.get("definitions") or {}
    return _merged([d.get("properties") or {} for d in definitions.values() if isinstance(d, dict)]
                   + [resource.get("properties") or {}])


def _merged(parts: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Field trees merged: objects of the same name merge their properties, the first leaf wins."""
    out: dict[str, Any] = {}
    for part in parts:
        for name, definition in part.items():
            mine = out.get(name)
            if (isinstance(mine, dict) and isinstance(definition, Mapping) and mine.get("type") == "object"
                    and definition.get("type") == "object"):
                mine["properties"] = _merged([mine.get("properties") or {}, definition.get("properties") or {}])
            elif name not in out:
                out[name] = copy.deepcopy(definition)
    return out


def _without_text(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_text(v) for k, v in value.items() if k not in ("title", "description")}
    if isinstance(value, list):
        return [_without_text(v) for v in value]
    return value


def _next_minor(version: str) -> str:
    major, _, minor = version.partition(".")
    return f"{major}.{int(minor or 0) + 1}"


def _metadata(caller: Caller, now: float, before: Mapping[str, Any] | None) -> dict[str, Any]:
    ms = int(now * 1000)
    created = before or {"repo:createdDate": ms, "xdm:createdClientId": caller.client_id,
                         "xdm:createdUserId": caller.user}
    return {"repo:createdDate": created["repo:createdDate"], "repo:lastModifiedDate": ms,
            "xdm:createdClientId": created["xdm:createdClientId"], "xdm:lastModifiedClientId": caller.client_id,
            "xdm:createdUserId": created.get("xdm:createdUserId", caller.user), "xdm:lastModifiedUserId": caller.user,
            "eTag": "", "meta:globalLibVersion": "1.0.0"}


def _stamp(document: dict[str, Any]) -> None:
    """`meta:registryMetadata.eTag`: 64 hex characters that change with the document."""
    document["meta:registryMetadata"]["eTag"] = ""
    digest = hashlib.sha256(json.dumps(document, sort_keys=True).encode()).hexdigest()
    document["meta:registryMetadata"]["eTag"] = digest
