"""Data Prep's rules, apart from HTTP: mapping sets in both request vocabularies, versions (a PUT
writes the next one with new mapping ids; older ones stay readable), validation against the
output schema, preview, and the `Mapper` a run applies.

A mapping set is one document holding every version.
"""

from __future__ import annotations

import copy
import secrets
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

from aep_spec import dataprep

from ..core.bodies import parse_object
from ..core.documents import Documents, Seeded
from ..core.gateway import Caller
from ..core.listing import first, parse_condition, query_refusal, whole
from ..core.store import Store, Tx
from ..schemaregistry.model import SchemaRegistry
from . import errors
from .mapper import Mapper, MappingFailure, check_expression

MAPPING_SETS = "dataprep.mappingSets"
LIST_DEFAULT_LIMIT, LIST_MAX_LIMIT = 50, 500


_REFUSE_QUERY = query_refusal(errors.bad_request)


class DataPrep:
    def __init__(self, store: Store, registry: SchemaRegistry, seeded: Seeded | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.registry = registry
        self.clock = clock
        self.sets = Documents(MAPPING_SETS, seeded)

    # --- what other services ask ----------------------------------------------------------

    def version(self, tx: Tx, caller: Caller, set_id: str, version: int | None = None) -> dict[str, Any] | None:
        """One version of a set (the latest when None)."""
        found = self.sets.get(tx, caller, set_id)
        if found is None or not found["versions"]:
            return None
        if version is None:
            latest: dict[str, Any] = copy.deepcopy(found["versions"][-1])
            return latest
        return next((copy.deepcopy(v) for v in found["versions"] if v["version"] == version), None)

    def versions(self, tx: Tx, caller: Caller, set_id: str) -> list[int]:
        found = self.sets.get(tx, caller, set_id)
        return [v["version"] for v in found["versions"]] if found else []

    def mapper(self, tx: Tx, caller: Caller, set_id: str, version: int) -> Mapper | None:
        found = self.version(tx, caller, set_id, version)
        if found is None:
            return None
        return Mapper(found["mappings"], self.registry.fields(tx, caller, schema_id(found) or ""))

    # --- writes --------------------------------------------------------------------------

    def create(self, caller: Caller, body: bytes, validate: bool) -> dict[str, Any]:
        payload = parse_object(body, errors.bad_request)
        with self.store.transaction() as tx:
            set_id = uuid.uuid4().hex
            document = self._version(tx, caller, payload, set_id, 0, validate, None)
            self.sets.put(tx, caller, set_id, {"id": set_id, "versions": [document]})
        return {k: document[k] for k in ("id", "version", "createdDate", "modifiedDate", "createdBy", "modifiedBy")}

    def replace(self, caller: Caller, set_id: str, body: bytes, validate: bool) -> dict[str, Any]:
        payload = parse_object(body, errors.bad_request)
        with self.store.transaction() as tx:
            found = self.sets.get(tx, caller, set_id)
            if found is None:
                raise errors.not_found(set_id)
            latest = found["versions"][-1]
            document = self._version(tx, caller, payload, set_id, latest["version"] + 1, validate, latest)
            found["versions"].append(document)
            self.sets.put(tx, caller, set_id, found)
        return document

    def delete(self, caller: Caller, set_id: str) -> None:
        with self.store.transaction() as tx:
            if self.sets.get(tx, caller, set_id) is None:
                raise errors.not_found(set_id)
            self.sets.delete(tx, caller, set_id)

    # --- reads ---------------------------------------------------------------------------

    def get(self, caller: Caller, set_id: str, version: str | None) -> dict[str, Any]:
        number = None if version is None else whole(version, "version", errors.bad_request)
        with self.store.read() as tx:
            found = self.version(tx, caller, set_id, number)
        if found is None:
            raise errors.not_found(set_id, number)
        return found

    def mappings(self, caller: Caller, set_id: str, version: str | None, mapping_id: str | None) -> Any:
        found = self.get(caller, set_id, version)
        if mapping_id is None:
            return found["mappings"]
        mapping = next((m for m in found["mappings"] if m["id"] == mapping_id), None)
        if mapping is None:
            raise errors.not_found(f"{set_id}/mappings/{mapping_id}")
        return mapping

    def list_sets(self, caller: Caller, query: Mapping[str, Sequence[str]], path: str) -> dict[str, Any]:
        with self.store.read() as tx:
            latest = [d["versions"][-1] for d in self.sets.all(tx, caller) if d["versions"]]
        names = query.get("name", [])
        conditions = [parse_condition(p, _REFUSE_QUERY) for p in query.get("property", [])]
        selected = [s for s in latest if (not names or s.get("name") in names)
                    and all(c.matches(s) for c in conditions)]
        order = first(query, "orderBy") or first(query, "orderby")
        if order:
            field = {"updatedDate": "modifiedDate", "lastUpdateDate": "modifiedDate"}.get(order.lstrip("+- "),
                                                                                             order.lstrip("+- "))
            selected.sort(key=lambda s: (str(type(s.get(field))), s.get(field) or 0), reverse=order.startswith("-"))
        limit = whole(first(query, "limit") or str(LIST_DEFAULT_LIMIT), "limit", errors.bad_request)
        if not 1 <= limit <= LIST_MAX_LIMIT:
            raise errors.bad_request(f"limit must be from 1 to {LIST_MAX_LIMIT}.")
        start = whole(first(query, "start") or "0", "start", errors.bad_request)
        page = selected[start:start + limit]
        body: dict[str, Any] = {"data": page, "_page": {"count": len(page), "limit": limit,
                                                         "totalCount": len(selected)}, "_links": {}}
        if start + limit < len(selected):
            kept = [(k, v) for k in ("name", "property", "orderBy") for v in query.get(k, [])]
            following = urlencode([*kept, ("limit", str(limit)), ("start", str(start + limit))])
            body["_links"]["next"] = {"href": f"{path}?{following}"}
        return body

    def validate(self, caller: Caller, body: bytes) -> dict[str, Any]:
        """Every mapping's verdict against the output schema, nothing saved."""
        payload = parse_object(body, errors.bad_request)
        with self.store.read() as tx:
            schema, mappings = self._request(tx, caller, payload)
            fields = self.registry.fields(tx, caller, schema) or {}
        verdicts = []
        for index, mapping in enumerate(mappings):
            problems = _problems(index, mapping)
            if not problems and mapping["destination"] not in fields:
                problems = [errors.not_a_field(index, mapping["destination"], schema).message]
            verdicts.append({"status": "FAILED" if problems else "SUCCESS",
                             "errors": [{"source": mapping.get("source"), "destination": mapping.get("destination"),
                                         "sourceType": mapping.get("sourceType"), "columnName": mapping.get("source"),
                                         "exception": p} for p in problems] or None})
        return {"validationResponse": verdicts}

    def preview(self, caller: Caller, body: bytes) -> list[dict[str, Any]]:
        """`{"data": [rows], "mappingSet": {a create body}}`: each row mapped, or its errors."""
        payload = parse_object(body, errors.bad_request)
        rows, request = payload.get("data"), payload.get("mappingSet")
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows) or not isinstance(request, dict):
            raise errors.bad_request('A preview is {"data": [{row}, …], "mappingSet": {outputSchema, mappings}}.')
        with self.store.read() as tx:
            schema, mappings = self._request(tx, caller, request)
            self._check(tx, caller, schema, mappings, validate=False)
            mapper = Mapper(mappings, self.registry.fields(tx, caller, schema))
        out: list[dict[str, Any]] = []
        for row in rows:
            try:
                out.append({"data": mapper.apply(row), "errors": None})
            except MappingFailure as exc:
                out.append({"data": None, "errors": [{"column": exc.column, "message": exc.message}]})
        return out

    # --- one version -----------------------------------------------------------------------

    def _version(self, tx: Tx, caller: Caller, payload: Mapping[str, Any], set_id: str, number: int,
                 validate: bool, previous: Mapping[str, Any] | None) -> dict[str, Any]:
        schema, mappings = self._request(tx, caller, payload)
        self._check(tx, caller, schema, mappings, validate)
        now_ms = int(self.clock() * 1000)
        content_type = ((payload.get("outputSchema") or {}).get("schemaRef") or {}).get("contentType")
        ref = {"id": schema, "contentType": content_type or dataprep.DEFAULT_SCHEMA_CONTENT_TYPE}
        document: dict[str, Any] = {
            "id": set_id, "version": number,
            "createdDate": previous["createdDate"] if previous else now_ms, "modifiedDate": now_ms,
            "createdBy": previous["createdBy"] if previous else caller.user, "modifiedBy": caller.user,
            "supportVersion": "1.1", "status": "PUBLISHED", "strictMapping": False,
            "allowNullValues": bool(payload.get("allowNullValues", False)),
            "outputSchema": {"schemaRef": ref}, "schemaRef": ref, "xdmSchema": schema,
            "xdmVersion": str(payload.get("xdmVersion") or "1.0"),
            "mappings": [_stored(m, number) for m in mappings],
        }
        for key in ("name", "description", "inputSchema", "tags"):
            if payload.get(key) is not None:
                document[key] = copy.deepcopy(payload[key])
        return document

    def _request(self, tx: Tx, caller: Caller, payload: Mapping[str, Any]) -> tuple[str, list[dict[str, Any]]]:
        """(output schema $id, mappings as {sourceType, source, destination, …}) of either request form."""
        ref = (payload.get("outputSchema") or {}).get("schemaRef") if isinstance(payload.get("outputSchema"),
                                                                                 dict) else None
        schema = ref.get("id") if isinstance(ref, dict) else payload.get("xdmSchema")
        if not isinstance(schema, str):
            raise errors.bad_request('The output schema is required: outputSchema.schemaRef.id (or, as the '
                                     'cloud storage tutorial sends it, xdmSchema).')
        if self.registry.schema(tx, caller, schema) is None:
            raise errors.unknown_schema(schema, caller.sandbox)
        mappings = payload.get("mappings")
        if not isinstance(mappings, list):
            raise errors.bad_request("mappings is required: an array of {sourceType, source, destination}.")
        normalized = []
        for index, mapping in enumerate(mappings):
            problems = dataprep.check_mapping(mapping, f"mappings[{index}]")
            if problems:
                raise errors.invalid_mapping("; ".join(str(p) for p in problems))
            normalized.append(dataprep.normalize(mapping))
        return schema, normalized

    def _check(self, tx: Tx, caller: Caller, schema: str, mappings: list[dict[str, Any]], validate: bool) -> None:
        for index, mapping in enumerate(mappings):
            problems = _problems(index, mapping)
            if problems:
                raise errors.invalid_mapping(problems[0])
        if validate:
            fields = self.registry.fields(tx, caller, schema) or {}
            for index, mapping in enumerate(mappings):
                if mapping["destination"] not in fields:
                    raise errors.not_a_field(index, mapping["destination"], schema)


