"""Catalog: datasets (and the batches that land in them), in the lifecycle's words.

A dataset's name is not unique in Catalog, so each create carries a private tag whose value the
state recorded before the POST (:data:`CLAIM_TAG`): a lost create is found by that tag and by
nothing else. Catalog's writes answer only a reference (``["@/dataSets/<id>"]``), not the new
version: the next refresh reads it (and sends it as ``If-Match`` with the following change).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any
from urllib.parse import quote

from aep_spec import catalog

from .client import ObjectRef
from .kinds import Kind
from .platform_kinds import ServiceClient, record

#: The private tag a create carries: its value is the create's claim in the state's journal.
CLAIM_TAG = "aep-iac/claim"
#: The top-level fields a listing asks for (enough for the adoption rule and the inventory).
LISTED = "name,description,version,created,updated,createdClient,tags,schemaRef"


def dataset_record(dataset_id: str, doc: Mapping[str, Any]) -> dict[str, Any]:
    """A dataset in the lifecycle's words; ``claim`` is the value of its :data:`CLAIM_TAG` (empty when
    it carries none), the only mark by which a dataset is taken for the one a lost create made."""
    tags = doc.get("tags")
    marks = tags.get(CLAIM_TAG) if isinstance(tags, Mapping) else None
    marks = marks if isinstance(marks, list) else []
    return record(dataset_id, doc.get("name"), doc.get("version"), doc.get("created"), doc.get("createdClient"),
                  doc, doc.get("description"), doc.get("updated")) | {"claim": str(marks[0]) if marks else ""}


def partial(ops: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The JSON Patch the lifecycle writes (``/name``, ``/description``) as Catalog's partial object."""
    out: dict[str, Any] = {}
    for op in ops:
        field = str(op["path"]).strip("/")
        out[field] = op.get("value") if op["op"] != "remove" else ""
    return out


class CatalogClient(ServiceClient):
    """Datasets of the sandbox (``/dataSets``) and their batches."""

    def create(self, kind: Kind, body: Mapping[str, Any], query: Mapping[str, str] | None = None) -> ObjectRef:
        claim = ((body.get("tags") or {}).get(CLAIM_TAG) or [""])[0]

        def post() -> ObjectRef:
            refs = self.call("POST", kind.path, json_body=dict(body))
            return ObjectRef(catalog.id_of_ref(str(refs[0])), "")

        return self.created(f"dataset {body.get('name')!r}", post, lambda: self.tagged(claim) if claim else [])

    def tagged(self, claim: str) -> list[dict[str, Any]]:
        """The datasets carrying this claim's tag (one, or none)."""
        doc = self.call("GET", "/dataSets", params={"tags": f"{CLAIM_TAG}:{claim}", "properties": LISTED})
        return [dataset_record(i, d) for i, d in (doc or {}).items() if isinstance(d, Mapping)]

    def get(self, kind: Kind, object_id: str) -> dict[str, Any]:
        doc = self.call("GET", f"{kind.path}/{quote(object_id, safe='')}")
        found = (doc or {}).get(object_id)
        if not isinstance(found, Mapping):
            from .errors import NotFoundError

            raise NotFoundError(404, None, None, f"dataset {object_id} not found (empty answer)")
        return dataset_record(object_id, found)

    def update(self, kind: Kind, object_id: str, etag: str, ops: Sequence[Mapping[str, Any]]) -> ObjectRef:
        """A partial PATCH, with ``If-Match`` when the version is known (412 when it moved)."""
        headers = {"If-Match": etag} if etag else {}
        self.call("PATCH", f"{kind.path}/{quote(object_id, safe='')}", json_body=partial(ops), headers=headers)
        return ObjectRef(object_id, "")

    def delete(self, kind: Kind, object_id: str) -> bool:
        """Catalog answers 200 even for an id it does not know (``[]``): deletes converge."""
        refs = self.call("DELETE", f"{kind.path}/{quote(object_id, safe='')}")
        return bool(refs)

    def list_objects(self, kind: Kind, properties: Iterable[str] = (), orderby: str | None = None,
                     limit: int | None = None) -> Iterator[dict[str, Any]]:
        params = {"properties": LISTED, **{p.split("==")[0]: p.split("==")[1] for p in properties if "==" in p}}
        for object_id, doc in self.pages(kind.path, params, lambda d: list((d or {}).items()),
                                         min(limit or catalog.LIST_MAX_LIMIT, catalog.LIST_MAX_LIMIT)):
            if isinstance(doc, Mapping):
                yield dataset_record(object_id, doc)

    def batches(self, dataset_id: str) -> list[dict[str, Any]]:
        """The batches that landed in a dataset (one per run of the local AEP), newest first."""
        doc = self.call("GET", "/batches", params={"dataSet": dataset_id, "limit": "100",
                                                   "orderBy": "desc:created"})
        return [dict(b, id=i) for i, b in (doc or {}).items() if isinstance(b, Mapping)]

    def using_schema(self, schema_id: str) -> list[dict[str, Any]]:
        """The datasets whose schemaRef names this schema."""
        return [r for r in self.list_objects(Kind("/dataSets", "dataset"))
                if ((r["raw"].get("schemaRef") or {}).get("id")) == schema_id]
