"""Entry point of the provider process (console script ``terraform-provider-aep``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aep_provider.protocol.plugin import serve

if TYPE_CHECKING:
    from aep_provider.protocol.resource import ProviderHandler

#: What a provider process imports after start-up, in the order it does: a warm provider server
#: (protocol/warm.py) imports them once, and the processes it forks start with them loaded.
PRELOAD = (
    "concurrent.futures.thread", "grpc", "json", "resource", "fcntl",
    "aep_provider.protocol.tlscert", "aep_provider.protocol.service",
    "aep_provider.protocol.server", "grpc._server", "grpc._utilities", "aep_provider.provider",
    "aep_provider.resources.s3_base_connection", "aep_provider.resources.s3_validation",
    "aep_provider.resources.source_connection", "aep_provider.resources.target_connection",
    "aep_provider.resources.dataflow", "aep_provider.resources.inventory", "aep_provider.resources.ownership",
    "aep_provider.resources.xdm_schema", "aep_provider.resources.dataset", "aep_provider.resources.mapping_set",
    "aep_client.schema_registry", "aep_client.catalog", "aep_client.dataprep",
    "aep_provider.data_sources.dataflow_runs", "aep_provider.data_sources.explore",
    "aep_provider.data_sources.by_name", "aep_provider.data_sources.xdm_schema", "aep_provider.data_sources.dataset",
    "aep_provider.data_sources.mapping_set",
    "requests", "aep_client", "aep_client.client", "aep_client.session",
    "aep_client.ims", "aep_client.retry",
)


def _provider() -> ProviderHandler:
    # Imported after the handshake line (serve calls factories then): Terraform waits for that line
    # on each of its 3-4 launches per command, and the provider's modules are not needed before it.
    from aep_provider.provider import AepProviderHandler

    return AepProviderHandler()


def main() -> None:
    """Serve the provider over the plugin protocol until Terraform shuts it down."""
    serve(_provider)


def preload() -> None:
    """Import what ``main()`` would import lazily, without starting anything (no thread, no grpc call)."""
    import importlib

    for name in PRELOAD:
        importlib.import_module(name)


if __name__ == "__main__":
    main()