def schema_id(mapping_set: Mapping[str, Any]) -> str | None:
    """The output schema a set (any stored or seeded form) writes."""
    ref = (mapping_set.get("outputSchema") or {}).get("schemaRef") or mapping_set.get("schemaRef") or {}
    found = ref.get("id") if isinstance(ref, Mapping) else None
    found = found or mapping_set.get("xdmSchema")
    return found if isinstance(found, str) else None


def seeded_set(versions: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Seed entries of one id (one per version) as Data Prep stores a set."""
    stored = []
    for entry in sorted(versions, key=lambda e: int(e["version"])):
        schema = schema_id(entry) or ""
        ref = {"id": schema, "contentType": dataprep.DEFAULT_SCHEMA_CONTENT_TYPE}
        number = int(entry["version"])
        stored.append({"id": entry["id"], "version": number, "createdDate": 0, "modifiedDate": 0,
                       "createdBy": "seed", "modifiedBy": "seed", "supportVersion": "1.1", "status": "PUBLISHED",
                       "strictMapping": False, "allowNullValues": False, "outputSchema": {"schemaRef": ref},
                       "schemaRef": ref, "xdmSchema": schema, "xdmVersion": "1.0",
                       "mappings": [_stored(dataprep.normalize(m), number) for m in entry.get("mappings", [])],
                       **({"name": entry["name"]} if "name" in entry else {})})
    return {"id": versions[0]["id"], "versions": stored}


def _stored(mapping: Mapping[str, Any], version: int) -> dict[str, Any]:
    """A mapping as a read shows it: both vocabularies, a new id per version."""
    return {"id": secrets.token_hex(16), "version": version,
            "sourceType": dataprep.STORED_SOURCE_TYPES[mapping["sourceType"]],
            "source": mapping["source"], "destination": mapping["destination"],
            "name": mapping.get("name", mapping["source"]), "description": mapping.get("description"),
            "identity": bool(mapping.get("identity", False)),
            "primaryIdentity": bool(mapping.get("primaryIdentity", False)), "matchScore": 0, "functionVersion": 0,
            "sourceAttribute": mapping["source"], "destinationXdmPath": mapping["destination"]}


def _problems(index: int, mapping: Mapping[str, Any]) -> list[str]:
    kind = dataprep.source_type(mapping.get("sourceType"))
    if kind == "EXPRESSION":
        why = check_expression(str(mapping.get("source")))
        if why:
            return [f"mappings[{index}].source: {why}"]
    return []


