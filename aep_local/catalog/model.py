"""Catalog's rules, apart from HTTP: datasets bound to a schema of the Schema Registry, their
semantic version bumped by every write (the `ETag`, optionally sent back as `If-Match`), the lists'
filters and offsets, and the batches a run lands in a dataset (with the records, for the local
tools).

Catalog answers objects keyed by id (`{"<id>": {...}}`), lists included.
"""

from __future__ import annotations

import copy
import re
import secrets
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from aep_spec import catalog as facts

from ..core.bodies import apply_patch, is_patch, parse_json, parse_object
from ..core.documents import Documents, Seeded
from ..core.gateway import Caller
from ..core.listing import first, parse_condition, query_refusal, whole
from ..core.store import Store, Tx
from ..schemaregistry.model import SchemaRegistry
from . import errors

DATASETS, BATCHES, RECORDS = "catalog.dataSets", "catalog.batches", "catalog.records"
DEFAULT_CONTENT_TYPE = "application/vnd.adobe.xed+json;version=1"
EDITABLE = ("name", "description", "tags", "fileDescription", "schemaRef")
MAX_KEPT_RECORDS = 10_000          # a batch's records the local tools can show; the counts are exact
_ORDER = re.compile(r"^(asc|desc)?:?([A-Za-z]+)$")
# Members a dataset's list answers and `properties=` may pick, beside the stored ones.
COMPUTED = ("lastBatchId", "lastBatchStatus")


_REFUSE_QUERY = query_refusal(errors.bad_request)


@dataclass
class Landing:
    """What a run lands: the good records, the counts of the run, and its errors."""

    dataset_id: str
    run_id: str
    flow_id: str
    records: list[dict[str, Any]]
    metrics: dict[str, int]
    errors: list[dict[str, str]] = field(default_factory=list)
    data_format: str = "csv"


