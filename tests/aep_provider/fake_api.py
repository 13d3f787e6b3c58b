"""An in-memory stand-in for Flow Service behind the handlers' narrow interface (``FlowServiceApi``).

It records every call, keeps etags like the real service (a new one per write, If-Match checked)
and can be told to fail the next call, so the handlers' operations are tested without HTTP.
Objects live per kind (``objects[kind.path]``); ``connections`` are the base connections.
"""

from __future__ import annotations

import copy
import itertools
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from aep_client import CONNECTIONS, FLOWS, Kind, NotFoundError, ObjectRef, PreconditionFailedError
from aep_client.errors import FlowServiceError
from aep_provider.resources.context import ResourceContext
from aep_provider.resources.ownership import OwnershipJournal

CLIENT_ID = "unit-client"


def now_ms() -> int:
    """Flow Service's clock, which adoption compares with the moment a create began."""
    return int(time.time() * 1000)
PREFIXES = {"/connections": "conn", "/sourceConnections": "src", "/targetConnections": "tgt", "/flows": "flow"}


class MemoryStore:
    """An ownership journal's store in memory (the real ones: files and S3, tested apart)."""

    def __init__(self) -> None:
        self.docs: dict[str, bytes] = {}

    def read(self, key: str) -> bytes | None:
        return self.docs.get(key)

    def write(self, key: str, data: bytes) -> None:
        self.docs[key] = data

    def remove(self, key: str) -> None:
        self.docs.pop(key, None)

    def keys(self) -> Iterator[str]:
        yield from sorted(self.docs)

    def describe(self) -> str:
        return "memory"


@dataclass
class FakeConnectionsApi:
    """Objects by kind and id; ``calls`` lists (operation, argument) in order."""

    objects: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    calls: list[tuple[str, Any]] = field(default_factory=list)
    fail_next: FlowServiceError | None = None
    runs: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    explored: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    _etags: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    #: The ownership journal of the one state these tests play (every handler made for this API shares it).
    journal: OwnershipJournal = field(default_factory=lambda: OwnershipJournal(MemoryStore()))

    @property
    def connections(self) -> dict[str, dict[str, Any]]:
        return self.of(CONNECTIONS)

    def of(self, kind: Kind) -> dict[str, dict[str, Any]]:
        return self.objects.setdefault(kind.path, {})

    def _raise_if_told(self) -> None:
        if self.fail_next is not None:
            failure, self.fail_next = self.fail_next, None
            raise failure

    def _etag(self) -> str:
        return f'"{next(self._etags):08x}-0000-0200-0000-000000000000"'

    def create(self, kind: Kind, body: Mapping[str, Any], query: Mapping[str, str] | None = None) -> ObjectRef:
        self.calls.append(("create", copy.deepcopy(dict(body))))
        self._raise_if_told()
        object_id = f"{PREFIXES[kind.path]}-{next(self._ids)}"
        record = copy.deepcopy(dict(body)) | {"id": object_id, "etag": self._etag(), "state": "enabled",
                                              "createdClient": CLIENT_ID, "sandboxName": "prod",
                                              "createdAt": now_ms(), "updatedAt": now_ms()}
        self.of(kind)[object_id] = record
        return ObjectRef(object_id, record["etag"])

    def get(self, kind: Kind, object_id: str) -> dict[str, Any]:
        self.calls.append(("get", object_id))
        self._raise_if_told()
        if object_id not in self.of(kind):
            raise NotFoundError(404, "1101", None, "not found")
        return copy.deepcopy(self.of(kind)[object_id])

    def update(self, kind: Kind, object_id: str, etag: str, ops: Sequence[Mapping[str, Any]]) -> ObjectRef:
        self.calls.append(("update", (object_id, etag, [dict(op) for op in ops])))
        self._raise_if_told()
        record = self.of(kind)[object_id]
        if record["etag"] != etag:
            raise PreconditionFailedError(412, "1404", None, "stale", etag_sent=etag)
        for op in ops:
            *parents, leaf = op["path"].strip("/").split("/")
            target: Any = record
            for part in parents:
                target = target[int(part)] if isinstance(target, list) else target.setdefault(part, {})
            if isinstance(target, list):
                target[int(leaf)] = op["value"]
            elif op["op"] == "remove":
                target.pop(leaf, None)
            else:
                target[leaf] = op["value"]
        record["etag"] = self._etag()
        return ObjectRef(object_id, record["etag"])

    def delete(self, kind: Kind, object_id: str) -> bool:
        self.calls.append(("delete", object_id))
        self._raise_if_told()
        return self.of(kind).pop(object_id, None) is not None

    def list_objects(self, kind: Kind, properties: Iterable[str] = (), orderby: str | None = None,
                     limit: int | None = None) -> Iterator[dict[str, Any]]:
        self.calls.append(("list", list(properties)))
        self._raise_if_told()
        yield from (copy.deepcopy(r) for r in self.of(kind).values())

    def act(self, kind: Kind, object_id: str, op: str) -> ObjectRef:
        self.calls.append(("action", (object_id, op)))
        self._raise_if_told()
        record = self.of(kind)[object_id]
        record["state"] = "enabled" if op == "enable" else "disabled"
        record["etag"] = self._etag()
        return ObjectRef(object_id, record["etag"])

    def list_runs(self, flow_id: str, limit: int = 10) -> list[dict[str, Any]]:
        self.calls.append(("runs", flow_id))
        self._raise_if_told()
        return copy.deepcopy(self.runs.get(flow_id, []))[:limit]

    def explore(self, connection_id: str, object_type: str, obj: str | None = None,
                preview: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
        self.calls.append(("explore", (connection_id, object_type, obj, dict(preview or {}))))
        self._raise_if_told()
        return copy.deepcopy(self.explored.get(obj or "/", []))

    def operations(self) -> list[str]:
        return [name for name, _ in self.calls]

    # base connections, by their long-standing names (some tests seed through them)
    def create_connection(self, body: Mapping[str, Any]) -> ObjectRef:
        return self.create(CONNECTIONS, body)


def context_for(api: FakeConnectionsApi, sandbox: str = "prod",
                journal: OwnershipJournal | None = None) -> ResourceContext:
    return ResourceContext(lambda: api, sandbox, CLIENT_ID, journal or api.journal)


__all__ = ["CLIENT_ID", "FLOWS", "FakeConnectionsApi", "MemoryStore", "context_for"]
