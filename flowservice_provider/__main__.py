"""Entry point of the provider process (console script ``terraform-provider-flowservice``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flowservice_provider.protocol.plugin import serve

if TYPE_CHECKING:
    from flowservice_provider.protocol.resource import ProviderHandler


def _provider() -> ProviderHandler:
    # Imported after the handshake line (serve calls factories then): Terraform waits for that line
    # on each of its 3-4 launches per command, and the provider's modules are not needed before it.
    from flowservice_provider.provider import FlowServiceProvider

    return FlowServiceProvider()


def main() -> None:
    """Serve the provider over the plugin protocol until Terraform shuts it down."""
    serve(_provider)


if __name__ == "__main__":
    main()
