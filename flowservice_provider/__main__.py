"""Entry point the mirror's launcher execs: serve the provider over the plugin protocol."""

from flowservice_provider.protocol.plugin import serve
from flowservice_provider.provider import FlowServiceProvider

if __name__ == "__main__":
    serve(FlowServiceProvider())