class Catalog:
    def __init__(self, store: Store, registry: SchemaRegistry, seeded: Seeded | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.registry = registry
        self.clock = clock
        self.datasets = Documents(DATASETS, seeded)
        self.batches = Documents(BATCHES)
        self.records = Documents(RECORDS)
        registry.datasets_using = self.datasets_using

    # --- what other services ask ----------------------------------------------------------

    def dataset(self, tx: Tx, caller: Caller, dataset_id: str) -> dict[str, Any] | None:
        return self.datasets.get(tx, caller, dataset_id)

    def datasets_using(self, tx: Tx, caller: Caller, schema_id: str) -> list[str]:
        return [d["id"] for d in self.datasets.all(tx, caller) if (d.get("schemaRef") or {}).get("id") == schema_id]

    def land(self, tx: Tx, caller: Caller, landing: Landing, started: float, now: float) -> str | None:
        """A run's batch in its dataset: `success` when it wrote records, `failed` otherwise; None (no
        batch) when the dataset is gone."""
        if self.datasets.get(tx, caller, landing.dataset_id) is None:
            return None
        batch_id = _batch_id(now)
        metrics = landing.metrics
        status = "success" if metrics["outputRecordCount"] else "failed"
        batch = {
            "id": batch_id, "imsOrg": caller.org_id, "status": status,
            "created": int(started * 1000), "updated": int(now * 1000), "started": int(started * 1000),
            "completed": int(now * 1000), "createdClient": caller.client_id, "createdUser": caller.user,
            "updatedUser": caller.user, "version": "1.0.0",
            "relatedObjects": [{"type": "dataSet", "id": landing.dataset_id},
                               {"type": "flow", "id": landing.flow_id}, {"type": "flowRun", "id": landing.run_id}],
            "inputFormat": {"format": landing.data_format},
            "metrics": {"recordsRead": metrics["inputRecordCount"], "recordsWritten": metrics["outputRecordCount"],
                        "failedRecordCount": metrics["failedRecordCount"], **metrics},
            "errors": [{"code": e["code"], "description": e["message"]} for e in landing.errors],
        }
        self.batches.put(tx, caller, batch_id, batch)
        self.records.put(tx, caller, batch_id, {"records": landing.records[:MAX_KEPT_RECORDS]})
        return batch_id

    def landed(self, caller: Caller, dataset_id: str) -> dict[str, Any]:
        """`/__local/` view of a dataset: its batches, how many records they hold, the records kept."""
        with self.store.read() as tx:
            batches = self._batches_of(tx, caller, dataset_id)
            records = [r for b in batches for r in (self.records.get(tx, caller, b["id"]) or {}).get("records", [])]
        return {"dataSetId": dataset_id, "batches": [b["id"] for b in batches],
                "recordCount": sum(b["metrics"]["recordsWritten"] for b in batches),
                "failedRecordCount": sum(b["metrics"]["failedRecordCount"] for b in batches), "records": records}

    # --- datasets ------------------------------------------------------------------------

    def create(self, caller: Caller, body: bytes) -> str:
        payload = parse_object(body, errors.bad_request)
        with self.store.transaction() as tx:
            now_ms = int(self.clock() * 1000)
            dataset_id = secrets.token_hex(12)
            record = {"id": dataset_id, "imsOrg": caller.org_id, "version": "1.0.0", "created": now_ms,
                      "updated": now_ms, "createdClient": caller.client_id, "createdUser": caller.user,
                      "updatedUser": caller.user, "files": f"@/dataSetFiles?dataSetId={dataset_id}",
                      "basePath": f"adl://local-aep/{caller.sandbox}/{dataset_id}", "tags": {}}
            record.update(self._checked(tx, caller, payload, None))
            self.datasets.put(tx, caller, dataset_id, record)
        return dataset_id

    def get(self, caller: Caller, dataset_id: str, query: Mapping[str, Sequence[str]]) -> dict[str, Any]:
        with self.store.read() as tx:
            record = self.datasets.get(tx, caller, dataset_id)
            if record is None:
                raise errors.not_found("dataset", dataset_id)
            return {dataset_id: self._view(tx, caller, record, query)}

    def list_datasets(self, caller: Caller, query: Mapping[str, Sequence[str]]) -> dict[str, Any]:
        with self.store.read() as tx:
            pool = self.datasets.all(tx, caller)
            selected = [d for d in pool if _selected(d, query)]
            page = _page(selected, query)
            return {d["id"]: self._view(tx, caller, d, query) for d in page}

    def patch(self, caller: Caller, dataset_id: str, body: bytes, content_type: str, if_match: str | None) -> str:
        payload = parse_json(body, errors.bad_request) if body.strip() else None
        def change(current: dict[str, Any]) -> dict[str, Any]:
            editable = {k: copy.deepcopy(current[k]) for k in EDITABLE if k in current}
            if content_type == facts.JSON_PATCH or is_patch(payload):
                changed = apply_patch(editable, payload, errors.bad_request)
            elif isinstance(payload, dict) and payload:
                changed = {**editable, **payload}
            else:
                raise errors.bad_request("A PATCH body is a partial dataset object or a JSON Patch array.")
            fixed = sorted(set(changed) - set(EDITABLE))
            if fixed:
                raise errors.bad_request(f"{', '.join(fixed)} cannot be changed: only {', '.join(EDITABLE)} can.")
            return changed
        return self._write(caller, dataset_id, if_match, change)

    def replace(self, caller: Caller, dataset_id: str, body: bytes, if_match: str | None) -> str:
        payload = parse_object(body, errors.bad_request)
        return self._write(caller, dataset_id, if_match, lambda current: payload)

    def delete(self, caller: Caller, dataset_id: str) -> bool:
        with self.store.transaction() as tx:
            if self.datasets.get(tx, caller, dataset_id) is None:
                return False
            self.datasets.delete(tx, caller, dataset_id)
            return True

    def _write(self, caller: Caller, dataset_id: str, if_match: str | None,
               change: Callable[[dict[str, Any]], dict[str, Any]]) -> str:
        with self.store.transaction() as tx:
            current = self.datasets.get(tx, caller, dataset_id)
            if current is None:
                raise errors.not_found("dataset", dataset_id)
            sent = (if_match or "").strip().removeprefix("W/").strip('"')
            if sent and sent != current["version"]:
                raise errors.stale(dataset_id, sent, current["version"])
            record = {k: v for k, v in current.items() if k not in EDITABLE}
            record.update(self._checked(tx, caller, change(current), current))
            record["version"] = _bumped(current["version"])
            record.update(updated=int(self.clock() * 1000), updatedUser=caller.user)
            self.datasets.put(tx, caller, dataset_id, record)
        return dataset_id

    def _checked(self, tx: Tx, caller: Caller, payload: Mapping[str, Any],
                 current: Mapping[str, Any] | None) -> dict[str, Any]:
        """The editable members of a body, checked: a name, a schema of the sandbox, tags a client may set."""
        name = payload.get("name")
        if not isinstance(name, str) or not name.strip():
            raise errors.bad_request("name is required: a non-empty string.")
        ref = payload.get("schemaRef")
        if not isinstance(ref, Mapping) or not isinstance(ref.get("id"), str):
            raise errors.bad_request('schemaRef is required: {"id": <schema $id>, "contentType": ...}.')
        if current is not None and ref["id"] != current["schemaRef"]["id"]:
            raise errors.schema_fixed(current["id"])
        if self.registry.schema(tx, caller, ref["id"]) is None:
            raise errors.unknown_schema(ref["id"], caller.sandbox)
        tags = payload.get("tags", {})
        problems = facts.check_tags(tags)
        if problems:
            raise errors.reserved_tags("; ".join(str(p) for p in problems))
        out: dict[str, Any] = {"name": name, "tags": copy.deepcopy(tags),
                               "schemaRef": {"id": ref["id"], "contentType": ref.get("contentType") or
                                             DEFAULT_CONTENT_TYPE}}
        for key in ("description", "fileDescription"):
            if payload.get(key) is not None:
                out[key] = copy.deepcopy(payload[key])
        return out

    def _view(self, tx: Tx, caller: Caller, record: Mapping[str, Any],
              query: Mapping[str, Sequence[str]]) -> dict[str, Any]:
        view = {k: copy.deepcopy(v) for k, v in record.items() if k != "id"}
        view.setdefault("imsOrg", caller.org_id)
        batches = self._batches_of(tx, caller, record["id"])
        if batches:
            view.update(lastBatchId=batches[-1]["id"], lastBatchStatus=batches[-1]["status"])
        wanted = [p for value in query.get("properties", []) for p in value.split(",") if p]
        return {k: v for k, v in view.items() if k in wanted} if wanted else view

    # --- batches -------------------------------------------------------------------------

    def get_batch(self, caller: Caller, batch_id: str) -> dict[str, Any]:
        with self.store.read() as tx:
            batch = self.batches.get(tx, caller, batch_id)
        if batch is None:
            raise errors.not_found("batch", batch_id)
        return {batch_id: _batch_view(batch)}

    def list_batches(self, caller: Caller, query: Mapping[str, Sequence[str]]) -> dict[str, Any]:
        dataset_id = first(query, "dataSet")
        with self.store.read() as tx:
            pool = (self._batches_of(tx, caller, dataset_id) if dataset_id else self.batches.all(tx, caller))
        wanted_status = first(query, "status")
        selected = [b for b in pool if wanted_status is None or b["status"] == wanted_status]
        return {b["id"]: _batch_view(b) for b in _page(selected, query)}

    def _batches_of(self, tx: Tx, caller: Caller, dataset_id: str) -> list[dict[str, Any]]:
        return [b for b in self.batches.all(tx, caller)
                if any(o == {"type": "dataSet", "id": dataset_id} for o in b["relatedObjects"])]


def seeded_dataset(entry: Mapping[str, Any]) -> dict[str, Any]:
    """A seed entry as Catalog stores it."""
    record = copy.deepcopy(dict(entry))
    record.setdefault("version", "1.0.0")
    record.setdefault("created", 0)
    record.setdefault("updated", 0)
    record.setdefault("createdClient", "seed")
    record.setdefault("tags", {})
    record.setdefault("files", f"@/dataSetFiles?dataSetId={entry['id']}")
    return record


# --- lists ----------------------------------------------------------------------------------

def _selected(record: Mapping[str, Any], query: Mapping[str, Sequence[str]]) -> bool:
    """Catalog's filters: `name=a,b` (OR, `!a` not, `*` wildcards), `property=`, `tags=k:v,k2:*` (AND)."""
    for value in query.get("name", []):
        wanted = value.split(",")
        positive = [w for w in wanted if not w.startswith("!")]
        if positive and not any(_like(record.get("name"), w) for w in positive):
            return False
        if any(_like(record.get("name"), w[1:]) for w in wanted if w.startswith("!")):
            return False
    for value in query.get("property", []):
        if not parse_condition(value, _REFUSE_QUERY).matches(record):
            return False
    for value in query.get("tags", []):
        for pair in value.split(","):
            key, _, wanted_value = pair.partition(":")
            values = (record.get("tags") or {}).get(key)
            if values is None or not any(_like(v, wanted_value or "*") for v in values):
                return False
    return True


def _like(value: Any, pattern: str) -> bool:
    if not isinstance(value, str):
        return False
    regex = "".join(".*" if c == "*" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value) is not None


def _page(items: list[dict[str, Any]], query: Mapping[str, Sequence[str]]) -> list[dict[str, Any]]:
    """`orderBy=asc:created,desc:updated`, then `start` (any offset) and `limit` (default 20, at most 100)."""
    ordered = list(items)
    for term in reversed([t for v in query.get("orderBy", []) for t in v.split(",") if t]):
        found = _ORDER.match(term.strip())
        if found is None:
            raise errors.bad_request(f"orderBy={term} is not asc:<field> or desc:<field>.")
        ordered.sort(key=_sort_key(found.group(2)), reverse=found.group(1) == "desc")
    raw_limit, raw_start = first(query, "limit"), first(query, "start")
    limit = facts.LIST_DEFAULT_LIMIT if raw_limit is None else whole(raw_limit, "limit", errors.bad_request)
    if not 1 <= limit <= facts.LIST_MAX_LIMIT:
        raise errors.bad_request(f"limit={raw_limit} must be from 1 to {facts.LIST_MAX_LIMIT}.")
    start = 0 if raw_start is None else whole(raw_start, "start", errors.bad_request)
    return ordered[start:start + limit]


def _sort_key(name: str) -> Callable[[Mapping[str, Any]], tuple[str, Any]]:
    return lambda record: (type(record.get(name)).__name__, record.get(name) or 0)




def _bumped(version: str) -> str:
    parts = [*version.split("."), "0", "0"][:3]
    return f"{parts[0]}.{parts[1]}.{int(parts[2]) + 1}"


def _batch_view(batch: Mapping[str, Any]) -> dict[str, Any]:
    return {k: copy.deepcopy(v) for k, v in batch.items() if k != "id"}


_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def _batch_id(now: float) -> str:
    """A ULID (time first, so ids sort by creation), as Catalog's newer batch ids are."""
    value = (int(now * 1000) << 80) | secrets.randbits(80)
    return "".join(_CROCKFORD[(value >> (5 * i)) & 31] for i in reversed(range(26)))
