"""Entry point of the provider process (console script ``terraform-provider-flowservice``)."""

from flowservice_provider.protocol.plugin import serve
from flowservice_provider.provider import FlowServiceProvider


def main() -> None:
    """Serve the provider over the plugin protocol until Terraform shuts it down."""
    serve(FlowServiceProvider())


if __name__ == "__main__":
    main()
