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
    from aep_client import Kind, ObjectRef
    from aep_client.catalog import CatalogClient
    from aep_client.dataprep import DataPrepClient
    from aep_client.schema_registry import SchemaRegistryClient
    from aep_provider.resources.ownership import OwnershipJournal


class KindApi(Protocol):
    """What the shared lifecycle asks of the service a kind lives in (Flow Service's client, and the
    Schema Registry's, Catalog's and Data Prep's, which answer in the same words)."""

    def create(self, kind: Kind, body: Mapping[str, Any], query: Mapping[str, str] | None = None) -> ObjectRef: ...

    def get(self, kind: Kind, object_id: str) -> dict[str, Any]: ...

    def update(self, kind: Kind, object_id: str, etag: str, ops: Sequence[Mapping[str, Any]]) -> ObjectRef: ...

    def delete(self, kind: Kind, object_id: str) -> bool: ...

    def list_objects(self, kind: Kind, properties: Iterable[str] = (), orderby: str | None = None,
                     limit: int | None = None) -> Iterator[dict[str, Any]]: ...


class FlowServiceApi(KindApi, Protocol):
    """The Flow Service calls handlers make (``FlowServiceClient`` has them all), and the platform's
    other services on the same session."""

    def act(self, kind: Kind, object_id: str, op: str) -> ObjectRef: ...

    def list_runs(self, flow_id: str, limit: int = 10) -> list[dict[str, Any]]: ...

    def explore(self, connection_id: str, object_type: str, obj: str | None = None,
                preview: Mapping[str, str] | None = None) -> list[dict[str, Any]]: ...

    @property
    def registry(self) -> SchemaRegistryClient: ...

    @property
    def catalog(self) -> CatalogClient: ...

    @property
    def prep(self) -> DataPrepClient: ...


@dataclass(frozen=True)
class ResourceContext:
    """The provider's configuration as resources need it.

    ``api`` is a factory so that building the HTTP client (and importing ``requests``) waits
    for the first call that needs it; ``client_id`` tells this client's connections apart;
    ``journal`` holds this state's claims (what it creates and holds), beside the state.
    """

    api: Callable[[], FlowServiceApi]
    sandbox_name: str
    client_id: str
    journal: OwnershipJournal
