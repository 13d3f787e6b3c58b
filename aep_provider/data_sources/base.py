"""What the data sources share: the configured API, and failures turned into diagnostics."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from aep_provider.protocol.resource import DataSourceHandler, DiagnosticsError, error
from aep_provider.resources.flow_object import api_failure

if TYPE_CHECKING:
    from aep_provider.resources.context import FlowServiceApi, ResourceContext


class FlowDataSource(DataSourceHandler):
    """A data source that gets its context (API, sandbox) at ConfigureProvider, as resources do."""

    def __init__(self) -> None:
        self._context: ResourceContext | None = None

    def configure(self, context: ResourceContext) -> None:
        self._context = context

    def api(self) -> FlowServiceApi:
        if self._context is None:
            raise error("Provider not configured", "ConfigureProvider must succeed before data sources are read.")
        return self._context.api()

    @contextmanager
    def failures(self, operation: str) -> Iterator[None]:
        try:
            yield
        except DiagnosticsError:
            raise
        except Exception as exc:  # noqa: BLE001 - turned into a diagnostic with the API's words
            raise api_failure(operation, exc) from None
