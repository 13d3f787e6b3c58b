"""Schema Registry: the tenant's field groups and XDM schemas, in the lifecycle's words.

A title is unique across every kind of the tenant (XDM-1521 names the holder), so a lost create
is found again by its title. The Registry documents no concurrency token: a write answers the
whole object with its new ``version`` ("1.0" -> "1.1"), which stands for the etag.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any
from urllib.parse import quote_plus

from aep_spec import xdm

from .client import ObjectRef
from .kinds import SCHEMAS, Kind
from .platform_kinds import ServiceClient, record

#: Objects a list page holds at most (the Registry's cap).
PAGE = 300


def registry_record(doc: Mapping[str, Any]) -> dict[str, Any]:
    meta = doc.get("meta:registryMetadata") or {}
    return record(doc.get("$id"), doc.get("title"), doc.get("version"), meta.get("repo:createdDate"),
                  meta.get("xdm:createdClientId"), doc, doc.get("description"), meta.get("repo:lastModifiedDate"))


class SchemaRegistryClient(ServiceClient):
    """Field groups and schemas of the tenant (``/tenant/...``)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._tenant: str | None = None
        self._lock = threading.Lock()

    def tenant(self) -> str:
        """The org's tenant id (custom fields sit under ``_<tenant>``): one call per process."""
        with self._lock:
            if self._tenant is None:
                self._tenant = str(self.call("GET", "/stats")["tenantId"])
            return self._tenant

    def create(self, kind: Kind, body: Mapping[str, Any], query: Mapping[str, str] | None = None) -> ObjectRef:
        title = str(body.get("title"))

        def post() -> ObjectRef:
            doc = self.call("POST", kind.path, json_body=dict(body), headers={"Accept": xdm.ACCEPT_RAW})
            return ObjectRef(str(doc["$id"]), str(doc["version"]))

        return self.created(f"{kind.noun} {title!r}", post,
                            lambda: [r for r in self.list_objects(kind) if r["name"] == title])

    def get(self, kind: Kind, object_id: str) -> dict[str, Any]:
        """The object (a schema with its field groups resolved into ``properties``)."""
        accept = xdm.ACCEPT_FULL if kind is SCHEMAS else xdm.ACCEPT_RAW
        return registry_record(self.call("GET", f"{kind.path}/{quote_plus(object_id)}", headers={"Accept": accept}))

    def update(self, kind: Kind, object_id: str, etag: str, ops: Sequence[Mapping[str, Any]]) -> ObjectRef:
        """A JSON Patch (no If-Match: the Registry documents none); the answer's version."""
        doc = self.call("PATCH", f"{kind.path}/{quote_plus(object_id)}", json_body=[dict(op) for op in ops],
                        headers={"Accept": xdm.ACCEPT_RAW})
        return ObjectRef(str(doc["$id"]), str(doc["version"]))

    def delete(self, kind: Kind, object_id: str) -> bool:
        return self.deleted(f"{kind.path}/{quote_plus(object_id)}")

    def list_objects(self, kind: Kind, properties: Iterable[str] = (), orderby: str | None = None,
                     limit: int | None = None) -> Iterator[dict[str, Any]]:
        """Every object of the kind in the tenant, whole (who made it and when: the adoption rule)."""
        params: dict[str, Any] = {"orderby": orderby or "title", "limit": str(min(limit or PAGE, PAGE))}
        if properties:
            params["property"] = list(properties)
        while True:
            doc = self.call("GET", kind.path, params=params, headers={"Accept": xdm.ACCEPT_RAW})
            for item in doc.get("results") or []:
                yield registry_record(item)
            following = (doc.get("_page") or {}).get("next")
            if not following:
                return
            params = {**params, "start": str(following)}
