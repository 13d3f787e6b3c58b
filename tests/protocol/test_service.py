"""gRPC registration: every 6.8 RPC is served, and the hand-encoded go-plugin messages are right."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent import futures
from pathlib import Path

import grpc
import pytest

from aep_provider.protocol import goplugin_pb2 as gp
from aep_provider.protocol import health_pb2 as health
from aep_provider.protocol import server, service
from aep_provider.protocol import tfplugin6_pb2 as pb
from aep_provider.protocol.resource import ProviderHandler


def test_every_rpc_of_the_provider_service_is_registered() -> None:
    declared = [m.name for m in pb.DESCRIPTOR.services_by_name["Provider"].methods]
    assert sorted(service.PROVIDER_RPCS) == sorted(declared)
    for name in declared:
        assert callable(getattr(server.ProviderServicer, name))


def test_hand_encoded_messages_match_the_protos() -> None:
    serving = health.HealthCheckResponse(status=health.HealthCheckResponse.SERVING)
    assert serving.SerializeToString() == service.HEALTH_SERVING
    assert gp.Empty().SerializeToString() == service.EMPTY


@pytest.fixture
def channel(tmp_path: Path) -> Iterator[tuple[grpc.Channel, list[str]]]:
    stopped: list[str] = []
    grpc_server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=4),
        handlers=[
            server.provider_handler(server.ProviderServicer(ProviderHandler())),
            *service.plugin_handlers(lambda: stopped.append("stop")),
        ],
    )
    address = f"unix:{tmp_path / 's.sock'}"
    grpc_server.add_insecure_port(address)
    grpc_server.start()
    with grpc.insecure_channel(address) as chan:
        yield chan, stopped
    grpc_server.stop(0)


def test_services_over_a_real_channel(channel: tuple[grpc.Channel, list[str]]) -> None:
    chan, stopped = channel
    check = chan.unary_unary(
        "/grpc.health.v1.Health/Check",
        request_serializer=health.HealthCheckRequest.SerializeToString,
        response_deserializer=health.HealthCheckResponse.FromString,
    )
    assert check(health.HealthCheckRequest(service="plugin"), timeout=5).status == health.HealthCheckResponse.SERVING

    schema = chan.unary_unary(
        "/tfplugin6.Provider/GetProviderSchema",
        request_serializer=pb.GetProviderSchema.Request.SerializeToString,
        response_deserializer=pb.GetProviderSchema.Response.FromString,
    )
    assert schema(pb.GetProviderSchema.Request(), timeout=5).server_capabilities.get_provider_schema_optional

    data = chan.unary_unary(
        "/tfplugin6.Provider/ReadDataSource",
        request_serializer=pb.ReadDataSource.Request.SerializeToString,
        response_deserializer=pb.ReadDataSource.Response.FromString,
    )
    assert data(pb.ReadDataSource.Request(type_name="x"), timeout=5).diagnostics  # a diagnostic, not UNIMPLEMENTED

    stdio = chan.unary_stream(
        "/plugin.GRPCStdio/StreamStdio",
        request_serializer=gp.Empty.SerializeToString,
        response_deserializer=gp.StdioData.FromString,
    )
    assert list(stdio(gp.Empty(), timeout=5)) == []

    broker = chan.stream_stream(
        "/plugin.GRPCBroker/StartStream",
        request_serializer=gp.ConnInfo.SerializeToString,
        response_deserializer=gp.ConnInfo.FromString,
    )
    assert list(broker(iter(()), timeout=5)) == []

    shutdown = chan.unary_unary(
        "/plugin.GRPCController/Shutdown",
        request_serializer=gp.Empty.SerializeToString,
        response_deserializer=gp.Empty.FromString,
    )
    shutdown(gp.Empty(), timeout=5)
    assert stopped == ["stop"]
