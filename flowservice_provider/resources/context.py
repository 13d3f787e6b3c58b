"""What resource handlers get from the configured provider: a narrow view of Flow Service.

Handlers never see the provider object (HashiCorp's scaffolding hands a resource its client at
configure time, the same idea): they get a :class:`ResourceContext` whose ``api`` builds the
client on first use. Tests hand them a fake API instead.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from flowservice_client import ConnectionRef


class ConnectionsApi(Protocol):
    """The Flow Service calls a connection handler makes (``FlowServiceClient`` has them all)."""

    def create_connection(self, body: Mapping[str, Any]) -> ConnectionRef: ...

    def get_connection(self, connection_id: str) -> dict[str, Any]: ...

    def update_connection(self, connection_id: str, etag: str, ops: Sequence[Mapping[str, Any]]) -> ConnectionRef: ...

    def delete_connection(self, connection_id: str) -> bool: ...

    def list_connections(
        self, properties: Iterable[str] = (), orderby: str | None = None, limit: int | None = None
    ) -> Iterator[dict[str, Any]]: ...


@dataclass(frozen=True)
class ResourceContext:
    """The provider's configuration as resources need it.

    ``api`` is a factory so that building the HTTP client (and importing ``requests``) waits
    for the first call that needs it; ``client_id`` tells this client's connections apart.
    """

    api: Callable[[], ConnectionsApi]
    sandbox_name: str
    client_id: str
