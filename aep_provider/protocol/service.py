"""gRPC service registration, kept light so the server can start before the heavy modules load.

The ``tfplugin6.Provider`` handlers resolve their message classes and the servicer on first
use: the generated ``tfplugin6_pb2`` module, msgpack and the codec (about 20 ms of imports)
then load after the handshake line, while Terraform is still connecting. The go-plugin
services (health, controller, stdio, broker) need no protobuf at all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import grpc

from .stats import STATS

# Every RPC of the tfplugin6.8 Provider service; each has <Name>.Request/<Name>.Response messages.
PROVIDER_RPCS = (
    "GetMetadata",
    "GetProviderSchema",
    "ValidateProviderConfig",
    "ValidateResourceConfig",
    "ValidateDataResourceConfig",
    "UpgradeResourceState",
    "ConfigureProvider",
    "ReadResource",
    "PlanResourceChange",
    "ApplyResourceChange",
    "ImportResourceState",
    "MoveResourceState",
    "ReadDataSource",
    "ValidateEphemeralResourceConfig",
    "OpenEphemeralResource",
    "RenewEphemeralResource",
    "CloseEphemeralResource",
    "GetFunctions",
    "CallFunction",
    "StopProvider",
)


def _request_class(name: str) -> Any:
    from . import tfplugin6_pb2

    return getattr(tfplugin6_pb2, name).Request


def _serialize(message: Any) -> bytes:
    data: bytes = message.SerializeToString()
    return data


def _method(name: str, get_servicer: Callable[[], Any]) -> grpc.RpcMethodHandler[Any, Any]:
    def call(request: Any, context: Any) -> Any:
        began = STATS.begin()
        try:
            try:
                servicer = get_servicer()
            except Exception as exc:  # noqa: BLE001 - the provider could not even be built
                context.abort(grpc.StatusCode.INTERNAL, f"provider failed to load: {type(exc).__name__}: {exc}")
            return getattr(servicer, name)(request, context)
        finally:
            STATS.end(name, began)

    def deserialize(data: bytes) -> Any:
        return _request_class(name).FromString(data)

    return grpc.unary_unary_rpc_method_handler(call, request_deserializer=deserialize, response_serializer=_serialize)


def provider_handler(get_servicer: Callable[[], Any]) -> grpc.GenericRpcHandler[Any, Any]:
    """``tfplugin6.Provider``; ``get_servicer`` is called per RPC and must be cheap after the first."""
    methods = {name: _method(name, get_servicer) for name in PROVIDER_RPCS}
    return grpc.method_handlers_generic_handler("tfplugin6.Provider", methods)


# The go-plugin services exchange only constant or ignored messages, so they are written as
# bytes here and the protobuf runtime (10+ ms to load) waits until after the handshake.
# tests/protocol/test_service.py checks these against health.proto and goplugin.proto.
HEALTH_SERVING = b"\x08\x01"  # grpc.health.v1.HealthCheckResponse{status: SERVING}
EMPTY = b""  # plugin.Empty


def _ignore(data: bytes) -> bytes:
    return data


def _raw(message: bytes) -> bytes:
    return message


def plugin_handlers(shutdown: Callable[[], None]) -> list[grpc.GenericRpcHandler[Any, Any]]:
    """Health ("plugin" SERVING), GRPCController.Shutdown, GRPCStdio and GRPCBroker."""

    def check(request: bytes, context: Any) -> bytes:
        return HEALTH_SERVING

    def stop(request: bytes, context: Any) -> bytes:
        shutdown()
        return EMPTY

    def no_stdio(request: bytes, context: Any) -> Iterator[bytes]:
        # Our stdout/stderr reach Terraform directly; an empty stream ends go-plugin's reader.
        return iter(())

    def no_broker(requests: Iterator[bytes], context: Any) -> Iterator[bytes]:
        # Terraform never brokers extra connections with providers; end the stream at once.
        return iter(())

    def unary(fn: Callable[[bytes, Any], bytes]) -> grpc.RpcMethodHandler[Any, Any]:
        return grpc.unary_unary_rpc_method_handler(fn, request_deserializer=_ignore, response_serializer=_raw)

    return [
        grpc.method_handlers_generic_handler("grpc.health.v1.Health", {"Check": unary(check)}),
        grpc.method_handlers_generic_handler("plugin.GRPCController", {"Shutdown": unary(stop)}),
        grpc.method_handlers_generic_handler(
            "plugin.GRPCStdio",
            {
                "StreamStdio": grpc.unary_stream_rpc_method_handler(
                    no_stdio, request_deserializer=_ignore, response_serializer=_raw
                )
            },
        ),
        grpc.method_handlers_generic_handler(
            "plugin.GRPCBroker",
            {
                "StartStream": grpc.stream_stream_rpc_method_handler(
                    no_broker, request_deserializer=_ignore, response_serializer=_raw
                )
            },
        ),
    ]
