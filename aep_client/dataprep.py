"""Data Prep: mapping sets, in the lifecycle's words.

A change is a PUT of the whole set, which Data Prep keeps as a new version (0, 1, 2...; older
ones stay readable and a flow keeps using the one it names): ``version`` stands for the etag.
A lost create is found by its name and its creation time.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any
from urllib.parse import quote

from .client import DEFAULT_CLOCK_SKEW, ObjectRef
from .kinds import Kind
from .platform_kinds import ServiceClient, record

PAGE = 100


def mapping_record(doc: Mapping[str, Any]) -> dict[str, Any]:
    return record(doc.get("id"), doc.get("name"), doc.get("version"), doc.get("createdDate"),
                  doc.get("createdBy"), doc, doc.get("description"), doc.get("modifiedDate"))


class DataPrepClient(ServiceClient):
    """Mapping sets of the sandbox (``/mappingSets``)."""

    def create(self, kind: Kind, body: Mapping[str, Any], query: Mapping[str, str] | None = None) -> ObjectRef:
        name, since = body.get("name"), (time.time() - DEFAULT_CLOCK_SKEW) * 1000

        def post() -> ObjectRef:
            doc = self.call("POST", kind.path, json_body=dict(body), params=dict(query or {}) or None)
            return ObjectRef(str(doc["id"]), str(doc["version"]))

        return self.created(f"mapping set {name!r}", post, lambda: [
            r for r in self.list_objects(kind) if r["name"] == name and (r["createdAt"] or 0) >= since])

    def get(self, kind: Kind, object_id: str) -> dict[str, Any]:
        return mapping_record(self.call("GET", f"{kind.path}/{quote(object_id, safe='')}"))

    def update(self, kind: Kind, object_id: str, etag: str, ops: Sequence[Mapping[str, Any]]) -> ObjectRef:
        """The lifecycle's one operation here is the whole new set (``{"op": "replace", "path": "",
        "value": body}``): a PUT, answered with the new version."""
        [op] = ops
        doc = self.call("PUT", f"{kind.path}/{quote(object_id, safe='')}", json_body=op["value"])
        return ObjectRef(str(doc["id"]), str(doc["version"]))

    def delete(self, kind: Kind, object_id: str) -> bool:
        return self.deleted(f"{kind.path}/{quote(object_id, safe='')}")

    def list_objects(self, kind: Kind, properties: Iterable[str] = (), orderby: str | None = None,
                     limit: int | None = None) -> Iterator[dict[str, Any]]:
        for doc in self.pages(kind.path, {}, lambda d: list((d or {}).get("data") or []),
                              min(limit or PAGE, PAGE)):
            if isinstance(doc, Mapping):
                yield mapping_record(doc)
