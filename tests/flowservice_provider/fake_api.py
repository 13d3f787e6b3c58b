"""An in-memory stand-in for Flow Service behind the handler's narrow interface (``ConnectionsApi``).

It records every call, keeps etags like the real service (a new one per write, If-Match checked)
and can be told to fail the next call, so the handler's operations are tested without HTTP.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from flowservice_client import ConnectionRef, NotFoundError, PreconditionFailedError
from flowservice_client.errors import FlowServiceError
from flowservice_provider.resources.context import ResourceContext

CLIENT_ID = "unit-client"


@dataclass
class FakeConnectionsApi:
    """Connections by id; ``calls`` lists (operation, argument) in order."""

    connections: dict[str, dict[str, Any]] = field(default_factory=dict)
    calls: list[tuple[str, Any]] = field(default_factory=list)
    fail_next: FlowServiceError | None = None
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    _etags: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def _raise_if_told(self) -> None:
        if self.fail_next is not None:
            failure, self.fail_next = self.fail_next, None
            raise failure

    def _etag(self) -> str:
        return f'"{next(self._etags):08x}-0000-0200-0000-000000000000"'

    def create_connection(self, body: Mapping[str, Any]) -> ConnectionRef:
        self.calls.append(("create", copy.deepcopy(dict(body))))
        self._raise_if_told()
        conn_id = f"conn-{next(self._ids)}"
        record = copy.deepcopy(dict(body)) | {"id": conn_id, "etag": self._etag(), "state": "enabled",
                                              "createdClient": CLIENT_ID, "sandboxName": "prod",
                                              "createdAt": 1_700_000_000_000, "updatedAt": 1_700_000_000_000}
        self.connections[conn_id] = record
        return ConnectionRef(conn_id, record["etag"])

    def get_connection(self, connection_id: str) -> dict[str, Any]:
        self.calls.append(("get", connection_id))
        self._raise_if_told()
        if connection_id not in self.connections:
            raise NotFoundError(404, "1101", None, "not found")
        return copy.deepcopy(self.connections[connection_id])

    def update_connection(self, connection_id: str, etag: str, ops: Sequence[Mapping[str, Any]]) -> ConnectionRef:
        self.calls.append(("update", (connection_id, etag, [dict(op) for op in ops])))
        self._raise_if_told()
        record = self.connections[connection_id]
        if record["etag"] != etag:
            raise PreconditionFailedError(412, "1404", None, "stale", etag_sent=etag)
        for op in ops:
            *parents, leaf = op["path"].strip("/").split("/")
            target = record
            for part in parents:
                target = target.setdefault(part, {})
            if op["op"] == "remove":
                target.pop(leaf, None)
            else:
                target[leaf] = op["value"]
        record["etag"] = self._etag()
        return ConnectionRef(connection_id, record["etag"])

    def delete_connection(self, connection_id: str) -> bool:
        self.calls.append(("delete", connection_id))
        self._raise_if_told()
        return self.connections.pop(connection_id, None) is not None

    def list_connections(self, properties: Iterable[str] = (), orderby: str | None = None,
                         limit: int | None = None) -> Iterator[dict[str, Any]]:
        self.calls.append(("list", list(properties)))
        self._raise_if_told()
        yield from (copy.deepcopy(r) for r in self.connections.values())

    def operations(self) -> list[str]:
        return [name for name, _ in self.calls]


def context_for(api: FakeConnectionsApi, sandbox: str = "prod") -> ResourceContext:
    return ResourceContext(lambda: api, sandbox, CLIENT_ID)
